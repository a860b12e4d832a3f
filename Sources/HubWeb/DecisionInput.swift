import Foundation
import RiskModel

/// A MARAC decision as typed into the page or sent to the API. `TextInput` refuses control characters
/// and over-long text; `Decision.check` judges the rest, as it does for `decide`; this only words the
/// problems for the person or program that sent it, each tied to its field.
struct DecisionInput {
    var marac: String?
    var on: String?
    var reason: String?
    var strategyDiscussion = false

    /// Either the checked decision or every problem, in words.
    func check(today: LocalDate) -> Result<Decision.Checked, Problems> {
        var problems: [FieldProblem] = []
        if let why = TextInput.code.named("The choice").problem(marac) { problems.append(FieldProblem(field: "marac", message: why)) }
        if let why = TextInput.code.named("The date").problem(on) { problems.append(FieldProblem(field: "on", message: why)) }
        if let why = TextInput.decisionReason.problem(reason) { problems.append(FieldProblem(field: "reason", message: why)) }
        let checked = Decision.check(outcome: marac.flatMap(Decision.Outcome.init(rawValue:)), on: on, reason: reason, today: today)
        if case .failure(let found) = checked {
            for problem in found.list {
                let field = Self.field(problem)
                // One message a field: the character check speaks first.
                if problems.contains(where: { $0.field == field }) { continue }
                problems.append(FieldProblem(field: field, message: Self.words(problem)))
            }
        }
        if !problems.isEmpty { return .failure(Problems(list: problems)) }
        return checked.mapError { _ in Problems(list: []) }
    }

    static func field(_ problem: Decision.Problem) -> String {
        switch problem {
        case .noOutcome: "marac"
        case .notADate, .inTheFuture: "on"
        case .noReason, .reasonTooLong, .reasonHasControlCharacter: "reason"
        }
    }

    static func words(_ problem: Decision.Problem) -> String {
        switch problem {
        case .noOutcome: "Choose whether the child was referred to MARAC or the referral was declined."
        case .notADate: "Enter the date of the decision as a date, such as 2026-11-21 (YYYY-MM-DD)."
        case .inTheFuture: "The date of the decision cannot be in the future."
        case .noReason: "Say why the referral was declined: a reason is required."
        case .reasonTooLong: "The reason is too long: keep it to at most \(Decision.maximumReasonLength) characters."
        case .reasonHasControlCharacter: "The reason holds a control character: type it again as plain text."
        }
    }

    struct Problems: Error {
        let list: [FieldProblem]
        var messages: [String] { list.map(\.message) }
    }
}

/// A problem with one field of a form, in words, with the field's name so the page can tie the
/// message to it (`aria-describedby`) and the API can name it.
struct FieldProblem: Error, Sendable, Equatable {
    let field: String
    let message: String
}
