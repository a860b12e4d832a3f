import InputRules
import RiskModel

/// The one check every typed field of the web application and the JSON API goes through before it
/// is used or stored: FieldText's character rule (no C0, DEL or C1 control except a tab, and line
/// breaks where the field is free text; no invisible format character in an id) and a length limit.
/// A NUL cut a child's name short on a page and an ESC reached an operator's terminal: such
/// characters are refused, never stored.
struct TextInput: Sendable {
    /// How the field is named to the person typing ("the reason"), at the start of a sentence.
    let label: String
    /// The most characters the field may hold.
    let maxLength: Int
    /// Free text: line breaks (CR, LF) are allowed.
    let multiline: Bool
    /// An id (a child's, a sign-in name): no Unicode format characters either (FieldText's rule for ids).
    var identifier = false

    static let decisionReason = TextInput(label: "The reason", maxLength: Decision.maximumReasonLength, multiline: true)
    static let regradeReason = TextInput(label: "The reason", maxLength: 4000, multiline: true)
    static let accountName = TextInput(label: "The sign-in name", maxLength: 64, multiline: false, identifier: true)
    /// A child's id as typed into the search box (FieldText's identifier limit).
    static let childId = TextInput(label: "The child's id", maxLength: 64, multiline: false, identifier: true)
    /// Who the API says made a decision (`by`).
    static let decidedBy = TextInput(label: "by", maxLength: 64, multiline: false, identifier: true)
    /// Short coded values: a grade, a role, a date, a URN, a filter.
    static let code = TextInput(label: "The value", maxLength: 40, multiline: false)
    /// Each field of a key adult (`KeyAdult.make` then says what it must hold).
    static let keyAdultField = TextInput(label: "The value", maxLength: 500, multiline: false)
    static let schoolFilter = TextInput(label: "The school URN", maxLength: 40, multiline: false)
    static let password = TextInput(label: "The password", maxLength: 200, multiline: false)

    func named(_ label: String) -> TextInput { TextInput(label: label, maxLength: maxLength, multiline: multiline, identifier: identifier) }

    /// Why `value` cannot be taken, in words for a person; nil when it will do (or is absent).
    func problem(_ value: String?) -> String? {
        guard let value else { return nil }
        for scalar in value.unicodeScalars {
            guard let problem = FieldText.problem(scalar, lineBreaks: multiline, formatCharacters: !identifier) else { continue }
            let what = switch problem {
            case .formatCharacter: "an invisible or look-alike character"
            case .lookAlikeLetter: "a character that may print as another (beyond ASCII, only Latin letters)"
            default: scalar.value == 0x7F ? "a delete character" : scalar.value == 0 ? "a null character" : "a control character"
            }
            return "\(label) has \(what) in it, which cannot be kept. Type it again without it."
        }
        // FieldText's length rule: characters, and bytes, so marks piled on one character do not pass.
        if FieldText.isTooLong(value, maximum: maxLength) {
            return "\(label) is too long: keep it to at most \(maxLength) characters."
        }
        return nil
    }

    /// Whether every character is allowed and the length is within the limit.
    func accepts(_ value: String?) -> Bool { problem(value) == nil }
}

/// A form's problems as its template shows them: a summary at the top (`#errors`, where the form's
/// action lands) whose items link to their fields, and each message beside its field, tied to it by
/// `aria-describedby` (`FIELD-error`) with `aria-invalid` set.
struct FormErrors {
    static let summaryId = "errors"

    let problems: [FieldProblem]

    init(_ problems: [FieldProblem]) { self.problems = problems }

    /// The id of the control a field's summary item links to (a group links to its first choice).
    static func controlId(_ field: String) -> String {
        switch field {
        case "marac": "marac-referred"
        case "strategy_meeting": "meeting-held"
        default: field
        }
    }

    var values: [String: Any] {
        var errors: [String: Any] = [:]
        for p in problems where errors[p.field] == nil { errors[p.field] = p.message }
        return [
            "problems": problems.map { ["message": $0.message, "link": "#" + Self.controlId($0.field), "field": $0.field] },
            "hasProblems": !problems.isEmpty,
            "fieldErrors": errors,
        ]
    }
}
