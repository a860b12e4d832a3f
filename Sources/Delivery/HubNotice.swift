import Foundation

/// A message to the hub about one alert that failed or missed its deadline. Ids only: the child
/// is named by `childId`, never by name, in the subject and the body alike.
public struct HubNotice: Sendable, Hashable {
    public enum Reason: String, Sendable, Hashable, Codable {
        /// Refused for good (SMTP 5xx, HTTP 4xx): it will not be retried.
        case failed
        /// Not delivered by its deadline; still being retried.
        case overdue
        /// Delivered with a link, but nobody at the school acknowledged it by its deadline.
        case unacknowledged
    }

    public var reason: Reason
    /// The alert's own reference.
    public var reference: String
    public var incidentId: String
    public var childId: String
    public var schoolURN: String?
    /// Nil where the alert has none (unmatched) or none that is known.
    public var channel: DeliveryChannel?
    public var deadline: Date
    public var attempts: Int
    /// One line, no personal data (as stored in `last_error`).
    public var lastError: String?
    /// Set when an overdue alert was delivered late before this notice went out.
    public var deliveredAt: Date?
    /// A `failed` alert withdrawn, not refused (`AlertLifecycle.isWithdrawal`): its incident no
    /// longer names the child, so there is no school to contact. The webhook's JSON still counts it
    /// as `failed`, its reason.
    public var withdrawn = false

    public init(
        reason: Reason, reference: String, incidentId: String, childId: String, schoolURN: String?,
        channel: DeliveryChannel?, deadline: Date, attempts: Int, lastError: String?
    ) {
        self.reason = reason
        self.reference = reference
        self.incidentId = incidentId
        self.childId = childId
        self.schoolURN = schoolURN
        self.channel = channel
        self.deadline = deadline
        self.attempts = attempts
        self.lastError = lastError
    }

}

/// A run's one message to the hub: the alerts it must act on, and the configuration problems due
/// to be told (each channel once a day).
public struct HubDigest: Sendable, Hashable {
    /// Stable for the notices it holds, so a resent digest keeps its Message-ID.
    public var reference: String
    public var alerts: [HubNotice]
    public var configurations: [ConfigurationNotice]
    /// Our relay could not be reached at all (told once an outage): `problem` names it, and
    /// `affectedReferences` are the alerts that wait on it.
    public var outages: [ConfigurationNotice]
    /// Key adults' addresses our relay refused for good while another of the school's took the
    /// alert (told once a day each): `problem` names the school's URN, the address and the code.
    public var refusedAddresses: [ConfigurationNotice]
    /// Alerts re-routed after they had been delivered to a school the record no longer names.
    public var rerouted: [ReroutedNotice]
    /// Each ingest's one line naming the incidents that reached the hub too long after they were
    /// reported for a school to be alerted (`TooOldLinks.notice`): ids only.
    public var tooOld: [String]
    /// Alerts delivered to a school the record no longer names for the child and incident, sent to
    /// no other school then (`AlertLifecycle.noLongerNamedNotices`): that school holds the child's
    /// details as one an alert is re-routed from does. One re-routed since names where
    /// (`ReroutedNotice.reroutedTo`).
    public var noLongerNamed: [ReroutedNotice]
    /// `{web.public_url}/alerts`, when set.
    public var boardURL: String?

    public init(reference: String, alerts: [HubNotice], configurations: [ConfigurationNotice], outages: [ConfigurationNotice] = [],
                refusedAddresses: [ConfigurationNotice] = [], rerouted: [ReroutedNotice] = [], tooOld: [String] = [],
                noLongerNamed: [ReroutedNotice] = [], boardURL: String?) {
        self.reference = reference
        self.alerts = alerts
        self.configurations = configurations
        self.outages = outages
        self.refusedAddresses = refusedAddresses
        self.rerouted = rerouted
        self.tooOld = tooOld
        self.noLongerNamed = noLongerNamed
        self.boardURL = boardURL
    }
}

/// An alert re-routed to the school the record now names after it had been delivered to another
/// (`AlertLifecycle.reroutedNotices`): that school holds the child's details, so the hub asks its
/// key adult to delete the notification. By reference, incident id and the earlier school's URN,
/// never the child. The same for an alert kept where it went while the record no longer names
/// that school (`HubDigest.noLongerNamed`).
public struct ReroutedNotice: Sendable, Hashable {
    public var reference: String
    public var incidentId: String
    /// The school the alert had been delivered to, which the record no longer names.
    public var schoolURN: String
    public var deliveredAt: Date
    /// An alert kept where it went (`HubDigest.noLongerNamed`) and re-routed since to this school
    /// (`AlertLifecycle.reroutedSince`): its line says so, not that it went to no other school.
    public var reroutedTo: String?

    public init(reference: String, incidentId: String, schoolURN: String, deliveredAt: Date, reroutedTo: String? = nil) {
        self.reference = reference
        self.incidentId = incidentId
        self.schoolURN = schoolURN
        self.deliveredAt = deliveredAt
        self.reroutedTo = reroutedTo
    }
}

/// A message to the hub that a channel cannot deliver at all (TLS, CA, STARTTLS or login failure,
/// a missing secret): sent once, while the alerts stay queued until the settings are put right.
public struct ConfigurationNotice: Sendable, Hashable {
    /// Chosen by the caller, stable for the problem it reports (e.g. per channel per day), so a
    /// resent notice is recognised as the same one.
    public var reference: String
    /// The channel that cannot deliver; nil for a notice stored before channels were recorded,
    /// which then names neither the channel nor the alerts.
    public var channel: DeliveryChannel?
    /// One line, no personal data.
    public var problem: String
    /// The alerts held back, by reference.
    public var affectedReferences: [String]

    public init(reference: String, channel: DeliveryChannel?, problem: String, affectedReferences: [String]) {
        self.reference = reference
        self.channel = channel
        self.problem = problem
        self.affectedReferences = affectedReferences
    }
}
