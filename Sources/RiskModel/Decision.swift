@_exported import CivilTime
import Foundation

/// What hub staff decided about a child's MARAC escalation (SPEC §5). Decisions are appended,
/// never edited: the newest supersedes the older ones, and all are kept.
public struct Decision: Sendable, Hashable, Codable {
    /// What was decided about: a MARAC referral, or a strategy meeting (SPEC §5).
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case marac
        case strategyMeeting = "strategy-meeting"

        /// The outcomes this kind may have.
        public var outcomes: [Outcome] { self == .marac ? [.referred, .declined] : [.held, .declined] }
    }

    public enum Outcome: String, Sendable, Hashable, Codable, CaseIterable {
        case referred
        case declined
        case held
    }

    public var kind: Kind = .marac
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

    public init(childId: String, kind: Kind = .marac, outcome: Outcome, on: LocalDate, reason: String?, by: String,
                recordedAt: Date, recordedBy: String? = nil) {
        self.kind = kind
        self.childId = childId
        self.outcome = outcome
        self.on = on
        self.reason = reason
        self.by = by
        self.recordedAt = recordedAt
        self.recordedBy = recordedBy
    }
}

extension Decision {
    /// The audit's action: `decision.referred`, `decision.declined` for MARAC (as before), and
    /// `strategy-meeting.held` or `strategy-meeting.declined`.
    public var auditAction: String {
        kind == .marac ? "decision.\(outcome.rawValue)" : "strategy-meeting.\(outcome.rawValue)"
    }

    /// The latest decision of each kind, from a child's decisions oldest first: what stands.
    public static func standing(_ decisions: [Decision]) -> [Kind: Decision] {
        var out: [Kind: Decision] = [:]
        for d in decisions { out[d.kind] = d }
        return out
    }
}
