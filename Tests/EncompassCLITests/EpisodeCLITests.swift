import Foundation
import Testing

/// Missing episodes through `encompass ingest` and strategy meetings through `decide` (SPEC §5, §10),
/// end to end against the real binary.
@Suite("missing episodes and strategy meetings from the command line")
struct EpisodeCLITests {
    static let header = "episode_id,child_id,child_given_name,child_family_name,child_dob,school_urn,missing_at,returned_at,risk,return_interview_at"
    static let rows = [
        "E-1,C-M,Maya,Okafor,2011-05-05,120501,2026-09-01T20:00:00Z,2026-09-02T08:00:00Z,medium,2026-09-03T10:00:00Z",
        "E-2,C-M,Maya,Okafor,2011-05-05,120501,2026-10-10T20:00:00Z,2026-10-11T08:00:00Z,high,",
        "E-3,C-M,Maya,Okafor,2011-05-05,120501,2026-11-15T20:00:00+00:00,,,",
    ]
    static func file(_ rows: [String]) -> String { ([header] + rows).joined(separator: "\n") + "\n" }

    @Test func episodesAndIncidentsInOneCommandQueueAChildForAStrategyMeeting() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let episodes = try h.write("missing.csv", Self.file(Self.rows))
        let incidents = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-01T21:40:00Z", child: "C-1")]))
        let out = try await h.run(["ingest", incidents, episodes])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("incidents: 1 added, 0 updated, 0 unchanged; children: 1;"))
        #expect(out.stdout.hasSuffix("; episodes: 3 added, 0 updated, 0 unchanged\n"), "\(out.stdout)")
        // The same content again changes nothing.
        #expect(try await h.run(["ingest", episodes]).stdout.hasSuffix("episodes: 0 added, 0 updated, 3 unchanged\n"))

        let doc = try h.json(try await h.run(["escalations", "--json", "--as-of", "2026-11-22T08:00:00Z"]))
        let child = try #require((doc["children"] as? [[String: Any]])?.first { $0["child_id"] as? String == "C-M" })
        #expect(child["level"] as? String == "high")
        #expect(child["suggestions"] as? [String] == ["strategy-meeting"])
        let rule = try #require((child["rules"] as? [[String: Any]])?.first)
        #expect(rule["rule"] as? String == "repeat-missing")
        #expect(rule["incident_ids"] as? [String] == [])
        #expect(rule["episode_ids"] as? [String] == ["E-1", "E-2", "E-3"])

        // Declining needs a reason; both kinds in one call.
        let refused = try await h.run(["decide", "C-M", "--strategy-meeting", "declined", "--on", "2026-11-20"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--reason is required when the strategy meeting is declined"))
        let both = try await h.run(["decide", "C-M", "--strategy-meeting", "held", "--marac", "referred", "--on", "2026-11-20"])
        #expect(both.status == 0, "\(both.stderr)")
        #expect(both.stdout.contains("C-M MARAC referred") && both.stdout.contains("C-M strategy meeting held"))
        let after = try h.json(try await h.run(["escalations", "--json", "--as-of", "2026-11-22T08:00:00Z"]))
        let answered = try #require((after["children"] as? [[String: Any]])?.first { $0["child_id"] as? String == "C-M" })
        #expect(answered["suggestions"] as? [String] == [])
        #expect(try await h.run(["decide", "C-M", "--strategy-meeting", "referred", "--on", "2026-11-20"]).status == 64,
                "a MARAC outcome is not a strategy meeting's")
    }

    @Test(arguments: [
        ("E-9,C-M,Maya,Okafor,2011-05-05,120501,2026-11-15T20:00:00Z,2026-11-14T08:00:00Z,,", "missing.csv:2: returned_at: is before missing_at"),
        ("E-9,C-M,Maya,Okafor,2011-05-05,12050,2026-11-15T20:00:00Z,,,", "missing.csv:2: school_urn: is not a 6-digit URN"),
        ("E-9,C-M,Maya,Okafor,2011-05-05,,2026-11-15T20:00:00,,,", "missing.csv:2: missing_at: needs Z or an offset such as +01:00"),
        ("E-9,C-M,Maya,Okafor,2011-05-05,,2026-11-15T20:00:00Z,,sometimes,", "missing.csv:2: risk: unknown risk"),
        ("E-9,C-M,Maya,Okafor,2011-05-05,,2026-11-15T20:00:00Z,,,2026-11-16T20:00:00Z", "missing.csv:2: return_interview_at: needs returned_at"),
        (",C-M,Maya,Okafor,2011-05-05,,2026-11-15T20:00:00Z,,,", "missing.csv:2: episode_id: is required"),
    ])
    func aBadEpisodeStopsTheWholeCommandWithFileLineAndColumn(row: String, error: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        #expect(try await h.run(["ingest", try h.write("first.csv", CSVRows.file([CSVRows.row("I-0", "2026-10-01T21:40:00Z")]))]).status == 0)
        let incidents = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-01T21:40:00Z")]))
        let episodes = try h.write("missing.csv", Self.file([row]))
        let out = try await h.run(["ingest", incidents, episodes])
        #expect(out.status == 65)
        #expect(out.stderr.contains(error), "\(out.stderr)")
        #expect(!out.stderr.contains("Maya") && !out.stderr.contains("Okafor"), "no names in errors")
        // Nothing was written, the good incident file included.
        let all = try h.json(try await h.run(["escalations", "--all", "--json", "--as-of", "2026-11-22T08:00:00Z"]))
        #expect((all["children"] as? [[String: Any]])?.map { $0["incident_ids"] as? [String] ?? [] } == [["I-0"]])
    }

    @Test func aMistypedColumnOfAnEpisodesFileIsPointedOut() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("missing.csv", ([Self.header.replacingOccurrences(of: "missing_at", with: "Misssing_At")] + Self.rows)
            .joined(separator: "\n") + "\n")
        let out = try await h.run(["ingest", file])
        #expect(out.status == 65)
        #expect(out.stderr == "\(file):1: missing_at: the header has no such column (the header has \"Misssing_At\": a typo?)\n",
                "\(out.stderr)")
    }

    @Test func aFileMixingIncidentsAndEpisodesIsRefused() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let mixed = try h.write("mixed.jsonl", """
            {"episode_id": "E-1", "child_id": "C-M", "child_given_name": "Maya", "child_family_name": "Okafor", "child_dob": "2011-05-05", "missing_at": "2026-11-15T20:00:00Z"}
            {"incident_id": "I-1", "reported_at": "2026-11-01T21:40:00Z", "officer_grade": "standard", "victim_id": "V-1"}

            """)
        let out = try await h.run(["ingest", mixed])
        #expect(out.status == 65)
        #expect(out.stderr.contains("mixed.jsonl:2: incident_id: an incident in an episodes file"), "\(out.stderr)")
        let header = try h.write("both.csv", "incident_id,episode_id,child_id\nI-1,E-1,C-1\n")
        let csv = try await h.run(["ingest", header])
        #expect(csv.status == 65)
        #expect(csv.stderr.contains("both.csv:1: incident_id: a file holds incidents or episodes, not both"), "\(csv.stderr)")
        let empty = try h.write("none.csv", Self.header + "\n")
        let nothing = try await h.run(["ingest", empty])
        #expect(nothing.status == 65)
        #expect(nothing.stderr.contains("none.csv:1: -: no episodes"), "\(nothing.stderr)")
    }
}
