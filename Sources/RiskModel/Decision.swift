@_exported import CivilTime
import Foundation

/// What hub staff decided about a child's MARAC escalation (SPEC §5). Decisions are appended,
/// never edited: the newest supersedes the older ones, and all are kept.
public struct Decision: Sendable, Hashable, Codable {
    public enum Outcome: String, Sendable, Hashable, Codable, CaseIterable {
        case referred
        case declined
    }

    public var childId: String
    public var outcome: Outcome
    /// The date the decision took effect (`--on`): for `referred`, the MARAC referral date R.
    public var on: LocalDate
    public var reason: String?
    /// Who decided, as given (`--by`, or the signed-in user).
    public var by: String
    public var recordedAt: Date
    /// Who recorded it, when that is not `by` itself: the operating system's login that ran
    /// `decide` (`cli:` and the login), or an API token. The audit keeps it beside `by`, so
    /// nobody at the shell records a decision in someone else's name unseen.
    public var recordedBy: String?

    public init(childId: String, outcome: Outcome, on: LocalDate, reason: String?, by: String, recordedAt: Date,
                recordedBy: String? = nil) {
        self.childId = childId
        self.outcome = outcome
        self.on = on
        self.reason = reason
        self.by = by
        self.recordedAt = recordedAt
        self.recordedBy = recordedBy
    }
}
