import ArgumentParser
import Foundation
import InputRules
import Review
import RiskModel
import Settings
import StoreContract

/// `encompass plan add | done | list` (SPEC §5): a child's MARAC plan. Actions are appended; done is
/// a row of its own; nothing is edited away.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "A child's MARAC protective plan: actions agreed, by which agency, and when each was done.",
        discussion: "Actions are never edited or deleted: marking one done adds a record beside it.",
        subcommands: [Add.self, Done.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record one action of a child's plan; prints its id.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The child's id, as in the incident files.")
        var childId: String

        @Option(help: "What is to be done (at most 4,000 characters).")
        var action: String

        @Option(help: "Which agency does it, such as \"Children's Social Care\" (at most 100 characters).")
        var agency: String

        @Option(help: "When it is due, YYYY-MM-DD.")
        var due: String?

        @Option(help: "Who recorded it (default: the login name).")
        var by: String?

        func run() async throws {
            try await Failure.run {
                let now = Date()
                try UsageProblem.checkIdentifiers([("CHILD_ID", childId), ("--by", by)])
                let checked: PlanAction.Checked
                switch PlanAction.check(action: action, agency: agency, due: due) {
                case .success(let c): checked = c
                case .failure(let problems): throw UsageProblem(message: problems.list.map(PlanCommand.words).joined(separator: "; "))
                }
                let config = try ConfigDirectory.load(global.configDirectory, environment: global.environment)
                let childId = self.childId
                let context = try await Context.open(global, config: config) { store in
                    guard try await store.childExists(childId) else { throw StoreError.unknownChild(childId) }
                }
                let login = LoginName.current
                let added = try await context.store.addPlanAction(NewPlanAction(checked, childId: childId, by: by ?? login,
                                                                                recordedAt: now, actor: "cli:\(login)"))
                print(added.id)
            }
        }
    }

    struct Done: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a plan action done. An action is marked done once.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The action's id, as `plan add` printed it and `plan list` shows it.")
        var actionId: Int64

        @Option(help: "The date it was done, YYYY-MM-DD (not in the future).")
        var on: String

        @Option(help: "Who did it or recorded it (default: the login name).")
        var by: String?

        func run() async throws {
            try await Failure.run {
                let now = Date()
                try UsageProblem.checkIdentifiers([("--by", by)])
                let config = try ConfigDirectory.load(global.configDirectory, environment: global.environment)
                let date: LocalDate
                switch PlanAction.checkDone(on: on, today: config.settings.scoring.zone.localDate(of: now)) {
                case .success(let d): date = d
                case .failure(let problems): throw UsageProblem(message: problems.list.map(PlanCommand.words).joined(separator: "; "))
                }
                let actionId = self.actionId
                let context = try await Context.open(global, config: config) { store in
                    _ = try PlanError.markable(try await store.planAction(id: actionId), id: actionId)
                }
                let login = LoginName.current
                let done = try await context.store.markPlanActionDone(id: actionId, on: date, by: by ?? login, at: now, actor: "cli:\(login)")
                print("done: plan action \(done.id) for \(FieldText.forTerminal(done.childId)) on \(date)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A child's plan: every action, oldest first, and when each was done.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The child's id, as in the incident files.")
        var childId: String

        @Flag(help: "Print JSON for programs instead of the table.")
        var json = false

        func run() async throws {
            try await Failure.run {
                try UsageProblem.checkIdentifiers([("CHILD_ID", childId)])
                let context = try await ReadingContext.open(global)
                guard try await context.store.childExists(childId) else { throw StoreError.unknownChild(childId) }
                let actions = try await context.store.planActions(childId: childId)
                let text = json ? PlanList.json(childId: childId, actions)
                    : PlanList.table(childId: childId, actions, zone: context.config.settings.scoring.zone)
                try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
            }
        }
    }

    /// A problem in the options' terms. The action's text is never repeated: it may name people.
    static func words(_ problem: PlanAction.Problem) -> String {
        switch problem {
        case .noAction: "--action: say what is to be done"
        case .actionTooLong: "--action: at most \(PlanAction.maximumActionLength) characters"
        case .actionHasControlCharacter: "--action: \(FieldText.Problem.controlCharacter)"
        case .noAgency: "--agency: say which agency does it"
        case .agencyTooLong: "--agency: at most \(PlanAction.maximumAgencyLength) characters"
        case .agencyHasControlCharacter: "--agency: \(FieldText.Problem.controlCharacter) (one line)"
        case .dueNotADate: "--due: expected a date as YYYY-MM-DD"
        case .doneNotADate: "--on: expected a date as YYYY-MM-DD"
        case .doneInTheFuture: "--on: the date is in the future"
        }
    }
}
