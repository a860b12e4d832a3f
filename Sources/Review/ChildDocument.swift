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

    public init(record: ChildRecord, plans: [PlanAction], asOf: Date, settings: ScoringSettings) {
        self.record = record
        self.plans = plans
        self.asOf = asOf
        self.settings = settings
    }

    /// The keys in the order written, each with its value as JSON text.
    var sections: [(key: String, json: String)] {
        [
            ("child_id", JSONText.string(record.childId)),
            ("assessment", assessment),
            ("decisions", decisions),
            ("plans", PlanList.array(plans)),
            ("alerts", alerts),
        ]
    }

    public var json: String {
        "{" + sections.map { "\(JSONText.string($0.key)): \($0.json)" }.joined(separator: ",\n ") + "}\n"
    }

    /// The child's entry exactly as `escalations --all --json` has it as of `asOf`; null when no
    /// incident is in the window.
    var assessment: String {
        guard let a = RiskRules.assess(record.history, asOf: asOf, settings: settings) else { return "null" }
        return ReviewQueue.entryJSON(a, schoolURN: record.schoolURN)
    }

    /// Oldest first, as recorded: `{"marac", "on", "reason", "by", "recorded_at", "strategy_discussion"}`
    /// (the strategy flag null for a decision recorded by `encompass decide`, which does not ask).
    var decisions: String {
        JSONText.list(record.decisions) { entry in
            let d = entry.decision
            return "{\"marac\": \(JSONText.string(d.outcome.rawValue)), \"on\": \(JSONText.string(d.on.description)), "
                + "\"reason\": \(d.reason.map(JSONText.string) ?? "null"), \"by\": \(JSONText.string(d.by)), "
                + "\"recorded_at\": \(JSONText.string(JSONText.utc(d.recordedAt))), "
                + "\"strategy_discussion\": \(entry.strategyDiscussion.map { $0 ? "true" : "false" } ?? "null")}"
        }
    }

    /// `{"reference", "incident_id", "school_urn", "channel", "state", "deadline"}`: ids and states,
    /// the deadline as `alerts --json` writes it.
    var alerts: String {
        JSONText.list(record.alerts ?? []) { a in
            func text(_ s: String?) -> String { s.map(JSONText.string) ?? "null" }
            return "{\"reference\": \(text(a.reference)), \"incident_id\": \(text(a.incidentId)), \"school_urn\": \(text(a.schoolURN)), "
                + "\"channel\": \(text(a.channel)), \"state\": \(text(a.state)), "
                + "\"deadline\": \(text(a.deadline.map { settings.zone.iso8601($0) }))}"
        }
    }
}
