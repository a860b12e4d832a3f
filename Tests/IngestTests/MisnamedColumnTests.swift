import Foundation
import Ingest
import InputRules
import RiskModel
import Testing

/// Audit 26: a column misnamed by a letter or two (F2), a `children` key misspelt or renamed (F1).
@Suite struct MisnamedColumnTests {
    static let incidentKeys = JSONLinesTests.incidentKeys
    static let child = #"{"child_id":"C-1","child_given_name":"Ann","child_family_name":"Lee","child_dob":"2014-09-30"}"#

    static func jsonl(_ lines: [String]) -> Result<[Incident], IngestFailure> {
        Fixture.ingest(lines.joined(separator: "\n") + "\n", fileName: "in.jsonl", format: .jsonLines)
    }

    /// F2: an optional column misnamed was read as absent, and a supervisor's "high" over the
    /// officer's "standard" stored as no regrade; now every column the header lacks is compared.
    @Test func aCSVHeaderThatMisnamesAnOptionalColumnIsRefused() {
        let columns = Fixture.columns.map {
            ["supervisor_grade": "Supervisor Grade", "dash_yes_count": "DashYesCount", "risk_tool": "risk tool",
             "perpetrator_id": "PerpetratorID"][$0] ?? $0
        }
        let text = Fixture.header(columns) + "\n" + Fixture.row(["supervisor_grade": "high"], columns: Fixture.columns) + "\n"
        #expect(Fixture.errors(Fixture.ingest(text)) == [
            #"in.csv:1: risk_tool: is missing from the header (the header has "risk tool": a typo?)"#,
            #"in.csv:1: dash_yes_count: is missing from the header (the header has "DashYesCount": a typo?)"#,
            #"in.csv:1: supervisor_grade: is missing from the header (the header has "Supervisor Grade": a typo?)"#,
            #"in.csv:1: perpetrator_id: is missing from the header (the header has "PerpetratorID": a typo?)"#,
        ])
    }

    /// SPEC §2: a column not in the table is ignored, a near-miss of a column the header has too;
    /// only a near-miss of a column the file lacks is refused.
    @Test func namesNearAColumnTheHeaderHasAreIgnored() throws {
        let columns = Fixture.columns + ["Supervisor Grades", "force_ref"]
        let text = Fixture.header(columns) + "\n" + Fixture.row(["supervisor_grade": "high"], columns: Fixture.columns) + ",x,y\n"
        #expect(try #require(Fixture.incidents(Fixture.ingest(text)).first).supervisorGrade == .high)
    }

    /// F2 in JSON Lines: each object's unknown keys against the columns it lacks, at its line, and
    /// the column not said again as required.
    @Test func aJSONKeyThatMisnamesAColumnIsRefusedAtItsLine() {
        let good = "{" + Self.incidentKeys + #","supervisor_grade":"high"}"#
        let typo = "{" + Self.incidentKeys.replacingOccurrences(of: "I-1", with: "I-2").replacingOccurrences(of: "\"victim_id\"", with: "\"victimId\"")
            + #","supervisorGrade":"high","dash yes count":20,"force_ref":{"a":1}}"#
        #expect(Fixture.errors(Self.jsonl([good, typo])) == [
            #"in.jsonl:2: dash_yes_count: is missing from the line (the line has "dash yes count": a typo?)"#,
            #"in.jsonl:2: supervisor_grade: is missing from the line (the line has "supervisorGrade": a typo?)"#,
            #"in.jsonl:2: victim_id: is missing from the line (the line has "victimId": a typo?)"#,
        ])
    }

    /// F1: `children` misspelt dropped every child of the line, with exit 0.
    @Test(arguments: ["childen", "chidren", "Childrens", " CHILDREN_ "])
    func aMisspeltChildrenKeyIsRefused(key: String) {
        let line = "{" + Self.incidentKeys + #",""# + key + #"":["# + Self.child + "]}"
        #expect(Fixture.errors(Self.jsonl([line])) == [
            #"in.jsonl:1: children: is missing from the line (the line has ""# + key + #"": a typo?)"#,
        ])
    }

    /// F1: children under a name no typo rule reaches (`kids`, `child`) were dropped just the same.
    /// A value with their shape (a list of objects, or an object with a child column) is refused;
    /// any other value a key we do not read holds is ignored, a force's own notes included.
    @Test(arguments: [
        (#""kids":["# + child + "]", "kids"),
        (#""child":"# + child, "child"),
        (#""household":{"members":[{"id":"C-1"}]}"#, "household"),
        (#""childs":[[{"name":"Ann"}]]"#, "childs"),
        (#""children":["# + child + #"],"siblings":["# + child.replacingOccurrences(of: "C-1", with: "C-2") + "]", "siblings"),
    ])
    func aKeyThatMayHoldChildrenIsRefused(members: String, key: String) {
        let line = "{" + Self.incidentKeys + "," + members + "}"
        #expect(Fixture.errors(Self.jsonl([line])) == [
            "in.jsonl:1: \(key): may hold children, and only children is read: a child under any other key would be dropped unread",
        ])
    }

    @Test func otherValuesUnderUnknownKeysAreIgnored() {
        let line = "{" + Self.incidentKeys + #","force_notes":{"ignored":[1,2],"by":"PC 1"},"tags":["a",["b"]],"children":["# + Self.child + "]}"
        #expect(Fixture.incidents(Self.jsonl([line])).first?.children.map(\.childId) == ["C-1"])
    }

    /// F2 in episode files: under `Returned At` an episode was stored with no return, and a child
    /// back home went unflagged for a return interview.
    @Test func anEpisodeColumnMisnamedIsRefused() {
        let header = BadInputRuleTests.episodeHeader.replacingOccurrences(of: "returned_at", with: "Returned At")
            .replacingOccurrences(of: "return_interview_at", with: "ReturnInterviewAt")
        let csv = BadInputRuleTests.episodeErrors(BadInputRuleTests.episodes(header + "\n" + BadInputRuleTests.episodeRow + "\n"))
        #expect(csv == [
            #"missing.csv:1: returned_at: is missing from the header (the header has "Returned At": a typo?)"#,
            #"missing.csv:1: return_interview_at: is missing from the header (the header has "ReturnInterviewAt": a typo?)"#,
        ])
        let good = #"{"episode_id":"E-J1","child_id":"C-E1","child_given_name":"Maya","child_family_name":"Okafor","child_dob":"2011-05-05","missing_at":"2026-09-01T20:00:00Z""#
        let lines = good + #","returned_at":"2026-09-02T08:00:00Z"}"# + "\n" + good.replacingOccurrences(of: "E-J1", with: "E-J2")
            + #","returnedAt":"2026-09-02T08:00:00Z","note":"x"}"# + "\n"
        #expect(BadInputRuleTests.episodeErrors(BadInputRuleTests.episodes(lines, name: "missing.jsonl", format: .jsonLines)) == [
            #"missing.jsonl:2: returned_at: is missing from the line (the line has "returnedAt": a typo?)"#,
        ])
    }
}
