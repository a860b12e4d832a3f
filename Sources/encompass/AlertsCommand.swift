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
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only alerts in this state.")
    var state: AlertState?

    @Flag(help: "Print JSON for programs instead of the table.")
    var json = false

    func run() async throws {
        try await Failure.run {
            let context = try await ReadingContext.open(global)
            let rows = try await context.store.alerts(state: state)
            let zone = context.config.settings.scoring.zone
            if json {
                FileHandle.standardOutput.write(Data(AlertList.json(rows, zone: zone).utf8))
            } else {
                print(AlertList.table(rows, zone: zone), terminator: "")
            }
        }
    }
}

extension AlertState: ExpressibleByArgument {}
