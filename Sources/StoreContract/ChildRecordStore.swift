import AlertLifecycle
import Foundation
import InputRules
import RiskModel

/// What a child's page needs, and the two changes made from it: a decision (with "strategy
/// discussion requested") and a supervisor's regrade of an incident.
public protocol ChildRecordStore: Sendable {
    /// The child, every incident linked to them (oldest first), decisions, regrades and alerts; nil if unknown.
    func childRecord(_ childId: String) async throws -> ChildRecord?
    /// Given and family names for the queue's rows.
    func childNames(_ childIds: [String]) async throws -> [String: ChildName]
    /// The decision that stands of each child that has one, of either kind (`Decision.supersedes`:
    /// the one dated latest, entry order breaking a tie).
    func latestDecisions() async throws -> [String: Decision]
    /// Appends the decisions (a MARAC decision, a strategy meeting's, or both), whether a strategy
    /// discussion was requested, and their audit rows, in one transaction, when the child's
    /// decisions still number `seen` (the page's form: `OnePress`; nil appends regardless). Throws
    /// `OnePress.Refusal<Decision>`, nothing written, when they do not.
    func record(_ decisions: [Decision], strategyDiscussion: Bool, actor: String, seen: Int?) async throws
    /// Appends the decisions as `record(_:strategyDiscussion:actor:seen:)` does (whatever was recorded
    /// before), and keeps `response` under `key` in the same transaction: a failure keeps neither.
    /// When `key` is kept already (the same key sent twice at once, to one server or two), writes
    /// nothing and returns what was kept; nil when this call recorded.
    func record(_ decisions: [Decision], strategyDiscussion: Bool, actor: String, key: IdempotencyKey, response: KeptResponse) async throws -> KeptResponse?
    /// Sets an incident's supervisor grade (the effective grade follows, the checklist band still a floor),
    /// keeps the reason, and audits the change, in one transaction, when the incident's regrades
    /// still number `seen` (the page's form: `OnePress`; nil regrades regardless) and the grade is
    /// not the supervisor's grade already (`Regrade.check`). Throws `ChildRecordError.unknownIncident`,
    /// `OnePress.Refusal<Regrade>` or `ChildRecordError.alreadyAtGrade`, nothing written.
    func regrade(incidentId: String, to grade: Grade, reason: String, by: String, at: Date, seen: Int?) async throws -> Regrade
}

extension ChildRecordStore {
    /// Appends one decision whatever was recorded before it (the JSON API, tests).
    public func record(_ decision: Decision, strategyDiscussion: Bool, actor: String) async throws {
        try await record([decision], strategyDiscussion: strategyDiscussion, actor: actor, seen: nil)
    }

    /// Regrades whatever regrades were recorded before (tests).
    public func regrade(incidentId: String, to grade: Grade, reason: String, by: String, at: Date) async throws -> Regrade {
        try await regrade(incidentId: incidentId, to: grade, reason: reason, by: by, at: at, seen: nil)
    }
}

public struct ChildName: Sendable, Equatable {
    public var given: String
    public var family: String
    public var full: String { "\(given) \(family)" }
    public init(given: String, family: String) {
        self.given = given
        self.family = family
    }
}

public struct ChildRecord: Sendable {
    public var childId: String
    public var name: ChildName
    public var dateOfBirth: String
    public var schoolURN: String?
    public var schoolName: String?
    /// Oldest first.
    public var incidents: [ChildIncident]
    /// In entry order, oldest first; which of them stands is `Decision.standing`'s to say.
    public var decisions: [DecisionEntry]
    /// Oldest first.
    public var regrades: [Regrade]
    /// Nil where this database has no alerts table yet.
    public var alerts: [AlertSummary]?
    /// Missing episodes, oldest first.
    public var episodes: [ChildEpisode]

    /// What the rules read: these incidents and episodes, the MARAC referral dates and the
    /// strategy-meeting decisions' dates.
    public var history: ChildHistory {
        ChildHistory(
            childId: childId,
            incidents: incidents.map { IncidentFact(incidentId: $0.incidentId, reportedAt: $0.reportedAt, grade: $0.effectiveGrade) },
            maracReferrals: decisions.compactMap { $0.decision.kind == .marac && $0.decision.outcome == .referred ? $0.decision.on : nil },
            episodes: episodes.map(\.fact),
            strategyMeetings: decisions.compactMap { $0.decision.kind == .strategyMeeting ? $0.decision.on : nil })
    }

    /// The perpetrators named in the child's incidents, each once.
    public var perpetratorIds: [String] { Array(Set(incidents.compactMap(\.perpetratorId))).sorted() }

    public init(childId: String, name: ChildName, dateOfBirth: String, schoolURN: String? = nil, schoolName: String? = nil, incidents: [ChildIncident], decisions: [DecisionEntry], regrades: [Regrade], alerts: [AlertSummary]? = nil, episodes: [ChildEpisode] = []) {
        self.childId = childId
        self.name = name
        self.dateOfBirth = dateOfBirth
        self.schoolURN = schoolURN
        self.schoolName = schoolName
        self.incidents = incidents
        self.decisions = decisions
        self.regrades = regrades
        self.alerts = alerts
        self.episodes = episodes
    }
}

/// One missing episode as the child's page shows it: no names (the child's row has them).
public struct ChildEpisode: Sendable, Equatable {
    public var episodeId: String
    public var missingAt: Date
    public var returnedAt: Date?
    public var risk: EpisodeRisk?
    public var returnInterviewAt: Date?
    public var schoolURN: String?

    public init(episodeId: String, missingAt: Date, returnedAt: Date? = nil, risk: EpisodeRisk? = nil,
                returnInterviewAt: Date? = nil, schoolURN: String? = nil) {
        self.episodeId = episodeId
        self.missingAt = missingAt
        self.returnedAt = returnedAt
        self.risk = risk
        self.returnInterviewAt = returnInterviewAt
        self.schoolURN = schoolURN
    }

    public var fact: EpisodeFact {
        EpisodeFact(episodeId: episodeId, missingAt: missingAt, returnedAt: returnedAt, returnInterviewAt: returnInterviewAt)
    }
}

/// One incident as linked to this child: the incident's columns and this child's own.
public struct ChildIncident: Sendable, Equatable {
    public var incidentId: String
    public var reportedAt: Date
    public var riskTool: RiskTool
    public var officerGrade: Grade
    public var dashYesCount: Int?
    public var supervisorGrade: Grade?
    public var effectiveGrade: Grade
    public var flags: [String]
    public var schoolURN: String?
    public var present: Bool?
    public var spokenTo: Bool?
    public var voice: String?
    public var bodyWornVideo: Bool?
    public var perpetratorId: String?

    public init(incidentId: String, reportedAt: Date, riskTool: RiskTool, officerGrade: Grade, dashYesCount: Int? = nil, supervisorGrade: Grade? = nil, effectiveGrade: Grade, flags: [String], schoolURN: String? = nil, present: Bool? = nil, spokenTo: Bool? = nil, voice: String? = nil, bodyWornVideo: Bool? = nil, perpetratorId: String? = nil) {
        self.incidentId = incidentId
        self.reportedAt = reportedAt
        self.riskTool = riskTool
        self.officerGrade = officerGrade
        self.dashYesCount = dashYesCount
        self.supervisorGrade = supervisorGrade
        self.effectiveGrade = effectiveGrade
        self.flags = flags
        self.schoolURN = schoolURN
        self.present = present
        self.spokenTo = spokenTo
        self.voice = voice
        self.bodyWornVideo = bodyWornVideo
        self.perpetratorId = perpetratorId
    }
}

public struct DecisionEntry: Sendable, Equatable {
    public var decision: Decision
    /// Nil where the decision was recorded without the question (the `decide` command).
    public var strategyDiscussion: Bool?

    public init(decision: Decision, strategyDiscussion: Bool? = nil) {
        self.decision = decision
        self.strategyDiscussion = strategyDiscussion
    }
}

public struct Regrade: Sendable, Equatable {
    public var incidentId: String
    public var oldGrade: Grade?
    public var newGrade: Grade
    public var reason: String
    public var by: String
    public var at: Date

    public init(incidentId: String, oldGrade: Grade? = nil, newGrade: Grade, reason: String, by: String, at: Date) {
        self.incidentId = incidentId
        self.oldGrade = oldGrade
        self.newGrade = newGrade
        self.reason = reason
        self.by = by
        self.at = at
    }
}

extension Regrade {
    /// The rule for a regrade, asked by the store in the transaction that appends it: one press, one
    /// regrade (`OnePress`, the incident's regrades `current`, oldest first), then nothing when the
    /// supervisor's grade (`supervisorGrade`, nil before any review) is `new`'s already. Regrades are
    /// append-only, so one that changes nothing would stand for good as a review that changed a grade.
    /// Confirming the officer's grade (no supervisor grade yet) is a review, and is recorded.
    public static func check(seen: Int?, current: [Regrade], supervisorGrade: Grade?, adding new: Regrade) throws {
        try OnePress.check(seen: seen, regrades: current, adding: new)
        if supervisorGrade == new.newGrade { throw ChildRecordError.alreadyAtGrade(incidentId: new.incidentId, new.newGrade) }
    }
}

/// An alert to a school as the alerts issue stores it; fields it lacks stay nil.
public struct AlertSummary: Sendable, Equatable {
    public var reference: String?
    public var incidentId: String?
    public var schoolURN: String?
    public var channel: String?
    public var state: String?
    public var deadline: Date?
    public var attempts: Int?
    /// As stored: the earlier school's time on a re-routed alert (read `deliveredToItsSchool`).
    public var deliveredAt: Date?
    public var acknowledgedAt: Date?
    /// When its links stop opening it (`AlertRow.linksEnd`); nil when none went out.
    public var linksEnd: Date?

    public init(reference: String? = nil, incidentId: String? = nil, schoolURN: String? = nil, channel: String? = nil, state: String? = nil, deadline: Date? = nil, attempts: Int? = nil, deliveredAt: Date? = nil, acknowledgedAt: Date? = nil, linksEnd: Date? = nil) {
        self.reference = reference
        self.incidentId = incidentId
        self.schoolURN = schoolURN
        self.channel = channel
        self.state = state
        self.deadline = deadline
        self.attempts = attempts
        self.deliveredAt = deliveredAt
        self.acknowledgedAt = acknowledgedAt
        self.linksEnd = linksEnd
    }

    /// An acknowledgement link went out with it (`AlertRow.linkIssued`).
    public var linkIssued: Bool { linksEnd != nil }

    /// The state machine's state; nil for a value it does not know.
    public var alertState: AlertState? { state.flatMap(AlertState.init(rawValue:)) }

    /// Its state as the hub reads it at `now` (`AlertLifecycle.stateAsRead`, as `AlertRow.asRead`):
    /// overdue once its deadline passed undelivered, before a run stores it.
    public func stateAsRead(at now: Date) -> String? {
        guard let s = alertState else { return state }
        return AlertLifecycle.stateAsRead(s, deadline: deadline, now: now).rawValue
    }

    /// When the school the alert is now for received it, as `AlertRow.deliveredToItsSchool` (the
    /// same rule): nil unless it reached that school, so a re-routed alert never shows the earlier
    /// school's time as its delivery.
    public var deliveredToItsSchool: Date? {
        alertState.flatMap { AlertLifecycle.deliveredToItsSchool(state: $0, deliveredAt: deliveredAt) }
    }

    /// Delivered with a link and not acknowledged by its deadline: the board's "phone the school"
    /// (`AlertRow.isUnacknowledged`, the same rule).
    public func isUnacknowledged(now: Date) -> Bool {
        guard let state = alertState else { return false }
        return AlertLifecycle.isUnacknowledged(state: state, linkIssued: linkIssued, acknowledgedAt: acknowledgedAt, deadline: deadline, now: now)
    }

    /// Unacknowledged while its links still open: the school is still to be phoned
    /// (`AlertRow.isToPhone`, the same rule the alerts board lists by).
    public func isToPhone(now: Date) -> Bool {
        guard let state = alertState else { return false }
        return AlertLifecycle.isToPhone(state: state, acknowledgedAt: acknowledgedAt, deadline: deadline, linksEnd: linksEnd, now: now)
    }
}

public enum ChildRecordError: Error, Equatable, CustomStringConvertible {
    case unknownIncident(String)
    /// The supervisor's grade is this one already: a regrade would change nothing (`Regrade.check`).
    case alreadyAtGrade(incidentId: String, Grade)

    public var description: String {
        switch self {
        case .unknownIncident(let id): "no incident with \(TypedId.named(id))"
        case .alreadyAtGrade(let id, let grade): "incident \(id) is graded \(grade.name) by a supervisor already"
        }
    }
}
