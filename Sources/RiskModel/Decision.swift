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
    public var by: String
    public var recordedAt: Date

    public init(childId: String, outcome: Outcome, on: LocalDate, reason: String?, by: String, recordedAt: Date) {
        self.childId = childId
        self.outcome = outcome
        self.on = on
        self.reason = reason
        self.by = by
        self.recordedAt = recordedAt
    }
}
