import Foundation
import Ingest
import RiskModel
import Testing

@Suite struct JSONLinesTests {
    static let incidentKeys = #""incident_id":"I-1","reported_at":"2026-07-01T22:15:00+01:00","officer_grade":"standard","victim_id":"V-1""#

    func ingest(_ lines: [String]) -> Result<[Incident], IngestFailure> {
        Fixture.ingest(lines.joined(separator: "\n") + "\n", fileName: "in.jsonl", format: .jsonLines)
    }

    @Test func nestedChildrenWithNumbersBooleansAndNulls() throws {
        let line = "{" + Self.incidentKeys + #","risk_tool":"dash24","dash_yes_count":12,"supervisor_grade":null,"#
            + #""perpetrator_id":"P-1","force_notes":{"ignored":[1,2]},"children":["#
            + #"{"child_id":"C-2","child_given_name":"Ann","child_family_name":"Lee","child_dob":"2014-09-30","#
            + #""school_urn":"100001","child_present":true,"child_spoken_to":false,"bwv_used":null,"child_voice":"said \"no\"\n\u00e9"},"#
            + #"{"child_id":"C-1","child_given_name":"Bob","child_family_name":"Lee","child_dob":"2018-01-01"}]}"#
        let incident = try #require(Fixture.incidents(ingest([line])).first)
        #expect(incident.reportedAt == Date(timeIntervalSince1970: 1_782_940_500))
        #expect(incident.riskTool == .dash24)
        #expect(incident.dashYesCount == 12)
        #expect(incident.supervisorGrade == nil)
        #expect(incident.perpetratorId == "P-1")
        #expect(incident.children.map(\.childId) == ["C-1", "C-2"])
        let ann = incident.children[1]
        #expect(ann.present == true)
        #expect(ann.spokenTo == false)
        #expect(ann.bodyWornVideo == nil)
        #expect(ann.voice == "said \"no\"\né")
        #expect(ann.schoolURN == "100001")
        #expect(incident.children[0].present == nil)
    }

    @Test func noChildrenKeyOrAnEmptyListMeansNoChild() {
        let incidents = Fixture.incidents(ingest([
            "{" + Self.incidentKeys + "}",
            "{" + Self.incidentKeys.replacingOccurrences(of: "I-1", with: "I-2") + #","children":[]}"#,
        ]))
        #expect(incidents.map(\.id) == ["I-1", "I-2"])
        #expect(incidents.allSatisfy { $0.children.isEmpty })
    }

    @Test func childColumnsAtTheTopLevelAreOneChild() {
        let line = "{" + Self.incidentKeys + #","child_id":"C-5","child_given_name":"A","child_family_name":"B","child_dob":"2012-12-12"}"#
        #expect(Fixture.incidents(ingest([line])).first?.children.map(\.childId) == ["C-5"])
    }

    @Test func topLevelBodyWornVideoIsTheDefaultForNestedChildren() throws {
        let child = #"{"child_id":"C-1","child_given_name":"A","child_family_name":"B","child_dob":"2012-12-12""#
        let line = "{" + Self.incidentKeys + #","bwv_used":"Y","children":["# + child + "}," + child
            .replacingOccurrences(of: "C-1", with: "C-2") + #","bwv_used":false}]}"#
        let incident = try #require(Fixture.incidents(ingest([line])).first)
        #expect(incident.children.map(\.bodyWornVideo) == [true, false])
    }

    /// SPEC §11 counts incidents with body-worn video: one with no child keeps it on the incident,
    /// one with children on their links only.
    @Test func bodyWornVideoOfAnIncidentWithNoChildIsKeptOnTheIncident() throws {
        let child = #"{"child_id":"C-1","child_given_name":"A","child_family_name":"B","child_dob":"2012-12-12"}"#
        let incidents = Fixture.incidents(ingest(["{" + Self.incidentKeys + #","bwv_used":"Y","children":[]}"#,
                                                  "{" + Self.incidentKeys.replacingOccurrences(of: "I-1", with: "I-2") + #","bwv_used":"Y","children":["#
                                                      + child + "]}"]))
        #expect(incidents.map(\.bodyWornVideo) == [true, nil])
        #expect(incidents.map(\.usedBodyWornVideo) == [true, true])
    }

    @Test func numbersStandForTheirTextAndKeysMatchInAnyCase() throws {
        let line = #"{"Incident_ID":1042," reported_at ":"2026-07-01T21:15:00Z","OFFICER_GRADE":"high","victim_id":77}"#
        let incident = try #require(Fixture.incidents(ingest([line])).first)
        #expect(incident.id == "1042")
        #expect(incident.victimId == "77")
        #expect(incident.officerGrade == .high)
    }

    @Test func yesCountAsStringOrNumberIsTheSame() {
        let asNumber = "{" + Self.incidentKeys + #","dash_yes_count":14}"#
        let asString = "{" + Self.incidentKeys + #","dash_yes_count":"14"}"#
        #expect(Fixture.incidents(ingest([asNumber, asString])).first?.dashYesCount == 14)
    }

    @Test func blankLinesAreSkippedButCounted() {
        let bad = "{" + Self.incidentKeys + #","school_urn":"x","child_id":"C-1","child_given_name":"A","child_family_name":"B","child_dob":"2012-12-12"}"#
        #expect(Fixture.errors(ingest(["", "  ", "{" + Self.incidentKeys + "}", "\r", bad])) == [
            "in.jsonl:5: school_urn: is not a 6-digit URN",
        ])
    }

    static let badLines: [(String, String)] = [
        (#"{"incident_id": "I-1", "#, "in.jsonl:1: json: not valid JSON: expected a key in quotes at character 24"),
        ("incident_id,reported_at", "in.jsonl:1: json: not valid JSON: expected a value at character 1"),
        // Characters, not bytes: "’" is three bytes and "🙂" four, each one character (byte 31).
        ("{\"incident_id\": \"I-1’🙂\", ", "in.jsonl:1: json: not valid JSON: expected a key in quotes at character 26"),
        ("[1, 2]", "in.jsonl:1: json: the line is an array, not a JSON object"),
        (#""I-1""#, "in.jsonl:1: json: the line is a string, not a JSON object"),
        ("{" + incidentKeys + "} {}", "in.jsonl:1: json: not valid JSON: unexpected text after the JSON value"),
        ("{" + incidentKeys + #","dash_yes_count":12.5}"#, "in.jsonl:1: dash_yes_count: is not a whole number"),
        ("{" + incidentKeys.replacingOccurrences(of: #""standard""#, with: "true") + "}", "in.jsonl:1: officer_grade: must be text, not true"),
        ("{" + incidentKeys.replacingOccurrences(of: #""V-1""#, with: #"["V-1"]"#) + "}", "in.jsonl:1: victim_id: must be text, not an array"),
        ("{" + incidentKeys + #","incident_id":"I-2"}"#, "in.jsonl:1: incident_id: appears more than once"),
        ("{" + incidentKeys + #","children":{"child_id":"C-1"}}"#, "in.jsonl:1: children: must be an array of child objects, not an object"),
        ("{" + incidentKeys + #","children":["C-1"]}"#, "in.jsonl:1: children: each child must be a JSON object, not a string"),
        ("{" + incidentKeys + #","child_id":"C-1","children":[{"child_id":"C-2","child_given_name":"A","child_family_name":"B","child_dob":"2012-12-12"}]}"#,
         "in.jsonl:1: children: child columns are given both at the top level and inside children"),
        ("{" + incidentKeys + #","children":[{"child_id":"C-1","child_given_name":"A","child_family_name":"B","child_dob":"2999-01-01"}]}"#,
         "in.jsonl:1: child_dob: is in the future"),
        ("{" + incidentKeys + #","children":[{"child_id":"C-1","child_given_name":"A","child_family_name":"B","child_dob":"2026-07-02"}]}"#,
         "in.jsonl:1: child_dob: is after the date of reported_at: a child's date of birth is on or before it"),
        (#"{"reported_at":"2026-07-01T22:15:00","officer_grade":"standard","victim_id":"V-1","incident_id":"I-1"}"#,
         "in.jsonl:1: reported_at: needs Z or an offset"),
    ]

    @Test(arguments: badLines)
    func badLineIsAnErrorWithItsLineAndColumn(_ line: String, _ error: String) {
        let errors = Fixture.errors(ingest([line]))
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix(error) == true, "\(errors)")
    }

    /// SPEC §2, every error is printed: a value of the wrong JSON type does not hide the object's
    /// other fields' errors, as a bad CSV field does not; and it is not reported again as missing.
    @Test func everyFieldsErrorIsReportedBesideAWrongJSONType() {
        let line = #"{"incident_id":"J7","reported_at":"2026-11-01T10:00:00Z","officer_grade":"standard","victim_id":"V","#
            + #""children":[{"child_id":"C-J7","child_given_name":"A","child_family_name":"B","child_dob":"2011-13-45","#
            + #""school_urn":"12","child_voice":["x"]}]}"#
        #expect(Fixture.errors(ingest([line])) == [
            "in.jsonl:1: child_voice: must be text, not an array",
            "in.jsonl:1: child_dob: is not a YYYY-MM-DD date",
            "in.jsonl:1: school_urn: is not a 6-digit URN",
        ])
        let required = #"{"incident_id":"J8","reported_at":"2026-11-01T10:00:00Z","officer_grade":["high"],"victim_id":"V","dash_yes_count":"x"}"#
        #expect(Fixture.errors(ingest([required])) == [
            "in.jsonl:1: officer_grade: must be text, not an array",
            "in.jsonl:1: dash_yes_count: is not a whole number",
        ])
    }

    @Test func invalidUTF8LineIsAnError() {
        var bytes = Array(("{" + Self.incidentKeys + "}\n").utf8)
        bytes += Array(#"{"incident_id":"I-"#.utf8) + [0xFF] + Array("\"}\n".utf8)
        var builder = IncidentBatchBuilder(now: Fixture.now)
        builder.add(bytes, fileName: "in.ndjson", format: .jsonLines)
        #expect(Fixture.errors(builder.finish()) == ["in.ndjson:2: -: the line is not valid UTF-8"])
    }

    @Test(arguments: [
        ("a.csv", IncidentFileFormat.csv), ("A.CSV", .csv), ("x/b.jsonl", .jsonLines), ("c.ndjson", .jsonLines),
        ("c.json", nil), ("csv", nil), ("d.txt", nil),
    ] as [(String, IncidentFileFormat?)])
    func formatFromFileName(_ name: String, _ format: IncidentFileFormat?) {
        #expect(IncidentFileFormat(fileName: name) == format)
    }
}
