import Foundation
import Hummingbird
import RiskModel
import StoreContract

/// The MARAC plan's two forms on a child's page: add an action, and mark one done. Hub staff only
/// (an officer reads the plan); checked as `encompass plan` checks; a form with problems comes back
/// with them beside its fields (422) and nothing written.
struct PlanRoutes {
    let child: ChildRoutes

    /// `?plan=` on the child's page after a change, and what the page says.
    static let notices = ["added": "Plan action recorded.", "done": "Plan action marked done.",
                          "already": "This action was already recorded: it is in the plan below. Nothing more was recorded."]

    func add(to router: Router<HubRequestContext>) {
        router.post("/children/:childId/plan") { _, context in
            let user = try context.require(.hub)
            let childId = try ChildRoutes.parameter("childId", context)
            let form = context.form
            guard try await child.store.childExists(childId) else { throw PageError.notFound }
            let input = PlanFormState.Added(form)
            switch PlanAction.check(action: input.action, agency: input.agency, due: input.due) {
            case .failure(let problems):
                let state = PlanFormState(added: input, problems: problems.list.map { PlanFormState.problem($0, actionId: nil) })
                return try await child.childPage(childId: childId, user: user, context: context, form: nil, plan: state, notice: nil)
            case .success(let checked):
                do {
                    _ = try await child.store.addPlanAction(NewPlanAction(checked, childId: childId, by: user.name,
                                                                          recordedAt: child.clock.now(), actor: "user:\(user.name)"),
                                                            seen: OnePress.seen(form["seen"]))
                } catch OnePress.Refusal<PlanAction>.repeated {
                    // This very form was sent before: the action stands, once.
                    return .redirect(to: ChildRoutes.path(childId) + "?plan=already#plan", type: .normal)
                } catch OnePress.Refusal<PlanAction>.changed(let since) {
                    // Someone added to the plan meanwhile: the page shows it, and counts it, so
                    // pressing again adds this one.
                    let state = PlanFormState(added: input, status: .conflict,
                                              problems: [FieldProblem(field: "plan-heading", message: Self.addedMeanwhile(since))])
                    return try await child.childPage(childId: childId, user: user, context: context, form: nil, plan: state, notice: nil)
                }
                return .redirect(to: ChildRoutes.path(childId) + "?plan=added#plan", type: .normal)
            }
        }
        router.post("/children/:childId/plan/:actionId/done") { _, context in
            let user = try context.require(.hub)
            let childId = try ChildRoutes.parameter("childId", context)
            guard let id = Int64(try ChildRoutes.parameter("actionId", context)),
                  let action = try await child.store.planAction(id: id), action.childId == childId else { throw PageError.notFound }
            let on = context.form["on"]
            let now = child.clock.now()
            var problem: FieldProblem?
            var date: LocalDate?
            if let why = TextInput.code.named("The date").problem(on) {
                problem = FieldProblem(field: PlanFormState.doneField(id), message: why)
            } else {
                switch PlanAction.checkDone(on: on, today: child.configuration.scoring.zone.localDate(of: now)) {
                case .success(let d): date = d
                case .failure(let found): problem = found.list.first.map { PlanFormState.problem($0, actionId: id) }
                }
            }
            guard let date else {
                let state = PlanFormState(done: (id, on), problems: problem.map { [$0] } ?? [])
                return try await child.childPage(childId: childId, user: user, context: context, form: nil, plan: state, notice: nil)
            }
            do {
                _ = try await child.store.markPlanActionDone(id: id, on: date, by: user.name, at: now, actor: "user:\(user.name)")
            } catch PlanError.alreadyDone(_, let when) {
                // Someone marked it done meanwhile: theirs stands.
                let state = PlanFormState(done: (id, on), status: .conflict, problems: [
                    FieldProblem(field: PlanFormState.rowAnchor(id), message: Self.alreadyDone(when)),
                ])
                return try await child.childPage(childId: childId, user: user, context: context, form: nil, plan: state, notice: nil)
            }
            return .redirect(to: ChildRoutes.path(childId) + "?plan=done#plan", type: .normal)
        }
    }
}

extension PlanRoutes {
    /// What the page says when the action was marked done before this press (or a kept one, `KeptForm`).
    static func alreadyDone(_ when: LocalDate) -> String {
        "This action was already marked done on \(when): nothing was changed."
    }

    /// What the page says when actions were added after it was shown (`OnePress`): who added them,
    /// not their text, which the plan shows beside.
    static func addedMeanwhile(_ since: [PlanAction]) -> String {
        let who = Array(Set(since.map(\.recordedBy))).sorted().joined(separator: ", ")
        let told = since.isEmpty ? "The plan changed while this page was open"
            : since.count == 1 ? "An action was added to this plan by \(who) while this page was open"
            : "\(since.count) actions were added to this plan by \(who) while this page was open"
        return told + ". Yours was not added: read the plan, then press Add the action again if it is still needed."
    }
}

/// The plan's forms as sent back with problems: what was typed is kept.
struct PlanFormState {
    struct Added {
        var action: String?
        var agency: String?
        var due: String?

        /// The "add" form's fields as typed.
        init(_ form: FormFields) {
            action = form["action"]
            agency = form["agency"]
            due = form["due"]
        }
    }

    var added: Added?
    /// The action whose "done" form was sent, and the date typed.
    var done: (id: Int64, on: String?)?
    var status: HTTPResponse.Status = .unprocessableContent
    var problems: [FieldProblem]

    init(added: Added, status: HTTPResponse.Status = .unprocessableContent, problems: [FieldProblem]) {
        self.added = added
        self.status = status
        self.problems = problems
    }

    init(done: (id: Int64, on: String?), status: HTTPResponse.Status = .unprocessableContent, problems: [FieldProblem]) {
        self.done = done
        self.status = status
        self.problems = problems
    }

    /// The id of an action's "done" date field, and of its row.
    static func doneField(_ id: Int64) -> String { "plan-done-on-\(id)" }
    static func rowAnchor(_ id: Int64) -> String { "plan-action-\(id)" }

    /// A problem in words for people, tied to its field.
    static func problem(_ problem: PlanAction.Problem, actionId: Int64?) -> FieldProblem {
        switch problem {
        case .noAction: FieldProblem(field: "plan-action", message: "Say what is to be done.")
        case .actionTooLong:
            FieldProblem(field: "plan-action", message: "The action is too long: keep it to at most \(PlanAction.maximumActionLength) characters.")
        case .actionHasControlCharacter:
            FieldProblem(field: "plan-action", message: "The action holds a control character: type it again as plain text.")
        case .noAgency: FieldProblem(field: "plan-agency", message: "Say which agency is to do it, such as Children's Social Care.")
        case .agencyTooLong:
            FieldProblem(field: "plan-agency", message: "The agency is too long: keep it to at most \(PlanAction.maximumAgencyLength) characters.")
        case .agencyHasControlCharacter:
            FieldProblem(field: "plan-agency", message: "The agency holds a line break or a control character: type it again on one line.")
        case .dueNotADate:
            FieldProblem(field: "plan-due", message: "Enter the due date as a date, such as 2026-12-01 (YYYY-MM-DD), or leave it empty.")
        case .doneNotADate:
            FieldProblem(field: doneField(actionId ?? 0), message: "Enter the date it was done as a date, such as 2026-11-21 (YYYY-MM-DD).")
        case .doneInTheFuture:
            FieldProblem(field: doneField(actionId ?? 0), message: "The date it was done cannot be in the future.")
        }
    }
}

/// The plan on a child's page: each action with its agency, due date, who recorded it and when,
/// and when it was done; for staff, the form to add one and a "done" form on each not yet done.
struct PlanSection {
    let childId: String
    let actions: [PlanAction]
    let form: PlanFormState?
    let today: LocalDate
    let time: DisplayTime

    var values: [String: Any] {
        let errors = FormErrors(form?.problems ?? []).values
        let fieldErrors = errors["fieldErrors"] as? [String: String] ?? [:]
        let base = ChildRoutes.path(childId) + "/plan"
        var v = errors
        v["actions"] = actions.map { a -> [String: Any] in
            let field = PlanFormState.doneField(a.id)
            var row: [String: Any] = [
                "id": a.id, "anchor": PlanFormState.rowAnchor(a.id), "action": a.action, "agency": a.agency,
                "due": a.due.map(time.day) ?? "no date set", "by": a.recordedBy, "recorded": time.dayAndClock(a.recordedAt),
                "doneField": field, "doneAction": base + "/\(a.id)/done#" + FormErrors.summaryId,
                "doneOn": form?.done?.id == a.id ? form?.done?.on ?? "" : today.description,
            ]
            if let done = a.done { row["done"] = ["on": time.day(done.on), "by": done.by] }
            if let error = fieldErrors[field] { row["doneError"] = error }
            return row
        }
        v["hasActions"] = !actions.isEmpty
        // What the "add" form saw: one press, one action (`OnePress`).
        v["seen"] = actions.count
        v["outstanding"] = actions.filter { $0.done == nil }.count
        v["addAction"] = base + "#" + FormErrors.summaryId
        v["today"] = today.description
        for (key, field) in [("actionError", "plan-action"), ("agencyError", "plan-agency"), ("dueError", "plan-due")] {
            if let error = fieldErrors[field] { v[key] = error }
        }
        if let added = form?.added {
            v["typed"] = ["action": added.action ?? "", "agency": added.agency ?? "", "due": added.due ?? ""]
        }
        return v
    }
}
