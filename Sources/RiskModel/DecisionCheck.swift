import CivilTime
import Foundation
import InputRules

extension Decision {
    /// The longest reason kept. It is read at a meeting, so it is a note, not a pasted report.
    public static let maximumReasonLength = FieldText.Kind.words.maximumLength

    /// A decision as given, checked: what `record` may store once the child, the person and the time are added.
    public struct Checked: Sendable, Hashable {
        public let outcome: Outcome
        public let on: LocalDate
        /// Trimmed; nil when none was given or it was blank (`FieldText.isBlank`: no visible character).
        public let reason: String?
    }

    /// Why a decision as given cannot be recorded. Each caller words these for its own reader, and
    /// none of them repeats the reason's text.
    public enum Problem: Sendable, Hashable {
        case noOutcome
        case notADate
        case inTheFuture
        case noReason
        case reasonTooLong
        /// A control character other than a tab or a line break (FieldText).
        case reasonHasControlCharacter
    }

    public struct Problems: Error, Sendable, Hashable {
        public let list: [Problem]
    }

    /// The one check of a decision, for the `decide` command, the child's page and the API alike:
    /// an outcome, a YYYY-MM-DD date not after `today` (the hub's date now, from the caller's clock),
    /// a reason when declined, and no reason longer than `maximumReasonLength` or holding a control
    /// character (the FieldText rule). Every problem, in that order.
    public static func check(kind: Kind = .marac, outcome: Outcome?, on: String?, reason: String?,
                             today: LocalDate) -> Result<Checked, Problems> {
        var problems: [Problem] = []
        if outcome.map({ !kind.outcomes.contains($0) }) ?? true { problems.append(.noOutcome) }
        let date = on.flatMap { LocalDate(entered: $0.trimmingCharacters(in: .whitespaces)) }
        if let date {
            if date > today { problems.append(.inTheFuture) }
        } else {
            problems.append(.notADate)
        }
        // A reason with no visible character is none (FieldText's rule for blank text).
        let trimmed = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        let given = trimmed.flatMap { $0.isEmpty || FieldText.isBlank($0) ? nil : $0 }
        if outcome == .declined, given == nil { problems.append(.noReason) }
        if let given {
            switch FieldText.problem(given, as: .words) {
            case .controlCharacter?, .formatCharacter?, .lookAlikeLetter?: problems.append(.reasonHasControlCharacter)
            case .tooLong?: problems.append(.reasonTooLong)
            case nil: break
            }
        }
        guard problems.isEmpty, let outcome, let date, kind.outcomes.contains(outcome) else { return .failure(Problems(list: problems)) }
        return .success(Checked(outcome: outcome, on: date, reason: given))
    }
}
