@_exported import CivilTime
import Foundation

/// What hub staff decided about a child's MARAC escalation (SPEC §5). Decisions are appended,
/// never edited: the one dated latest supersedes the older ones (`supersedes`), and all are kept.
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

    /// Whether this decision, entered after `earlier`, stands over it: the one rule for which decision
    /// is current (SPEC §5 "a later decision supersedes an earlier one"). "Later" is the decisions' own
    /// date (`on`), never when they were typed in: a decision taken in October and entered in
    /// December does not supersede a referral dated November. Entry order only breaks a tie between
    /// decisions of the same date, the one entered last standing.
    public func supersedes(earlierEntry earlier: Decision) -> Bool { on >= earlier.on }

    /// Where in `decisions` (a child's, in entry order, oldest first) the decision of each kind that
    /// stands is: positions, so two decisions alike in every field are still told apart.
    public static func standing(_ decisions: [Decision]) -> [Kind: Int] {
        var out: [Kind: Int] = [:]
        for (i, d) in decisions.enumerated() where out[d.kind].map({ d.supersedes(earlierEntry: decisions[$0]) }) ?? true {
            out[d.kind] = i
        }
        return out
    }

    /// The first instant a decision dated `day` (a local date in `zone`) no longer answers: the local
    /// midnight that ends the day. A decision answers what happened before it, on its own day
    /// included: an incident on day D is taken to be the one a decision dated D was about.
    public static func answersUntil(_ day: LocalDate, zone: Zone) -> Date {
        zone.instant(on: day.adding(days: 1))
    }

    /// The one rule for "a decision since" an incident or episode at `instant`, which the
    /// `marac-referral` and `strategy-meeting` suggestions, the queue's "no decision yet" and the
    /// report's undecided children all ask: a decision dated on or after the instant's local date.
    public static func isDated(_ day: LocalDate, since instant: Date, zone: Zone) -> Bool {
        instant < answersUntil(day, zone: zone)
    }
}
