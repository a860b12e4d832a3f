import Foundation
import Testing
import TestSupport

/// A child's date of birth after the incident's date (audit 26, fuzz: taken, exit 0): a typo the
/// feed cannot carry faithfully (2016 for 2006 in an incident of 2015), and an unborn child is not a
/// child with a school to alert. Refused as any invalid value, `FILE:LINE: child_dob: ...`, 65, in
/// CSV, JSON Lines and episode files alike, on both databases, and the store is as it was.
@Suite("a date of birth after the incident")
struct BirthAfterIncidentCLITests {
    static let words = "child_dob: is after the date of reported_at: a child's date of birth is on or before it"

    @Test(arguments: TestDatabase.allCases)
    func aBirthAfterTheIncidentIsRefusedAndTheStoreIsAsItWas(_ database: TestDatabase) async throws {
        let (h, _) = try await BadInputCLITests.seeded(database)
        defer { h.cleanUp() }
        let before = try await BadInputCLITests.state(h)
        let csv = try h.write("born.csv", CSVRows.file([CSVRows.row("B-1", "2015-11-01T21:40:00Z", child: "C-B1", dob: "2016-04-02")]))
        try await MisnamedColumnCLITests.expectRefused(h, csv, ":2: " + Self.words)
        let line = #"{"incident_id":"B-2","reported_at":"2026-07-01T22:59:00Z","officer_grade":"medium","victim_id":"V-B2","#
            + #""children":[{"child_id":"C-B2","child_given_name":"Amelia","child_family_name":"Hartley","child_dob":"2026-07-02"}]}"#
        try await MisnamedColumnCLITests.expectRefused(h, try h.write("born.jsonl", line + "\n"), ":1: " + Self.words)
        let episodes = try h.write("born-missing.csv", EpisodeCLITests.file(["E-B,C-B3,Maya,Okafor,2026-09-02,120501,2026-09-01T20:00:00Z,,,"]))
        try await MisnamedColumnCLITests.expectRefused(h, episodes,
                                                       ":2: child_dob: is after the date of missing_at: a child's date of birth is on or before it")
        #expect(try await BadInputCLITests.state(h) == before)
        // Born on the day is a child.
        let newborn = try h.write("newborn.csv", CSVRows.file([CSVRows.row("B-4", "2026-11-01T21:40:00Z", child: "C-B4", dob: "2026-11-01")]))
        let taken = try await h.run(["ingest", newborn])
        #expect(taken.status == 0, "\(taken.stderr)")
    }
}
