import CivilTime
import Foundation

/// The JSON document POSTed to a school's endpoint: the same minimal fields as the e-mail.
/// Keys are sorted and the bytes fixed at render time, so every retry sends (and signs) the
/// same body.
struct WebhookPayload: Encodable {
    struct Child: Encodable {
        let given_name: String
        let family_name: String
        let date_of_birth: String
    }

    struct School: Encodable {
        let urn: String
        let name: String
    }

    struct Hub: Encodable {
        let name: String
        let phone: String
        let email: String
    }

    let reference: String
    let incident_id: String
    let incident_at: String
    let child: Child
    let child_present: Bool?
    let child_spoken_to: Bool?
    // A trust may run one endpoint for several schools.
    let school: School
    let hub: Hub
    let deadline: String
    /// The acknowledgement link, when `web.public_url` is set.
    let ack_url: String?
    /// False for `alerts.content: link`: no child's details, no time of the incident.
    let personal: Bool

    init(_ content: AlertContent, reference: String, zone: Zone, ackURL: String? = nil, personal: Bool = true) {
        self.reference = reference
        incident_id = content.incidentId
        incident_at = zone.iso8601(content.incidentAt)
        child = Child(
            given_name: content.childGivenName, family_name: content.childFamilyName,
            date_of_birth: content.dateOfBirth.description)
        child_present = content.childPresent
        child_spoken_to = content.childSpokenTo
        school = School(urn: content.schoolURN, name: content.schoolName)
        hub = Hub(name: content.hub.name, phone: content.hub.phone, email: content.hub.email)
        deadline = zone.iso8601(content.deadline)
        ack_url = ackURL
        self.personal = personal
    }

    enum CodingKeys: String, CodingKey {
        case reference, incident_id, incident_at, child, child_present, child_spoken_to, school, hub, deadline, ack_url
    }

    // Unknown is written as null rather than left out, so a receiver sees the question was asked.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reference, forKey: .reference)
        try c.encode(incident_id, forKey: .incident_id)
        if personal {
            try c.encode(incident_at, forKey: .incident_at)
            try c.encode(child, forKey: .child)
            try c.encode(child_present, forKey: .child_present)
            try c.encode(child_spoken_to, forKey: .child_spoken_to)
        }
        try c.encode(school, forKey: .school)
        try c.encode(hub, forKey: .hub)
        try c.encode(deadline, forKey: .deadline)
        try c.encodeIfPresent(ack_url, forKey: .ack_url)
    }

    func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
