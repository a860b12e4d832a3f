import Foundation
import RiskModel

/// A MARAC decision as typed into the page or sent to the API, checked the same way `decide` checks
/// it: `declined` needs a reason, the date is a real date and not in the future.
struct DecisionInput {
    var marac: String?
    var on: String?
    var reason: String?
    var strategyDiscussion = false

    struct Checked {
        let outcome: Decision.Outcome
        let on: LocalDate
        let reason: String?
    }

    /// Either the checked decision or every problem, in words for the person or program that sent it.
    func check(today: LocalDate) -> Result<Checked, Problems> {
        var problems: [String] = []
        let outcome = marac.flatMap(Decision.Outcome.init(rawValue:))
        if outcome == nil { problems.append("Choose whether the MARAC referral was made or declined (marac: referred or declined).") }
        let date = on.flatMap { LocalDate(iso: $0.trimmingCharacters(in: .whitespaces)) }
        if date == nil {
            problems.append("Give the date of the decision as a date, YYYY-MM-DD (on).")
        } else if let date, date > today {
            problems.append("The date of the decision cannot be in the future (on).")
        }
        let trimmed = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        let given = trimmed?.isEmpty == false ? trimmed : nil
        if outcome == .declined, given == nil {
            problems.append("Say why the referral was declined: a reason is required (reason).")
        }
        if let given, given.count > 4000 { problems.append("Keep the reason under 4,000 characters (reason).") }
        guard problems.isEmpty, let outcome, let date else { return .failure(Problems(messages: problems)) }
        return .success(Checked(outcome: outcome, on: date, reason: given))
    }

    struct Problems: Error {
        let messages: [String]
    }
}
