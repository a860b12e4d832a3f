import Foundation

/// A calendar date with no time of day and no zone: a date of birth, a bank holiday, a term day.
/// Arithmetic is done on a day count, so it needs no Calendar and no locale.
public struct LocalDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Nil for a date that does not exist (2026-02-30).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              day >= 1, day <= LocalDate.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The years a person may enter, in an option, a form field, a query or the API: a date or an
    /// instant outside them is refused as not a date. The calendar works on years 1-9999; the margin
    /// keeps a month's end, twelve months back, a day after or an offset from an entered date inside
    /// them, so nothing derived from what a person typed reaches a date that does not exist.
    public static let enteredYears: ClosedRange<Int> = 1900...9998

    /// `YYYY-MM-DD` as a person enters it: `init(iso:)` with a year in `enteredYears`. The one reader
    /// of dates typed on the command line, in the web app and sent to the API.
    public init?(entered text: some StringProtocol) {
        guard let date = LocalDate(iso: text), LocalDate.enteredYears.contains(date.year) else { return nil }
        self = date
    }

    /// Parses exactly `YYYY-MM-DD`.
    public init?(iso text: some StringProtocol) {
        let u = Array(text.utf8)
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-") else { return nil }
        func digits(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                let c = u[i]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let y = digits(0..<4), let m = digits(5..<7), let d = digits(8..<10) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01 (negative before). Howard Hinnant's days_from_civil.
    public init(daysSinceEpoch z0: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        month = m
        day = d
    }

    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public func adding(days: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// ISO weekday: 1 Monday ... 7 Sunday.
    public var isoWeekday: Int {
        let d = daysSinceEpoch
        // 1970-01-01 was a Thursday (4).
        let w = ((d % 7) + 7 + 3) % 7
        return w + 1
    }

    public var isWeekend: Bool { isoWeekday >= 6 }

    /// How long `description` is, for every date (years 1-9999).
    public static let textLength = 10

    /// `YYYY-MM-DD`, written byte by byte: ingest formats a date for every child row.
    public var description: String {
        let digits: (Int) -> UInt8 = { UInt8(48 + $0) }
        let bytes: [UInt8] = [
            digits(year / 1000 % 10), digits(year / 100 % 10), digits(year / 10 % 10), digits(year % 10), 45,
            digits(month / 10), digits(month % 10), 45, digits(day / 10), digits(day % 10),
        ]
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    /// How many days `month` has in `year` (February 29 in a leap year).
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Codable as the ISO text, so JSON and stored values read as dates.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let d = LocalDate(iso: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a YYYY-MM-DD date")
        }
        self = d
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Wall-clock conversions in one time zone (Europe/London by default), using Foundation's tz data.
public struct Zone: Sendable {
    public let timeZone: TimeZone
    private let calendar: Calendar

    public init(_ timeZone: TimeZone) {
        self.timeZone = timeZone
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        calendar = cal
    }

    public static let london = Zone(TimeZone(identifier: "Europe/London")!)

    /// The local calendar date of an instant.
    public func localDate(of instant: Date) -> LocalDate {
        let c = calendar.dateComponents([.year, .month, .day], from: instant)
        if let year = c.year, let month = c.month, let day = c.day, let date = LocalDate(year: year, month: month, day: day) {
            return date
        }
        // Outside years 1-9999 (entered instants are kept well inside, `LocalDate.enteredYears`):
        // the day count never fails, where a crash would stop the server.
        return LocalDate(daysSinceEpoch: dayCount(of: instant))
    }

    /// Local days since 1970-01-01 at `instant`.
    private func dayCount(of instant: Date) -> Int {
        let seconds = instant.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: instant))
        return Int((seconds / 86_400).rounded(.down))
    }

    /// The instant at a local wall-clock time on a date. In the spring-forward gap the
    /// time is moved forward; in the autumn overlap the first (BST) occurrence is taken.
    public func instant(on date: LocalDate, hour: Int = 0, minute: Int = 0) -> Date {
        var c = DateComponents()
        c.year = date.year
        c.month = date.month
        c.day = date.day
        c.hour = hour
        c.minute = minute
        // The calendar answers for every date; the day count is the same instant taken as UTC.
        return calendar.date(from: c) ?? Date(timeIntervalSince1970: Double(date.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60))
    }

    /// The name of the zone's offset at an instant, written beside a time of day people read:
    /// `GMT` or `BST` in Europe/London, `UTC+02:00` (the offset) in any other zone. Without it the
    /// hour the clocks go back reads twice the same (01:30 BST, then 01:30 GMT an hour later).
    public func label(at instant: Date) -> String {
        let offset = timeZone.secondsFromGMT(for: instant)
        if timeZone.identifier == "Europe/London", offset == 0 || offset == 3600 { return offset == 0 ? "GMT" : "BST" }
        let iso = iso8601(instant)
        return "UTC" + iso[iso.index(iso.endIndex, offsetBy: -6)...]
    }

    /// The ISO 8601 text of an instant with this zone's offset, e.g. `2026-03-30T09:00:00+01:00`.
    public func iso8601(_ instant: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: instant)
        let offset = timeZone.secondsFromGMT(for: instant)
        let sign = offset < 0 ? "-" : "+"
        let a = abs(offset)
        func p(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let date = localDate(of: instant)
        return "\(date)T\(p(c.hour ?? 0)):\(p(c.minute ?? 0)):\(p(c.second ?? 0))\(sign)\(p(a / 3600)):\(p(a % 3600 / 60))"
    }
}

/// The local dates of many instants one after another, as `Zone.localDate(of:)` gives them, asking
/// the calendar again only when an instant leaves the day of the one before: the review queue's
/// rows run newest first, so most share their day with the row above (a calendar call each was a
/// twelfth of `escalations` at ten million rows).
public struct LocalDays {
    public let zone: Zone
    private var day: (date: LocalDate, start: Date, end: Date)?

    public init(zone: Zone) { self.zone = zone }

    public mutating func date(of instant: Date) -> LocalDate {
        if let day, instant >= day.start, instant < day.end { return day.date }
        let date = zone.localDate(of: instant)
        // The day's first instant and the next day's, as the calendar says (23 or 25 hours apart
        // when the clocks change).
        day = (date, zone.instant(on: date), zone.instant(on: date.adding(days: 1)))
        return date
    }
}
