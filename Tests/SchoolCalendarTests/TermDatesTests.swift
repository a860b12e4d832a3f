import CivilTime
import Foundation
import SchoolCalendar
import Testing

@Suite struct TermDatesTests {
    @Test(arguments: [("925", nil as String?), ("888", nil), ("925", "139900")])
    func realFileHasSixTermsAYearOnWeekdays(_ c: (String, String?)) throws {
        let terms = try #require(try RealConfig.termDates().terms(urn: c.1, laCode: c.0))
        #expect(terms.count == 12)
        for year in [2025, 2026] {
            let from = try #require(LocalDate(year: year, month: 9, day: 1))
            let to = try #require(LocalDate(year: year + 1, month: 8, day: 31))
            #expect(terms.filter { $0.start >= from && $0.end <= to }.count == 6, "\(year)")
        }
        for t in terms {
            #expect(!t.start.isWeekend && !t.end.isWeekend, "\(t)")
        }
    }

    @Test func realFileSchoolOverridesItsLA() throws {
        let dates = try RealConfig.termDates()
        #expect(dates.terms(urn: "139900", laCode: "925") != dates.terms(urn: nil, laCode: "925"))
        #expect(dates.terms(urn: "139900", laCode: nil) == dates.terms(urn: "139900", laCode: "925"))
        #expect(dates.terms(urn: nil, laCode: "999") == nil)
        #expect(Set(dates.byLA.keys) == ["925", "888"])
        #expect(Set(dates.byURN.keys) == ["139900"])
    }

    @Test func columnsInAnyOrderQuotedCRLFAndBOM() throws {
        let text = "\u{FEFF}urn,term_end,note,la_code,term_start\r\n"
            + ",2026-02-13,\"Spring, first half\",925,2026-01-05\r\n"
            + "\r\n"
            + "\"123456\",2026-02-13,\"says \"\"hello\"\"\nover two lines\",925,2026-01-07\r\n"
            + " , 2026-03-27 ,, 925 ,2026-02-23"
        let dates = try TermDates.parseCSV(text, fileName: "t.csv")
        #expect(dates.terms(urn: nil, laCode: "925") == [
            .init(start: try day("2026-01-05"), end: try day("2026-02-13")),
            .init(start: try day("2026-02-23"), end: try day("2026-03-27")),
        ])
        #expect(dates.terms(urn: "123456", laCode: "925") == [.init(start: try day("2026-01-07"), end: try day("2026-02-13"))])
    }

    @Test func headerOnlyIsAnEmptyCalendar() throws {
        let dates = try TermDates.parseCSV("la_code,urn,term_start,term_end\n", fileName: "t.csv")
        #expect(dates.byLA.isEmpty && dates.byURN.isEmpty)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let rows: String
        let line: Int
        let column: String?
        let says: String
        var testDescription: String { "line \(line) \(column ?? "-"): \(says)" }
    }

    static let header = "la_code,urn,term_start,term_end\n"
    static let good = "925,,2026-01-05,2026-02-13\n"

    static let bad: [Bad] = [
        .init(rows: header + good + "925,,2026-03-27,2026-02-23\n", line: 3, column: "term_end",
              says: "is before term_start"),
        .init(rows: header + "925,,2026-02-30,2026-03-27\n", line: 2, column: "term_start", says: "is not a YYYY-MM-DD date"),
        .init(rows: header + good + good.replacingOccurrences(of: "2026-02-13", with: "13/02/2026"), line: 3,
              column: "term_end", says: "not a YYYY-MM-DD date"),
        .init(rows: header + "92,,2026-01-05,2026-02-13\n", line: 2, column: "la_code", says: "is not a 3-digit LA code"),
        .init(rows: header + "9250,,2026-01-05,2026-02-13\n", line: 2, column: "la_code", says: "3-digit"),
        .init(rows: header + ",,2026-01-05,2026-02-13\n", line: 2, column: "la_code", says: "3-digit"),
        .init(rows: header + "92a,,2026-01-05,2026-02-13\n", line: 2, column: "la_code", says: "3-digit"),
        .init(rows: header + "925,12345,2026-01-05,2026-02-13\n", line: 2, column: "urn", says: "is not a 6-digit URN"),
        .init(rows: header + "925,1399000,2026-01-05,2026-02-13\n", line: 2, column: "urn", says: "6-digit"),
        .init(rows: header + "925,13990x,2026-01-05,2026-02-13\n", line: 2, column: "urn", says: "6-digit"),
        .init(rows: "la_code,urn,term_start\n925,,2026-01-05\n", line: 1, column: "term_end", says: "missing"),
        .init(rows: "la_code,urn,term_start,term-end\n", line: 1, column: "term_end",
              says: #"column missing from the header (the header has "term-end": a typo?)"#),
        .init(rows: "la_code,urn,term_start,term_end,urn\n", line: 1, column: "urn", says: "twice"),
        .init(rows: header + good + "925,,2026-02-23\n", line: 3, column: nil, says: "3 fields, the header has 4"),
        .init(rows: header + good + "925,,2026-02-13,2026-03-27\n", line: 3, column: "term_start", says: "overlaps the term on line 2 of the same calendar"),
        .init(rows: header + "925,,2026-02-13,2026-03-27\n" + good, line: 3, column: "term_end", says: "overlaps the term on line 2"),
        .init(rows: header + good + "925,,2026-09-02,2026-10-23\n", line: 3, column: "term_start", says: "missing year"),
        .init(rows: header + "925,139900,2026-01-05,2026-02-13\n888,139900,2026-02-23,2026-03-27\n", line: 3,
              column: "la_code", says: "differs from this URN's LA code on line 2"),
        .init(rows: "la_code,urn,note,term_start,term_end,note\n", line: 1, column: nil, says: "column 6 has the name of an earlier column"),
        .init(rows: "", line: 1, column: nil, says: "no header row"),
        .init(rows: header + "\n\n925,\"139900,2026-01-05,2026-02-13\n", line: 4, column: nil, says: "never closed"),
    ]

    @Test(arguments: bad)
    func rejects(_ c: Bad) {
        let error = #expect(throws: TermDatesError.self) {
            try TermDates.parseCSV(c.rows, fileName: "term-dates.csv")
        }
        #expect(error?.line == c.line)
        #expect(error?.column == c.column)
        #expect(error?.fileName == "term-dates.csv")
        #expect(error?.reason.contains(c.says) == true, "\(String(describing: error))")
    }

    /// A refused value is never quoted back: a line break in it would print a second line that
    /// looks like the program's own, an escape sequence would reach the terminal.
    @Test(arguments: [
        ("925,,2026-11-02,\"2026-12-18\nencompass: all good\"\n", "term_end"),
        ("925,,\"2026-11-02\u{1B}[31m\",2026-12-18\n", "term_start"),
        ("\"9\n25\",,2026-11-02,2026-12-18\n", "la_code"),
        ("925,\"1\u{1B}]0;x\u{7}\",2026-11-02,2026-12-18\n", "urn"),
    ])
    func refusedValueIsNotQuotedBack(_ row: String, _ column: String) {
        let error = #expect(throws: TermDatesError.self) {
            try TermDates.parseCSV(Self.header + row, fileName: "term-dates.csv")
        }
        let text = error?.description ?? ""
        #expect(error?.column == column)
        #expect(!text.contains("\n") && !text.contains("\u{1B}") && !text.contains("all good") && !text.contains("\""), "\(text)")
    }

    @Test func errorTextNamesFileLineAndColumn() {
        let error = #expect(throws: TermDatesError.self) {
            try TermDates.parseCSV(Self.header + "925,,2026-03-27,2026-02-23\n", fileName: "term-dates.csv")
        }
        #expect(error?.description == "term-dates.csv:2: term_end: is before term_start")
    }

    /// A refused row's values are not quoted back even when well formed (a date typed in the wrong
    /// column, a URN, an LA code): the line and column find them, and one rule holds for every value.
    @Test(arguments: [
        Self.header + "925,,2026-03-27,2026-02-23\n",
        Self.header + Self.good + "925,,2026-02-13,2026-03-27\n",
        Self.header + "925,139900,2026-02-13,2026-03-27\n925,139900,2026-01-05,2026-02-14\n",
        Self.header + Self.good + "925,,2026-09-02,2026-10-23\n",
        Self.header + "925,139900,2026-01-05,2026-02-13\n888,139900,2026-02-23,2026-03-27\n",
        "la_code,urn,term_start,term_end,zzz\u{1B}[31m,zzz\u{1B}[31m\n",
    ])
    func aRefusedRowsValuesAreNotQuotedBack(_ text: String) {
        let error = #expect(throws: TermDatesError.self) {
            try TermDates.parseCSV(text, fileName: "term-dates.csv")
        }
        let said = error?.description ?? ""
        for value in ["2026-", "925", "888", "139900", "\u{1B}", "zzz"] {
            #expect(!said.dropFirst("term-dates.csv:".count).contains(value), "\(said)")
        }
    }

    @Test func gapOfExactlyTheLongestIsAllowed() throws {
        let end = try day("2026-02-13")
        let next = end.adding(days: TermDates.longestGapDays + 1)
        let text = Self.header + Self.good + "925,,\(next),\(next.adding(days: 4))\n"
        #expect(try TermDates.parseCSV(text, fileName: "t.csv").terms(urn: nil, laCode: "925")?.count == 2)
        let tooLate = next.adding(days: 1)
        #expect(throws: TermDatesError.self) {
            try TermDates.parseCSV(Self.header + Self.good + "925,,\(tooLate),\(tooLate.adding(days: 4))\n", fileName: "t.csv")
        }
    }
}
