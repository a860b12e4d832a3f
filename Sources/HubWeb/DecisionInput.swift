import Foundation
import RiskModel

/// A MARAC decision as typed into the page or sent to the API. `Decision.check` judges it, as it does
/// for `decide`; this only words the problems for the person or program that sent it.
struct DecisionInput {
    var marac: String?
    var on: String?
    var reason: String?
    var strategyDiscussion = false

    /// Either the checked decision or every problem, in words.
    func check(today: LocalDate) -> Result<Decision.Checked, Problems> {
        Decision.check(outcome: marac.flatMap(Decision.Outcome.init(rawValue:)), on: on, reason: reason, today: today)
            .mapError { Problems(messages: $0.list.map(Self.words)) }
    }

    static func words(_ problem: Decision.Problem) -> String {
        switch problem {
        case .noOutcome: "Choose whether the MARAC referral was made or declined (marac: referred or declined)."
        case .notADate: "Give the date of the decision as a date, YYYY-MM-DD (on)."
        case .inTheFuture: "The date of the decision cannot be in the future (on)."
        case .noReason: "Say why the referral was declined: a reason is required (reason)."
        case .reasonTooLong: "Keep the reason to at most \(Decision.maximumReasonLength) characters (reason)."
        case .reasonHasControlCharacter: "The reason holds a control character: type it again as plain text (reason)."
        }
    }

    struct Problems: Error {
        let messages: [String]
    }
}
