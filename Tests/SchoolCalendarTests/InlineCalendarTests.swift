import CivilTime
import Foundation
import SchoolCalendar
import Testing

/// Small calendars written out in the test, so each rule is seen on its own.
@Suite struct InlineCalendarTests {
    /// LA 111: two one-week terms around a one-week holiday; a made-up bank holiday on Wed 21 Jan.
    static func calendar(start: TimeOfDay = .nine, notice: Int = 30) throws -> SchoolCalendar {
        let terms = TermDates(byLA: ["111": [
            .init(start: try day("2026-01-19"), end: try day("2026-01-23")),
            .init(start: try day("2026-01-05"), end: try day("2026-01-09")),
        ]], byURN: [:])
        return SchoolCalendar(bankHolidays: BankHolidays(dates: [try day("2026-01-21")]), termDates: terms,
                              schoolDayStart: start, minimumNoticeMinutes: notice)
    }

    static let days: [(String, String?, Bool, String)] = [
        ("2026-01-05", "111", true, "first day of a term"),
        ("2026-01-09", "111", true, "last day of a term (inclusive)"),
        ("2026-01-12", "111", false, "holiday week"),
        ("2026-01-16", "111", false, "last day of the holiday"),
        ("2026-01-12", nil, true, "the same weekday without a calendar"),
        ("2026-01-21", "111", false, "bank holiday in term"),
        ("2026-01-21", nil, false, "bank holiday without a calendar"),
        ("2026-01-10", nil, false, "Saturday"),
        ("2026-01-11", "111", false, "Sunday"),
        ("2026-01-02", "111", true, "weekday before the first known term"),
        ("2026-01-26", "111", true, "weekday after the last known term"),
        ("2026-01-31", "111", false, "weekend after the last known term"),
        ("2026-01-12", "222", true, "LA without a calendar"),
    ]

    @Test(arguments: days)
    func isSchoolDay(_ c: (String, String?, Bool, String)) throws {
        let cal = try Self.calendar()
        #expect(cal.isSchoolDay(try day(c.0), urn: nil, laCode: c.1) == c.2, "\(c.3)")
    }

    static let deadlines: [DeadlineCase] = [
        .init("2026-01-09T12:00:00Z", la: "111", "2026-01-19T09:00:00+00:00", "end of term -> next term"),
        .init("2026-01-09T12:00:00Z", "2026-01-12T09:00:00+00:00", "no calendar -> Monday"),
        .init("2026-01-20T12:00:00Z", la: "111", "2026-01-22T09:00:00+00:00", "skips the bank holiday"),
        .init("2026-01-23T12:00:00Z", la: "111", "2026-01-26T09:00:00+00:00", "after the last term: weekdays"),
        .init("2026-01-01T12:00:00Z", la: "111", "2026-01-02T09:00:00+00:00", "before the first term: weekdays"),
        .init("2026-01-14T08:00:00Z", la: "111", "2026-01-19T09:00:00+00:00", "incident in the holiday"),
    ]

    @Test(arguments: deadlines)
    func deadline(_ c: DeadlineCase) throws {
        try c.check(try Self.calendar())
    }

    static let notices: [(Int, String, String)] = [
        (60, "2026-01-06T08:00:00Z", "2026-01-06T09:00:00+00:00"),
        (60, "2026-01-06T08:01:00Z", "2026-01-07T09:00:00+00:00"),
        (0, "2026-01-06T09:00:00Z", "2026-01-06T09:00:00+00:00"),
        (0, "2026-01-06T09:00:01Z", "2026-01-07T09:00:00+00:00"),
        (-15, "2026-01-06T09:00:00Z", "2026-01-06T09:00:00+00:00"),
        (-15, "2026-01-06T08:50:00Z", "2026-01-06T09:00:00+00:00"),
        (-15, "2026-01-06T09:01:00Z", "2026-01-07T09:00:00+00:00"),
        (24 * 60, "2026-01-06T08:00:00Z", "2026-01-07T09:00:00+00:00"),
    ]

    @Test(arguments: notices)
    func minimumNotice(_ c: (Int, String, String)) throws {
        let cal = try Self.calendar(notice: c.0)
        #expect(cal.zone.iso8601(cal.deadline(reportedAt: try instant(c.1), urn: nil, laCode: "111")) == c.2)
    }

    @Test func defaultStartTime() throws {
        let cal = try Self.calendar(start: try TimeOfDay.parse("08:45"))
        let at = try instant("2026-01-06T08:15:00Z")
        #expect(cal.zone.iso8601(cal.deadline(reportedAt: at, urn: nil, laCode: "111")) == "2026-01-06T08:45:00+00:00")
        let late = try instant("2026-01-06T08:16:00Z")
        #expect(cal.zone.iso8601(cal.deadline(reportedAt: late, urn: nil, laCode: "111")) == "2026-01-07T08:45:00+00:00")
    }

    @Test func schoolCalendarReplacesItsLAs() throws {
        let la = [TermDates.Term(start: try day("2026-01-05"), end: try day("2026-01-30"))]
        let own = [TermDates.Term(start: try day("2026-01-05"), end: try day("2026-01-09")),
                   TermDates.Term(start: try day("2026-01-19"), end: try day("2026-01-30"))]
        let dates = TermDates(byLA: ["111": la], byURN: ["123456": own])
        #expect(dates.terms(urn: "123456", laCode: "111") == own)
        #expect(dates.terms(urn: "654321", laCode: "111") == la)
        #expect(dates.terms(urn: nil, laCode: "111") == la)
        #expect(dates.terms(urn: nil, laCode: nil) == nil)
        let cal = SchoolCalendar(bankHolidays: BankHolidays(dates: []), termDates: dates)
        #expect(!cal.isSchoolDay(try day("2026-01-13"), urn: "123456", laCode: "111"))
        #expect(cal.isSchoolDay(try day("2026-01-13"), urn: "654321", laCode: "111"))
        #expect(cal.isSchoolDay(try day("2026-01-13"), urn: nil, laCode: "111"))
    }

    @Test func termsAreSortedAndEmptyListsAreNoCalendar() throws {
        let a = TermDates.Term(start: try day("2026-04-13"), end: try day("2026-05-22"))
        let b = TermDates.Term(start: try day("2026-01-05"), end: try day("2026-02-13"))
        let dates = TermDates(byLA: ["111": [a, b], "222": []], byURN: ["123456": []])
        #expect(dates.terms(urn: nil, laCode: "111") == [b, a])
        #expect(dates.terms(urn: nil, laCode: "222") == nil)
        #expect(dates.terms(urn: "123456", laCode: "111") == [b, a])
    }

    /// A broken holiday list that covers every day for well over a year must not hang the deadline.
    @Test func brokenHolidayListStillGivesADeadline() throws {
        let first = try day("2026-01-01")
        let all = Set((0..<600).map { first.adding(days: $0) })
        let cal = SchoolCalendar(bankHolidays: BankHolidays(dates: all), termDates: .none)
        #expect(!cal.isSchoolDay(try day("2026-06-01"), urn: nil, laCode: nil))
        let d = cal.deadline(reportedAt: try instant("2026-01-01T12:00:00Z"), urn: nil, laCode: nil)
        #expect(cal.zone.iso8601(d) == "2026-01-02T09:00:00+00:00")
    }

    @Test func otherZone() throws {
        let utc = Zone(try #require(TimeZone(identifier: "UTC")))
        let cal = SchoolCalendar(bankHolidays: BankHolidays(dates: []), termDates: .none, zone: utc)
        let d = cal.deadline(reportedAt: try instant("2026-06-09T08:30:00Z"), urn: nil, laCode: nil)
        #expect(utc.iso8601(d) == "2026-06-09T09:00:00+00:00")
    }
}
