import Foundation
import Testing
import TestSupport

/// An episodes file whose `episode_id` is misspelt (audit 26, fuzz: `episod_id` made it an
/// incidents file, and its errors spoke of an `incident_id` it never meant to have): it is an
/// episodes file with its id misnamed, by the header's rule (`MisnamedColumns`), and says so, 65,
/// in CSV and JSON Lines, on both databases, the store as it was.
@Suite("an episodes file with episode_id misspelt")
struct MisnamedEpisodeIdCLITests {
    @Test(arguments: TestDatabase.allCases)
    func theMisspeltIdIsNamed(_ database: TestDatabase) async throws {
        let (h, _) = try await BadInputCLITests.seeded(database)
        defer { h.cleanUp() }
        let before = try await BadInputCLITests.state(h)
        let csv = try h.write("missing.csv", EpisodeCLITests.file(EpisodeCLITests.rows).replacingOccurrences(of: "episode_id", with: "episod_id"))
        try await MisnamedColumnCLITests.expectRefused(h, csv, #":1: episode_id: the header has no such column (the header has "episod_id": a typo?)"#)
        let line = #"{"Episode-ID": "E-1", "child_id": "C-M", "child_given_name": "Maya", "child_family_name": "Okafor", "child_dob": "2011-05-05", "missing_at": "2026-11-15T20:00:00Z"}"#
        try await MisnamedColumnCLITests.expectRefused(h, try h.write("missing.jsonl", line + "\n"),
                                                       #":1: episode_id: is missing from the line (the line has "Episode-ID": a typo?)"#)
        #expect(try await BadInputCLITests.state(h) == before)
    }
}
