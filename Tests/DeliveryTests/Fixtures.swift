import CivilTime
import Delivery
import Foundation
import TestSupport
import RiskModel

enum Fixtures {
    static let hub = HubContact(name: "Police Safeguarding Hub", phone: "0000 000 0000", email: "hub@police.example")
    static let voice = "He shouted at mummy and I hid upstairs"

    /// 2026-03-06 21:40 GMT, a Friday.
    static let reportedAt = Date(timeIntervalSince1970: 1_772_833_200)
    /// 2026-03-09 09:00 GMT, the Monday after.
    static let deadline = Date(timeIntervalSince1970: 1_773_046_800)

    static func renderer() throws -> AlertRenderer {
        try AlertRenderer(templatesDirectory: Repository.templates)
    }

    static func incident(id: String = "I-1001", children: [ChildLink]) -> Incident {
        Incident(
            id: id, reportedAt: reportedAt, officerGrade: .standard, victimId: "V-77", perpetratorId: "P-31",
            children: children)
    }

    static func child(_ id: String = "C-1", given: String = "Zoë", family: String = "Ní Bhriain") -> ChildLink {
        ChildLink(
            childId: id, givenName: given, familyName: family, dateOfBirth: LocalDate(year: 2016, month: 2, day: 14)!,
            schoolURN: "100001", present: true, spokenTo: false, voice: voice, bodyWornVideo: true)
    }

    static func content(child: ChildLink = child(), incidentId: String = "I-1001") -> AlertContent {
        AlertContent(
            incident: incident(id: incidentId, children: [child]), child: child, schoolURN: "100001",
            schoolName: "St Brigid's Primary", hub: hub, deadline: deadline)
    }

    /// A rendered alert for one child, addressed to `recipient`.
    static func alert(
        to recipient: String, channel: DeliveryChannel = .smtp, incidentId: String = "I-1001",
        child: ChildLink = child()
    ) throws -> AlertMessage {
        let reference = AlertReference.make(incidentId: incidentId, childId: child.childId)
        return try renderer().alert(
            content(child: child, incidentId: incidentId), reference: reference, channel: channel,
            recipient: recipient, date: reportedAt.addingTimeInterval(60))
    }
}
