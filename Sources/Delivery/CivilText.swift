import CivilTime
import Foundation

/// Dates and times as a person in an English school reads them. Written out by hand, not with a
/// DateFormatter, so the text does not depend on the machine's locale.
struct CivilText: Sendable {
    let zone: Zone

    private static let months = [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ]
    private static let weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    /// `14 February 2016`: no numeric form that a reader could take for month/day.
    static func date(_ date: LocalDate) -> String {
        "\(date.day) \(months[date.month - 1]) \(date.year)"
    }

    /// `Friday 6 March 2026 at 21:40 (GMT)` in the zone's wall-clock time.
    func instant(_ instant: Date) -> String {
        let iso = zone.iso8601(instant)  // 2026-03-06T21:40:00+00:00
        let chars = Array(iso)
        let day = zone.localDate(of: instant)
        let time = String(chars[11..<16])
        // The hub's pages name the zone by the same rule (`DisplayTime`).
        return "\(Self.weekdays[day.isoWeekday - 1]) \(Self.date(day)) at \(time) (\(zone.label(at: instant)))"
    }

    static func yesNo(_ value: Bool?) -> String {
        switch value {
        case true?: "Yes"
        case false?: "No"
        case nil: "Not known"
        }
    }
}
