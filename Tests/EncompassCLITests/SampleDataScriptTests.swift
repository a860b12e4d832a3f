import Foundation
import Testing
import TestSupport

/// `scripts/make-sample-data.py` writes the sample shipped in `Config/`, which the demo and these
/// tests read. Run with no options it wrote files that differed from those committed (a telephone
/// column and two rows added by hand, never to the script), and `--help` ran it and rewrote them:
/// an operator asking for help lost the shipped sample. It now writes the committed bytes, into
/// `--out` when given, and `--help` writes nothing.
@Suite("the sample-data script")
struct SampleDataScriptTests {
    static let script = Repository.root.appendingPathComponent("scripts/make-sample-data.py")
    static let written = ["schools.csv", "key-adults.csv", "sample-incidents.csv", "sample-decisions.csv"]

    @Test func itsRunWritesTheCommittedFilesByteForByte() async throws {
        let scratch = try Scratch()
        let out = scratch.path("sample")
        let run = try await Command.run(Repository.python, [Self.script.path, "--out", out])
        #expect(run.exitCode == 0, "\(run.output)")
        for name in Self.written {
            let made = try Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent(name))
            let committed = try Data(contentsOf: Repository.root.appendingPathComponent("Config").appendingPathComponent(name))
            #expect(made == committed, "\(name) differs from Config/\(name)")
        }
    }

    /// Run from a copy, so its default `Config/` is the scratch folder's and the repository's is
    /// never at risk: `--help` prints its usage and writes nothing there.
    @Test func helpWritesNothing() async throws {
        let scratch = try Scratch()
        let scripts = scratch.url.appendingPathComponent("scripts")
        try FileManager.default.createDirectory(at: scripts, withIntermediateDirectories: true)
        let copy = scripts.appendingPathComponent("make-sample-data.py")
        try FileManager.default.copyItem(at: Self.script, to: copy)
        let help = try await Command.run(Repository.python, [copy.path, "--help"])
        #expect(help.exitCode == 0, "\(help.output)")
        #expect(help.output.contains("usage: make-sample-data.py") && help.output.contains("--out DIR"), "\(help.output)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("Config")), "--help wrote Config/")
    }
}
