import CivilTime
import Foundation
import SchoolCalendar
import Testing

/// Deadlines against the real Config/bank-holidays.json and Config/term-dates.csv.
@Suite struct DeadlineRealConfigTests {
    static let weekends: [DeadlineCase] = [
        .init("2026-03-06T19:00:00Z", "2026-03-09T09:00:00+00:00", "Friday evening -> Monday"),
        .init("2026-03-06T19:00:00Z", la: "925", "2026-03-09T09:00:00+00:00", "Friday evening in term -> Monday"),
        .init("2026-03-07T10:00:00Z", "2026-03-09T09:00:00+00:00", "Saturday -> Monday"),
        .init("2026-03-08T23:59:00Z", "2026-03-09T09:00:00+00:00", "Sunday just before midnight -> Monday"),
        .init("2026-03-06T08:00:00Z", "2026-03-06T09:00:00+00:00", "Friday early -> same Friday"),
    ]

    static let bankHolidays: [DeadlineCase] = [
        .init("2025-12-31T17:00:00Z", "2026-01-02T09:00:00+00:00", "New Year's Day"),
        .init("2025-12-31T17:00:00Z", la: "925", "2026-01-05T09:00:00+00:00", "New Year, LA 925 back Monday"),
        .init("2025-12-31T17:00:00Z", la: "888", "2026-01-06T09:00:00+00:00", "New Year, LA 888 back Tuesday"),
        .init("2025-04-17T18:00:00+01:00", "2025-04-22T09:00:00+01:00", "Good Friday and Easter Monday 2025"),
        .init("2026-04-02T12:00:00+01:00", "2026-04-07T09:00:00+01:00", "Good Friday and Easter Monday 2026"),
        .init("2026-04-02T12:00:00+01:00", la: "888", "2026-04-20T09:00:00+01:00", "Easter 2026, LA 888 holiday"),
        .init("2027-03-25T18:00:00Z", "2027-03-30T09:00:00+01:00", "Easter 2027 with the clocks going forward"),
        .init("2026-05-01T16:00:00+01:00", "2026-05-05T09:00:00+01:00", "Early May bank holiday"),
        .init("2026-05-01T16:00:00+01:00", la: "925", "2026-05-05T09:00:00+01:00", "Early May bank holiday in term"),
        .init("2026-05-22T16:00:00+01:00", "2026-05-26T09:00:00+01:00", "Spring bank holiday"),
        .init("2026-05-22T16:00:00+01:00", la: "925", "2026-06-01T09:00:00+01:00", "Spring bank holiday and May half-term"),
        .init("2026-08-28T16:00:00+01:00", "2026-09-01T09:00:00+01:00", "Summer bank holiday"),
        .init("2026-08-28T16:00:00+01:00", la: "925", "2026-09-02T09:00:00+01:00", "Summer: LA 925 starts Wednesday"),
        .init("2026-08-28T16:00:00+01:00", la: "888", "2026-09-03T09:00:00+01:00", "Summer: LA 888 starts Thursday"),
        .init("2025-12-24T12:00:00Z", "2025-12-29T09:00:00+00:00", "Christmas and Boxing Day 2025"),
        .init("2026-12-24T12:00:00Z", "2026-12-29T09:00:00+00:00", "Christmas Friday, Boxing Day substitute Monday"),
        .init("2026-12-28T08:00:00Z", "2026-12-29T09:00:00+00:00", "on the substitute day itself"),
        .init("2027-12-24T12:00:00Z", "2027-12-29T09:00:00+00:00", "both Christmas 2027 substitute days"),
        .init("2025-08-22T20:00:00+01:00", "2025-08-26T09:00:00+01:00", "Summer bank holiday 2025"),
        .init("2025-08-22T20:00:00+01:00", la: "925", "2025-08-26T09:00:00+01:00", "before the first known term: weekdays"),
    ]

    static let minimumNotice: [DeadlineCase] = [
        .init("2026-03-10T08:30:00Z", "2026-03-10T09:00:00+00:00", "exactly 30 minutes is enough"),
        .init("2026-03-10T08:29:59Z", "2026-03-10T09:00:00+00:00", "just over 30 minutes"),
        .init("2026-03-10T08:30:01Z", "2026-03-11T09:00:00+00:00", "one second short"),
        .init("2026-03-10T08:31:00Z", "2026-03-11T09:00:00+00:00", "one minute short"),
        .init("2026-03-10T09:00:00Z", "2026-03-11T09:00:00+00:00", "at the start of the day"),
        .init("2026-03-10T00:00:00Z", "2026-03-10T09:00:00+00:00", "midnight"),
        .init("2026-03-09T23:59:00Z", "2026-03-10T09:00:00+00:00", "the evening before"),
        .init("2026-06-09T07:30:00Z", "2026-06-09T09:00:00+01:00", "summer time: 08:30 local is enough"),
        .init("2026-06-09T07:31:00Z", "2026-06-10T09:00:00+01:00", "summer time: 08:31 local is not"),
        .init("2026-03-13T08:31:00Z", "2026-03-16T09:00:00+00:00", "Friday too late -> Monday"),
        .init("2025-12-19T08:31:00Z", la: "925", "2026-01-05T09:00:00+00:00", "last day of term too late"),
    ]

    static let terms: [DeadlineCase] = [
        .init("2025-10-24T16:00:00+01:00", la: "925", "2025-11-03T09:00:00+00:00", "October half-term"),
        .init("2025-10-24T16:00:00+01:00", "2025-10-27T09:00:00+00:00", "October half-term unknown without a calendar"),
        .init("2026-02-13T16:00:00Z", la: "925", "2026-02-23T09:00:00+00:00", "February half-term"),
        .init("2026-02-13T16:00:00Z", "2026-02-16T09:00:00+00:00", "February without a calendar"),
        .init("2026-02-18T10:00:00Z", la: "925", "2026-02-23T09:00:00+00:00", "incident during half-term"),
        .init("2026-03-27T16:00:00Z", la: "925", "2026-04-13T09:00:00+01:00", "Easter holiday LA 925"),
        .init("2026-03-27T16:00:00Z", la: "888", "2026-03-30T09:00:00+01:00", "LA 888 still in term"),
        .init("2026-07-22T15:00:00+01:00", la: "925", "2026-09-02T09:00:00+01:00", "summer holiday LA 925"),
        .init("2026-07-21T15:00:00+01:00", la: "888", "2026-09-03T09:00:00+01:00", "summer holiday LA 888"),
        .init("2026-09-01T07:00:00+01:00", la: "925", "2026-09-02T09:00:00+01:00", "the day before term starts"),
        .init("2026-09-01T07:00:00+01:00", "2026-09-01T09:00:00+01:00", "same day without a calendar"),
        .init("2027-07-21T15:00:00+01:00", la: "925", "2027-07-22T09:00:00+01:00", "after the last known term: weekdays"),
        .init("2027-08-27T12:00:00+01:00", la: "925", "2027-08-31T09:00:00+01:00", "after the last known term, bank holidays still count"),
        .init("2025-12-19T16:00:00Z", la: "925", "2026-01-05T09:00:00+00:00", "Christmas holiday"),
    ]

    static let perSchool: [DeadlineCase] = [
        .init("2025-10-17T16:00:00+01:00", urn: "139900", la: "925", "2025-11-03T09:00:00+00:00", "own two-week half-term"),
        .init("2025-10-17T16:00:00+01:00", la: "925", "2025-10-20T09:00:00+01:00", "its LA is still in term"),
        .init("2025-10-17T16:00:00+01:00", urn: "139900", "2025-11-03T09:00:00+00:00", "own calendar without an LA code"),
        .init("2025-10-17T16:00:00+01:00", urn: "139900", la: "888", "2025-11-03T09:00:00+00:00", "own calendar whatever LA is given"),
        .init("2026-03-20T16:00:00Z", urn: "139900", la: "925", "2026-04-15T09:00:00+01:00", "own long Easter holiday"),
        .init("2026-03-20T16:00:00Z", la: "925", "2026-03-23T09:00:00+00:00", "LA 925 Easter is later"),
        .init("2026-07-03T16:00:00+01:00", urn: "139900", la: "925", "2026-09-07T09:00:00+01:00", "own summer from early July"),
        .init("2025-10-17T16:00:00+01:00", urn: "100000", la: "925", "2025-10-20T09:00:00+01:00", "school without own dates uses its LA"),
        .init("2025-10-24T16:00:00+01:00", urn: "100000", "2025-10-27T09:00:00+00:00", "unknown school, no LA: weekdays"),
        .init("2026-02-13T16:00:00Z", la: "999", "2026-02-16T09:00:00+00:00", "LA with no calendar: weekdays"),
    ]

    static let clockChanges: [DeadlineCase] = [
        .init("2026-03-28T22:00:00Z", "2026-03-30T09:00:00+01:00", "Saturday night before spring forward"),
        .init("2026-03-28T22:00:00Z", la: "888", "2026-03-30T09:00:00+01:00", "spring forward, in term"),
        .init("2026-03-29T00:30:00Z", "2026-03-30T09:00:00+01:00", "just before the clocks go forward"),
        .init("2026-03-29T01:30:00Z", "2026-03-30T09:00:00+01:00", "just after the clocks go forward"),
        .init("2026-03-29T23:00:00Z", "2026-03-30T09:00:00+01:00", "Monday 00:00 BST"),
        .init("2026-03-30T07:30:00Z", "2026-03-30T09:00:00+01:00", "Monday 08:30 BST is enough"),
        .init("2026-03-30T07:31:00Z", "2026-03-31T09:00:00+01:00", "Monday 08:31 BST is not"),
        .init("2026-03-27T08:30:00Z", "2026-03-27T09:00:00+00:00", "Friday before, still GMT"),
        .init("2026-10-24T22:00:00Z", "2026-10-26T09:00:00+00:00", "Saturday night before fall back"),
        .init("2026-10-24T22:00:00Z", la: "925", "2026-11-02T09:00:00+00:00", "fall back in half-term"),
        .init("2026-10-25T00:30:00Z", "2026-10-26T09:00:00+00:00", "01:30 BST, first time round"),
        .init("2026-10-25T01:30:00Z", "2026-10-26T09:00:00+00:00", "01:30 GMT, second time round"),
        .init("2026-10-23T07:30:00Z", "2026-10-23T09:00:00+01:00", "Friday 08:30 BST is enough"),
        .init("2026-10-23T08:00:00Z", "2026-10-26T09:00:00+00:00", "Friday 09:00 BST is too late"),
        .init("2026-10-26T08:30:00Z", "2026-10-26T09:00:00+00:00", "Monday 08:30 GMT is enough"),
        .init("2026-10-26T08:31:00Z", "2026-10-27T09:00:00+00:00", "Monday 08:31 GMT is not"),
    ]

    static let otherOffsets: [DeadlineCase] = [
        .init("2026-03-10T09:30:00+01:00", "2026-03-10T09:00:00+00:00", "+01:00 in winter is 08:30 London"),
        .init("2026-03-10T03:30:00-05:00", "2026-03-10T09:00:00+00:00", "-05:00 is 08:30 London"),
        .init("2026-03-10T14:00:00+05:30", "2026-03-10T09:00:00+00:00", "+05:30 is 08:30 London"),
        .init("2026-03-10T10:31:00+02:00", "2026-03-11T09:00:00+00:00", "+02:00 is 08:31 London"),
        .init("2026-03-09T23:30:00-10:00", "2026-03-11T09:00:00+00:00", "Monday in Hawaii is Tuesday 09:30 London"),
        .init("2026-03-13T23:30:00-05:00", "2026-03-16T09:00:00+00:00", "Friday in New York is Saturday in London"),
        .init("2026-06-09T08:30:00+01:00", "2026-06-09T09:00:00+01:00", "BST written out"),
        .init("2026-06-09T08:30:00Z", "2026-06-10T09:00:00+01:00", "08:30Z in summer is 09:30 London"),
        .init("2026-06-09T00:30:00-07:00", "2026-06-09T09:00:00+01:00", "-07:00 is 08:30 BST"),
    ]

    static let all = weekends + bankHolidays + minimumNotice + terms + perSchool + clockChanges + otherOffsets

    @Test(arguments: all)
    func deadline(_ c: DeadlineCase) throws {
        try c.check(try RealConfig.calendar())
    }

    static let startOverrides: [DeadlineCase] = [
        .init("2026-03-10T08:10:00Z", urn: "100001", "2026-03-10T08:40:00+00:00", "08:40 school, 30 minutes before"),
        .init("2026-03-10T08:11:00Z", urn: "100001", "2026-03-11T08:40:00+00:00", "08:40 school, 29 minutes before"),
        .init("2026-03-10T08:11:00Z", "2026-03-10T09:00:00+00:00", "no URN: default start"),
        .init("2026-03-10T08:11:00Z", urn: "100002", la: "925", "2026-03-10T09:00:00+00:00", "other school: default start"),
        .init("2026-06-09T06:45:00Z", urn: "139900", la: "925", "2026-06-09T08:15:00+01:00", "own calendar and own start, BST"),
        .init("2026-06-09T06:46:00Z", urn: "139900", la: "925", "2026-06-10T08:15:00+01:00", "own start, too late"),
        .init("2026-03-20T16:00:00Z", urn: "139900", la: "925", "2026-04-15T08:15:00+01:00", "own start after own holiday"),
        .init("2026-03-28T22:00:00Z", urn: "100001", "2026-03-30T08:40:00+01:00", "own start across spring forward"),
    ]

    @Test(arguments: startOverrides)
    func deadlineWithSchoolStart(_ c: DeadlineCase) throws {
        let calendar = try RealConfig.calendar(schoolDayStartByURN: [
            "100001": try #require(TimeOfDay(hour: 8, minute: 40)),
            "139900": try TimeOfDay.parse("08:15"),
        ])
        try c.check(calendar)
    }
}
