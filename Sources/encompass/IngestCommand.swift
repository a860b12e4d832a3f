import ArgumentParser
import Foundation
import Ingest
import Settings
import Store

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read incidents from CSV or JSON Lines files, all or nothing.",
        discussion: """
            Every row of every file is checked before anything is written. Any invalid row: each error
            is printed as FILE:LINE: column: message, nothing is written, and the exit status is 65.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Files ending .csv, .jsonl or .ndjson.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one file to ingest") }
        for f in files where IncidentFileFormat(fileName: f) == nil {
            throw ValidationError("\(f): expected a .csv, .jsonl or .ndjson file")
        }
    }

    func run() async throws {
        try await Failure.run {
            let now = Date()
            // Read every file before opening anything, so a missing file is reported first (exit 66).
            var builder = IncidentBatchBuilder(now: now)
            for f in files {
                let data = try ConfigDirectory.data(f)
                builder.add(data, fileName: f, format: IncidentFileFormat(fileName: f)!)
            }
            let incidents = try builder.finish().get()
            let context = try await Context.open(global)
            let summary = try await context.store.ingest(incidents, actor: "cli:\(NSUserName())", at: now, planner: context.planner)
            print(summary.line)
        }
    }
}
