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
            let recorded = request.uri.queryParameters["recorded"].map(String.init)
            return try await board(context: context, problem: nil, recorded: recorded, status: .ok)
        }
        router.post("/alerts/unmatched/:reference/school") { _, context in
            let user = try context.require(.hub)
            let reference = try ChildRoutes.parameter("reference", context)
            let urn = context.form.text("urn") ?? ""
            if let why = TextInput.code.named("The URN").problem(urn) ?? Self.problem(withURN: urn) {
                return try await board(context: context, problem: .init(reference: reference, urn: urn, message: why),
                                       recorded: nil, status: .unprocessableContent)
            }
            do {
                _ = try await store.recordSchool(urn: urn, forAlert: reference, actor: "user:\(user.name)", at: clock.now(),
                                                 planner: configuration.alertPlanner)
            } catch UnmatchedError.unknownAlert {
                throw PageError.notFound
            } catch let e as UnmatchedError {
                // Someone else got there first, or the link went: show the board as it is now.
                return try await board(context: context, problem: .init(reference: reference, urn: urn, message: Self.message(e)),
                                       recorded: nil, status: .conflict)
            }
            // The child's school shows in the queue.
            await queue.invalidate()
            return .redirect(to: "/alerts?recorded=" + ChildRoutes.encode(reference), type: .normal)
        }
    }

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

    private func board(context: HubRequestContext, problem: AlertBoard.Problem?, recorded: String?,
                       status: HTTPResponse.Status) async throws -> Response {
        let now = clock.now()
        let since = now.addingTimeInterval(-Double(AlertBoard.recentDays) * 86_400)
        let values = AlertBoard(alerts: try await store.alerts(state: nil),
                                notices: try await store.hubNotices(since: since, limit: AlertBoard.noticeLimit),
                                unsentNotices: try await store.unsentHubNotices().count, now: now,
                                zone: configuration.scoring.zone, problem: problem, recorded: recorded).values
        return pages.render("alerts", PageFrame(context: context, title: "Alerts to schools", error: problem != nil).with(values),
                            status: status)
    }
}
