import Foundation
import Ingest
import InputRules
import RiskModel
import Testing

/// One bad row and the exact error it must give (the error's start; messages may go on).
struct BadRow: Sendable, CustomTestStringConvertible {
    let changes: [String: String]
    let error: String
    let count: Int
    var testDescription: String { error }

    init(_ changes: [String: String], _ error: String, count: Int = 1) {
        self.changes = changes
        self.error = error
        self.count = count
    }
}

@Suite struct ColumnRuleTests {
    static let badRows: [BadRow] = [
        BadRow(["incident_id": " "], "in.csv:2: incident_id: is required"),
        BadRow(["victim_id": ""], "in.csv:2: victim_id: is required"),
        BadRow(["officer_grade": ""], "in.csv:2: officer_grade: is required"),
        BadRow(["officer_grade": "critical"], "in.csv:2: officer_grade: unknown grade (expected standard, medium or high)"),
        BadRow(["supervisor_grade": "low"], "in.csv:2: supervisor_grade: unknown grade (expected standard, medium or high)"),
        BadRow(["risk_tool": "DASH-RIC"], "in.csv:2: risk_tool: unknown risk tool (expected DASH, DASH24, DARA or NONE)"),
        BadRow(["reported_at": ""], "in.csv:2: reported_at: is required"),
        BadRow(["reported_at": "2026-03-06T21:40:00"], "in.csv:2: reported_at: needs Z or an offset"),
        BadRow(["reported_at": "2026-03-06 21:40:00Z"], "in.csv:2: reported_at: is not an ISO 8601 date-time"),
        BadRow(["reported_at": "2026-02-30T21:40:00Z"], "in.csv:2: reported_at: is not an ISO 8601 date-time"),
        BadRow(["reported_at": "2026-03-06T24:00:00Z"], "in.csv:2: reported_at: is not an ISO 8601 date-time"),
        BadRow(["reported_at": "2026-03-06T21:60:00Z"], "in.csv:2: reported_at: is not an ISO 8601 date-time"),
        BadRow(["reported_at": "2026-03-06T21:40:60Z"], "in.csv:2: reported_at: is not an ISO 8601 date-time"),
        BadRow(["reported_at": "2026-03-06"], "in.csv:2: reported_at: is not an ISO 8601 date-time"),
        BadRow(["reported_at": "2026-03-06T21:40:00+1:00"], "in.csv:2: reported_at: is not an ISO 8601 date-time"),
        // now is 08:00Z: 09:01Z is beyond the hour of clock skew.
        BadRow(["reported_at": "2026-11-22T09:01:00Z"], "in.csv:2: reported_at: is more than 1 hour in the future"),
        BadRow(["reported_at": "2026-11-22T10:00:01+01:00"], "in.csv:2: reported_at: is more than 1 hour in the future"),
        BadRow(["dash_yes_count": "28"], "in.csv:2: dash_yes_count: 28 is out of range 0-27 for DASH"),
        BadRow(["dash_yes_count": "28", "risk_tool": ""], "in.csv:2: dash_yes_count: 28 is out of range 0-27 for DASH"),
        BadRow(["dash_yes_count": "25", "risk_tool": "DASH24"], "in.csv:2: dash_yes_count: 25 is out of range 0-24 for DASH24"),
        BadRow(["dash_yes_count": "3", "risk_tool": "DARA"], "in.csv:2: dash_yes_count: must be empty when risk_tool is DARA"),
        BadRow(["dash_yes_count": "0", "risk_tool": "none"], "in.csv:2: dash_yes_count: must be empty when risk_tool is NONE"),
        BadRow(["dash_yes_count": "-1"], "in.csv:2: dash_yes_count: is not a whole number"),
        BadRow(["dash_yes_count": "12.0"], "in.csv:2: dash_yes_count: is not a whole number"),
        BadRow(["school_urn": "12345"], "in.csv:2: school_urn: is not a 6-digit URN"),
        BadRow(["school_urn": "1234567"], "in.csv:2: school_urn: is not a 6-digit URN"),
        BadRow(["school_urn": "12345A"], "in.csv:2: school_urn: is not a 6-digit URN"),
        BadRow(["child_dob": "2026-11-23"], "in.csv:2: child_dob: is in the future"),
        // Born after the incident (audit 26, fuzz): 2106 typed for 2016 is in the future; 2016 for
        // 2006 in an incident of 2015 is not, and is refused as this.
        BadRow(["child_dob": "2026-03-07"], "in.csv:2: child_dob: is after the date of reported_at: a child's date of birth is on or before it"),
        BadRow(["child_dob": "2016-04-02", "reported_at": "2015-11-01T10:00:00Z"],
               "in.csv:2: child_dob: is after the date of reported_at: a child's date of birth is on or before it"),
        // London's date: 23:59 BST on the 1st is before a birth on the 2nd.
        BadRow(["child_dob": "2026-07-02", "reported_at": "2026-07-01T22:59:00Z"],
               "in.csv:2: child_dob: is after the date of reported_at: a child's date of birth is on or before it"),
        // A reported_at that cannot be read is said once, with nothing to compare the birth with.
        BadRow(["child_dob": "2026-05-01", "reported_at": "2026-03-06"], "in.csv:2: reported_at: is not an ISO 8601 date-time"),
        BadRow(["child_dob": "2015-02-29"], "in.csv:2: child_dob: is not a YYYY-MM-DD date"),
        BadRow(["child_dob": "02/04/2015"], "in.csv:2: child_dob: is not a YYYY-MM-DD date"),
        BadRow(["child_present": "maybe"], "in.csv:2: child_present: is not Y or N"),
        BadRow(["child_spoken_to": "1"], "in.csv:2: child_spoken_to: is not Y or N"),
        BadRow(["bwv_used": "T"], "in.csv:2: bwv_used: is not Y or N"),
        BadRow(["child_id": ""], "in.csv:2: child_id: is required when any other child column is given"),
        BadRow(["child_given_name": ""], "in.csv:2: child_given_name: is required for a child"),
        BadRow(["child_family_name": ""], "in.csv:2: child_family_name: is required for a child"),
        BadRow(["child_dob": ""], "in.csv:2: child_dob: is required for a child"),
        BadRow(Fixture.noChild.merging(["child_present": "Y"]) { $1 },
               "in.csv:2: child_id: is required when any other child column is given", count: 4),
    ]

    @Test(arguments: badRows)
    func badValueIsAnErrorNamingRowAndColumn(_ bad: BadRow) {
        let errors = Fixture.errors(Fixture.ingest(Fixture.csv([bad.changes])))
        #expect(errors.count == bad.count)
        #expect(errors.first?.hasPrefix(bad.error) == true, "\(errors)")
    }

    static let goodRows: [[String: String]] = [
        ["reported_at": "2026-11-22T08:59:59Z"],            // within the hour of skew
        ["reported_at": "2026-11-22T09:00:00Z"],            // exactly an hour
        ["child_dob": "2026-11-22", "reported_at": "2026-11-22T07:00:00Z"],  // born today, the day of the incident
        ["child_dob": "2026-03-06"],                        // born on the day of the incident
        ["child_dob": "2026-07-02", "reported_at": "2026-07-01T23:30:00Z"],  // 00:30 BST on the 2nd
        ["dash_yes_count": "27"],
        ["dash_yes_count": "24", "risk_tool": "dash24"],
        ["dash_yes_count": "", "risk_tool": "DARA"],
        ["dash_yes_count": "", "risk_tool": "None"],
        ["school_urn": "", "child_present": "", "child_spoken_to": "", "child_voice": "", "bwv_used": ""],
        ["child_present": "y", "child_spoken_to": "no", "bwv_used": "YES"],
        ["officer_grade": "MEDIUM", "supervisor_grade": "High"],
        ["perpetrator_id": ""],
        Fixture.noChild.merging(["bwv_used": "Y"]) { $1 },  // body-worn video alone is no child
    ]

    @Test(arguments: goodRows)
    func goodValueIsAccepted(_ changes: [String: String]) {
        #expect(Fixture.incidents(Fixture.ingest(Fixture.csv([changes]))).count == 1)
    }

    /// A row with no child keeps its `bwv_used` on the incident (SPEC §11 counts incidents); two
    /// such rows of one incident must agree.
    @Test func bodyWornVideoOnARowWithNoChildIsTheIncidents() {
        let alone = Fixture.noChild.merging(["bwv_used": "Y"]) { $1 }
        let incident = Fixture.incidents(Fixture.ingest(Fixture.csv([alone]))).first
        #expect(incident?.bodyWornVideo == true && incident?.children.isEmpty == true)
        let errors = Fixture.errors(Fixture.ingest(Fixture.csv([alone, Fixture.noChild.merging(["bwv_used": "N"]) { $1 }])))
        #expect(errors.map { $0.components(separatedBy: ": ").prefix(2).joined(separator: ": ") } == ["in.csv:3: bwv_used"])
    }

    @Test func everyErrorIsCollectedNotJustTheFirst() {
        let text = Fixture.csv([
            ["officer_grade": "x", "school_urn": "1"],
            ["incident_id": "I-2"],
            ["incident_id": "I-3", "child_dob": "2030-01-01"],
        ])
        let errors = Fixture.errors(Fixture.ingest(text))
        #expect(errors.map { $0.components(separatedBy: ": ").prefix(2).joined(separator: ": ") } == [
            "in.csv:2: officer_grade",
            "in.csv:2: school_urn",
            "in.csv:4: child_dob",
        ])
    }

    @Test func valuesAreParsedIntoTheIncident() throws {
        let text = Fixture.csv([[
            "risk_tool": "dash24", "officer_grade": "Medium", "dash_yes_count": "15", "supervisor_grade": "STANDARD",
            "perpetrator_id": "", "child_present": "n", "child_spoken_to": "Y", "bwv_used": "",
        ]])
        let incident = try #require(Fixture.incidents(Fixture.ingest(text)).first)
        #expect(incident.riskTool == .dash24)
        #expect(incident.officerGrade == .medium)
        #expect(incident.dashYesCount == 15)
        #expect(incident.supervisorGrade == .standard)
        #expect(incident.perpetratorId == nil)
        #expect(incident.effectiveGrade == .high)
        let child = try #require(incident.children.first)
        #expect(child == ChildLink(
            childId: "C-1", givenName: Fixture.givenName, familyName: Fixture.familyName,
            dateOfBirth: LocalDate(year: 2015, month: 4, day: 2)!, schoolURN: "123456",
            present: false, spokenTo: true, voice: Fixture.voice, bodyWornVideo: nil))
    }

    @Test func emptyRiskToolMeansDASH() throws {
        let incident = try #require(Fixture.incidents(Fixture.ingest(Fixture.csv([["risk_tool": " "]]))).first)
        #expect(incident.riskTool == .dash)
    }

    static let offsets: [(String, TimeInterval)] = [
        ("2026-07-01T22:15:00+01:00", 1_782_940_500),
        ("2026-07-01T22:15:00+0100", 1_782_940_500),
        ("2026-07-01T22:15+01:00", 1_782_940_500),
        ("2026-07-01T21:15:00Z", 1_782_940_500),
        ("2026-07-01t21:15:00z", 1_782_940_500),
        ("2026-07-01T16:15:00-05:00", 1_782_940_500),
        ("2026-07-01T21:15:00.250Z", 1_782_940_500.25),
        ("2026-07-02T02:45:00+05:30", 1_782_940_500),
    ]

    @Test(arguments: offsets)
    func offsetsGiveTheRightInstant(_ text: String, _ seconds: TimeInterval) throws {
        let incident = try #require(Fixture.incidents(Fixture.ingest(Fixture.csv([["reported_at": text]]))).first)
        #expect(incident.reportedAt == Date(timeIntervalSince1970: seconds))
    }

    /// A mixed-case column (the GIAS extract's) a letter off is named as the typo it is, as a
    /// lower-case one is; the column itself, as written, is not.
    @Test func aMixedCaseColumnALetterOffIsNamedAsATypo() {
        #expect(LikelyTypo.hint(for: "EstablishmentName", among: ["URN", "EstablishmentNam"])
                == " (the header has \"EstablishmentNam\": a typo?)")
        #expect(LikelyTypo.hint(for: "LA (code)", among: ["la (Code)"]) == " (the header has \"la (Code)\": a typo?)")
        #expect(!LikelyTypo.isTypo("EstablishmentName", of: "EstablishmentName"))
        // Spaces around a name are no letters changed, however many; a name far longer is no typo.
        #expect(LikelyTypo.isTypo(String(repeating: " ", count: 40) + "victim_ld" + String(repeating: " ", count: 40), of: "victim_id"))
        #expect(!LikelyTypo.isTypo(String(repeating: "x", count: 1_000_000), of: "victim_id"))
    }
}
