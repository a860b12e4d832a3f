import ArgumentParser
import Foundation
import Schools
import Settings
import Synth

struct SynthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write realistic synthetic incidents as SPEC CSV, for benchmarks. No real person's data.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "How many CSV data rows.")
    var rows: Int

    @Option(help: "The random seed: the same seed gives the same file.")
    var seed: UInt64 = 1

    @Option(name: .shortAndLong, help: "Write here instead of standard output.")
    var output: String?

    func validate() throws {
        guard rows >= 0 else { throw ValidationError("--rows: expected 0 or more") }
    }

    func run() async throws {
        try await Failure.run {
            let config = try ConfigDirectory.load(global.configDirectory, environment: global.environment)
            let urns = config.directory.schools.map(\.urn)
            // Two hours back so no row is "in the future" for an ingest run soon after.
            let options = SynthOptions(rows: rows, seed: seed, end: Date().addingTimeInterval(-7200), urns: urns)
            let handle: FileHandle
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: nil) else {
                    throw UsageProblem(message: "\(output): cannot be written")
                }
                handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            } else {
                handle = FileHandle.standardOutput
            }
            try Synth.generateCSV(options) { chunk in try handle.write(contentsOf: Data(chunk.utf8)) }
            try handle.close()
        }
    }
}
