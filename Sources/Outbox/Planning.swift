import Delivery
import Foundation
import SchoolCalendar
import StoreContract

extension AlertPlanner {
    /// The planner every ingest uses (command line and API alike): deadlines from the school
    /// calendar, references from `AlertReference`.
    public static func standard(calendar: SchoolCalendar, maxAge: TimeInterval?) -> AlertPlanner {
        AlertPlanner(
            deadline: { reported, urn, la in calendar.deadline(reportedAt: reported, urn: urn, laCode: la) },
            reference: { AlertReference.make(incidentId: $0, childId: $1) },
            maxAge: maxAge, calendarFingerprint: calendar.fingerprint)
    }
}
