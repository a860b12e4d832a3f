import ArgumentParser
import Foundation
import Review
import RiskModel
import Settings
import StoreContract
import Synchronization

struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List Operation Encompass alerts with their state, deadline, attempts and last error (ids only).",
        discussion: """
            States: queued, sending, delivered, retrying, failed, overdue (SPEC §7), as read at --now: an alert \
            not delivered by its deadline is overdue from then, before the next notify run stores it. --state unmatched lists the \
            hub's unmatched list: a child with no school, or a school with no key adult, never dropped, there until \
            the school is known (the table without --state ends by counting them).
            --state unacknowledged lists every alert delivered with an acknowledgement link that nobody at the \
            school acknowledged by the deadline (SPEC §7), newest deadline first; with --to-phone only those \
            whose link still works (alerts.ack_days after the deadline): the schools the hub should phone, as \
            the alerts board lists them, the table ending by counting the rest.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only alerts in this state, or unacknowledged.")
    var state: AlertFilter?

    @Option(help: "The clock states are read at (overdue once a deadline passed undelivered; unacknowledged), ISO 8601, for tests and replays. Default: now.")
    var now: String?

    // The SPEC's list is every unacknowledged alert, which programs read; the hub's narrower list
    // (the board's) is asked for, never the default, so nothing a program counts on goes missing.
    @Flag(help: "With --state unacknowledged: only the alerts whose links still work, the schools to phone (the alerts board's list).")
    var toPhone = false

    @Flag(help: "Print JSON for programs instead of the table.")
    var json = false

    func validate() throws {
        if toPhone, state != .unacknowledged { throw ValidationError("--to-phone goes with --state unacknowledged") }
    }

    func run() async throws {
        try await Failure.run {
            let clock = try now.map { try parseInstant($0, option: "--now") } ?? Date()
            let context = try await ReadingContext.open(global)
            let writer = AlertList.Writer(json ? .json : .table, zone: context.config.settings.scoring.zone) {
                try FileHandle.standardOutput.write(contentsOf: $0)
            }
            // Written as the store reads the rows: none is kept.
            let visit: @Sendable (Int, AlertRow) throws -> Void = { pass, row in try writer.add(pass: pass, row) }
            switch state {
            case nil:
                // An unmatched child is not an alert (SPEC §7: one alert per child whose school is known
                // and has a key adult), and programs read the six states of an alert here; the hub's
                // unmatched list is `--state unmatched`, and the table says how long it is.
                let unmatched = Counter()
                try await context.store.alerts(state: nil, now: clock, passes: writer.passes) { pass, row in
                    if row.state == .unmatched {
                        if pass == 0 { unmatched.add() }
                    } else {
                        try visit(pass, row)
                    }
                }
                try writer.finish()
                if !json, unmatched.value > 0 {
                    print("\(unmatched.value) unmatched (no school, or no key adult at it): encompass alerts --state unmatched")
                }
                return
            // Each state as read at the clock (`AlertLifecycle.stateAsRead`): an alert not delivered by
            // its deadline is overdue at once, not only once the next run has stored it (audit 27, F1).
            case .state(let s)?: try await context.store.alerts(state: s, now: clock, passes: writer.passes, visit)
            case .unacknowledged?:
                // The board's rule (`AlertLifecycle.isToPhone`), asked of each row the store selects.
                let listed = Counter()
                let toPhone = toPhone
                try await context.store.unacknowledgedAlerts(now: clock, closedLinks: !toPhone, passes: writer.passes) { pass, row in
                    guard toPhone ? row.isToPhone(now: clock) : row.isUnacknowledged(now: clock) else { return }
                    if pass == 0 { listed.add() }
                    try visit(pass, row)
                }
                try writer.finish()
                let closed = toPhone ? try await context.store.unacknowledgedCount(now: clock) - listed.value : 0
                if !json, closed > 0 {
                    print("\(closed) more not acknowledged, whose links have closed (no longer to phone): "
                          + "encompass alerts --state unacknowledged")
                }
                return
            }
            try writer.finish()
        }
    }
}

/// `--state`: a stored state, or `unacknowledged`, which the state machine works out from a delivered alert.
enum AlertFilter: ExpressibleByArgument, Equatable {
    case state(AlertState)
    case unacknowledged

    init?(argument: String) {
        if argument == AlertLifecycle.unacknowledgedKind {
            self = .unacknowledged
        } else if let s = AlertState(rawValue: argument) {
            self = .state(s)
        } else {
            return nil
        }
    }

    static var allValueStrings: [String] { AlertState.allCases.map(\.rawValue) + [AlertLifecycle.unacknowledgedKind] }
}


/// The unmatched rows the listing passed over, counted from the store's row visitor (Sendable).
private final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add() { count.withLock { $0 += 1 } }
}
