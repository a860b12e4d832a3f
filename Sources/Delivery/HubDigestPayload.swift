import CivilTime
import Foundation

/// The hub's digest as `hub.webhook` receives it: counts and references (alert references,
/// incident ids, a school's URN), and each channel problem's one line, never a child's details or a
/// school's name.
/// Signed as a school's webhook is (`X-Encompass-Signature`), its reference as `Idempotency-Key`.
struct HubDigestPayload: Encodable {
    struct Counts: Encodable {
        let relay_down: Int
        let waiting_on_relay: Int
        let unacknowledged: Int
        let overdue: Int
        let failed: Int
        let configuration: Int
        let refused_address: Int
        let rerouted: Int
        /// Added: the ingests' notices of incidents too old to alert a school about.
        let too_old: Int
        let no_longer_named: Int
    }

    struct Alert: Encodable {
        let reference: String
        let incident_id: String
        let reason: String
        let deadline: String
    }

    /// An alert re-routed after it had been delivered to `school_urn`, which the record no longer names.
    struct Rerouted: Encodable {
        let reference: String
        let incident_id: String
        let school_urn: String
        let delivered_at: String
        /// Added: a `no_longer_named` alert re-routed since, the school it goes to now (absent otherwise).
        var rerouted_to: String?
    }

    struct Problem: Encodable {
        let channel: String
        let problem: String
        let waiting: [String]
    }

    let kind = "encompass-hub-digest"
    let reference: String
    let counts: Counts
    let alerts: [Alert]
    let relay_down: [Problem]
    let configuration: [Problem]
    /// A key adult's address refused for good, naming the school's URN and the address: the hub
    /// needs it to correct Config/key-adults.csv (a school's work address, not a child's data).
    let refused_address: [Problem]
    /// Added (keys may be added, never renamed): the earlier school's URN, for the hub to ask its
    /// key adult to delete the notification; never the child or the school's name.
    let rerouted: [Rerouted]
    /// Added: each ingest's one line naming the incidents (ids only) that reached the hub more than
    /// `alerts.max_age_days` after they were reported, so no school was alerted.
    let too_old: [String]
    /// Added: an alert delivered to `school_urn`, which the record no longer names for the child
    /// and incident, and sent to no other school then (`rerouted_to`: the school it was re-routed
    /// to since, if it was); the hub asks its key adult to delete it too.
    let no_longer_named: [Rerouted]
    let board_url: String?

    init(_ digest: HubDigest, zone: Zone) {
        reference = digest.reference
        counts = Counts(relay_down: digest.outages.count,
                        waiting_on_relay: Set(digest.outages.flatMap(\.affectedReferences)).count,
                        unacknowledged: digest.alerts.count { $0.reason == .unacknowledged },
                        overdue: digest.alerts.count { $0.reason == .overdue },
                        failed: digest.alerts.count { $0.reason == .failed },
                        configuration: digest.configurations.count,
                        refused_address: digest.refusedAddresses.count,
                        rerouted: digest.rerouted.count,
                        too_old: digest.tooOld.count,
                        no_longer_named: digest.noLongerNamed.count)
        alerts = digest.alerts.map {
            Alert(reference: $0.reference, incident_id: $0.incidentId, reason: $0.reason.rawValue, deadline: zone.iso8601($0.deadline))
        }
        relay_down = digest.outages.map { Problem(channel: "smtp", problem: $0.problem, waiting: $0.affectedReferences) }
        configuration = digest.configurations.map {
            Problem(channel: $0.channel?.rawValue ?? "any", problem: $0.problem, waiting: $0.affectedReferences)
        }
        refused_address = digest.refusedAddresses.map { Problem(channel: $0.channel?.rawValue ?? "smtp", problem: $0.problem, waiting: []) }
        rerouted = digest.rerouted.map {
            Rerouted(reference: $0.reference, incident_id: $0.incidentId, school_urn: $0.schoolURN, delivered_at: zone.iso8601($0.deliveredAt))
        }
        too_old = digest.tooOld
        no_longer_named = digest.noLongerNamed.map {
            Rerouted(reference: $0.reference, incident_id: $0.incidentId, school_urn: $0.schoolURN, delivered_at: zone.iso8601($0.deliveredAt),
                     rerouted_to: $0.reroutedTo)
        }
        board_url = digest.boardURL
    }

    func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers and arrays of them only: encoding cannot fail.
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}
