import Foundation
import RiskModel

/// A decision as typed into the page or sent to the API: a MARAC referral, a strategy meeting, or
/// both at once. `TextInput` refuses control characters and over-long text; `Decision.check` judges
/// the rest, as it does for `decide`; this only words the problems for the person or program that
/// sent it, each tied to its field.
struct DecisionInput {
    var marac: String?
    var strategyMeeting: String?
    var on: String?
    var reason: String?
    var strategyDiscussion = false

    /// The field of each kind's choice.
    static func field(of kind: Decision.Kind) -> String { kind == .marac ? "marac" : "strategy_meeting" }

    /// Either each kind's checked decision (MARAC first) or every problem, in words.
    func check(today: LocalDate) -> Result<[(kind: Decision.Kind, checked: Decision.Checked)], Problems> {
        var problems: [FieldProblem] = []
        if let why = TextInput.code.named("The choice").problem(marac) { problems.append(FieldProblem(field: "marac", message: why)) }
        if let why = TextInput.code.named("The choice").problem(strategyMeeting) {
            problems.append(FieldProblem(field: "strategy_meeting", message: why))
        }
        if let why = TextInput.code.named("The date").problem(on) { problems.append(FieldProblem(field: "on", message: why)) }
        if let why = TextInput.decisionReason.problem(reason) { problems.append(FieldProblem(field: "reason", message: why)) }
        var given = [(Decision.Kind.marac, marac), (.strategyMeeting, strategyMeeting)].filter { $0.1?.isEmpty == false }
        // Neither chosen: the date and reason are still checked, and the choice asked for.
        let neither = given.isEmpty
        if neither { given = [(.marac, nil)] }
        var out: [(kind: Decision.Kind, checked: Decision.Checked)] = []
        for (kind, choice) in given {
            switch Decision.check(kind: kind, outcome: choice.flatMap(Decision.Outcome.init(rawValue:)), on: on, reason: reason, today: today) {
            case .success(let c): out.append((kind, c))
            case .failure(let found):
                for problem in found.list {
                    let field = Self.field(problem, kind: kind)
                    // One message a field: the character check speaks first.
                    if problems.contains(where: { $0.field == field }) { continue }
                    let words = neither && problem == .noOutcome
                        ? "Choose a MARAC decision, a strategy meeting decision, or both." : Self.words(problem, kind: kind)
                    problems.append(FieldProblem(field: field, message: words))
                }
            }
        }
        if !problems.isEmpty { return .failure(Problems(list: problems)) }
        return .success(out)
    }

    static func field(_ problem: Decision.Problem, kind: Decision.Kind) -> String {
        switch problem {
        case .noOutcome: field(of: kind)
        case .notADate, .inTheFuture: "on"
        case .noReason, .reasonTooLong, .reasonHasControlCharacter: "reason"
        }
    }

    static func words(_ problem: Decision.Problem, kind: Decision.Kind) -> String {
        switch problem {
        case .noOutcome: kind == .marac ? "Choose whether the child was referred to MARAC or the referral was declined."
            : "Choose whether the strategy meeting was held or declined."
        case .notADate: "Enter the date of the decision as a date, such as 2026-11-21 (YYYY-MM-DD)."
        case .inTheFuture: "The date of the decision cannot be in the future."
        case .noReason: kind == .marac ? "Say why the referral was declined: a reason is required."
            : "Say why no strategy meeting is held: a reason is required."
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
