import Foundation
import RiskModel
import StoreContract

/// `GET /api/children/{id}`: one child's record for a program, as ids, dates and states. Each key
/// is one section below; a new section (the missing episodes) is one more line in `sections`.
public struct ChildDocument {
    public let record: ChildRecord
    public let plans: [PlanAction]
    public let asOf: Date
    public let settings: ScoringSettings
    public let serial: SerialPerpetrators

    public init(record: ChildRecord, plans: [PlanAction], asOf: Date, settings: ScoringSettings, serial: SerialPerpetrators = .none) {
        self.record = record
        self.plans = plans
        self.asOf = asOf
        self.settings = settings
        self.serial = serial
    }

    /// The serial perpetrators a child's record needs (`serial-perpetrator`): the incidents naming
    /// the perpetrators of the child's own incidents, read for the page and the API alike.
    public static func serialPerpetrators(for record: ChildRecord, store: any Store, asOf: Date,
                                          settings: ScoringSettings) async throws -> SerialPerpetrators {
        let from = asOf.addingTimeInterval(-Double(max(settings.serialDays, settings.windowDays)) * RiskRules.secondsPerDay)
        return RiskRules.serialPerpetrators(try await store.perpetratorIncidents(record.perpetratorIds, from: from, to: asOf),
                                            asOf: asOf, settings: settings)
    }

    /// The keys in the order written, each with its value as JSON text.
    var sections: [(key: String, json: String)] {
        [
            ("child_id", JSONText.string(record.childId)),
            ("assessment", assessment),
            ("decisions", decisions),
            ("plans", PlanList.array(plans)),
            ("episodes", episodes),
            ("alerts", alerts),
        ]
    }

    public var json: String {
        "{" + sections.map { "\(JSONText.string($0.key)): \($0.json)" }.joined(separator: ",\n ") + "}\n"
    }

    /// The child's entry exactly as `escalations --all --json` has it as of `asOf`; null when no
    /// incident is in the window.
    var assessment: String {
        guard let a = RiskRules.assess(record.history, asOf: asOf, settings: settings, serial: serial) else { return "null" }
        return ReviewQueue.entryJSON(a, schoolURN: record.schoolURN)
    }

    /// Oldest first, as recorded: `{"kind", "marac" or "strategy_meeting", "on", "reason", "by",
    /// "recorded_at", "strategy_discussion"}` (the strategy flag null for a decision recorded by
    /// `encompass decide`, which does not ask, and for a strategy-meeting decision).
    var decisions: String {
        JSONText.list(record.decisions) { entry in
            let d = entry.decision
            let choice = d.kind == .marac ? "marac" : "strategy_meeting"
            return "{\"kind\": \(JSONText.string(d.kind.rawValue)), \(JSONText.string(choice)): \(JSONText.string(d.outcome.rawValue)), "
                + "\"on\": \(JSONText.string(d.on.description)), "
                + "\"reason\": \(d.reason.map(JSONText.string) ?? "null"), \"by\": \(JSONText.string(d.by)), "
                + "\"recorded_at\": \(JSONText.string(JSONText.utc(d.recordedAt))), "
                + "\"strategy_discussion\": \(entry.strategyDiscussion.map { $0 ? "true" : "false" } ?? "null")}"
        }
    }

    /// Oldest first: `{"episode_id", "missing_at", "returned_at", "risk", "return_interview_at", "flags"}`,
    /// times in UTC; no names (the child's are the record's).
    var episodes: String {
        JSONText.list(record.episodes) { e in
            func time(_ d: Date?) -> String { d.map { JSONText.string(JSONText.utc($0)) } ?? "null" }
            return "{\"episode_id\": \(JSONText.string(e.episodeId)), \"missing_at\": \(time(e.missingAt)), "
                + "\"returned_at\": \(time(e.returnedAt)), \"risk\": \(e.risk.map { JSONText.string($0.rawValue) } ?? "null"), "
                + "\"return_interview_at\": \(time(e.returnInterviewAt)), "
                + "\"flags\": [\(e.fact.flags(asOf: asOf).map { JSONText.string($0.rawValue) }.joined(separator: ", "))]}"
        }
    }

    /// `{"reference", "incident_id", "school_urn", "channel", "state", "deadline", "delivered_at",
    /// "acknowledged_at"}`: ids, states and times as `alerts --json` writes them (the delivery only
    /// once the school the alert is now for has it, `deliveredToItsSchool`; both UTC or null).
    var alerts: String {
        JSONText.list(record.alerts ?? []) { a in
            func text(_ s: String?) -> String { s.map(JSONText.string) ?? "null" }
            return "{\"reference\": \(text(a.reference)), \"incident_id\": \(text(a.incidentId)), \"school_urn\": \(text(a.schoolURN)), "
                + "\"channel\": \(text(a.channel)), \"state\": \(text(a.stateAsRead(at: asOf))), "
                + "\"deadline\": \(text(a.deadline.map { settings.zone.iso8601($0) })), "
                + "\"delivered_at\": \(text(a.deliveredToItsSchool.map(JSONText.utc))), \"acknowledged_at\": \(text(a.acknowledgedAt.map(JSONText.utc)))}"
        }
    }
}
