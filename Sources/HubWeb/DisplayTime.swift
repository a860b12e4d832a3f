import CivilTime
import Foundation

/// Dates and times as people in the hub read them, in the force's zone: `Fri 6 Mar 2026, 21:40 GMT`.
/// Every time of day carries the zone's name (`Zone.label`, the rule the school's page uses too):
/// on the night the clocks go back, 01:30 BST and 01:30 GMT are an hour apart (audit 20, F3).
struct DisplayTime {
    let zone: Zone

    private static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    func day(_ date: LocalDate) -> String {
        "\(Self.weekdays[date.isoWeekday - 1]) \(date.day) \(Self.months[date.month - 1]) \(date.year)"
    }

    func day(_ instant: Date) -> String { day(zone.localDate(of: instant)) }

    /// `21:40 GMT`.
    func clock(_ instant: Date) -> String {
        let iso = zone.iso8601(instant)
        let t = iso.index(iso.startIndex, offsetBy: 11)
        return String(iso[t..<iso.index(t, offsetBy: 5)]) + " " + zone.label(at: instant)
    }

    /// `21:40:05 GMT`, where a wait of seconds is told (web.md: "Wait until HH:MM:SS").
    func clockWithSeconds(_ instant: Date) -> String {
        let iso = zone.iso8601(instant)
        let t = iso.index(iso.startIndex, offsetBy: 11)
        return String(iso[t..<iso.index(t, offsetBy: 8)]) + " " + zone.label(at: instant)
    }

    func dayAndClock(_ instant: Date) -> String { "\(day(instant)), \(clock(instant))" }

    /// `Mar 2026`, for the chart's axis.
    func month(_ instant: Date) -> String {
        let d = zone.localDate(of: instant)
        return "\(Self.months[d.month - 1]) \(d.year)"
    }
}
