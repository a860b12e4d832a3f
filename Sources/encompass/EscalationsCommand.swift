import ArgumentParser
import Foundation
import Review
import RiskModel
import Settings

struct EscalationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "escalations",
        abstract: "The review queue: children at level medium or high, highest level first, then newest incident first.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Assess as of this instant (ISO 8601 with Z or an offset). Default: now.")
    var asOf: String?

    @Flag(help: "Every child with an incident in the window, including level standard.")
    var all = false

    @Flag(help: "Print JSON for programs instead of the table.")
    var json = false

    func run() async throws {
        try await Failure.run {
            let asOfDate = try asOf.map { try parseInstant($0, option: "--as-of") } ?? Date()
            let context = try await ReadingContext.open(global)
            let settings = context.config.settings.scoring
            if json {
                // Each child's object rendered as it is assessed (see `ReviewQueue.writeDocument`).
                try await ReviewQueue.writeDocument(store: context.store, settings: settings, asOf: asOfDate, includeAll: all) {
                    try FileHandle.standardOutput.write(contentsOf: $0)
                }
            } else {
                let queue = try await ReviewQueue.build(store: context.store, settings: settings, asOf: asOfDate, includeAll: all)
                try queue.writeTable(zone: settings.zone) { try FileHandle.standardOutput.write(contentsOf: $0) }
            }
            // Done, and the output is written (unbuffered): a long queue's memory and the database's
            // page caches are left for the process's end to free, not freed piece by piece.
            Foundation.exit(0)
        }
    }
}
