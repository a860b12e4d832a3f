import Foundation
import Testing
import TestSupport

/// Audit 23 year, F1 and F2 from the command line, with the real relay and both databases: a PPN
/// too old to alert a school about leaves a trace (the ingest's line, one notice to the hub naming
/// its incident, the report's `alerts.too_old`), and an unmatched child a correction removes leaves
/// the unmatched list and nothing else.
@Suite("Too old to alert, and unmatched children removed, end to end")
struct TooOldCLITests {
    /// Long past `alerts.max_age_days` (28) whatever day the test runs.
    static let old = "2025-10-01T10:00:00Z"

    @Test(arguments: TestDatabase.allCases)
    func aPPNTooOldToAlertIsCountedToldToTheHubOnceAndReported(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        // The rig sends whatever the age; this test needs the shipped limit.
        let config = rig.h.configDir.appendingPathComponent("encompass.yaml")
        let yaml = String(decoding: try Data(contentsOf: config), as: UTF8.self)
        try Data(yaml.replacingOccurrences(of: "max_age_days: 0", with: "max_age_days: 28").utf8).write(to: config)
        let file = try rig.h.write("old.csv", CSVRows.file([
            CSVRows.row("I-OLD", Self.old, child: "C-1"), CSVRows.row("I-OLD", Self.old, child: "C-2"),
            CSVRows.row("I-OLD2", "2025-10-02T10:00:00Z", child: "C-3", urn: "999999"),
        ]))
        let ingest = try await rig.h.run(["ingest", file], environment: rig.environment)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        #expect(ingest.stdout == "incidents: 2 added, 0 updated, 0 unchanged; children: 3; alerts queued: 0; "
                + "not alerted, reported over 28 days before (alerts.max_age_days): 3\n")
        #expect(try await rig.alerts().isEmpty, "no school is written to about last year")
        let run = try await rig.notify("2026-12-07T06:00:00Z")
        #expect(run.status == 0, "\(run.stderr)")
        let mail = try #require(try rig.hubMail().first)
        let text = try #require(mail.part("text/plain")?.text)
        #expect(mail.subject.contains("incidents too old to alert a school"), "\(mail.subject)")
        #expect(text.contains("TOO OLD TO ALERT A SCHOOL"))
        #expect(text.contains("  3 children in 2 incidents reached the hub more than 28 days after the incident was reported "
                              + "(alerts.max_age_days): no school was alerted. Incidents: I-OLD, I-OLD2"), "\(text)")
        #expect(!text.contains("Amelia") && !text.contains("Hartley") && !text.contains("2016-04-02"), "ids only")
        // Told once: the next run has nothing for the hub.
        #expect(try await rig.notify("2026-12-07T07:00:00Z").status == 0)
        #expect(try rig.hubMail().count == 1)
        let report = try rig.h.json(try await rig.h.run(["report", "--from", "2025-10-01", "--to", "2025-10-31", "--json"]))
        let alerts = try #require(report["alerts"] as? [String: Int])
        #expect(alerts["too_old"] == 3 && alerts["unmatched"] == 0 && alerts["due"] == 0, "\(alerts)")
    }

    @Test(arguments: TestDatabase.allCases)
    func anUnmatchedChildARemovalDropsIsNeitherFailedNorToldAsWithdrawn(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        let when = "2026-12-06T21:40:00Z"
        try await rig.ingest([CSVRows.row("I-1", when, child: "C-1"), CSVRows.row("I-1", when, child: "C-2", urn: "999999")])
        #expect(try await rig.h.run(["alerts", "--state", "unmatched"]).stdout.contains("C-2"))
        try await rig.ingest([CSVRows.row("I-1", when, child: "C-1")])
        let run = try await rig.notify("2026-12-07T06:00:00Z")
        #expect(run.status == 0, "\(run.stderr)")
        let alerts = try await rig.alerts()
        #expect(Array(alerts.keys) == ["C-1"], "\(alerts)")
        #expect(alerts.values.allSatisfy { $0["deadline"] is String && $0["channel"] is String })
        #expect(try rig.hubMail().allSatisfy { !$0.subject.contains("withdrawn") })
        #expect(try await rig.h.run(["alerts", "--state", "unmatched"]).stdout == "No alerts.\n")
    }
}
