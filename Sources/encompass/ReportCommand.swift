import ArgumentParser
import Foundation
import Inspection
import RiskModel
import Settings

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The inspection report: incidents, alerts to schools, decisions and missing episodes of a period (London dates, both inclusive).")

    @OptionGroup var global: GlobalOptions

    @Option(help: "The period's first date, YYYY-MM-DD.")
    var from: String

    @Option(help: "The period's last date, YYYY-MM-DD (inclusive).")
    var to: String

    @Flag(help: "Print JSON for programs instead of the table.")
    var json = false

    @Flag(help: "Only the SPEC's figures: leave out the extra ones (faster on a large store: the children waiting on a decision need the review queue).")
    var specOnly = false

    func run() async throws {
        try await Failure.run {
            let period = try ReportPeriod(fromText: from, toText: to)
            let context = try await ReadingContext.open(global)
            let report = try await Inspection.report(store: context.store, period: period, settings: context.config.settings.scoring,
                                                    specOnly: specOnly)
            try FileHandle.standardOutput.write(contentsOf: Array((json ? report.json : report.table).utf8))
            if !json, let note = Inspection.notEnded(period, now: Date(), zone: context.config.settings.scoring.zone) { print(note) }
        }
    }
}
