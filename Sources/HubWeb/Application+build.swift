import Foundation
import Hummingbird
import Logging
import NIOCore
import StoreContract
import TimeLimit

/// The composition root: one place that wires the store, the templates and the clock into the routes.
public func buildApplication(
    configuration: WebConfiguration,
    store: any HubStore,
    clock: WebClock = .system,
    metrics: HubMetrics = HubMetrics(),
    logger: Logger = Logger(label: "encompass.web"),
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    // A new database is set up; an older or newer one is refused (`encompass migrate` moves it on).
    try await store.migrate(for: .write)
    let router = try await buildRouter(configuration: configuration, store: store, clock: clock, metrics: metrics)
    return Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: .seconds(configuration.connectionIdleSeconds))),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "encompass"),
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// Every route of the application behind its middleware. Public so a test can list the routes.
/// `metrics`: this server's own registry, counted by every request and shown on `/metrics`.
public func buildRouter(configuration: WebConfiguration, store: any HubStore, clock: WebClock,
                        metrics: HubMetrics = HubMetrics()) async throws -> Router<HubRequestContext> {
    let pages = try await PageRenderer(configuration: configuration)
    let queue = QueueCache(store: store, settings: configuration.scoring, maxAge: configuration.queueCacheAge, clock: clock)
    // HEAD wherever GET: the GET route's status and headers without its body (a load balancer's check).
    let router = Router(context: HubRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: SecurityHeadersMiddleware())
    // A form refused for an ended session or an earlier session's token comes back filled in (`KeptForm`).
    let throttle = SignInThrottle(limits: configuration.signInLimits)
    let child = ChildRoutes(store: store, pages: pages, queue: queue, configuration: configuration, clock: clock)
    let alerts = AlertRoutes(store: store, pages: pages, queue: queue, configuration: configuration, clock: clock)
    let recall = FormRecall(child: child, alerts: alerts)
    let signIn = SignInRoutes(store: store, pages: pages, configuration: configuration, clock: clock, throttle: throttle, recall: recall)
    router.add(middleware: ErrorMiddleware(pages: pages, hub: configuration.hub, signIn: signIn))
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: KeptFormMiddleware())
    router.add(middleware: AccessMiddleware(store: store, configuration: configuration, clock: clock, signIn: signIn))
    router.add(middleware: CSRFMiddleware(recall: recall))
    router.add(middleware: QueryMiddleware())

    // For the load balancer and monitoring: ok only when the database answers (one small read) within
    // `healthTimeout`, so a server that has lost its database is taken out of service, not left
    // showing errors; a database that hangs (a pool reconnecting) counts as lost.
    router.get("/health") { _, _ in
        let answered = try? await FirstAnswer.within(.seconds(configuration.healthTimeoutSeconds)) {
            (try? await store.changeVersion()) != nil
        }
        return answered == true ? Response.text("ok\n") : Response.databaseUnavailable
    }
    MetricsRoutes(store: store, metrics: metrics, databaseWait: configuration.healthTimeoutSeconds, clock: clock).add(to: router)
    StaticRoutes(stylesheet: pages.stylesheet).add(to: router)
    // One throttle for every password guess (above): the sign-in form and the current-password check.
    signIn.add(to: router)
    QueueRoutes(store: store, pages: pages, queue: queue, configuration: configuration, clock: clock).add(to: router)
    child.add(to: router)
    PlanRoutes(child: child).add(to: router)
    SearchRoutes(store: store, pages: pages).add(to: router)
    alerts.add(to: router)
    ReportRoutes(store: store, pages: pages, configuration: configuration, clock: clock).add(to: router)
    PasswordRoutes(store: store, pages: pages, configuration: configuration, clock: clock, throttle: throttle).add(to: router)
    AcknowledgementRoutes(store: store, pages: pages, configuration: configuration, clock: clock).add(to: router)
    AdminRoutes(store: store, pages: pages, configuration: configuration, clock: clock).add(to: router)
    KeyAdultRoutes(store: store, pages: pages, configuration: configuration, clock: clock).add(to: router)
    APIRoutes(store: store, queue: queue, configuration: configuration, clock: clock).add(to: router)
    router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes.map { ($0.path, $0.method) }))
    return router
}
