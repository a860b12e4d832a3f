import Foundation
import Hummingbird
import InputRules
import RiskModel
import StoreContract

/// The alerts board (any signed-in role) and recording an unmatched child's school from it. Each
/// school recorded is audited with the person, the time, the alert's reference and the URN.
struct AlertRoutes {
    let store: any HubStore
    let pages: PageRenderer
    let queue: QueueCache
    let configuration: WebConfiguration
    let clock: WebClock

    func add(to router: Router<HubRequestContext>) {
        router.get("/alerts") { request, context in
            _ = try context.require(.hub)
            let recorded = request.formQuery["recorded"]
            let phoned = request.formQuery["phoned"]
            let again = request.formQuery["again"] != nil
            let query = request.formQuery
            return try await board(context: context, problem: nil, recorded: recorded, phoned: phoned, phonedAgain: again,
                                   place: AlertBoard.Place { query[$0] }, status: .ok)
        }
        // "Phone the school": hub staff record that they rang about an unacknowledged alert.
        router.post("/alerts/:reference/call") { _, context in
            let user = try context.require(.hub)
            let reference = try ChildRoutes.parameter("reference", context)
            let note = Self.note(context.form)
            if let why = Self.callNote.problem(note) {
                return try await board(context: context, problem: .init(reference: reference, form: .call, entered: note, message: why),
                                       recorded: nil, phoned: nil, status: .unprocessableContent)
            }
            do {
                try await store.recordCall(AlertCall(reference: reference, calledBy: user.name, calledAt: clock.now(),
                                                     note: note.isEmpty ? nil : note), seen: OnePress.seen(context.form["seen"]))
            } catch UnmatchedError.unknownAlert {
                throw PageError.notFound
            } catch OnePress.Refusal<AlertCall>.repeated {
                // This very form was sent before: the call stands, once.
                return .redirect(to: "/alerts?again=1&phoned=" + ChildRoutes.encode(reference), type: .normal)
            } catch OnePress.Refusal<AlertCall>.changed(let since) {
                // Someone recorded a call meanwhile: the board shows it, and counts it, so pressing
                // again records this one.
                return try await board(context: context, problem: .init(reference: reference, form: .call, entered: note,
                                                                        message: Self.phonedMeanwhile(since)),
                                       recorded: nil, phoned: nil, status: .conflict)
            }
            return .redirect(to: "/alerts?phoned=" + ChildRoutes.encode(reference), type: .normal)
        }
        router.post("/alerts/unmatched/:reference/school") { _, context in
            let user = try context.require(.hub)
            let reference = try ChildRoutes.parameter("reference", context)
            let urn = Self.urn(context.form)
            if let why = TextInput.code.named("The URN").problem(urn) ?? Self.problem(withURN: urn) {
                return try await board(context: context, problem: .init(reference: reference, entered: urn, message: why),
                                       recorded: nil, phoned: nil, status: .unprocessableContent)
            }
            do {
                _ = try await store.recordSchool(urn: urn, forAlert: reference, actor: "user:\(user.name)", at: clock.now(),
                                                 planner: configuration.alertPlanner)
            } catch UnmatchedError.unknownAlert {
                throw PageError.notFound
            } catch let e as UnmatchedError {
                // Someone else got there first, or the link went: show the board as it is now.
                return try await board(context: context, problem: .init(reference: reference, entered: urn, message: Self.message(e)),
                                       recorded: nil, phoned: nil, status: .conflict)
            }
            // The child's school shows in the queue.
            await queue.invalidate()
            return .redirect(to: "/alerts?recorded=" + ChildRoutes.encode(reference), type: .normal)
        }
    }

    /// What the board says when calls were recorded after it was shown (`OnePress`).
    static func phonedMeanwhile(_ since: [AlertCall]) -> String {
        let who = Array(Set(since.map(\.calledBy))).sorted().joined(separator: ", ")
        let told = since.isEmpty ? "The calls about this alert changed while this page was open"
            : "\(who) recorded a call about this alert while this page was open"
        return told + ". Yours was not recorded: read the calls, then press I phoned the school again if yours was another call."
    }

    static func note(_ form: FormFields) -> String { (form.text("note") ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
    static func urn(_ form: FormFields) -> String { form.text("urn") ?? "" }

    /// A kept call or school form (`KeptForm`) on the board, filled in as typed, `message` in its
    /// error summary, with this session's token and the board's `seen` as it is now: nothing written.
    func present(_ kept: KeptForm, message: String, context: HubRequestContext, status: HTTPResponse.Status) async throws -> Response {
        _ = try context.require(.hub)
        let problem: AlertBoard.Problem
        switch kept.kind {
        case .call(let reference): problem = .init(reference: reference, form: .call, entered: Self.note(kept.fields), message: message)
        case .school(let reference): problem = .init(reference: reference, entered: Self.urn(kept.fields), message: message)
        case .decision, .planAction, .planDone, .regrade: throw PageError.notFound
        }
        return try await board(context: context, problem: problem, recorded: nil, phoned: nil, status: status)
    }

    static let callNote = TextInput(label: "The note", maxLength: AlertCall.maximumNoteLength, multiline: true)

    /// Why a typed URN cannot be a school's, in words for the form; nil when it can.
    static func problem(withURN urn: String) -> String? {
        if urn.isEmpty { return "Enter the school's URN: 6 digits, as GIAS shows it." }
        guard URN.isValid(urn) else {
            return "A school URN is exactly 6 digits, such as 100000. Nothing was recorded."
        }
        return nil
    }

    private static func message(_ e: UnmatchedError) -> String {
        switch e {
        case .unknownAlert: PageError.notFound.message
        case .notUnmatched(_, let state): "This alert is already \(state.rawValue): someone recorded its school first. Nothing was changed."
        case .linkGone: "The child is no longer linked to this incident in the force's records. Nothing was changed."
        }
    }

    private func board(context: HubRequestContext, problem: AlertBoard.Problem?, recorded: String?, phoned: String?,
                       phonedAgain: Bool = false, place asked: AlertBoard.Place = .init(), status: HTTPResponse.Status) async throws -> Response {
        let now = clock.now()
        let since = now.addingTimeInterval(-Double(AlertBoard.recentDays) * 86_400)
        let startOfToday = AlertBoard.startOfToday(now, zone: configuration.scoring.zone)
        // Each list read by its own query: the page never reads every alert of the store.
        let run = try await store.alertsInRun(since: startOfToday, now: now).filter { AlertBoard.inTodaysRun($0, startOfToday: startOfToday) }
        var place = asked
        let phone = try await phoneList(now: now, place: &place, showing: problem?.form == .call ? problem?.reference : phoned)
        let unmatched = try await unmatchedList(now: now, place: &place, showing: problem?.form == .school ? problem?.reference : nil)
        let notices = try await store.hubNotices(since: since, limit: AlertBoard.noticeLimit).filter(AlertBoard.lists)
        // The schools `rerouted` and `no-longer-named` notices name, to phone as the unacknowledged alerts' are.
        var noticeSchools: [String: School] = [:]
        for urn in Set(notices.filter { AlertBoard.namesEarlierSchool($0.notice) }.compactMap(\.notice.schoolURN)) {
            noticeSchools[urn] = try await store.school(urn: urn)
        }
        var recordedAlert: AlertRow?
        if let recorded { recordedAlert = try await store.alert(reference: recorded) }
        var values = AlertBoard(run: run, phone: phone, unmatched: unmatched, place: place, notices: notices, noticeSchools: noticeSchools,
                                unsentNotices: try await store.unsentHubNotices().filter(\.stillHolds).count, now: now,
                                zone: configuration.scoring.zone, problem: problem, recorded: recordedAlert,
                                phoned: phoned, lastRun: try await store.latestNotifyRun()).values
        // What each call form saw: one press, one call (`OnePress`). The rows are `phone`'s, in its order.
        if let rows = values["phone"] as? [[String: Any]], rows.count == phone.rows.count {
            values["phone"] = zip(rows, phone.rows).map { row, p in row.merging(["rowCallsSeen": p.calls.count]) { $1 } }
        }
        if phonedAgain, let phoned {
            values["notice"] = "This call about alert \(phoned) was already recorded: it is shown below. Nothing more was recorded."
        }
        return pages.render("alerts", PageFrame(context: context, title: "Alerts to schools", error: problem != nil).with(values),
                            status: status)
    }

    /// The schools to phone (`AlertLifecycle.isToPhone`), newest deadline first: the alerts whose
    /// deadline passed this morning, the calls that can still reach the child's school day, come
    /// first, and the list ends with those whose links close soonest. The page asked for, or the
    /// one holding `showing` (the alert a call was just recorded for, or whose form was refused).
    /// Every row's calls are read (the count not yet phoned is of them all): the rows are only
    /// those whose links still open, `alerts.ack_days` of alerts at most, whatever the history.
    private func phoneList(now: Date, place: inout AlertBoard.Place, showing: String?) async throws -> AlertBoard.PhoneList {
        let all = try await store.alertsToPhone(now: now)
        var calls: [String: [AlertCall]] = [:]
        for start in stride(from: 0, to: all.count, by: 1_000) {
            let part = all[start..<min(start + 1_000, all.count)].map(\.reference)
            calls.merge(Dictionary(grouping: try await store.calls(references: part), by: \.reference)) { $0 + $1 }
        }
        if let showing, let index = all.firstIndex(where: { $0.reference == showing }) { place.phone = index / AlertBoard.pageRows + 1 }
        let page = AlertBoard.Page(place.phone, of: all.count)
        place.phone = page.number
        let rows = all[page.range]
        var schools: [String: School] = [:]
        for urn in Set(rows.compactMap(\.schoolURN)) { schools[urn] = try await store.school(urn: urn) }
        let notPhoned = all.filter { !AlertBoard.ToPhone(alert: $0, school: nil, calls: calls[$0.reference] ?? []).phoned }.count
        return AlertBoard.PhoneList(
            page: page, rows: rows.map { AlertBoard.ToPhone(alert: $0, school: $0.schoolURN.flatMap { schools[$0] }, calls: calls[$0.reference] ?? []) },
            notPhoned: notPhoned, closedLinks: max(0, try await store.unacknowledgedCount(now: now) - all.count))
    }

    /// The unmatched children, newest incident first: those an alert may still be sent for
    /// (`AlertPlanner.oldestConsidered`: reported within `alerts.max_age_days`), or the older ones
    /// (`place.older`). A row whose form was refused (`showing`) and is not on the page is shown
    /// first, so the error summary's link has its field.
    private func unmatchedList(now: Date, place: inout AlertBoard.Place, showing: String?) async throws -> AlertBoard.UnmatchedList {
        let planner = configuration.alertPlanner
        let limit = planner?.oldestConsidered(now: now)
        if limit == nil { place.older = false }
        func read(_ page: Int) async throws -> UnmatchedPage {
            try await store.unmatchedAlerts(reportedSince: limit, older: place.older, offset: (page - 1) * AlertBoard.pageRows,
                                            limit: AlertBoard.pageRows)
        }
        var found = try await read(place.unmatched)
        var page = AlertBoard.Page(place.unmatched, of: place.older ? found.older : found.recent)
        if page.number != place.unmatched { found = try await read(page.number) }
        page = AlertBoard.Page(page.number, of: place.older ? found.older : found.recent)
        place.unmatched = page.number
        var rows = found.rows
        if let showing, !rows.contains(where: { $0.reference == showing }), let alert = try await store.alert(reference: showing),
           alert.state == .unmatched {
            rows.insert(alert, at: 0)
        }
        return AlertBoard.UnmatchedList(page: page, rows: rows, recent: found.recent, older: found.older,
                                        maxAgeDays: planner?.maxAge.map { Int(($0 / 86_400).rounded()) })
    }
}
