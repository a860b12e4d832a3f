import Foundation
import GRDB
import Testing

/// `encompass retention --review | --purge` from the command line, on both databases: nothing due
/// without the force's periods, the list, the purge and its summary; one of the two flags required.
@Suite("retention from the command line")
struct RetentionCLITests {
    @Test(arguments: TestDatabase.allCases)
    func theForcesPeriodsDecideWhatIsListedAndPurged(kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2023-01-10T21:40:00Z"),
                                                       CSVRows.row("I-2", "2026-10-02T21:40:00Z", child: "C-2")]))
        #expect(try await h.run(["ingest", file]).status == 0)
        let none = try await h.run(["retention", "--review"])
        #expect(none.status == 0 && none.stdout.hasPrefix("No review periods are set"))
        let yaml = h.configDir.appendingPathComponent("encompass.yaml")
        try (try String(contentsOf: yaml, encoding: .utf8) + "\nretention:\n  incidents_days: 1095\n").write(to: yaml, atomically: true, encoding: .utf8)
        let review = try await h.run(["retention", "--review", "--now", "2026-02-01T00:00:00Z"])
        #expect(review.status == 0, "\(review.stderr)")
        let lines = review.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[1].hasPrefix("incident  I-1") && lines[1].hasSuffix("2026-01-09"), "\(review.stdout)")
        #expect(!review.stdout.contains("Amelia"), "ids and dates only")
        // A purge cannot look ahead of the clock: a mistyped year would delete what the rules read
        // today, for good (audit 21, time F2). The review, which deletes nothing, may.
        let ahead = try await h.run(["retention", "--purge", "--now", "2030-01-01T00:00:00Z"])
        #expect(ahead.status == 64 && ahead.stderr == "encompass: --now: a purge cannot be dated after now: it would delete records the risk rules still read today (--review may look ahead)\n",
                "\(ahead.stderr)")
        #expect(try await h.run(["retention", "--review", "--now", "2030-01-01T00:00:00Z"]).stdout.contains("I-2"), "nothing purged")
        let purge = try await h.run(["retention", "--purge", "--now", "2026-02-01T00:00:00Z"])
        #expect(purge.status == 0 && purge.stdout == "purged: 1 incident(s), 0 episode(s); children no longer held: 1\n", "\(purge.stdout)\(purge.stderr)")
        #expect(try await h.run(["retention", "--review", "--now", "2026-02-01T00:00:00Z"]).stdout == "Nothing is due for review.\n")
        #expect(try await h.run(["retention"]).status == 64)
    }

    /// The list's dates are the hub's (London): an incident at 00:30 BST on 1 July 2023 is dated 1 July,
    /// and its review date (23:30 UTC on 29 June 2026) is 30 June.
    @Test func theListsDatesAreTheHubsDates() async throws {
        let h = try CLIHarness(.sqlite)
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2023-06-30T23:30:00Z")]))
        #expect(try await h.run(["ingest", file]).status == 0)
        let yaml = h.configDir.appendingPathComponent("encompass.yaml")
        try (try String(contentsOf: yaml, encoding: .utf8) + "\nretention:\n  incidents_days: 1095\n").write(to: yaml, atomically: true, encoding: .utf8)
        let review = try await h.run(["retention", "--review", "--now", "2027-02-01T00:00:00Z"])
        let lines = review.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[1].contains(" 2023-07-01 ") && lines[1].hasSuffix(" 2026-06-30"), "\(review.stdout)")
    }

    /// An incident due for review whose alert has not gone is kept (SPEC §7: never silently dropped):
    /// `--review` marks it, `--purge` says how many it kept and why, and `doctor` says so too.
    @Test(arguments: TestDatabase.allCases)
    func anIncidentWhoseAlertHasNotGoneIsKeptAndSaidSo(kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        // Due for review (1,100 days old) and its alert queued all the same: ingested with no age
        // limit on alerting the school (alerts.max_age_days: 0).
        let reported = Date().addingTimeInterval(-1_100 * 86_400).formatted(.iso8601)
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", reported)]))
        #expect(try await h.run(["ingest", file], environment: ["ENCOMPASS_ALERTS_MAX_AGE_DAYS": "0"]).status == 0)
        let yaml = h.configDir.appendingPathComponent("encompass.yaml")
        try (try String(contentsOf: yaml, encoding: .utf8) + "\nretention:\n  incidents_days: 1095\n").write(to: yaml, atomically: true, encoding: .utf8)
        let review = try await h.run(["retention", "--review"])
        #expect(review.status == 0 && review.stdout.contains("I-1") && review.stdout.contains("(kept: an alert may still go)"), "\(review.stdout)")
        let kept = "kept: 1 incident(s) due for review: an alert of theirs may still go (queued, sending, retrying or overdue)"
        #expect(try await h.run(["doctor"]).stdout.contains("retention: 1 record(s) due for review; a purge keeps 1 incident(s)"))
        let purge = try await h.run(["retention", "--purge"])
        #expect(purge.status == 0 && purge.stdout.hasPrefix("purged: 0 incident(s), 0 episode(s); children no longer held: 0\n" + kept), "\(purge.stdout)")
        #expect(try await h.run(["alerts"]).stdout.contains("I-1"))
    }

    /// A period shorter than the risk rules look back over would let a purge take what they read: refused,
    /// one line naming the setting, exit 65 (default scoring: serial_days 1095; missing_days 90).
    @Test(arguments: [("incidents_days: 1", "retention.incidents_days"), ("incidents_days: 1094", "retention.incidents_days"),
                      ("episodes_days: 89", "retention.episodes_days")])
    func aPeriodShorterThanTheRiskRulesLookBackIsRefused(setting: String, named: String) async throws {
        let h = try CLIHarness(.sqlite)
        defer { h.cleanUp() }
        let yaml = h.configDir.appendingPathComponent("encompass.yaml")
        try (try String(contentsOf: yaml, encoding: .utf8) + "\nretention:\n  \(setting)\n").write(to: yaml, atomically: true, encoding: .utf8)
        let refused = try await h.run(["retention", "--review"])
        #expect(refused.status == 65)
        #expect(refused.stderr.split(separator: "\n").count == 1 && refused.stderr.contains(named), "\(refused.stderr)")
        #expect(refused.stdout.isEmpty)
        #expect(try await h.run(["retention", "--review", "--purge"]).status == 64)
    }

    /// The list's dates are the hub's, as every date people read (audit 19, F6): an incident at 00:30
    /// BST on 1 October 2024 (23:30 UTC on 30 September) is dated 1 October, and so is its review
    /// date 1,095 days on (the shortest period the risk rules' look-back allows).
    @Test(arguments: TestDatabase.allCases)
    func theListGivesTheHubsDatesNotUTCs(kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2024-09-30T23:30:00Z")]))
        #expect(try await h.run(["ingest", file]).status == 0)
        let yaml = h.configDir.appendingPathComponent("encompass.yaml")
        try (try String(contentsOf: yaml, encoding: .utf8) + "\nretention:\n  incidents_days: 1095\n").write(to: yaml, atomically: true, encoding: .utf8)
        let review = try await h.run(["retention", "--review", "--now", "2027-12-01T00:00:00Z"])
        #expect(review.status == 0, "\(review.stderr)")
        let lines = review.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[1].split(separator: " ") == ["incident", "I-1", "2024-10-01", "2027-10-01"], "\(review.stdout)")
    }

    /// A purge stopped part way says what it purged, then why it stopped, with that reason's exit
    /// status, and the rest is still due (audit 26, F2: it went in one transaction, and stopped after
    /// 15 minutes it had purged nothing). One batch more than fits in one (5,000): the second batch,
    /// the newest incident, is refused here (a trigger). C-0001 has an incident in each batch, so the
    /// first batch keeps their row: a child goes only once nothing of theirs is left in any batch.
    @Test(arguments: TestDatabase.allCases)
    func aPurgeStoppedPartWaySaysWhatItPurgedAndWhy(kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        let first = (1...5_000).map { String(format: "%04d", $0) }.map { CSVRows.row("I-\($0)", "2023-01-10T21:40:00Z", victim: "V-\($0)", child: "C-\($0)") }
        let file = try h.write("in.csv", CSVRows.file(first + [CSVRows.row("I-LAST", "2023-01-11T21:40:00Z", child: "C-0001")]))
        let ingest = try await h.run(["ingest", file])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let yaml = h.configDir.appendingPathComponent("encompass.yaml")
        try (try String(contentsOf: yaml, encoding: .utf8) + "\nretention:\n  incidents_days: 1095\n").write(to: yaml, atomically: true, encoding: .utf8)
        let (refuse, allow) = kind == .sqlite
            ? ("CREATE TRIGGER stop_here BEFORE DELETE ON incidents WHEN OLD.incident_id = 'I-LAST' BEGIN SELECT RAISE(ABORT, 'stopped here'); END",
               "DROP TRIGGER stop_here")
            : ("""
               CREATE FUNCTION stop_here() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'stopped here'; END $$;
               CREATE TRIGGER stop_here BEFORE DELETE ON incidents FOR EACH ROW WHEN (OLD.incident_id = 'I-LAST') EXECUTE FUNCTION stop_here()
               """, "DROP TRIGGER stop_here ON incidents")
        func sql(_ statement: String) async throws {
            if kind == .sqlite { try await DatabaseQueue(path: h.databasePath).write { try $0.execute(sql: statement) } } else { _ = try await h.psql(statement) }
        }
        try await sql(refuse)
        let stopped = try await h.run(["retention", "--purge", "--now", "2026-02-01T00:00:00Z"])
        #expect(stopped.stdout == "stopped after purging 5000 incident(s), 0 episode(s); children no longer held: 4999; "
                + "the rest is still due (--review lists it, the next --purge takes it)\n", "\(stopped.stdout)")
        #expect(stopped.status == 69 && stopped.stderr.hasPrefix("encompass: database unavailable: ") && stopped.stderr.contains("stopped here")
                && stopped.stderr.split(separator: "\n").count == 1, "\(stopped.status) \(stopped.stderr)")
        let review = try await h.run(["retention", "--review", "--now", "2026-02-01T00:00:00Z"])
        #expect(review.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ")[1] } == ["I-LAST"], "\(review.stdout)")
        try await sql(allow)
        let rest = try await h.run(["retention", "--purge", "--now", "2026-02-01T00:00:00Z"])
        #expect(rest.status == 0 && rest.stdout == "purged: 1 incident(s), 0 episode(s); children no longer held: 1\n", "\(rest.stdout)\(rest.stderr)")
    }
}
