import Foundation
import Hummingbird
import InputRules
import Review
import RiskModel
import StoreContract

/// A child's page, the decision form on it, and a supervisor's regrade of one of the child's incidents.
/// Every view of the page and every change is written to the audit with the person and the time.
struct ChildRoutes {
    let store: any HubStore
    let pages: PageRenderer
    let queue: QueueCache
    let configuration: WebConfiguration
    let clock: WebClock

    static func path(_ childId: String) -> String { "/children/" + encode(childId) }

    static func encode(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? id
    }

    func add(to router: Router<HubRequestContext>) {
        router.get("/children/:childId") { request, context in
            let user = try context.user()
            let childId = try Self.parameter("childId", context)
            let query = request.formQuery
            var notice: String?
            if let recorded = query["recorded"] {
                notice = recorded == "already" ? Self.alreadyRecorded : "Decision recorded."
            }
            if let regraded = query["regraded"] { notice = regraded == "already" ? Self.alreadyRegraded : "Regrade recorded." }
            if let plan = query["plan"].flatMap({ PlanRoutes.notices[$0] }) { notice = plan }
            return try await childPage(childId: childId, user: user, context: context, form: nil, notice: notice)
        }
        router.post("/children/:childId/decisions") { _, context in
            let user = try context.require(.hub)
            let childId = try Self.parameter("childId", context)
            let form = context.form
            let input = Self.decisionInput(form)
            let now = clock.now()
            guard try await store.childExists(childId) else { throw PageError.notFound }
            switch input.check(today: configuration.scoring.zone.localDate(of: now)) {
            case .failure(let problems):
                return try await childPage(childId: childId, user: user, context: context,
                                           form: DecisionFormState(input: input, problems: problems.list), notice: nil)
            case .success(let decisions):
                let made = decisions.map { kind, checked in
                    Decision(childId: childId, kind: kind, outcome: checked.outcome, on: checked.on, reason: checked.reason,
                             by: user.name, recordedAt: now)
                }
                do {
                    try await store.record(made, strategyDiscussion: input.strategyDiscussion, actor: "user:\(user.name)",
                                           seen: OnePress.seen(form["seen"]))
                } catch OnePress.Refusal<Decision>.repeated {
                    // This very form was sent before (Back and press again, a double click): it stands, once.
                    return .redirect(to: Self.path(childId) + "?recorded=already#decisions", type: .normal)
                } catch OnePress.Refusal<Decision>.changed(let since) {
                    // Someone decided meanwhile: say what, keep what was typed, and the page's form
                    // now counts their decision, so pressing again records this one.
                    let problem = FieldProblem(field: "decisions", message: Self.decidedMeanwhile(since))
                    return try await childPage(childId: childId, user: user, context: context,
                                               form: DecisionFormState(input: input, problems: [problem]), notice: nil, status: .conflict)
                }
                await queue.invalidate()
                return .redirect(to: Self.path(childId) + "?recorded=1#decisions", type: .normal)
            }
        }
        router.get("/children/:childId/incidents/:incidentId/regrade") { _, context in
            let user = try context.require(.supervisor)
            return try await regradePage(childId: try Self.parameter("childId", context),
                                         incidentId: try Self.parameter("incidentId", context),
                                         user: user, context: context, problems: [], typed: nil, status: .ok)
        }
        router.post("/children/:childId/incidents/:incidentId/regrade") { _, context in
            let user = try context.require(.supervisor)
            let childId = try Self.parameter("childId", context)
            let incidentId = try Self.parameter("incidentId", context)
            let form = context.form
            var problems: [FieldProblem] = []
            let grade = Self.grade(form)
            if grade == nil { problems.append(FieldProblem(field: "grade", message: "Choose the grade: standard, medium or high.")) }
            let reason = form.text("reason")
            if let why = TextInput.regradeReason.problem(form["reason"]) {
                problems.append(FieldProblem(field: "reason", message: why))
            } else if reason == nil {
                problems.append(FieldProblem(field: "reason", message: "Say why the incident is regraded: a reason is required."))
            }
            let typed = (grade: grade, reason: form["reason"])
            guard let grade, let reason, problems.isEmpty else {
                return try await regradePage(childId: childId, incidentId: incidentId, user: user, context: context,
                                             problems: problems, typed: typed, status: .unprocessableContent)
            }
            guard let record = try await store.childRecord(childId),
                  record.incidents.contains(where: { $0.incidentId == incidentId }) else { throw PageError.notFound }
            let landing = { (regraded: String) in Self.path(childId) + "?regraded=" + regraded + "#" + ChildPage.anchor(incidentId) }
            do {
                _ = try await store.regrade(incidentId: incidentId, to: grade, reason: reason, by: user.name, at: clock.now(),
                                            seen: OnePress.seen(form["seen"]))
            } catch OnePress.Refusal<Regrade>.repeated {
                // This very form was sent before (a double click, Back and press again): it stands, once.
                return .redirect(to: landing("already"), type: .normal)
            } catch OnePress.Refusal<Regrade>.changed(let since) {
                // Someone regraded meanwhile: say who, keep what was typed; the form now counts theirs.
                return try await regradePage(childId: childId, incidentId: incidentId, user: user, context: context,
                                             problems: [FieldProblem(field: "grade", message: Self.regradedMeanwhile(since))],
                                             typed: typed, status: .conflict)
            } catch ChildRecordError.alreadyAtGrade(_, let grade) {
                return try await regradePage(childId: childId, incidentId: incidentId, user: user, context: context,
                                             problems: [FieldProblem(field: "grade", message: Self.alreadyAtGrade(grade))],
                                             typed: typed, status: .conflict)
            }
            await queue.invalidate()
            return .redirect(to: landing("1"), type: .normal)
        }
    }

    static let alreadyRecorded = "This decision was already recorded: it is under Decisions so far. Nothing more was recorded."

    /// The decision form's fields as typed.
    static func decisionInput(_ form: FormFields) -> DecisionInput {
        DecisionInput(marac: form.text("marac"), strategyMeeting: form.text("strategy_meeting"), on: form.text("on"),
                      reason: form["reason"], strategyDiscussion: form["strategy"] != nil)
    }

    /// The regrade form's grade, when it names one.
    static func grade(_ form: FormFields) -> Grade? {
        TextInput.code.accepts(form["grade"]) ? form.text("grade").flatMap(Grade.init(text:)) : nil
    }

    /// A kept decision or regrade form (`KeptForm`) on its page, filled in as typed, `message` in
    /// its error summary, with this session's token and the page's `seen` as it is now: nothing written.
    func present(_ kept: KeptForm, message: String, context: HubRequestContext, status: HTTPResponse.Status) async throws -> Response {
        switch kept.kind {
        case .decision(let childId):
            let user = try context.require(.hub)
            guard try await store.childExists(childId) else { throw PageError.notFound }
            let form = DecisionFormState(input: Self.decisionInput(kept.fields),
                                         problems: [FieldProblem(field: "decisions", message: message)] + kept.blankProblems())
            return try await childPage(childId: childId, user: user, context: context, form: form, notice: nil, status: status)
        case .planAction(let childId):
            let user = try context.require(.hub)
            guard try await store.childExists(childId) else { throw PageError.notFound }
            let plan = PlanFormState(added: PlanFormState.Added(kept.fields), status: status,
                                     problems: [FieldProblem(field: "plan-heading", message: message)] + kept.blankProblems { "plan-" + $0 })
            return try await childPage(childId: childId, user: user, context: context, form: nil, plan: plan, notice: nil)
        case .planDone(let childId, let actionId):
            let user = try context.require(.hub)
            guard let action = try await store.planAction(id: actionId), action.childId == childId else { throw PageError.notFound }
            // Marked done meanwhile: theirs stands, as the form's own press would be told.
            let problem = action.done.map { FieldProblem(field: PlanFormState.rowAnchor(actionId), message: PlanRoutes.alreadyDone($0.on)) }
                ?? FieldProblem(field: PlanFormState.doneField(actionId), message: message)
            let plan = PlanFormState(done: (actionId, kept.fields["on"]), status: status, problems: [problem])
            return try await childPage(childId: childId, user: user, context: context, form: nil, plan: plan, notice: nil)
        case .regrade(let childId, let incidentId):
            let user = try context.require(.supervisor)
            return try await regradePage(childId: childId, incidentId: incidentId, user: user, context: context,
                                         problems: [FieldProblem(field: "grade", message: message)] + kept.blankProblems(),
                                         typed: (Self.grade(kept.fields), kept.fields["reason"]), status: status)
        case .call, .school:
            throw PageError.notFound
        }
    }

    static let alreadyRegraded = "This regrade was already recorded: it is under the incident. Nothing more was recorded."

    /// A regrade to the supervisor's grade the incident has (`Regrade.check`).
    static func alreadyAtGrade(_ grade: Grade) -> String {
        "The incident is already at that grade: a supervisor graded it \(grade.name). Nothing was recorded; choose another grade to change it."
    }

    /// What the regrade form says when the incident was regraded after it was shown (`OnePress`).
    static func regradedMeanwhile(_ since: [Regrade]) -> String {
        let what = since.map { "to \($0.newGrade.name) by \($0.by)" }
        let told = what.isEmpty ? "The incident's regrades changed while this page was open"
            : "The incident was regraded while this page was open (\(what.joined(separator: "; ")))"
        return told + ". Yours was not recorded: read the grades above, then press Record regrade again if it still stands."
    }

    /// What the page says when decisions were recorded after it was shown (`OnePress`).
    static func decidedMeanwhile(_ since: [Decision]) -> String {
        let what = since.map { "\(ChildPage.outcomeWords($0)) on \($0.on) by \($0.by)" }
        let told = what.isEmpty ? "The child's decisions changed while this page was open"
            : "Another decision was recorded for this child while this page was open (\(what.joined(separator: "; ")))"
        return told + ". Yours was not recorded: read Decisions so far, then press Record decision again if it still stands."
    }

    /// A value from the path (a child id, a plan action's id, an alert reference, a user name, a
    /// token), percent-decoded, or 404 when it could not name anything (`pathValue`).
    static func parameter(_ name: String, _ context: HubRequestContext) throws -> String {
        guard let value = pathValue(name, context) else { throw PageError.notFound }
        return value
    }

    /// The one reader of a value from the path, for every route: percent-decoded, and nil when it is
    /// missing, empty, badly encoded or not an identifier as one may be stored (`FieldText`: no
    /// control character, at most 64 characters). SQLite cuts bound text at a NUL, so without this
    /// `C-1001%00x` read and wrote C-1001.
    static func pathValue(_ name: String, _ context: HubRequestContext) -> String? {
        context.parameters.get(name).flatMap(identifier)
    }

    /// One part of a path, read by `pathValue`'s rule (a kept form's address too: `KeptForm`).
    static func identifier(_ raw: String) -> String? {
        guard let value = raw.removingPercentEncoding, !value.isEmpty, FieldText.problem(value, as: .identifier) == nil else { return nil }
        return value
    }

    /// The page, with the decision form or the plan's forms as sent back with problems (`plan`
    /// carries its own status: 422, or 409 for an action done or added meanwhile; `status`, 409 for
    /// a decision recorded meanwhile).
    func childPage(childId: String, user: UserAccount, context: HubRequestContext, form: DecisionFormState?,
                   plan: PlanFormState? = nil, notice: String?, status: HTTPResponse.Status? = nil) async throws -> Response {
        let now = clock.now()
        guard let record = try await store.childRecord(childId) else { throw PageError.notFound }
        let actions = try await store.planActions(childId: childId)
        try await store.appendAudit(actor: "user:\(user.name)", action: "child.viewed", subject: "child:\(childId)", at: now)
        let today = configuration.scoring.zone.localDate(of: now)
        let settings = configuration.scoring
        let serial = try await ChildDocument.serialPerpetrators(for: record, store: store, asOf: now, settings: settings)
        var values = ChildPage(record: record, asOf: now, settings: settings, serial: serial, user: user, today: today).values
        values["form"] = (form ?? DecisionFormState(today: today)).values
        // What the decision form saw: one press, one decision (`OnePress`).
        values["decisionsSeen"] = record.decisions.count
        values["plan"] = PlanSection(childId: childId, actions: actions, form: plan, today: today,
                                     time: DisplayTime(zone: configuration.scoring.zone)).values
        // A form sent back with problems lands on its error summary.
        values["action"] = Self.path(childId) + "/decisions#" + FormErrors.summaryId
        if let notice { values["notice"] = notice }
        let problems = form?.problems.isEmpty == false || plan != nil
        return pages.render("child", PageFrame(context: context, title: "Child \(childId)", error: problems).with(values),
                            status: status ?? plan?.status ?? (problems ? .unprocessableContent : .ok))
    }

    func regradePage(childId: String, incidentId: String, user: UserAccount, context: HubRequestContext,
                     problems: [FieldProblem], typed: (grade: Grade?, reason: String?)?, status: HTTPResponse.Status) async throws -> Response {
        guard let record = try await store.childRecord(childId),
              let incident = record.incidents.first(where: { $0.incidentId == incidentId }) else { throw PageError.notFound }
        try await store.appendAudit(actor: "user:\(user.name)", action: "child.viewed", subject: "child:\(childId)", at: clock.now())
        let time = DisplayTime(zone: configuration.scoring.zone)
        var values: [String: Any] = [
            "childId": childId,
            "childLink": Self.path(childId),
            "name": record.name.full,
            "incidentId": incidentId,
            "when": time.dayAndClock(incident.reportedAt),
            "officer": incident.officerGrade.name,
            "supervisor": incident.supervisorGrade?.name ?? "not reviewed",
            "effective": incident.effectiveGrade.name,
            "action": Self.path(childId) + "/incidents/" + Self.encode(incidentId) + "/regrade#" + FormErrors.summaryId,
            "grades": Grade.allCases.map { g in
                ["value": g.name, "label": g.name.capitalized,
                 "selected": g == (typed?.grade ?? incident.supervisorGrade ?? incident.officerGrade)]
            },
            // What the form saw: one press, one regrade (`OnePress`).
            "seen": record.regrades.filter { $0.incidentId == incidentId }.count,
        ]
        values.merge(FormErrors(problems).values) { _, new in new }
        if let yes = incident.dashYesCount {
            values["yesCount"] = yes
            let band = RiskTool.band(yesCount: yes)
            if band > .standard { values["floor"] = band.name }
        }
        if let reason = typed?.reason { values["reason"] = reason }
        return pages.render("regrade", PageFrame(context: context, title: "Regrade incident \(incidentId)", error: !problems.isEmpty)
            .with(values), status: status)
    }
}

/// The decision form's values, kept when it comes back with problems so nothing typed is lost.
struct DecisionFormState {
    var input: DecisionInput
    var problems: [FieldProblem]

    init(input: DecisionInput, problems: [FieldProblem]) {
        self.input = input
        self.problems = problems
    }

    init(today: LocalDate) {
        input = DecisionInput(marac: nil, strategyMeeting: nil, on: today.description, reason: nil)
        problems = []
    }

    var values: [String: Any] {
        var v: [String: Any] = [
            "referred": input.marac == "referred",
            "declined": input.marac == "declined",
            "held": input.strategyMeeting == "held",
            "meetingDeclined": input.strategyMeeting == "declined",
            "strategy": input.strategyDiscussion,
        ]
        v.merge(FormErrors(problems).values) { _, new in new }
        if let on = input.on { v["on"] = on }
        if let reason = input.reason { v["reason"] = reason }
        return v
    }
}
