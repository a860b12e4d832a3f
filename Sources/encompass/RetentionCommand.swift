import ArgumentParser
import CivilTime
import Foundation
import RiskModel
import Settings
import StoreContract

struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Records due for review by the force's own periods (retention.incidents_days, retention.episodes_days): list them, or purge them.",
        discussion: "A purge removes each record and what hangs from it, the child's row when nothing of theirs is left, and the personal values the audit kept about it; one audit row per record keeps its id and review date only. It goes in batches of \(RetentionBatch.records) records, each in one transaction, so other programs write in between; stopped part way, what it purged stays purged and the rest is still due.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "List what is due (writes nothing).")
    var review = false

    @Flag(help: "Delete what is due.")
    var purge = false

    @Option(help: "As of this instant (ISO 8601 with Z or an offset; a purge's not after now). Default: now.")
    var now: String?

    func validate() throws {
        guard review != purge else { throw ValidationError("give one of --review or --purge") }
    }

    func run() async throws {
        try await Failure.run {
            let clock = Date()
            let at = try now.map { try parseInstant($0, option: "--now") } ?? clock
            if purge, !RetentionPolicy.mayPurge(asOf: at, clock: clock) {
                throw UsageProblem(message: "--now: a purge cannot be dated after now: it would delete records the risk rules still read today (--review may look ahead)")
            }
            let config = try ConfigDirectory.load(global.configDirectory, environment: global.environment)
            let policy = RetentionPolicy(incidentsDays: config.settings.retention.incidentsDays,
                                         episodesDays: config.settings.retention.episodesDays)
            guard !policy.isEmpty else {
                print("No review periods are set (retention.incidents_days, retention.episodes_days): nothing is ever due.")
                return
            }
            // Dates people read are the hub's (a record at 00:30 BST on 1 October is October's).
            let zone = config.settings.scoring.zone
            func day(_ d: Date) -> String { zone.localDate(of: d).description }
            if review {
                let context = try await ReadingContext.open(global)
                let due = try await context.store.due(policy, now: at)
                guard !due.isEmpty else { return print("Nothing is due for review.") }
                print("kind      id                    dated                 review date")
                for item in due {
                    let review = policy.reviewDate(item.kind, recordedAt: item.recordedAt).map(day) ?? "-"
                    print(item.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                          + item.id.padding(toLength: max(22, item.id.count + 2), withPad: " ", startingAt: 0)
                          + day(item.recordedAt).padding(toLength: 22, withPad: " ", startingAt: 0) + review
                          + (item.alertMayStillGo ? "  (kept: an alert may still go)" : ""))
                }
                let kept = due.filter(\.alertMayStillGo).count
                if kept > 0 { print(Self.kept(kept)) }
            } else {
                let context = try await Context.open(global, config: config)
                let due = try await context.store.due(policy, now: at)
                let done: RetentionSummary
                var stoppedBy: (any Error)?
                do {
                    done = try await context.store.purge(due, policy: policy, actor: "cli:\(LoginName.current)", at: at)
                } catch let stopped as RetentionStopped {
                    // What the finished batches purged stays purged: said, then why it stopped.
                    done = stopped.purged
                    stoppedBy = stopped.cause
                }
                let purged = "\(done.incidents) incident(s), \(done.episodes) episode(s); children no longer held: \(done.children)"
                print(stoppedBy == nil ? "purged: \(purged)"
                                       : "stopped after purging \(purged); the rest is still due (--review lists it, the next --purge takes it)")
                if done.keptForAlerts > 0 { print(Self.kept(done.keptForAlerts)) }
                if let stoppedBy { throw stoppedBy }
            }
        }
    }

    /// What is said of the incidents due but kept (`RetentionStore`).
    static func kept(_ count: Int) -> String { "kept: \(count) incident(s) due for review: \(RetentionText.keptReason)" }
}
