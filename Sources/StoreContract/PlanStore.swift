import Foundation
import RiskModel

/// A child's MARAC plan (SPEC §5): actions appended, each marked done at most once by a row of its
/// own, never edited or deleted (the database refuses it too). Its tables come with
/// `Store.migrate()` (`v12-marac-plans`, `pg8-marac-plans`).
public protocol PlanStore: Sendable {
    /// Appends the action and its audit row (`plan.added`, ids only) in one transaction and returns
    /// it numbered, when the child's plan still holds `seen` actions (the page's form: `OnePress`;
    /// nil appends regardless). Throws `StoreError.unknownChild` for a child the store does not
    /// know, `OnePress.Refusal<PlanAction>` (nothing written) when the plan does not hold `seen`.
    func addPlanAction(_ action: NewPlanAction, seen: Int?) async throws -> PlanAction
    /// Appends the action's "done" row and its audit row (`plan.done`) in one transaction. Throws
    /// `PlanError.unknownAction`, or `PlanError.alreadyDone` when it was marked done before.
    func markPlanActionDone(id: Int64, on: LocalDate, by: String, at: Date, actor: String) async throws -> PlanAction
    /// The child's actions, oldest first, each with its "done" when it has one.
    func planActions(childId: String) async throws -> [PlanAction]
    /// One action, or nil.
    func planAction(id: Int64) async throws -> PlanAction?
}

extension PlanStore {
    /// Appends the action whatever the plan held before (`encompass plan add`, tests).
    public func addPlanAction(_ action: NewPlanAction) async throws -> PlanAction {
        try await addPlanAction(action, seen: nil)
    }
}

/// The audit rows a plan writes: ids, dates and who, never the action's text, which may name people.
public enum PlanAudit {
    public static func added(_ action: PlanAction) -> (action: String, subject: String, detail: [String: Any]) {
        var detail: [String: Any] = ["action_id": action.id, "by": action.recordedBy]
        if let due = action.due { detail["due"] = due.description }
        return ("plan.added", "child:\(action.childId)", detail)
    }

    public static func done(_ action: PlanAction) -> (action: String, subject: String, detail: [String: Any]) {
        var detail: [String: Any] = ["action_id": action.id]
        if let done = action.done {
            detail["on"] = done.on.description
            detail["by"] = done.by
        }
        return ("plan.done", "child:\(action.childId)", detail)
    }
}
