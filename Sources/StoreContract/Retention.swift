import Foundation

/// Retention (issue 14): when a record is due for review by the force's own periods, and what a
/// purge removed. The rule lives here; the stores list candidates and delete what it decides.
public struct RetentionPolicy: Sendable, Equatable {
    /// Days after the record's date; 0: never due.
    public var incidentsDays: Int
    public var episodesDays: Int

    public init(incidentsDays: Int, episodesDays: Int) {
        self.incidentsDays = incidentsDays
        self.episodesDays = episodesDays
    }

    func days(_ kind: RetentionItem.Kind) -> Int { kind == .incident ? incidentsDays : episodesDays }

    public var isEmpty: Bool { incidentsDays == 0 && episodesDays == 0 }

    /// Records dated at or before this are due at `now`; nil when the kind is never due.
    public func cutoff(_ kind: RetentionItem.Kind, now: Date) -> Date? {
        let days = days(kind)
        return days > 0 ? now.addingTimeInterval(-Double(days) * 86_400) : nil
    }

    /// Whether a purge may be run as of `at`: not after the clock. A purge deletes for good what is
    /// due at its instant, and one dated ahead (a mistyped `--now` year) would take the records the
    /// risk rules read today, every escalated child leaving the queue, which the periods' own floor
    /// exists to prevent. A review deletes nothing and may look ahead.
    public static func mayPurge(asOf at: Date, clock: Date) -> Bool { at <= clock }

    /// The date a record dated `date` is due for review.
    public func reviewDate(_ kind: RetentionItem.Kind, recordedAt date: Date) -> Date? {
        let days = days(kind)
        return days > 0 ? date.addingTimeInterval(Double(days) * 86_400) : nil
    }
}

/// A record due for review: its kind, id and date (`reported_at`, or `missing_at` for an episode).
public struct RetentionItem: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case incident
        case episode
    }

    public let kind: Kind
    public let id: String
    public let recordedAt: Date
    /// An incident with an alert that may still go (`AlertLifecycle.mayStillGo`): a purge keeps it.
    public let alertMayStillGo: Bool

    public init(kind: Kind, id: String, recordedAt: Date, alertMayStillGo: Bool = false) {
        self.kind = kind
        self.id = id
        self.recordedAt = recordedAt
        self.alertMayStillGo = alertMayStillGo
    }

    /// The audit subject of the record (`incident:ID`, `episode:ID`).
    public var subject: String { "\(kind.rawValue):\(id)" }
}

public struct RetentionSummary: Sendable, Equatable {
    public var incidents = 0
    public var episodes = 0
    /// Children whose row (names, date of birth) went because nothing of theirs was left.
    public var children = 0
    /// Incidents due but kept: an alert of theirs may still go (`AlertLifecycle.mayStillGo`).
    public var keptForAlerts = 0

    public init() {}
}

/// Listing and purging records due for review. An incident with an alert that may still go
/// (`AlertLifecycle.mayStillGo`) is listed as such and kept by a purge, which counts it; it is
/// purged by a later one, once its alerts are delivered or failed. A purge, in one transaction per call: the record and
/// everything hanging from it (an incident's links, alerts, the calls and notices about them, its
/// regrades), the child's row when nothing of theirs is left (no incident, episode, decision or plan),
/// and the personal values the audit kept about the record (its rows' detail becomes
/// `{"removed":"retention"}`; who did what when stays). One audit row per record says it was purged,
/// with its id and review date only.
public protocol RetentionStore: Sendable {
    /// Incidents reported at or before `incidentsBefore` and episodes gone missing at or before
    /// `episodesBefore` (nil: none of that kind), oldest first.
    func retentionCandidates(incidentsBefore: Date?, episodesBefore: Date?) async throws -> [RetentionItem]
    func purge(_ items: [RetentionItem], policy: RetentionPolicy, actor: String, at: Date) async throws -> RetentionSummary
}

extension RetentionStore {
    /// What is due at `now` under `policy`.
    public func due(_ policy: RetentionPolicy, now: Date) async throws -> [RetentionItem] {
        guard !policy.isEmpty else { return [] }
        return try await retentionCandidates(incidentsBefore: policy.cutoff(.incident, now: now),
                                             episodesBefore: policy.cutoff(.episode, now: now))
    }
}

/// The audit detail a purge leaves in place of personal values, and what is said of incidents kept.
public enum RetentionText {
    public static let removedDetail = #"{"removed":"retention"}"#
    public static let keptReason = "an alert of theirs may still go (queued, sending, retrying or overdue); they are purged once it is delivered or failed"
}
