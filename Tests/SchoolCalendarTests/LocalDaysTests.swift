import CivilTime
import Foundation
import Testing

/// `LocalDays` answers from the day before it when it can: it must give what the calendar gives for
/// every instant, across midnights and the clocks changing, in either direction.
@Suite struct LocalDaysTests {
    /// Instants every 20 minutes (and each side of every hour) through both of 2026's clock
    /// changes in London, and through Santiago's, whose clocks change at midnight; newest first as
    /// the queue reads them, then oldest first, then jumping about.
    @Test(arguments: ["Europe/London", "America/Santiago"])
    func everyInstantGetsTheCalendarsDate(zoneName: String) throws {
        let zone = Zone(try #require(TimeZone(identifier: zoneName)))
        var instants: [Date] = []
        for start in ["2026-03-27T00:00:00Z", "2026-10-23T00:00:00Z", "2026-04-03T00:00:00Z", "2026-09-04T00:00:00Z"] {
            let t0 = try #require(ISO8601DateFormatter().date(from: start))
            for step in 0..<(5 * 24 * 3) {
                let t = t0.addingTimeInterval(Double(step) * 1_200)
                instants += [t, t.addingTimeInterval(-1)]
            }
        }
        let sorted = instants.sorted()
        // Every instant once, in strides of a prime that does not divide the count.
        #expect(instants.count % 7_919 != 0)
        let jumbled = instants.indices.map { instants[($0 * 7_919) % instants.count] }
        for order in [Array(sorted.reversed()), sorted, jumbled] {
            var days = LocalDays(zone: zone)
            let mismatches = order.filter { days.date(of: $0) != zone.localDate(of: $0) }
            #expect(mismatches.isEmpty, "\(zoneName): \(mismatches.prefix(3))")
        }
        #expect(Set(instants.map { zone.localDate(of: $0) }).count >= 20, "the instants span many days")
    }
}
