import Foundation
import Testing

/// `encompass retention --review | --purge` from the command line, on both databases: nothing due
/// without the force's periods, the list, the purge and its summary; one of the two flags required.
@Suite("retention from the command line")
struct RetentionCLITests {
    @Test(arguments: TestDatabase.allCases)
    func theForcesPeriodsDecideWhatIsListedAndPurged(kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2024-01-10T21:40:00Z"),
                                                       CSVRows.row("I-2", "2026-10-02T21:40:00Z", child: "C-2")]))
        #expect(try await h.run(["ingest", file]).status == 0)
        let none = try await h.run(["retention", "--review"])
        #expect(none.status == 0 && none.stdout.hasPrefix("No review periods are set"))
        let yaml = h.configDir.appendingPathComponent("encompass.yaml")
        try (try String(contentsOf: yaml, encoding: .utf8) + "\nretention:\n  incidents_days: 730\n").write(to: yaml, atomically: true, encoding: .utf8)
        let review = try await h.run(["retention", "--review", "--now", "2026-12-01T00:00:00Z"])
        #expect(review.status == 0, "\(review.stderr)")
        let lines = review.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[1].hasPrefix("incident  I-1") && lines[1].hasSuffix("2026-01-09"), "\(review.stdout)")
        #expect(!review.stdout.contains("Amelia"), "ids and dates only")
        let purge = try await h.run(["retention", "--purge", "--now", "2026-12-01T00:00:00Z"])
        #expect(purge.status == 0 && purge.stdout == "purged: 1 incident(s), 0 episode(s); children no longer held: 1\n", "\(purge.stdout)\(purge.stderr)")
        #expect(try await h.run(["retention", "--review", "--now", "2026-12-01T00:00:00Z"]).stdout == "Nothing is due for review.\n")
        #expect(try await h.run(["retention"]).status == 64)
        #expect(try await h.run(["retention", "--review", "--purge"]).status == 64)
    }

    /// The list's dates are the hub's, as every date people read (audit 19, F6): an incident at 00:30
    /// BST on 1 October 2024 (23:30 UTC on 30 September) is dated 1 October, and so is its review
    /// date 730 days on.
    @Test(arguments: TestDatabase.allCases)
    func theListGivesTheHubsDatesNotUTCs(kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2024-09-30T23:30:00Z")]))
        #expect(try await h.run(["ingest", file]).status == 0)
        let yaml = h.configDir.appendingPathComponent("encompass.yaml")
        try (try String(contentsOf: yaml, encoding: .utf8) + "\nretention:\n  incidents_days: 730\n").write(to: yaml, atomically: true, encoding: .utf8)
        let review = try await h.run(["retention", "--review", "--now", "2026-12-01T00:00:00Z"])
        #expect(review.status == 0, "\(review.stderr)")
        let lines = review.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[1].split(separator: " ") == ["incident", "I-1", "2024-10-01", "2026-10-01"], "\(review.stdout)")
    }
}
