import Foundation
import Testing
import TestSupport

/// Audit 26 (F1, F2) through the binary on both databases: a column or a `children` key misnamed
/// had been taken with exit 0 and a child's safety information lost (a supervisor's regrade
/// undone, a child unlinked and its alert withdrawn). Each is refused, 65, one line naming it, and
/// the store is as it was.
@Suite("misnamed columns from the command line (audit 26)")
struct MisnamedColumnCLITests {
    /// Ingests `file`, which must be refused, 65, with exactly the lines `errors` after its name.
    static func expectRefused(_ h: CLIHarness, _ file: String, _ errors: String,
                              sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let out = try await h.run(["ingest", file])
        #expect(out.status == 65, sourceLocation: sourceLocation)
        #expect(out.stderr == file + errors + "\n", sourceLocation: sourceLocation)
    }

    /// F2: the supervisor's regrade to high re-sent under `Supervisor Grade` was stored as no
    /// regrade (the audit said high -> null), and `Returned At` stored a child back home as missing.
    @Test(arguments: TestDatabase.allCases)
    func aMisnamedColumnIsRefusedAndTheStoreIsAsItWas(_ database: TestDatabase) async throws {
        let h = try CLIHarness(database)
        defer { h.cleanUp() }
        let rows = CSVRows.file([CSVRows.row("S-1", "2026-11-05T21:40:00Z", yes: "9", supervisor: "high", child: "C-S1")])
        let right = try await h.run(["ingest", try h.write("right.csv", rows)])
        #expect(right.status == 0, "\(right.stderr)")
        let before = try await BadInputCLITests.state(h)
        let typo = try h.write("typo.csv", rows.replacingOccurrences(of: "supervisor_grade", with: "Supervisor Grade"))
        try await Self.expectRefused(h, typo, #":1: supervisor_grade: is missing from the header (the header has "Supervisor Grade": a typo?)"#)
        let episodes = try h.write("missing.csv", EpisodeCLITests.file(["E-1,C-S1,Amelia,Hartley,2016-04-02,120501,2026-11-01T20:00:00Z,2026-11-02T08:00:00Z,,"])
            .replacingOccurrences(of: "returned_at", with: "Returned At"))
        try await Self.expectRefused(h, episodes, #":1: returned_at: is missing from the header (the header has "Returned At": a typo?)"#)
        #expect(try await BadInputCLITests.state(h) == before)
    }

    /// F1: the same incident re-sent with `children` spelt `childen` unlinked its child, withdrew
    /// the school's alert and took the child out of the queue; under `kids` alike.
    @Test(arguments: TestDatabase.allCases)
    func aMisnamedChildrenKeyIsRefusedAndTheChildStaysLinked(_ database: TestDatabase) async throws {
        let h = try CLIHarness(database)
        defer { h.cleanUp() }
        func line(_ key: String, grade: String) -> String {
            #"{"incident_id":"J-1","reported_at":"2026-11-05T21:40:00Z","officer_grade":"medium","supervisor_grade":""# + grade
                + #"","victim_id":"V-J1",""# + key + #"":[{"child_id":"C-J1","child_given_name":"Amelia","#
                + #""child_family_name":"Hartley","child_dob":"2016-04-02","school_urn":"120501"}]}"# + "\n"
        }
        let first = try await h.run(["ingest", try h.write("first.jsonl", line("children", grade: "medium"))])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try await BadInputCLITests.state(h)
        try await Self.expectRefused(h, try h.write("typo.jsonl", line("childen", grade: "high")),
                                     #":1: children: is missing from the line (the line has "childen": a typo?)"#)
        try await Self.expectRefused(h, try h.write("kids.jsonl", line("kids", grade: "high")),
                                     ":1: kids: may hold children, and only children is read: a child under any other key would be dropped unread")
        #expect(try await BadInputCLITests.state(h) == before)
    }
}
