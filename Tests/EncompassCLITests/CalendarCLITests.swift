import Foundation
import Stores
import StoreContract
import Testing

/// The hub corrects Config/term-dates.csv after an alert was planned (SPEC §6): the next writing
/// command gives the alert the deadline the corrected calendar gives; a reading one writes nothing.
@Suite("A corrected school calendar from the command line")
struct CalendarCLITests {
    let all = ["ENCOMPASS_ALERTS_MAX_AGE_DAYS": "0"]

    /// School 120501's own terms, the second from `secondTermStarts`.
    func ownTerms(_ h: CLIHarness, secondTermStarts: String) throws {
        let url = h.configDir.appendingPathComponent("term-dates.csv")
        let shipped = try String(contentsOf: url, encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("925,120501,") }.joined(separator: "\n")
        try Data((shipped + "\n925,120501,2026-09-01,2026-10-23\n925,120501,\(secondTermStarts),2026-12-18\n").utf8).write(to: url)
    }

    func deadlines(_ h: CLIHarness) async throws -> [String] {
        let rows = try #require(try h.json(try await h.run(["alerts", "--json"]))["alerts"] as? [[String: Any]])
        return rows.compactMap { $0["deadline"] as? String }
    }

    @Test(arguments: TestDatabase.allCases)
    func aTermCorrectedToStartEarlierGivesAWaitingAlertTheEarlierDeadline(_ database: TestDatabase) async throws {
        let h = try CLIHarness(database)
        defer { h.cleanUp() }
        try ownTerms(h, secondTermStarts: "2026-11-09")
        // Friday evening in the half term: due when the school is back.
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-10-30T20:00:00Z")]))
        let ingest = try await h.run(["ingest", file], environment: all)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        #expect(try await deadlines(h) == ["2026-11-09T09:00:00+00:00"])

        try ownTerms(h, secondTermStarts: "2026-11-02")
        #expect(try await deadlines(h) == ["2026-11-09T09:00:00+00:00"], "a reading command shows what is stored")
        let environment = all.merging(["ENCOMPASS_TEMPLATES": CLIHarness.packageRoot.appendingPathComponent("Templates").path]) { _, b in b }
        let dryRun = try await h.run(["notify", "--dry-run", "--dry-run-dir", h.dir.appendingPathComponent("dry").path,
                                      "--now", "2026-11-01T08:00:00Z"], environment: environment)
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(try await deadlines(h) == ["2026-11-02T09:00:00+00:00"])

        let audit = try await StoreFactory.open(h.database).auditEntries(limit: 20).filter { $0.action == CalendarFollowed.auditAction }
        #expect(audit.first?.actor.hasPrefix("cli:") == true)
        #expect(audit.first?.detail == #"{"held":0,"redated":1,"waiting_again":0}"#)
    }
}
