import CivilTime

/// Days and seconds since the epoch without Foundation's calendars, which are too slow for a million rows.
enum Timestamp {
    static func day(of seconds: Int) -> Int {
        seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    }

    /// Europe/London's offset: BST from 01:00 UTC on the last Sunday of March
    /// to 01:00 UTC on the last Sunday of October (the rule since 1996).
    static func londonOffset(at seconds: Int) -> Int {
        let year = LocalDate(daysSinceEpoch: day(of: seconds)).year
        let start = lastSunday(year: year, month: 3) * 86_400 + 3_600
        let end = lastSunday(year: year, month: 10) * 86_400 + 3_600
        return seconds >= start && seconds < end ? 3_600 : 0
    }

    private static func lastSunday(year: Int, month: Int) -> Int {
        let last = LocalDate(year: year, month: month, day: 31)!
        return last.daysSinceEpoch - last.isoWeekday % 7
    }
}

extension RowBuffer {
    /// `2026-03-06T21:40:00Z`, or with `london` the wall time and offset, `2026-07-01T22:15:00+01:00`.
    mutating func appendTimestamp(_ seconds: Int, london: Bool) {
        let offset = london ? Timestamp.londonOffset(at: seconds) : 0
        let local = seconds + offset
        let day = Timestamp.day(of: local)
        let secondOfDay = local - day * 86_400
        append(LocalDate(daysSinceEpoch: day))
        append(byte: UInt8(ascii: "T"))
        append(secondOfDay / 3_600, width: 2)
        append(byte: UInt8(ascii: ":"))
        append(secondOfDay % 3_600 / 60, width: 2)
        append(byte: UInt8(ascii: ":"))
        append(secondOfDay % 60, width: 2)
        if !london {
            append(byte: UInt8(ascii: "Z"))
        } else if offset == 0 {
            append("+00:00")
        } else {
            append("+01:00")
        }
    }
}
