import CivilTime
import Foundation

/// What the rules need to know of one incident linked to a child: no personal data.
public struct IncidentFact: Sendable, Equatable {
    public let incidentId: String
    public let reportedAt: Date
    /// The effective grade (SPEC §3), not the officer's.
    public let grade: Grade
    /// The store's own number for the incident, 0 when not given: with it the queue asks whether the
    /// incident names a serial perpetrator by one bit rather than by hashing its id (see
    /// `SerialPerpetrators`). A store that gives keys gives each incident one key, the same in every read.
    public let storeKey: UInt32

    public init(incidentId: String, reportedAt: Date, grade: Grade, storeKey: UInt32 = 0) {
        self.incidentId = incidentId
        self.reportedAt = reportedAt
        self.grade = grade
        self.storeKey = storeKey
    }

    /// A store's 64-bit row key as a `storeKey`: 0 (none) when it does not fit, so such an incident is
    /// looked up by id.
    public static func storeKey(_ key: Int64) -> UInt32 { UInt32(exactly: key) ?? 0 }

    /// Takes the incident's effective grade, so the supervisor's review and the checklist floor apply.
    public init(_ incident: Incident) {
        self.init(incidentId: incident.id, reportedAt: incident.reportedAt, grade: incident.effectiveGrade)
    }
}

/// Everything the rules read about one child.
public struct ChildHistory: Sendable {
    public let childId: String
    /// In any order; the same incident id may appear more than once (it counts once).
    public var incidents: [IncidentFact]
    /// The dates R of the child's `referred` decisions, in any order.
    public var maracReferrals: [LocalDate]
    /// Missing episodes, in any order; only those `repeat-missing` may count need be given.
    public var episodes: [EpisodeFact]
    /// The dates of the child's strategy-meeting decisions (held or declined), in any order.
    public var strategyMeetings: [LocalDate]

    public init(childId: String, incidents: [IncidentFact], maracReferrals: [LocalDate] = [],
                episodes: [EpisodeFact] = [], strategyMeetings: [LocalDate] = []) {
        self.childId = childId
        self.incidents = incidents
        self.maracReferrals = maracReferrals
        self.episodes = episodes
        self.strategyMeetings = strategyMeetings
    }
}

/// One child's cumulative risk as of an instant (SPEC §4).
public struct Assessment: Sendable, Equatable {
    public let childId: String
    public let level: Level
    /// Unrounded; round only for display.
    public let score: Double
    /// `marac-referral`, `strategy-meeting`, both (in that order) or none.
    public let suggestions: [String]
    /// The rules that fired, in the SPEC table's order (`RuleID.allCases`).
    public let rules: [RuleHit]
    /// The window's incidents, oldest first (ties by id).
    public let incidentIds: [String]
    /// The newest window incident, or the newest episode `repeat-missing` counted when that is newer:
    /// the child's place in the queue.
    public let newestIncidentAt: Date

    public static let maracReferralSuggestion = "marac-referral"
    public static let strategyMeetingSuggestion = "strategy-meeting"

    public init(
        childId: String, level: Level, score: Double, suggestions: [String], rules: [RuleHit],
        incidentIds: [String], newestIncidentAt: Date
    ) {
        self.childId = childId
        self.level = level
        self.score = score
        self.suggestions = suggestions
        self.rules = rules
        self.incidentIds = incidentIds
        self.newestIncidentAt = newestIncidentAt
    }

    /// The hit of one rule, nil when it did not fire.
    public func hit(_ rule: RuleID) -> RuleHit? {
        rules.first { $0.rule == rule }
    }

    /// Whether the child still waits for the hub's decision: none of either kind is dated since their
    /// newest incident (`Decision.isDated`, the suggestions' rule), whenever it was typed in (the
    /// queue's "no decision yet", the report's undecided children). `latestDecisionOn`: the date
    /// (`on`) of the child's decision dated latest, nil when there is none.
    public func awaitsDecision(latestDecisionOn: LocalDate?, zone: Zone) -> Bool {
        guard let latestDecisionOn else { return true }
        return !Decision.isDated(latestDecisionOn, since: newestIncidentAt, zone: zone)
    }

    /// Whether a rule at level high fired.
    public var metHighRule: Bool { rules.contains { $0.level == .high } }
}
