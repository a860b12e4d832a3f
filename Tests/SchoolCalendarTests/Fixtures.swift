import CivilTime
import Foundation
import SchoolCalendar
import Testing

/// The repository's real Config files, found from this source file (symlinks resolved, so it also
/// works from a package that links the test directory in).
enum RealConfig {
    static let directory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Config")

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    static func bankHolidays() throws -> BankHolidays {
        try BankHolidays.parseGovUK(data("bank-holidays.json"))
    }

    static func termDates() throws -> TermDates {
        try TermDates.parseCSV(String(decoding: data("term-dates.csv"), as: UTF8.self), fileName: "term-dates.csv")
    }

    static func calendar(schoolDayStartByURN: [String: TimeOfDay] = [:]) throws -> SchoolCalendar {
        SchoolCalendar(bankHolidays: try bankHolidays(), termDates: try termDates(),
                       schoolDayStartByURN: schoolDayStartByURN)
    }
}

/// An instant from ISO 8601 text with any offset (`2026-03-28T22:00:00Z`, `...+05:30`).
func instant(_ text: String) throws -> Date {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return try #require(f.date(from: text), "bad ISO instant in test: \(text)")
}

func day(_ text: String) throws -> LocalDate {
    try #require(LocalDate(iso: text), "bad date in test: \(text)")
}

/// One deadline expectation: reported at (any offset) -> deadline as London ISO text.
struct DeadlineCase: Sendable, CustomTestStringConvertible {
    let reportedAt: String
    let urn: String?
    let la: String?
    let expected: String
    let why: String

    init(_ reportedAt: String, urn: String? = nil, la: String? = nil, _ expected: String, _ why: String) {
        self.reportedAt = reportedAt
        self.urn = urn
        self.la = la
        self.expected = expected
        self.why = why
    }

    var testDescription: String {
        "\(why): \(reportedAt) urn=\(urn ?? "-") la=\(la ?? "-") -> \(expected)"
    }

    func check(_ calendar: SchoolCalendar) throws {
        let d = calendar.deadline(reportedAt: try instant(reportedAt), urn: urn, laCode: la)
        #expect(calendar.zone.iso8601(d) == expected, "\(why)")
    }
}
