import ArgumentParser
import Foundation
import Ingest
import InputRules
import Intake
import Settings
import StoreContract

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read incidents from CSV or JSON Lines files, all or nothing.",
        discussion: """
            Every row of every file is checked before anything is written. Any invalid row: each error \
            is printed as FILE:LINE: column: message, nothing is written, and the exit status is 65.
            A file whose header (or first JSON object) has episode_id holds missing-from-home episodes (SPEC §10), \
            not incidents.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Files ending .csv, .jsonl or .ndjson.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one file to ingest") }
        for f in files where IncidentFileFormat(fileName: f) == nil {
            throw ValidationError("\(FilePosition.text(f)): expected a .csv, .jsonl or .ndjson file")
        }
    }

    func run() async throws {
        try await Failure.run {
            // Map every file before opening anything, so a missing file is reported first (exit 66).
            // Mapped, not read: a large file is then resident only where the reader is.
            // (What cannot be mapped, a pipe say, is read as before.)
            let sources = try files.map { path in
                let format = IncidentFileFormat(fileName: path)!
                guard FileManager.default.fileExists(atPath: path) else { throw MissingFile(path: path) }
                return try IntakeSource(mapping: path, name: path, format: format)
                    ?? IntakeSource(name: path, data: ConfigDirectory.data(path), format: format)
            }
            let global = self.global
            let summary = try await IncidentIntake.run(sources, actor: "cli:\(NSUserName())", now: Date()) {
                let config = try ConfigDirectory.load(global.configDirectory, environment: global.environment)
                let context = try await Context.openUnimported(global, config: config)
                // As `Context.open` does once it has imported the directory: a corrected calendar,
                // and a school or key adult added to Config/ since.
                return IntakeTarget(store: context.store, planner: context.planner, directory: config.directory) {
                    try await context.followConfig()
                }
            }
            print(summary.line)
        }
    }
}
