import Foundation
import Testing
import TestSupport

/// An option that takes one value, given twice (audit 26, fuzz: `escalations --as-of A --as-of B`
/// took the last, where the API took the first of `as_of` twice): refused, 64, one line naming it,
/// before anything is opened; in any spelling (`--output` and `-o`, `--as-of=`).
@Suite("an option given twice is refused")
struct RepeatedOptionCLITests {
    @Test(arguments: [
        (["escalations", "--as-of", "2026-11-21T12:00:00Z", "--as-of", "2026-11-22T12:00:00Z"], "--as-of"),
        (["escalations", "--as-of=2026-11-21T12:00:00Z", "--json", "--as-of", "2026-11-22T12:00:00Z"], "--as-of"),
        (["synth", "--rows", "1", "-o", "a.csv", "--output", "b.csv"], "--output"),
        (["deadline", "--reported-at", "2026-11-20T22:10:00Z", "--urn", "120501", "--urn", "120502"], "--urn"),
        // The harness gives its own --database after these.
        (["alerts", "--database", "sqlite:other.sqlite"], "--database"),
    ])
    func anOptionGivenTwiceIsRefused(args: [String], option: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let out = try await h.run(args)
        #expect(out.status == 64, "\(out.stderr)")
        #expect(out.stderr == "encompass: \(option): is given more than once; give it once (`encompass help \(args[0])` lists what it takes)\n")
        #expect(out.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: h.databasePath), "refused before the database is opened")
    }

    /// Once each is as before, and a flag said twice says the same.
    @Test func onceEachIsTaken() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-01T21:40:00Z")]))
        #expect(try await h.run(["ingest", file]).status == 0)
        let once = try await h.run(["escalations", "--as-of", "2026-11-21T12:00:00Z", "--json", "--json"])
        #expect(once.status == 0, "\(once.stderr)")
        #expect(once.stdout.contains(#""as_of": "2026-11-21T12:00:00Z""#))
    }
}
