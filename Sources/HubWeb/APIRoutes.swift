import Foundation
import Hummingbird
import Ingest
import InputRules
import Intake
import NIOCore
import Review
import RiskModel
import StoreContract

/// The JSON API for the force's record system and for scripts; every route needs a bearer token
/// (`AccessMiddleware`). Described in docs/openapi.yaml.
struct APIRoutes {
    let store: any HubStore
    let queue: QueueCache
    let configuration: WebConfiguration
    let clock: WebClock

    func add(to router: Router<HubRequestContext>) {
        router.get("/api/escalations") { request, _ in
            var asOf = clock.now()
            if let text = request.uri.queryParameters["as_of"].map(String.init) {
                guard case .success(let parsed) = InstantText.parse(text) else {
                    return Response.jsonError("as_of: expected an ISO 8601 date-time with Z or an offset, such as 2026-03-06T21:40:00Z, in \(InstantText.rangeWords)",
                                              status: .badRequest)
                }
                asOf = parsed
            }
            let built = try await ReviewQueue.build(store: store, settings: configuration.scoring, asOf: asOf, includeAll: false)
            // Sent a block at a time as it is rendered, not built whole first (`jsonBlocks`).
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody { writer in
                var blocks = built.jsonBlocks()
                var more = true
                while more {
                    var buffer = ByteBuffer()
                    more = blocks.next { buffer.writeBytes($0) }
                    try await writer.write(buffer)
                }
                try await writer.finish(nil)
            })
        }
        router.post("/api/incidents") { request, context in
            try await ingest(request: request, context: context)
        }
        router.post("/api/children/:childId/decisions") { request, context in
            try await decide(request: request, context: context)
        }
        router.get("/api/children/:childId") { _, context in
            try await child(context: context)
        }
    }

    /// One child's assessment, decisions, plan and alerts (`ChildDocument`), as of now; audited as
    /// a view of the child by the token.
    private func child(context: HubRequestContext) async throws -> Response {
        guard let childId = ChildRoutes.pathValue("childId", context),
              let record = try await store.childRecord(childId) else {
            return .jsonError("no such child", status: .notFound)
        }
        let now = clock.now()
        let plans = try await store.planActions(childId: childId)
        try await store.appendAudit(actor: "api:\(context.apiClient ?? "unknown")", action: "child.viewed", subject: "child:\(childId)", at: now)
        let serial = try await ChildDocument.serialPerpetrators(for: record, store: store, asOf: now, settings: configuration.scoring)
        return .json(ChildDocument(record: record, plans: plans, asOf: now, settings: configuration.scoring, serial: serial).json)
    }

    /// The same checks as `encompass ingest`, all or nothing: 422 with every error, or 200 with the summary.
    private func ingest(request: Request, context: HubRequestContext) async throws -> Response {
        let format: IncidentFileFormat
        let fileName: String
        switch Self.mediaType(request) {
        case "text/csv":
            format = .csv
            fileName = "body.csv"
        case "application/x-ndjson", "application/jsonl", "application/jsonlines":
            format = .jsonLines
            fileName = "body.ndjson"
        default:
            return .jsonError("send text/csv or application/x-ndjson", status: .unsupportedMediaType)
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            return .jsonError("the body is larger than \(configuration.maxBodyBytes) bytes", status: .contentTooLarge)
        } catch {
            // The body broke off (its client gone, or silent past the connection's idle limit): a
            // 400 in the log and the metrics, not a 413 that sends an operator to the size limit.
            return .jsonError("the body ended before it was whole: nothing was ingested", status: .badRequest)
        }
        let now = clock.now()
        let target = IntakeTarget(store: store, planner: configuration.alertPlanner)
        let summary: IngestSummary
        do {
            summary = try await IncidentIntake.run([IntakeSource(name: fileName, data: Data(body.readableBytesView), format: format)],
                                                   actor: "api:\(context.apiClient ?? "unknown")", now: now) { target }
        } catch let failure as IngestFailure {
            let errors = failure.errors.map { e -> [String: Any] in
                ["line": e.line, "column": e.column, "message": e.message]
            }
            return .json(JSONBody.object(["errors": errors]), status: .unprocessableContent)
        }
        await queue.invalidate()
        var out: [String: Any] = [
            "added": summary.added, "updated": summary.updated, "unchanged": summary.unchanged,
            "children": summary.children, "alerts_queued": summary.alertsQueued, "alerts_too_old": summary.alertsTooOld,
            "summary": summary.line,
        ]
        if let e = summary.episodes { out["episodes"] = ["added": e.added, "updated": e.updated, "unchanged": e.unchanged] }
        return .json(JSONBody.object(out))
    }

    /// The body's media type from Content-Type, lower case, without parameters (`; charset=utf-8`).
    private static func mediaType(_ request: Request) -> String {
        (request.headers[.contentType] ?? "").split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
    }

    /// `{"marac": "referred"|"declined", "on": "YYYY-MM-DD", "reason": "...", "by": "...", "strategy_discussion": false}`.
    private func decide(request: Request, context: HubRequestContext) async throws -> Response {
        guard let childId = ChildRoutes.pathValue("childId", context) else {
            return .jsonError("no such child", status: .notFound)
        }
        guard Self.mediaType(request) == "application/json" else {
            return .jsonError("send application/json", status: .unsupportedMediaType)
        }
        let idempotency: IdempotencyKey?
        switch IdempotencyHeader.sent(in: request) {
        case .none: idempotency = nil
        case .key(let key): idempotency = IdempotencyKey(client: context.apiClient ?? "unknown", key: key)
        case .refused(let problem): return .jsonError(problem, status: .badRequest)
        }
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        let fingerprint = IdempotencyHeader.fingerprint(request, body: Data(body.readableBytesView))
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] else {
            return .jsonError("the body must be a JSON object", status: .badRequest)
        }
        func text(_ key: String) -> String? { object[key] as? String }
        // Every problem of shape at once, as the decision's own problems are: a key the request does
        // not know is refused, not ignored, so a misspelt `strategy_discussion` or `reason` is not
        // recorded as a decision without it.
        let textKeys = ["marac", "strategy_meeting", "on", "reason", "by"]
        // A key given twice is refused, as in a JSON Lines file (`JSONObjectKeys`): JSONSerialization
        // keeps the last, so `"marac":"declined",...,"marac":"referred"` recorded a referral, for good.
        let repeated = JSONObjectKeys.firstRepeated(in: body.readableBytesView).map { ["\($0) appears more than once"] } ?? []
        let shapeProblems = repeated + object.keys.sorted().compactMap { key -> String? in
            let value = object[key]
            if textKeys.contains(key) {
                return value is String || value is NSNull ? nil : "\(key) must be a string"
            }
            if key == "strategy_discussion" {
                // JSONSerialization reads true and false as NSNumbers, as it does 0 and 1 (and `as? Bool`
                // takes either); a boolean's is of type char, a number's never.
                return (value as? NSNumber).map { String(cString: $0.objCType) == "c" } == true ? nil
                    : "strategy_discussion must be true or false"
            }
            return "\(key) is not a field of a decision"
        }
        guard shapeProblems.isEmpty else {
            return .json(JSONBody.object(["errors": shapeProblems]), status: .unprocessableContent)
        }
        let strategy = object["strategy_discussion"] as? Bool ?? false
        let input = DecisionInput(marac: text("marac"), strategyMeeting: text("strategy_meeting"), on: text("on"), reason: text("reason"),
                                  strategyDiscussion: strategy)
        let now = clock.now()
        let result = input.check(today: configuration.scoring.zone.localDate(of: now))
        var problems: [String] = []
        if case .failure(let found) = result { problems = found.list.map { "\($0.field): \($0.message)" } }
        // A blank `by` names no one (the token's name is taken below), whatever blank it is made of.
        if let by = text("by"), !FieldText.isBlank(by), let why = TextInput.decidedBy.problem(by) { problems.append("by: " + why) }
        guard problems.isEmpty, case .success(let decisions) = result, let first = decisions.first else {
            return .json(JSONBody.object(["errors": problems]), status: .unprocessableContent)
        }
        guard try await store.childExists(childId) else { return .jsonError("no child with id \(childId)", status: .notFound) }
        let client = "api:\(context.apiClient ?? "unknown")"
        // A blank name (FieldText's rule: spaces of any width, a line separator) names no one.
        let by = text("by").flatMap { FieldText.isBlank($0) ? nil : $0.trimmingCharacters(in: .whitespaces) } ?? client
        // Both kinds in one transaction: a failure between them must not keep one and answer an
        // error that a client then retries, recording the first twice (audit 20, input F9).
        let all = decisions.map { kind, checked in
            Decision(childId: childId, kind: kind, outcome: checked.outcome, on: checked.on, reason: checked.reason, by: by, recordedAt: now)
        }
        func outcome(_ kind: Decision.Kind) -> Any { decisions.first { $0.kind == kind }?.checked.outcome.rawValue ?? NSNull() }
        var out: [String: Any] = [
            "child_id": childId, "marac": outcome(.marac), "strategy_meeting": outcome(.strategyMeeting),
            "on": first.checked.on.description, "by": by, "recorded_at": JSONText.utc(now), "strategy_discussion": strategy,
        ]
        out["reason"] = first.checked.reason ?? NSNull()
        let answer = JSONBody.object(out)
        if let idempotency {
            // Kept in the decisions' transaction. A retry (or the same request at once to another
            // server) is checked as the first was, then answered what the first kept, recording
            // nothing: one path, the store's, whether the first finished long ago or a moment ago.
            let kept = KeptResponse(fingerprint: fingerprint, status: Int(HTTPResponse.Status.created.code), body: answer, recordedAt: now)
            if let earlier = try await store.record(all, strategyDiscussion: strategy, actor: client, key: idempotency, response: kept) {
                return IdempotencyHeader.answer(earlier, to: fingerprint)
            }
        } else {
            try await store.record(all, strategyDiscussion: strategy, actor: client, seen: nil)
        }
        await queue.invalidate()
        return .json(answer, status: .created)
    }
}
