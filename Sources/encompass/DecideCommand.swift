import ArgumentParser
import Foundation
import InputRules
import RiskModel
import Settings
import StoreContract

struct DecideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide",
        abstract: "Record what was decided about a child's MARAC escalation. Decisions are kept, never edited.",
        discussion: "A later decision supersedes an earlier one; both stay on record. `declined` needs --reason.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The child's id, as in the incident files.")
    var childId: String

    @Option(help: "referred or declined.")
    var marac: Decision.Outcome

    @Option(help: "The date of the decision, YYYY-MM-DD (for referred: the referral date).")
    var on: String

    @Option(help: "Why; required when declined (at most 4,000 characters).")
    var reason: String?

    @Option(help: "Who decided (default: the login name).")
    var by: String?

    func run() async throws {
        try await Failure.run {
            let now = Date()
            // Ids and names meet the one text rule (FieldText) before anything is opened.
            for (option, value) in [("CHILD_ID", childId), ("--by", by)] {
                if let value, let problem = FieldText.problem(value, as: .identifier) {
                    throw UsageProblem(message: "\(option): \(problem)")
                }
            }
            let config = try ConfigDirectory.load(global.configDirectory, environment: global.environment)
            let today = config.settings.scoring.zone.localDate(of: now)
            // Checked before the store is opened, so a refused decision writes nothing at all.
            let checked: Decision.Checked
            switch Decision.check(outcome: marac, on: on, reason: reason, today: today) {
            case .success(let c): checked = c
            case .failure(let problems): throw UsageProblem(message: problems.list.map(words).joined(separator: "; "))
            }
            let context = try await Context.open(global, config: config)
            guard try await context.store.childExists(childId) else { throw StoreError.unknownChild(childId) }
            let login = LoginName.current
            let who = by ?? login
            // The audit keeps the login that ran the command beside the name given.
            try await context.store.record(Decision(childId: childId, outcome: checked.outcome, on: checked.on,
                                                    reason: checked.reason, by: who, recordedAt: now,
                                                    recordedBy: "cli:\(login)"))
            print("recorded: \(childId) MARAC \(marac.rawValue) on \(checked.on) by \(who)")
        }
    }

    /// A problem in the options' terms. The reason's text is never repeated: it may name people.
    func words(_ problem: Decision.Problem) -> String {
        switch problem {
        case .noOutcome: "--marac: expected referred or declined"
        case .notADate: "--on: expected a date as YYYY-MM-DD"
        case .inTheFuture: "--on: \(on) is in the future"
        case .noReason: "--reason is required when the MARAC referral is declined"
        case .reasonTooLong: "--reason: at most \(Decision.maximumReasonLength) characters"
        case .reasonHasControlCharacter: "--reason: \(FieldText.Problem.controlCharacter)"
        }
    }
}

extension Decision.Outcome: ExpressibleByArgument {}
