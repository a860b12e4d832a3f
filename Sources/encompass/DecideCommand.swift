import ArgumentParser
import Foundation
import RiskModel
import Settings
import Store

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

    @Option(help: "Why; required when declined.")
    var reason: String?

    @Option(help: "Who decided (default: the login name).")
    var by: String?

    func validate() throws {
        guard LocalDate(iso: on) != nil else { throw ValidationError("--on: expected a date as YYYY-MM-DD") }
        if marac == .declined, (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError("--reason is required when the MARAC referral is declined")
        }
    }

    func run() async throws {
        try await Failure.run {
            let now = Date()
            let date = LocalDate(iso: on)!
            let context = try await Context.open(global)
            if date > context.config.settings.scoring.zone.localDate(of: now) {
                throw UsageProblem(message: "--on: \(on) is in the future")
            }
            guard try await context.store.childExists(childId) else { throw StoreError.unknownChild(childId) }
            let who = by ?? NSUserName()
            let trimmed = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
            try await context.store.record(Decision(childId: childId, outcome: marac, on: date,
                                                    reason: trimmed?.isEmpty == true ? nil : trimmed, by: who, recordedAt: now))
            print("recorded: \(childId) MARAC \(marac.rawValue) on \(on) by \(who)")
        }
    }
}

extension Decision.Outcome: ExpressibleByArgument {}
