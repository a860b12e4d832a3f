import ArgumentParser
import Foundation
import Review
import RiskModel
import Settings
import StoreContract

struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List Operation Encompass alerts with their state, deadline, attempts and last error (ids only).",
        discussion: """
            States: queued, sending, delivered, retrying, failed, overdue, and unmatched (a child with no school,
            or a school with no key adult: never dropped, listed here until the school is known).
            --state unacknowledged lists alerts delivered with an acknowledgement link that nobody at the
            school acknowledged by the deadline: the schools the hub should phone.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only alerts in this state, or unacknowledged.")
    var state: AlertFilter?

    @Option(help: "The clock for --state unacknowledged (ISO 8601), for tests and replays. Default: now.")
    var now: String?

    @Flag(help: "Print JSON for programs instead of the table.")
    var json = false

    func run() async throws {
        try await Failure.run {
            let clock = try now.map { try parseInstant($0, option: "--now") } ?? Date()
            let context = try await ReadingContext.open(global)
            let rows: [AlertRow]
            switch state {
            case nil: rows = try await context.store.alerts(state: nil)
            case .state(let s)?: rows = try await context.store.alerts(state: s)
            case .unacknowledged?: rows = try await context.store.alerts(state: .delivered).filter { $0.isUnacknowledged(now: clock) }
            }
            let zone = context.config.settings.scoring.zone
            if json {
                try FileHandle.standardOutput.write(contentsOf: Data(AlertList.json(rows, zone: zone).utf8))
            } else {
                print(AlertList.table(rows, zone: zone), terminator: "")
            }
        }
    }
}

/// `--state`: a stored state, or `unacknowledged`, which the state machine works out from a delivered alert.
enum AlertFilter: ExpressibleByArgument {
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
