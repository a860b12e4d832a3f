import ArgumentParser
import Foundation
import InputRules
import RiskModel
import Settings
import StoreContract

struct DecideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide",
        abstract: "Record what was decided about a child: a MARAC referral, a strategy meeting, or both. Decisions are kept, never edited.",
        discussion: """
            A decision supersedes those of its kind dated (--on) on or before it, whenever they were typed in; all stay on record. `declined` needs --reason \
            (one reason serves both kinds when one call records both).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The child's id, as in the incident files.")
    var childId: String

    @Option(help: "referred or declined.")
    var marac: Decision.Outcome?

    @Option(help: "held or declined.")
    var strategyMeeting: Decision.Outcome?

    @Option(help: "The date of the decision, YYYY-MM-DD (for referred: the referral date).")
    var on: String

    @Option(help: "Why; required when declined (at most 4,000 characters).")
    var reason: String?

    @Option(help: "Who decided (default: the login name).")
    var by: String?

    func run() async throws {
        try await Failure.run {
            let now = Date()
            try UsageProblem.checkIdentifiers([("CHILD_ID", childId), ("--by", by)])
            let config = try ConfigDirectory.load(global.configDirectory, environment: global.environment)
            let today = config.settings.scoring.zone.localDate(of: now)
            // Checked before the store is opened, so a refused decision writes nothing at all.
            let asked: [(Decision.Kind, Decision.Outcome)] = [(.marac, marac), (.strategyMeeting, strategyMeeting)].compactMap { k, o in o.map { (k, $0) } }
            guard !asked.isEmpty else { throw UsageProblem(message: "give --marac referred|declined, --strategy-meeting held|declined, or both") }
            var checked: [(Decision.Kind, Decision.Checked)] = []
            for (kind, outcome) in asked {
                switch Decision.check(kind: kind, outcome: outcome, on: on, reason: reason, today: today) {
                case .success(let c): checked.append((kind, c))
                case .failure(let problems): throw UsageProblem(message: problems.list.map { words($0, kind: kind) }.joined(separator: "; "))
                }
            }
            let childId = self.childId
            let context = try await Context.open(global, config: config) { store in
                guard try await store.childExists(childId) else { throw StoreError.unknownChild(childId) }
            }
            let login = LoginName.current
            let who = by ?? login
            // The audit keeps the login that ran the command beside the name given.
            // Both kinds in one transaction: were the second to fail after the first was kept, the
            // command would exit 69 and its rerun record the first twice (audit 20, input F9).
            let decisions = checked.map { kind, c in
                Decision(childId: childId, kind: kind, outcome: c.outcome, on: c.on, reason: c.reason,
                         by: who, recordedAt: now, recordedBy: "cli:\(login)")
            }
            try await context.store.record(decisions, strategyDiscussion: false, actor: "cli:\(login)", seen: nil)
            for d in decisions {
                print("recorded: \(childId) \(d.kind == .marac ? "MARAC" : "strategy meeting") \(d.outcome.rawValue) on \(d.on) by \(who)")
            }
        }
    }

    /// A problem in the options' terms. The reason's text is never repeated: it may name people.
    func words(_ problem: Decision.Problem, kind: Decision.Kind) -> String {
        switch problem {
        case .noOutcome: kind == .marac ? "--marac: expected referred or declined" : "--strategy-meeting: expected held or declined"
        case .notADate: "--on: expected a date as YYYY-MM-DD"
        case .inTheFuture: "--on: \(on) is in the future"
        case .noReason: kind == .marac ? "--reason is required when the MARAC referral is declined"
            : "--reason is required when the strategy meeting is declined"
        case .reasonTooLong: "--reason: at most \(Decision.maximumReasonLength) characters"
        case .reasonHasControlCharacter: "--reason: \(FieldText.Problem.controlCharacter)"
        }
    }
}

extension Decision.Outcome: ExpressibleByArgument {
    /// ArgumentParser would list every outcome under both options (`held` under --marac); each
    /// option's help names its own two, and `Decision.check` refuses the other kind's.
    public static var allValueStrings: [String] { [] }
}
