import Foundation
import Ingest
import RiskModel
import Testing

@Suite struct CSVFormatTests {
    @Test func quotedCommasAndDoubledQuotesAreUnquoted() throws {
        let text = Fixture.csv([["child_voice": "He said \"stop, now\", then left", "victim_id": "V,1"]])
        let incident = try #require(Fixture.incidents(Fixture.ingest(text)).first)
        #expect(incident.victimId == "V,1")
        #expect(incident.children.first?.voice == "He said \"stop, now\", then left")
    }

    @Test(arguments: ["\r\n", "\n"])
    func newlineInsideQuotedFieldKeepsLaterLineNumbers(newline: String) {
        let text = [
            Fixture.header(),
            Fixture.row(["child_voice": "first line\(newline)second line\(newline)third line"]),
            Fixture.row(["incident_id": "I-2", "officer_grade": "severe"]),
        ].joined(separator: newline) + newline
        // The header is line 1; the first row spans lines 2-4; the bad row starts on line 5.
        #expect(Fixture.errors(Fixture.ingest(text)) == [
            "in.csv:5: officer_grade: unknown grade (expected standard, medium or high)",
        ])
    }

    @Test func newlineInsideQuotedFieldIsKept() throws {
        let text = Fixture.csv([["child_voice": "one\r\ntwo"]])
        let incident = try #require(Fixture.incidents(Fixture.ingest(text)).first)
        #expect(incident.children.first?.voice == "one\r\ntwo")
    }

    @Test func crlfLineEndsLeaveNoCarriageReturnInValues() throws {
        let text = [Fixture.header(), Fixture.row(["bwv_used": "N"]), Fixture.row(["incident_id": "I-2", "bwv_used": "Y"])]
            .joined(separator: "\r\n") + "\r\n"
        let incidents = Fixture.incidents(Fixture.ingest(text))
        #expect(incidents.map(\.id) == ["I-1", "I-2"])
        #expect(incidents.first?.children.first?.bodyWornVideo == false)
        #expect(incidents.last?.children.first?.bodyWornVideo == true)
    }

    @Test func byteOrderMarkIsSkipped() {
        let text = "\u{FEFF}" + Fixture.csv([[:]])
        #expect(Fixture.incidents(Fixture.ingest(text)).map(\.id) == ["I-1"])
    }

    @Test func columnsInAnyOrderWithUnknownColumnsIgnored() throws {
        let columns = ["force_area", "notes"] + Fixture.columns.reversed() + ["officer_collar_number"]
        let text = ([Fixture.header(columns), Fixture.row(["officer_grade": "medium"], columns: columns)])
            .joined(separator: "\n")
        let incident = try #require(Fixture.incidents(Fixture.ingest(text)).first)
        #expect(incident.officerGrade == .medium)
        #expect(incident.children.first?.childId == "C-1")
        #expect(incident.reportedAt == Date(timeIntervalSince1970: 1_772_833_200))
    }

    @Test func headerNamesAreTrimmedAndMatchedInAnyCase() {
        let header = " Incident_ID , REPORTED_AT,officer_grade ,victim_id"
        let text = header + "\nI-9,2026-03-06T21:40:00Z,high,V-9\n"
        let incidents = Fixture.incidents(Fixture.ingest(text))
        #expect(incidents.map(\.id) == ["I-9"])
        #expect(incidents.first?.children == [])
    }

    @Test func blankLinesAreSkippedAndALastLineNeedsNoNewline() {
        let text = [Fixture.header(), "", Fixture.row(), "", Fixture.row(["incident_id": "I-2"]), "", "", ""]
            .joined(separator: "\n")
        #expect(Fixture.incidents(Fixture.ingest(text)).map(\.id) == ["I-1", "I-2"])
        let noFinalNewline = Fixture.header() + "\n" + Fixture.row()
        #expect(Fixture.incidents(Fixture.ingest(noFinalNewline)).map(\.id) == ["I-1"])
    }

    /// An empty export is a broken export: a pipeline must not record "0 added" as a success.
    @Test(arguments: ["\n", "\n\n\r\n", ""])
    func headerOnlyFileIsRefused(after: String) {
        #expect(Fixture.errors(Fixture.ingest(Fixture.header() + after)) == [
            "in.csv:1: -: no incidents: the file has a header row and no rows",
        ])
    }

    @Test func emptyFileIsRefused() {
        #expect(Fixture.errors(Fixture.ingest("")) == ["in.csv:1: -: no incidents: the file is empty"])
        #expect(Fixture.errors(Fixture.ingest("", fileName: "in.jsonl", format: .jsonLines)) == [
            "in.jsonl:1: -: no incidents: the file has no lines",
        ])
        #expect(Fixture.errors(Fixture.ingest("\n \n", fileName: "in.jsonl", format: .jsonLines)) == [
            "in.jsonl:1: -: no incidents: the file has no lines",
        ])
    }

    /// Old Mac exports end lines with a lone CR: each is a line end, so every row is checked and
    /// each error names its own line.
    @Test func loneCarriageReturnsEndLines() {
        let text = [
            Fixture.header(),
            Fixture.row(),
            Fixture.row(["incident_id": "I-2", "officer_grade": "severe"]),
            Fixture.row(["incident_id": "I-3", "child_voice": "one\rtwo"]),
            Fixture.row(["incident_id": "I-4", "school_urn": "12"]),
        ].joined(separator: "\r") + "\r"
        // The header is line 1; I-3's quoted voice spans lines 4-5; I-4 starts on line 6.
        #expect(Fixture.errors(Fixture.ingest(text)) == [
            "in.csv:3: officer_grade: unknown grade (expected standard, medium or high)",
            "in.csv:6: school_urn: is not a 6-digit URN",
        ])
        let valid = [Fixture.header(), Fixture.row(["bwv_used": "N"]), "", Fixture.row(["incident_id": "I-2"])]
            .joined(separator: "\r")
        let incidents = Fixture.incidents(Fixture.ingest(valid))
        #expect(incidents.map(\.id) == ["I-1", "I-2"])
        #expect(incidents.first?.children.first?.bodyWornVideo == false)
    }

    @Test func missingRequiredColumnsAreReportedOnceAtLineOne() {
        let columns = Fixture.columns.filter { $0 != "victim_id" && $0 != "reported_at" }
        let text = [Fixture.header(columns), Fixture.row(columns: columns), Fixture.row(columns: columns)]
            .joined(separator: "\n")
        #expect(Fixture.errors(Fixture.ingest(text)) == [
            "in.csv:1: reported_at: required column is missing from the header",
            "in.csv:1: victim_id: required column is missing from the header",
        ])
    }

    /// A required column mistyped in the header is named beside the one missing.
    @Test func aMistypedRequiredColumnIsPointedOut() {
        // Two typos; reported_at left out, with a column of the force's own beside it (no hint).
        let renamed = ["officer_grade": "Oficer_Grade", "victim_id": "victm_id", "reported_at": "notes"]
        let columns = Fixture.columns.map { renamed[$0] ?? $0 }
        let text = [Fixture.header(columns), Fixture.row(columns: columns)].joined(separator: "\n")
        #expect(Fixture.errors(Fixture.ingest(text)) == [
            "in.csv:1: reported_at: required column is missing from the header",
            "in.csv:1: officer_grade: required column is missing from the header (the header has \"Oficer_Grade\": a typo?)",
            "in.csv:1: victim_id: required column is missing from the header (the header has \"victm_id\": a typo?)",
        ])
    }

    @Test func duplicateHeaderColumnIsAnError() {
        let text = "incident_id,reported_at,officer_grade,victim_id,officer_grade\n"
        #expect(Fixture.errors(Fixture.ingest(text)) == [
            "in.csv:1: officer_grade: appears more than once in the header",
        ])
    }

    @Test func rowWithWrongFieldCount() {
        let text = Fixture.csv([[:]]) + Fixture.row(["incident_id": "I-2"]) + ",extra\n"
            + Fixture.row(["incident_id": "I-3"]).split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",") + "\n"
        #expect(Fixture.errors(Fixture.ingest(text)) == [
            "in.csv:3: -: the row has 18 fields but the header has 17",
            "in.csv:4: -: the row has 16 fields but the header has 17",
        ])
    }

    @Test func unclosedQuoteIsReportedAtTheRowsFirstLine() {
        let text = Fixture.csv([[:]]) + "I-2,2026-03-06T21:40:00Z,DASH,high,,,V,P,C-2,A,B,2015-01-01,,Y,N,\"never closed\n\n"
        #expect(Fixture.errors(Fixture.ingest(text)) == [
            "in.csv:3: child_voice: a quoted field is not closed before the end of the file",
        ])
    }

    @Test func textAfterClosingQuoteIsAnErrorAndLaterRowsAreStillChecked() {
        let text = Fixture.csv([[:]])
            + "\"I-2\"x,2026-03-06T21:40:00Z,DASH,high,,,V,P,,,,,,,,,\n"
            + Fixture.row(["incident_id": "I-3", "school_urn": "12"]) + "\n"
        #expect(Fixture.errors(Fixture.ingest(text)) == [
            "in.csv:3: incident_id: text after the closing quote of a quoted field",
            "in.csv:4: school_urn: is not a 6-digit URN",
        ])
    }

    /// A quote inside an unquoted field (`A"my`, a field whose opening quote may have been lost) is
    /// refused with its line and column, as the config files' reader refuses it; later rows are
    /// still checked.
    @Test func aQuoteInsideAnUnquotedFieldIsAnError() {
        let text = Fixture.csv([[:]])
            + "I-2,2026-03-06T21:40:00Z,DASH,high,,,V,P,C-2,A\"my,B,2015-01-01,,Y,N,,\n"
            + Fixture.row(["incident_id": "I-3", "school_urn": "12"]) + "\n"
        #expect(Fixture.errors(Fixture.ingest(text)) == [
            "in.csv:3: child_given_name: a quote inside an unquoted field",
            "in.csv:4: school_urn: is not a 6-digit URN",
        ])
    }

    /// `text` with each `#` replaced by the byte 0xE9 (Latin-1 "é", not UTF-8).
    private func latin1(_ text: String) -> [UInt8] {
        text.utf8.map { $0 == UInt8(ascii: "#") ? 0xE9 : $0 }
    }

    @Test func invalidUTF8NamesTheLineAndColumn() {
        let text = Fixture.csv([[:], ["incident_id": "I-2", "child_voice": "caf#"]])
        var builder = IncidentBatchBuilder(now: Fixture.now)
        builder.add(latin1(text), fileName: "in.csv", format: .csv)
        #expect(Fixture.errors(builder.finish()) == ["in.csv:3: child_voice: is not valid UTF-8"])
    }

    @Test func invalidUTF8InAnUnknownColumnIsStillAnError() {
        let text = "incident_id,reported_at,officer_grade,victim_id,notes\nI-1,2026-03-06T21:40:00Z,high,V-1,caf#\n"
        var builder = IncidentBatchBuilder(now: Fixture.now)
        builder.add(latin1(text), fileName: "in.csv", format: .csv)
        #expect(Fixture.errors(builder.finish()) == ["in.csv:2: notes: is not valid UTF-8"])
    }

    @Test func validUTF8NamesAreKept() throws {
        let text = Fixture.csv([["child_given_name": "Zoë", "child_family_name": "Nguyễn"]])
        let child = try #require(Fixture.incidents(Fixture.ingest(text)).first?.children.first)
        #expect(child.givenName == "Zoë")
        #expect(child.familyName == "Nguyễn")
    }

    @Test func surroundingSpacesAreTrimmed() throws {
        let text = Fixture.csv([["incident_id": "  I-7 ", "officer_grade": " High ", "child_given_name": " Ann  "]])
        let incident = try #require(Fixture.incidents(Fixture.ingest(text)).first)
        #expect(incident.id == "I-7")
        #expect(incident.officerGrade == .high)
        #expect(incident.children.first?.givenName == "Ann")
    }

    @Test func dataInputGivesTheSameIncidents() throws {
        let text = Fixture.csv([[:], ["incident_id": "I-2"]])
        var builder = IncidentBatchBuilder(now: Fixture.now)
        builder.add(Data(text.utf8), fileName: "in.csv", format: .csv)
        let fromData = try builder.finish().get()
        #expect(fromData.map(\.id) == ["I-1", "I-2"])
        #expect(fromData == (try Fixture.ingest(text).get()))
        #expect(builder.rowCount == 2)
    }
}
