import CivilTime
import Foundation

/// School days and the alert deadline (SPEC §6).
///
/// A school day is a Monday to Friday that is not an England-and-Wales bank holiday and, where the
/// school's term dates are known, falls inside a term. A school's term dates are "known" only
/// between its first term's start and its last term's end: outside that span (a term-dates file
/// not yet updated for next year, a summer after the last listed term) every non-holiday weekday
/// counts, so an alert is sent early rather than held back until a term nobody has entered.
public struct SchoolCalendar: Sendable {
    public let bankHolidays: BankHolidays
    public let termDates: TermDates
    public let zone: Zone
    public let schoolDayStart: TimeOfDay
    public let minimumNoticeMinutes: Int
    public let schoolDayStartByURN: [String: TimeOfDay]

    /// How far `deadline` looks for a school day before giving up on the calendar (see there).
    static let searchDays = 400

    /// A negative `minimumNoticeMinutes` is treated as 0: an alert is never due before the incident.
    public init(bankHolidays: BankHolidays, termDates: TermDates, zone: Zone = .london,
                schoolDayStart: TimeOfDay = .nine, minimumNoticeMinutes: Int = 30,
                schoolDayStartByURN: [String: TimeOfDay] = [:]) {
        self.bankHolidays = bankHolidays
        self.termDates = termDates
        self.zone = zone
        self.schoolDayStart = schoolDayStart
        self.minimumNoticeMinutes = max(0, minimumNoticeMinutes)
        self.schoolDayStartByURN = schoolDayStartByURN
    }

    /// The school's own start time, else the default.
    public func dayStart(urn: String?) -> TimeOfDay {
        urn.flatMap { schoolDayStartByURN[$0] } ?? schoolDayStart
    }

    public func isSchoolDay(_ d: LocalDate, urn: String?, laCode: String?) -> Bool {
        isSchoolDay(d, terms: termDates.calendar(urn: urn, laCode: laCode))
    }

    /// The start of the first school day that begins at least `minimumNoticeMinutes` after
    /// `reportedAt` (inclusive: exactly the notice is enough), at the school's day start in `zone`.
    ///
    /// If no school day is found within 400 days (only possible when the bank-holiday list covers
    /// more than a year of weekdays, i.e. a broken list), the next Monday to Friday is used, so a
    /// deadline always exists and an alert is never lost.
    public func deadline(reportedAt: Date, urn: String?, laCode: String?) -> Date {
        let terms = termDates.calendar(urn: urn, laCode: laCode)
        let start = dayStart(urn: urn)
        let earliest = reportedAt.addingTimeInterval(TimeInterval(minimumNoticeMinutes * 60))
        let first = zone.localDate(of: reportedAt)
        for offset in 0..<Self.searchDays {
            let day = first.adding(days: offset)
            guard isSchoolDay(day, terms: terms) else { continue }
            let begins = zone.instant(on: day, hour: start.hour, minute: start.minute)
            if begins >= earliest { return begins }
        }
        var day = first
        while true {
            if !day.isWeekend {
                let begins = zone.instant(on: day, hour: start.hour, minute: start.minute)
                if begins >= earliest { return begins }
            }
            day = day.adding(days: 1)
        }
    }

    private func isSchoolDay(_ d: LocalDate, terms: TermCalendar?) -> Bool {
        guard !d.isWeekend, !bankHolidays.contains(d) else { return false }
        return terms?.allowsSchool(on: d) ?? true
    }
}
