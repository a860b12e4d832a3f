import CivilTime
import Foundation
import SchoolCalendar
import Testing

/// Every 97 minutes across two school years: the deadline is a school-day start at least the notice
/// after the incident, and no earlier school-day start would have done.
@Suite struct DeadlineSweepTests {
    @Test(arguments: [(nil as String?, "925" as String?), (nil, "888"), ("139900", "925"), ("100001", nil)])
    func deadlineIsTheFirstQualifyingStart(_ school: (String?, String?)) throws {
        let start = try TimeOfDay.parse("08:40")
        let cal = try RealConfig.calendar(schoolDayStartByURN: ["100001": start])
        let (urn, la) = school
        let from = try instant("2025-08-25T00:00:00Z")
        let to = try instant("2027-09-06T00:00:00Z")
        var at = from
        while at < to {
            let deadline = cal.deadline(reportedAt: at, urn: urn, laCode: la)
            let due = cal.zone.localDate(of: deadline)
            let expectedStart = urn == "100001" ? "T08:40:00" : "T09:00:00"
            #expect(deadline >= at.addingTimeInterval(30 * 60))
            #expect(cal.isSchoolDay(due, urn: urn, laCode: la))
            #expect(cal.zone.iso8601(deadline).contains(expectedStart))
            var d = cal.zone.localDate(of: at)
            while d < due {
                if cal.isSchoolDay(d, urn: urn, laCode: la) {
                    let begins = cal.zone.instant(on: d, hour: cal.dayStart(urn: urn).hour,
                                                  minute: cal.dayStart(urn: urn).minute)
                    #expect(begins < at.addingTimeInterval(30 * 60), "\(d) would have done for \(at)")
                }
                d = d.adding(days: 1)
            }
            // The longest holiday in the file is URN 139900's 66-day summer.
            #expect(due.daysSinceEpoch - cal.zone.localDate(of: at).daysSinceEpoch <= 70)
            at = at.addingTimeInterval(97 * 60)
        }
    }
}
