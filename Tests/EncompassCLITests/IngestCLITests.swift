import Foundation
import SQLiteStore
import StoreContract
import Testing

@Suite("encompass ingest")
struct IngestCLITests {
    @Test func ingestThenReingestChangesNothing() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([
            CSVRows.row("I-1", "2026-10-01T21:40:00Z"),
            CSVRows.row("I-2", "2026-10-08T21:40:00+01:00"),
            CSVRows.row("I-2", "2026-10-08T21:40:00+01:00", child: "C-2", given: "Zoë"),
            CSVRows.row("I-3", "2026-10-15T21:40:00Z"),
        ]))
        let first = try await h.run(["ingest", file])
        #expect(first.status == 0, "\(first.stderr)")
        // October's incidents, long past `alerts.max_age_days` now: counted, never silently dropped.
        #expect(first.stdout == "incidents: 3 added, 0 updated, 0 unchanged; children: 2; alerts queued: 0; "
                + "not alerted, reported over 28 days before (alerts.max_age_days): 4\n")
        let second = try await h.run(["ingest", file])
        #expect(second.status == 0)
        #expect(second.stdout == "incidents: 0 added, 0 updated, 3 unchanged; children: 2; alerts queued: 0\n")
        let counts = try await SQLiteStore(path: h.databasePath).counts()
        #expect(counts.incidents == 3)
        #expect(counts.links == 4)
    }

    @Test func aRegradeUpdatesTheIncidentAndIsAudited() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let before = try h.write("a.csv", CSVRows.file([CSVRows.row("I-1", "2026-10-01T21:40:00Z")]))
        let after = try h.write("b.csv", CSVRows.file([CSVRows.row("I-1", "2026-10-01T21:40:00Z", supervisor: "high")]))
        #expect(try await h.run(["ingest", before]).status == 0)
        let second = try await h.run(["ingest", after])
        #expect(second.stdout.hasPrefix("incidents: 0 added, 1 updated, 0 unchanged"))
        let audit = try await SQLiteStore(path: h.databasePath).auditEntries(limit: 10)
        let update = try #require(audit.first { $0.action == "incident.updated" })
        #expect(update.subject == "incident:I-1")
        #expect(update.detail?.contains("\"supervisor_grade\":{\"new\":\"high\",\"old\":null}") == true)
        #expect(update.detail?.contains("\"effective_grade\":{\"new\":\"high\",\"old\":\"standard\"}") == true)
        let queue = try h.json(try await h.run(["escalations", "--json", "--as-of", "2026-10-02T00:00:00Z"]))
        let child = try #require((queue["children"] as? [[String: Any]])?.first)
        let rules = (child["rules"] as? [[String: Any]])?.compactMap { $0["rule"] as? String }
        #expect(rules?.contains("visible-high-risk") == true)
    }

    @Test func jsonLinesAreReadLikeCSV() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("in.jsonl", """
            {"incident_id":"J-1","reported_at":"2026-10-01T21:40:00Z","officer_grade":"Medium","victim_id":"V-9","children":[{"child_id":"C-7","child_given_name":"Siobhán","child_family_name":"Byrne","child_dob":"2015-01-02","school_urn":"120502","child_present":"Y"}]}
            {"incident_id":"J-2","reported_at":"2026-10-02T21:40:00Z","officer_grade":"standard","victim_id":"V-9","children":[]}

            """)
        let out = try await h.run(["ingest", file])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("incidents: 2 added, 0 updated, 0 unchanged; children: 1"))
    }

    @Test func aMissingFileExits66AndWritesNothing() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let out = try await h.run(["ingest", h.dir.appendingPathComponent("nope.csv").path])
        #expect(out.status == 66)
        #expect(out.stderr.contains("nope.csv: no such file"))
        #expect(!FileManager.default.fileExists(atPath: h.databasePath))
    }

    @Test func aRefusedFileLeavesNoDatabaseBehind() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let bad = try h.write("bad.csv", CSVRows.file([CSVRows.row("B-1", "2026-10-01T21:40:00Z", grade: "severe")]))
        #expect(try await h.run(["ingest", bad]).status == 65)
        #expect(!FileManager.default.fileExists(atPath: h.databasePath), "no database, not even an empty one")
        let good = try h.write("good.csv", CSVRows.file([CSVRows.row("G-1", "2026-10-01T21:40:00Z")]))
        #expect(try await h.run(["ingest", good]).status == 0)
        #expect(FileManager.default.fileExists(atPath: h.databasePath))
    }

    @Test func anUnknownFileKindIsABadCommandLine() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("in.txt", "x")
        #expect(try await h.run(["ingest", file]).status == 64)
    }

    /// Each case: rows that must be refused, the error line expected, and nothing written, even the
    /// valid incident ingested in the same command.
    static let badInput: [(name: String, rows: [String], error: String)] = [
        ("unknown grade", [CSVRows.row("B-1", "2026-10-01T21:40:00Z", grade: "severe")], "bad.csv:3: officer_grade:"),
        ("URN of 5 digits", [CSVRows.row("B-1", "2026-10-01T21:40:00Z", urn: "12345")], "bad.csv:3: school_urn:"),
        ("yes-count out of range", [CSVRows.row("B-1", "2026-10-01T21:40:00Z", yes: "28")], "bad.csv:3: dash_yes_count:"),
        ("DASH24 count over 24", [CSVRows.row("B-1", "2026-10-01T21:40:00Z", yes: "25", tool: "DASH24")], "bad.csv:3: dash_yes_count:"),
        ("a count with DARA", [CSVRows.row("B-1", "2026-10-01T21:40:00Z", yes: "4", tool: "DARA")], "bad.csv:3: dash_yes_count:"),
        ("reported in the future", [CSVRows.row("B-1", "2099-10-01T21:40:00Z")], "bad.csv:3: reported_at:"),
        ("no offset", [CSVRows.row("B-1", "2026-10-01T21:40:00")], "bad.csv:3: reported_at:"),
        ("born in the future", [CSVRows.row("B-1", "2026-10-01T21:40:00Z", dob: "2099-01-01")], "bad.csv:3: child_dob:"),
        ("rows that disagree", [CSVRows.row("B-1", "2026-10-01T21:40:00Z"), CSVRows.row("B-1", "2026-10-01T21:40:00Z", grade: "high", child: "C-2")],
         "bad.csv:4: officer_grade:"),
        ("missing victim", [CSVRows.row("B-1", "2026-10-01T21:40:00Z", victim: "")], "bad.csv:3: victim_id:"),
    ]

    @Test(arguments: badInput.indices)
    func badInputIsRefusedWholeWithFileLineAndColumn(_ i: Int) async throws {
        let c = Self.badInput[i]
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let good = try h.write("good.csv", CSVRows.file([CSVRows.row("G-1", "2026-09-01T10:00:00Z", child: "C-G")]))
        #expect(try await h.run(["ingest", good]).status == 0)
        let bad = try h.write("bad.csv", CSVRows.file([CSVRows.row("G-2", "2026-09-02T10:00:00Z", child: "C-H")] + c.rows))
        let out = try await h.run(["ingest", bad])
        #expect(out.status == 65, "\(c.name)")
        // The file as the user named it, then the line and column: nothing before it.
        let expected = bad + c.error.dropFirst("bad.csv".count)
        #expect(out.stderr.hasPrefix(expected), "\(c.name): \(out.stderr)")
        #expect(out.stdout.isEmpty)
        // Never personal data in an error line.
        for secret in ["Amelia", "Hartley", "2016-04-02"] { #expect(!out.stderr.contains(secret)) }
        let counts = try await SQLiteStore(path: h.databasePath).counts()
        #expect(counts.incidents == 1, "\(c.name): the valid G-2 must not be written either")
        #expect(counts.children == 1)
    }
}

/// A large file is written while it is read; these check that what is kept is still all or
/// nothing, and still the whole of every incident.
@Suite("encompass ingest of a large file")
struct LargeIngestCLITests {
    /// 1,500 incidents, one row each, a day apart in 2026.
    static func rows() -> [String] {
        (0..<1_500).map { i in
            CSVRows.row(String(format: "L-%05d", i), String(format: "2026-%02d-%02dT10:00:00Z", 1 + i / 28 % 9, 1 + i % 28),
                        child: "C-\(i % 700)")
        }
    }

    @Test func anIncidentWhoseRowsAreFarApartIsKeptWhole() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        // L-00000's second child comes last, after every other incident.
        let rows = Self.rows() + [CSVRows.row("L-00000", "2026-01-01T10:00:00Z", child: "C-LATE")]
        let file = try h.write("large.csv", CSVRows.file(rows))
        let out = try await h.run(["ingest", file])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("incidents: 1500 added, 0 updated, 0 unchanged; children: 701"), "\(out.stdout)")
        let counts = try await SQLiteStore(path: h.databasePath).counts()
        #expect((counts.incidents, counts.children, counts.links) == (1_500, 701, 1_501))
        let again = try await h.run(["ingest", file])
        #expect(again.stdout.hasPrefix("incidents: 0 added, 0 updated, 1500 unchanged"), "\(again.stdout)")
    }

    @Test func anInvalidLastRowKeepsNothingOfTheRest() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let first = try h.write("first.csv", CSVRows.file([CSVRows.row("F-1", "2026-02-01T10:00:00Z", child: "C-F")]))
        #expect(try await h.run(["ingest", first]).status == 0)
        let rows = Self.rows() + [CSVRows.row("L-BAD", "2026-01-01T10:00:00Z", grade: "severe")]
        let file = try h.write("large.csv", CSVRows.file(rows))
        let out = try await h.run(["ingest", file])
        #expect(out.status == 65)
        #expect(out.stderr == file + ":1502: officer_grade: unknown grade (expected standard, medium or high)\n", "\(out.stderr)")
        let counts = try await SQLiteStore(path: h.databasePath).counts()
        #expect((counts.incidents, counts.children, counts.links) == (1, 1, 1))
    }
}

@Suite("encompass synth")
struct SynthCLITests {
    @Test func synthesisedIncidentsIngestCleanly() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = h.dir.appendingPathComponent("synth.csv").path
        let made = try await h.run(["synth", "--rows", "3000", "--seed", "7", "--output", file])
        #expect(made.status == 0, "\(made.stderr)")
        let again = h.dir.appendingPathComponent("again.csv").path
        _ = try await h.run(["synth", "--rows", "3000", "--seed", "7", "--output", again])
        #expect(FileManager.default.contents(atPath: file) == FileManager.default.contents(atPath: again), "same seed, same file")
        let out = try await h.run(["ingest", file])
        #expect(out.status == 0, "\(out.stderr.prefix(500))")
        let counts = try await SQLiteStore(path: h.databasePath).counts()
        // 3,000 rows: each a child's link or an incident with no child.
        #expect(counts.links > 1_500 && counts.links <= 3_000)
        #expect(counts.incidents > 1_000)
    }
}
