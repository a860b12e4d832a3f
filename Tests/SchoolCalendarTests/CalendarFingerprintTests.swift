import CivilTime
import Foundation
import SchoolCalendar
import Testing

/// The store works the waiting alerts' deadlines out again only when the calendar's fingerprint
/// changes: so every input of a deadline must change it, and nothing else may.
struct CalendarFingerprintTests {
    func term(_ start: String, _ end: String) throws -> TermDates.Term {
        TermDates.Term(start: try day(start), end: try day(end))
    }

    func calendar(autumn: String = "2026-09-01", holidays: [String] = ["2026-12-25", "2026-12-28"], start: TimeOfDay = .nine,
                  notice: Int = 30, own: [String: TimeOfDay] = [:], reversed: Bool = false) throws -> SchoolCalendar {
        var terms = [try term(autumn, "2026-10-23"), try term("2026-11-02", "2026-12-18")]
        var days = try holidays.map(day)
        if reversed { terms.reverse(); days.reverse() }
        return SchoolCalendar(bankHolidays: BankHolidays(dates: Set(days)),
                              termDates: TermDates(byLA: ["202": terms], byURN: ["100001": terms]),
                              schoolDayStart: start, minimumNoticeMinutes: notice, schoolDayStartByURN: own)
    }

    @Test func theSameCalendarListedInAnotherOrderHasTheSameFingerprint() throws {
        #expect(try calendar().fingerprint == calendar(reversed: true).fingerprint)
        #expect(try calendar().fingerprint.count == 32)
    }

    @Test func everyInputOfADeadlineChangesIt() throws {
        let base = try calendar().fingerprint
        let changed = [
            try calendar(autumn: "2026-09-02"),
            try calendar(holidays: ["2026-12-25"]),
            try calendar(start: TimeOfDay(hour: 8, minute: 45)!),
            try calendar(notice: 45),
            try calendar(own: ["100001": TimeOfDay(hour: 8, minute: 30)!]),
        ].map(\.fingerprint)
        for (i, f) in changed.enumerated() { #expect(f != base, "input \(i)") }
        #expect(Set(changed).count == changed.count)
    }
}
