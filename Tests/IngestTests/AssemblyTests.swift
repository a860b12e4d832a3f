import Foundation
import Ingest
import RiskModel
import Testing

@Suite struct AssemblyTests {
    @Test func incidentWithNoChild() throws {
        let incident = try #require(Fixture.incidents(Fixture.ingest(Fixture.csv([Fixture.noChild]))).first)
        #expect(incident.children.isEmpty)
        #expect(incident.victimId == "V-1")
    }

    @Test func severalRowsMakeOneIncidentWithChildrenByChildId() throws {
        let text = Fixture.csv([
            ["incident_id": "I-9", "child_id": "C-3"],
            ["incident_id": "I-2", "child_id": "C-1"],
            ["incident_id": "I-9", "child_id": "C-1", "child_given_name": "Bo"],
            ["incident_id": "I-9", "child_id": "C-2"],
        ])
        let incidents = Fixture.incidents(Fixture.ingest(text))
        #expect(incidents.map(\.id) == ["I-2", "I-9"])
        #expect(incidents.last?.children.map(\.childId) == ["C-1", "C-2", "C-3"])
        #expect(incidents.last?.children.first?.givenName == "Bo")
    }

    @Test func sameChildTwiceWithTheSameColumnsIsOneChild() {
        let text = Fixture.csv([[:], [:]])
        #expect(Fixture.incidents(Fixture.ingest(text)).first?.children.count == 1)
    }

    @Test func sameChildTwiceDifferentlyIsAnError() {
        let text = Fixture.csv([[:], ["child_given_name": "Other", "child_dob": "2016-01-01"]])
        #expect(Fixture.errors(Fixture.ingest(text)) == [
            "in.csv:3: child_given_name: disagrees with line 2 of in.csv for child C-1 in incident I-1",
            "in.csv:3: child_dob: disagrees with line 2 of in.csv for child C-1 in incident I-1",
        ])
    }

    @Test(arguments: [
        ("officer_grade", "high"), ("reported_at", "2026-03-06T21:41:00Z"), ("risk_tool", "DARA"),
        ("dash_yes_count", "6"), ("supervisor_grade", "medium"), ("victim_id", "V-2"), ("perpetrator_id", ""),
    ])
    func rowsThatDisagreeOnAnIncidentColumn(_ column: String, _ value: String) {
        var changes = ["child_id": "C-2", column: value]
        if column == "risk_tool" { changes["dash_yes_count"] = "" }
        let text = Fixture.csv([[:], changes])
        let errors = Fixture.errors(Fixture.ingest(text))
        #expect(errors.contains("in.csv:3: \(column): disagrees with line 2 of in.csv for incident I-1"), "\(errors)")
        // Changing the tool to DARA also empties the yes-count, a second disagreement.
        #expect(errors.count == (column == "risk_tool" ? 2 : 1))
    }

    @Test func rowsAgreeWhenTheyDifferOnlyInFormNotMeaning() {
        let text = Fixture.csv([
            [:],
            ["child_id": "C-2", "reported_at": "2026-03-06T21:40:00.000+00:00", "officer_grade": "STANDARD", "risk_tool": "dash"],
        ])
        #expect(Fixture.incidents(Fixture.ingest(text)).first?.children.count == 2)
    }

    @Test func disagreementAcrossFilesNamesTheEarlierFile() {
        var builder = IncidentBatchBuilder(now: Fixture.now)
        builder.add(Array(Fixture.csv([[:]]).utf8), fileName: "monday.csv", format: .csv)
        let json = #"{"incident_id":"I-1","reported_at":"2026-03-06T21:40:00Z","officer_grade":"high","dash_yes_count":5,"victim_id":"V-1","perpetrator_id":"P-1"}"#
        builder.add(Array(("\n" + json + "\n").utf8), fileName: "tuesday.jsonl", format: .jsonLines)
        #expect(Fixture.errors(builder.finish()) == [
            "tuesday.jsonl:2: officer_grade: disagrees with line 2 of monday.csv for incident I-1",
        ])
    }

    @Test func filesAddChildrenToTheSameIncident() {
        var builder = IncidentBatchBuilder(now: Fixture.now)
        builder.add(Array(Fixture.csv([[:]]).utf8), fileName: "a.csv", format: .csv)
        builder.add(Array(Fixture.csv([["child_id": "C-0"]]).utf8), fileName: "b.csv", format: .csv)
        #expect(builder.rowCount == 2)
        #expect((try? builder.finish().get())?.first?.children.map(\.childId) == ["C-0", "C-1"])
    }

    @Test func errorsComeInFileOrderThenLineOrder() {
        var builder = IncidentBatchBuilder(now: Fixture.now)
        builder.add(Array(Fixture.csv([[:], ["incident_id": "I-2", "school_urn": "1"]]).utf8), fileName: "b.csv", format: .csv)
        builder.add(Array(Fixture.csv([["incident_id": "I-3", "officer_grade": "x"], ["incident_id": "I-4", "bwv_used": "x"]]).utf8),
                    fileName: "a.csv", format: .csv)
        let lines = Fixture.errors(builder.finish()).map { $0.components(separatedBy: ": ").prefix(2).joined(separator: ": ") }
        #expect(lines == ["b.csv:3: school_urn", "a.csv:2: officer_grade", "a.csv:3: bwv_used"])
    }

    @Test func anInvalidFileFailsTheWholeBatch() {
        var builder = IncidentBatchBuilder(now: Fixture.now)
        builder.add(Array(Fixture.csv([[:]]).utf8), fileName: "good.csv", format: .csv)
        builder.add(Array(Fixture.csv([["officer_grade": "none"]]).utf8), fileName: "bad.csv", format: .csv)
        guard case .failure(let failure) = builder.finish() else {
            Issue.record("expected failure")
            return
        }
        #expect(failure.errors.map(\.file) == ["bad.csv"])
        #expect(failure.errors.first?.line == 2)
        #expect(failure.errors.first?.column == "officer_grade")
    }

    @Test func storedErrorsAreCappedPerFileWithACount() {
        let rows = (1...7).map { ["incident_id": "I-\($0)", "school_urn": "1"] }
        var builder = IncidentBatchBuilder(now: Fixture.now, errorCapPerFile: 3)
        builder.add(Array(Fixture.csv(rows).utf8), fileName: "in.csv", format: .csv)
        let errors = Fixture.errors(builder.finish())
        #expect(errors.count == 4)
        #expect(errors.last == "in.csv:5: -: 4 more errors not shown (only the first 3 are listed)")
    }
}
