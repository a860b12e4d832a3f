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

extension SchoolCalendar {
    /// Everything a deadline is worked out from, as one line of 32 hex characters: the term dates,
    /// the bank holidays, the zone, the school-day starts and the minimum notice, each in a fixed
    /// order, so the same calendar always gives the same text whatever order its files list it in.
    /// The store keeps the one its waiting alerts' deadlines were last worked out from, and a
    /// writing command works them out again only when this differs (SPEC §6, §7).
    public var fingerprint: String {
        var text = "zone \(zone.timeZone.identifier)\nstart \(schoolDayStart)\nnotice \(minimumNoticeMinutes)\n"
        for (urn, start) in schoolDayStartByURN.sorted(by: { $0.key < $1.key }) { text += "start \(urn) \(start)\n" }
        for day in bankHolidays.dates.sorted() { text += "holiday \(day)\n" }
        for (kind, calendars) in [("la", termDates.byLA), ("urn", termDates.byURN)] {
            for (key, terms) in calendars.sorted(by: { $0.key < $1.key }) {
                text += "\(kind) \(key) " + terms.map(\.description).joined(separator: " ") + "\n"
            }
        }
        return Self.digest(text)
    }

    /// Two 64-bit FNV-1a lanes (different offsets, the second over the bytes reversed) as hex: not a
    /// guard against a forger, only a short name for the text (the hub writes its own calendar).
    static func digest(_ text: String) -> String {
        let bytes = Array(text.utf8)
        func fnv(_ seed: UInt64, _ bytes: some Sequence<UInt8>) -> UInt64 {
            bytes.reduce(seed) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
        }
        let a = fnv(0xcbf2_9ce4_8422_2325, bytes), b = fnv(0x84222325_cbf29ce4, bytes.reversed())
        return [a, b].map { String($0, radix: 16).leftPadded(to: 16) }.joined()
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
