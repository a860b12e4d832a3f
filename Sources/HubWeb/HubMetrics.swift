import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus
import StoreContract
import TimeLimit

/// The server's metrics, kept in this process: swift-metrics' counters, timers and gauges made
/// through a Prometheus factory over a registry of this server's own (never the global bootstrap,
/// so two servers in one process, or two tests, count apart). `GET /metrics` renders it.
///
/// Labels are bounded and carry nothing about a person: a route's pattern (never its path, which
/// may hold a child's id), the method and the status; an alert's state; a run's outcome.
public final class HubMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
    }

    // MARK: requests

    /// The methods counted by name; any other is counted as `OTHER`.
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// The route pattern a request matched (`context.endpointPath`); nil when the router matched
    /// none, which Hummingbird names "NotFound". The metrics and the request log both ask it.
    static func routePattern(_ endpointPath: String?) -> String? {
        endpointPath.flatMap { $0 == "NotFound" ? nil : $0 }
    }

    /// One answered request: counted, and its time from the first middleware to the response.
    func request(method: HTTPRequest.Method, route: String?, status: HTTPResponse.Status, elapsed: Duration) {
        let methodLabel = Self.methods.contains(method.rawValue) ? method.rawValue : "OTHER"
        // A route the router did not match (or that access control answered first) has no pattern:
        // the path is never used, so a scan of made-up addresses adds one series, not thousands.
        let routeLabel = Self.routePattern(route) ?? "unmatched"
        let dimensions = [("method", methodLabel), ("route", routeLabel), ("status", String(status.code))]
        CoreMetrics.Counter(label: "encompass_http_requests_total", dimensions: dimensions, factory: factory).increment()
        let (seconds, attoseconds) = elapsed.components
        CoreMetrics.Timer(label: "encompass_http_request_duration_seconds", dimensions: dimensions, factory: factory)
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    // MARK: the store, read at each scrape

    /// The Prometheus text: the store's gauges read now (alerts by state as read at `now`, as the
    /// board reads them: `AlertLifecycle.stateAsRead`; the last notify run), then everything the registry holds.
    func scrape(store: any AlertStore, now: Date) async throws -> String {
        let counts = try await store.alertCounts(now: now)
        for state in AlertState.allCases {
            gauge("encompass_alerts", [("state", state.rawValue)]).record(counts[state] ?? 0)
        }
        // Absent until a run has been recorded: a time of 0 would read as a run in 1970.
        if let run = try await store.latestNotifyRun() {
            gauge("encompass_notify_last_run_start_timestamp_seconds").record(run.startedAt.timeIntervalSince1970)
            gauge("encompass_notify_last_run_end_timestamp_seconds").record(run.finishedAt.timeIntervalSince1970)
            gauge("encompass_notify_last_run_duration_seconds").record(max(0, run.finishedAt.timeIntervalSince(run.startedAt)))
            for outcome in NotifyRunRecord.Outcome.allCases {
                gauge("encompass_notify_last_run_outcome", [("outcome", outcome.rawValue)]).record(outcome == run.outcome ? 1 : 0)
            }
            for (result, count) in [("delivered", run.delivered), ("retrying", run.retrying), ("failed", run.failed),
                                    ("held_back", run.heldBack), ("waiting_on_relay", run.relayWaiting ?? 0)] {
                gauge("encompass_notify_last_run_alerts", [("result", result)]).record(count)
            }
            gauge("encompass_notify_last_run_overdue_alerts").record(run.overdue)
            gauge("encompass_notify_last_run_hub_notices", [("result", "sent")]).record(run.hubNoticesSent)
            gauge("encompass_notify_last_run_hub_notices", [("result", "unsent")]).record(run.hubNoticesUnsent)
        }
        return registry.emitToString()
    }

    private func gauge(_ name: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: name, dimensions: dimensions, factory: factory)
    }
}

/// Counts every request and times it, by route pattern, method and status. Added first, so it sees
/// the status the client gets (after `ErrorMiddleware` has turned a failure into a page).
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let metrics: HubMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.request(method: request.method, route: context.endpointPath, status: response.status,
                            elapsed: ContinuousClock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            metrics.request(method: request.method, route: context.endpointPath, status: status, elapsed: ContinuousClock.now - start)
            throw error
        }
    }
}

/// `GET /metrics`: Prometheus text for a scraper holding an API token (`AccessMiddleware`).
struct MetricsRoutes {
    let store: any HubStore
    let metrics: HubMetrics
    /// `/health`'s wait: a database that hangs (a server stopped, a pool reconnecting) is answered
    /// 503 in that time, as `/health` answers, not after the store's own 20 s, past a scraper's
    /// timeout (which would read as this server gone rather than its database).
    let databaseWait: Double
    let clock: WebClock

    func add(to router: Router<HubRequestContext>) {
        router.get("/metrics") { _, _ in
            guard let text = try await FirstAnswer.within(.seconds(databaseWait), { try await metrics.scrape(store: store, now: clock.now()) }) else {
                return Response.databaseUnavailable
            }
            return Response(status: .ok, headers: [.contentType: HubMetrics.contentType],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
