import Foundation
import InputRules

/// What became of an unmatched alert once the hub recorded the child's school.
public enum SchoolRecorded: Sendable, Equatable {
    /// The school has a key adult: the alert is queued with its deadline.
    case queued
    /// Still on the unmatched list, with the reason now (the school has no key adult, say).
    case unmatched(reason: String)
}

/// Why a school could not be recorded for an alert. Ids only.
public enum UnmatchedError: Error, Equatable, CustomStringConvertible {
    case unknownAlert(String)
    /// Someone (or a later ingest) matched it first; nothing was changed.
    case notUnmatched(reference: String, state: AlertState)
    /// A later ingest unlinked the child from the incident; nothing was changed.
    case linkGone(String)

    public var description: String {
        switch self {
        case .unknownAlert(let r): "no alert with \(TypedId.named(r, as: "reference"))"
        case .notUnmatched(let r, let state): "alert \(r) is \(state.rawValue), no longer unmatched"
        case .linkGone(let r): "alert \(r): the child is no longer linked to the incident"
        }
    }
}

/// A hub notice as the dashboard lists it: sent to hub.email yet, or not, or settled untold.
public struct HubNoticeEntry: Sendable, Equatable {
    public var notice: HubNoticeRow
    public var sentAt: Date?
    /// When a run found it no longer held and settled it without telling it
    /// (`AlertStore.markHubNoticesSettled`); nil when sent or still to be told.
    public var settledAt: Date?

    public init(notice: HubNoticeRow, sentAt: Date? = nil, settledAt: Date? = nil) {
        self.notice = notice
        self.sentAt = sentAt
        self.settledAt = settledAt
    }
}

/// The hub's side of the unmatched list: recording a child's school so the alert can go, and the
/// recent notices about failed and overdue alerts.
public protocol UnmatchedStore: AlertStore {
    /// Sets the school on the alert's link (and on the child, when that incident is the child's newest),
    /// audits it, and re-plans the alert in the same transaction: queued if the school has a key adult.
    /// Without a planner the alert stays unmatched until the next command's `matchUnmatched`.
    func recordSchool(urn: String, forAlert reference: String, actor: String, at: Date,
                      planner: AlertPlanner?) async throws -> SchoolRecorded
    /// Notices created at or after `since`, newest first, at most `limit`.
    func hubNotices(since: Date, limit: Int) async throws -> [HubNoticeEntry]
}
