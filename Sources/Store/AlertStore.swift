import Foundation
import RiskModel

/// An alert's life (SPEC §7), plus `unmatched`: a child with no school, or a school with no key
/// adult, is kept on the hub's list instead of being dropped.
public enum AlertState: String, Sendable, Hashable, CaseIterable {
    case unmatched
    case queued
    case sending
    case delivered
    case retrying
    case failed
    case overdue
}

/// How ingest turns a linked child into an alert: the deadline from the school calendar, the stable
/// reference, and how old an incident may be and still be sent (a back-loaded history must not
/// write to schools about last year).
public struct AlertPlanner: Sendable {
    public var deadline: @Sendable (_ reportedAt: Date, _ urn: String, _ laCode: String?) -> Date
    public var reference: @Sendable (_ incidentId: String, _ childId: String) -> String
    public var maxAge: TimeInterval?

    public init(deadline: @escaping @Sendable (Date, String, String?) -> Date,
                reference: @escaping @Sendable (String, String) -> String, maxAge: TimeInterval?) {
        self.deadline = deadline
        self.reference = reference
        self.maxAge = maxAge
    }
}

/// One row of `encompass alerts`: ids only, never a name.
public struct AlertRow: Sendable, Equatable {
    public var reference: String
    public var incidentId: String
    public var childId: String
    public var schoolURN: String?
    public var channel: String?
    public var state: AlertState
    public var deadline: Date?
    public var attempts: Int
    public var lastError: String?
    public var nextAttemptAt: Date?
    public var deliveredAt: Date?
}

/// What one `claimDue` took: the alerts to send, and how many it failed there and then because
/// their stored record could not make a message.
public struct ClaimedAlerts: Sendable {
    public var alerts: [DueAlert]
    public var failedUnreadable: Int

    public init(alerts: [DueAlert], failedUnreadable: Int) {
        self.alerts = alerts
        self.failedUnreadable = failedUnreadable
    }
}

/// An alert claimed for sending, with exactly what the message may carry (SPEC §7): the child's
/// name and date of birth, the police reference, when, present, spoken to. Nothing else.
public struct DueAlert: Sendable, Equatable {
    public var alertKey: Int64
    public var reference: String
    public var incidentId: String
    public var childId: String
    public var reportedAt: Date
    public var givenName: String
    public var familyName: String
    public var dateOfBirth: LocalDate
    public var present: Bool?
    public var spokenTo: Bool?
    public var schoolURN: String
    public var schoolName: String
    public var channel: KeyAdult.Channel
    public var recipient: String
    public var deadline: Date
    public var attempts: Int
}

/// What the sender learnt about one claimed alert.
public enum AlertResult: Sendable, Equatable {
    case delivered
    /// Try again at `retryAt` (SMTP 4xx, HTTP 5xx/429, timeouts).
    case temporary(error: String, retryAt: Date)
    /// The receiver refused it (SMTP 5xx, HTTP 4xx): the hub is told.
    case permanent(error: String)
    /// Our side is wrong (TLS, CA, login, a missing secret) on `channel` (`smtp`, `https`, `file`):
    /// kept queued, the hub told once a day per channel.
    case configuration(error: String, channel: String)
}

/// A message for the hub about an alert that failed or went overdue, or about the configuration.
public struct HubNoticeRow: Sendable, Equatable {
    public var noticeKey: Int64
    /// `failed`, `overdue` or `configuration`.
    public var kind: String
    public var detail: String
    public var createdAt: Date
    /// The alert's, for `failed` and `overdue`; nil for a configuration notice.
    public var alert: AlertRow?
    /// A configuration notice's channel; nil for one made before channels were recorded.
    public var channel: String?
    /// The references of the alerts a configuration notice holds back that are still waiting.
    public var heldReferences: [String] = []
}

public struct UnmatchedRow: Sendable, Equatable {
    public var incidentId: String
    public var childId: String
    public var schoolURN: String?
    public var reason: String
}

/// The outbox: alerts queued by ingest, claimed by `notify` with a lease so two runs never send
/// one alert twice, and a run killed half way loses nothing.
public protocol AlertStore: Sendable {
    func alerts(state: AlertState?) async throws -> [AlertRow]
    /// Queues unmatched alerts whose school now has a key adult (after Config/ changes).
    func matchUnmatched(planner: AlertPlanner, now: Date) async throws -> Int
    /// Turns every undelivered alert past its deadline `overdue`, with a hub notice each; then
    /// claims up to `limit` alerts that are due, for `lease` seconds. A `sending` alert whose lease
    /// ran out, or whose owner `isDead`, is claimed again. A claimed alert whose stored record
    /// cannot make a message (an unknown channel, a date of birth that is not a date) is `failed`
    /// there and then, with a hub notice, and not returned.
    func claimDue(now: Date, owner: String, lease: TimeInterval, limit: Int,
                  isDead: @Sendable (String) -> Bool) async throws -> ClaimedAlerts
    /// Due alerts without claiming them (`notify --dry-run`).
    func peekDue(now: Date, limit: Int) async throws -> [DueAlert]
    func record(_ result: AlertResult, for alertKey: Int64, owner: String, now: Date) async throws
    func unsentHubNotices() async throws -> [HubNoticeRow]
    func markHubNoticeSent(_ noticeKey: Int64, at: Date) async throws
}
