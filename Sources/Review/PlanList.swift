import Foundation
import InputRules
import RiskModel

/// `encompass plan list` as JSON and as a table (SPEC §5); the JSON API's `plans` are the same objects.
public enum PlanList {
    /// `{"child_id", "actions": [...]}`.
    public static func json(childId: String, _ actions: [PlanAction]) -> String {
        "{\"child_id\": \(JSONText.string(childId)), \"actions\": \(array(actions))}\n"
    }

    /// The actions as a JSON array, one object each, oldest first.
    public static func array(_ actions: [PlanAction]) -> String {
        JSONText.list(actions, object)
    }

    /// `{"id", "action", "agency", "due", "recorded_by", "recorded_at", "done_on"}`: `recorded_at` in
    /// UTC as every JSON time; `due` and `done_on` as YYYY-MM-DD or null.
    public static func object(_ a: PlanAction) -> String {
        "{\"id\": \(a.id), \"action\": \(JSONText.string(a.action)), \"agency\": \(JSONText.string(a.agency)), "
            + "\"due\": \(date(a.due)), \"recorded_by\": \(JSONText.string(a.recordedBy)), "
            + "\"recorded_at\": \(JSONText.string(JSONText.utc(a.recordedAt))), \"done_on\": \(date(a.done?.on))}"
    }

    static func date(_ d: LocalDate?) -> String { d.map { JSONText.string($0.description) } ?? "null" }

    /// A table for people: the hub's local times, no control character ever written to a terminal.
    public static func table(childId: String, _ actions: [PlanAction], zone: Zone) -> String {
        if actions.isEmpty { return "No plan actions for \(FieldText.forTerminal(childId)).\n" }
        var rows: [[String]] = [["ID", "DUE", "DONE", "AGENCY", "RECORDED", "BY", "ACTION"]]
        for a in actions {
            rows.append([String(a.id), a.due?.description ?? "-", a.done.map { $0.on.description } ?? "not yet", a.agency,
                         zone.iso8601(a.recordedAt), a.recordedBy, a.action].map(FieldText.forTerminal))
        }
        let head = "MARAC plan for \(FieldText.forTerminal(childId)): \(actions.count) action(s), \(actions.filter { $0.done == nil }.count) not done\n"
        return head + AlertList.columns(rows)
    }
}
