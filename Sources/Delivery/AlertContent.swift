import CivilTime
import Foundation
import RiskModel

/// Everything an Operation Encompass alert may say, and nothing more (SPEC §7): no adult's id or
/// name, no address, nothing about what happened and not what the child said. Holds personal
/// data: never log it.
public struct AlertContent: Sendable, Hashable {
    public var incidentId: String
    public var childGivenName: String
    public var childFamilyName: String
    public var dateOfBirth: LocalDate
    /// When the incident was reported (`reported_at`).
    public var incidentAt: Date
    public var childPresent: Bool?
    public var childSpokenTo: Bool?
    public var schoolURN: String
    public var schoolName: String
    public var hub: HubContact
    /// When the alert must have reached the school (SPEC §6).
    public var deadline: Date

    public init(
        incidentId: String, childGivenName: String, childFamilyName: String, dateOfBirth: LocalDate,
        incidentAt: Date, childPresent: Bool?, childSpokenTo: Bool?, schoolURN: String,
        schoolName: String, hub: HubContact, deadline: Date
    ) {
        self.incidentId = incidentId
        self.childGivenName = childGivenName
        self.childFamilyName = childFamilyName
        self.dateOfBirth = dateOfBirth
        self.incidentAt = incidentAt
        self.childPresent = childPresent
        self.childSpokenTo = childSpokenTo
        self.schoolURN = schoolURN
        self.schoolName = schoolName
        self.hub = hub
        self.deadline = deadline
    }

    /// Takes from the incident only what the protocol allows the school to see; the child's
    /// words (`voice`) and body-worn video flag stay behind.
    public init(incident: Incident, child: ChildLink, schoolURN: String, schoolName: String, hub: HubContact, deadline: Date) {
        self.init(
            incidentId: incident.id, childGivenName: child.givenName, childFamilyName: child.familyName,
            dateOfBirth: child.dateOfBirth, incidentAt: incident.reportedAt, childPresent: child.present,
            childSpokenTo: child.spokenTo, schoolURN: schoolURN, schoolName: schoolName, hub: hub,
            deadline: deadline)
    }
}
