import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import Ingest
import Logging
import NIOCore
import Outbox
import StoreContract
import Stores
import TestSupport
import Testing

/// The databases `/metrics` is tested on: SQLite, and PostgreSQL on the test process's own server.
enum MetricsDatabase: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// One test's hub for `/metrics`: a store of either kind opened from its URL, with the alerts
/// board's directory and alerts (one overdue, one queued, two unmatched), an account and a token.
struct MetricsWorld {
    let dir: URL
    let url: String
    let store: any FullStore
    let clock: TestClock
    let configuration: WebConfiguration

    static func make(_ database: MetricsDatabase) async throws -> MetricsWorld {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("encompass-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = switch database {
        case .sqlite: "sqlite:" + dir.appendingPathComponent("hub.sqlite").path
        case .postgres: try PostgresServer.shared().makeDatabase()
        }
        let store = try StoreFactory.open(url)
        try await store.migrate()
        var configuration = WebConfiguration(templatesDirectory: WebFixture.packageRoot.appendingPathComponent("Templates/web").path)
        configuration.bcryptCost = 4
        configuration.port = 0
        let world = MetricsWorld(dir: dir, url: url, store: store, clock: TestClock(WebFixture.start), configuration: configuration)
        try await store.replaceDirectory(AlertBoardTests.directory)
        var builder = IncidentBatchBuilder(now: world.clock.now())
        builder.add(Array(AlertBoardTests.csv.utf8), fileName: "fixture.csv", format: .csv)
        _ = try await store.ingest(try builder.finish().get(), actor: "test", at: world.clock.now(), planner: AlertBoardTests.planner)
        // Marks I-10 overdue (with a hub notice) and claims nothing.
        _ = try await store.claimDue(now: world.clock.now(), owner: "test", lease: 60, limit: 0, isDead: { _ in false })
        try await UserAccounts.add(name: "hana", role: .hub, password: WebFixture.password, store: store, by: "test",
                                   at: world.clock.now(), cost: 4)
        return world
    }

    func token(_ name: String = "prometheus", scope: TokenScope = .standard) async throws -> String {
        try await APITokens.create(name: name, scope: scope, store: store, by: "test", at: clock.now())
    }

    /// One application (so one registry) for the whole of `body`.
    func withBrowser<T: Sendable>(configuration: WebConfiguration? = nil, _ body: @Sendable (inout Browser) async throws -> T) async throws -> T {
        let clock = self.clock
        var logger = Logger(label: "encompass.web.test")
        logger.logLevel = .warning
        let app = try await buildApplication(configuration: configuration ?? self.configuration, store: store, clock: WebClock { clock.now() }, logger: logger)
        return try await app.test(.router) { client in
            var browser = Browser(client: client)
            return try await body(&browser)
        }
    }

    func cleanUp() { try? FileManager.default.removeItem(at: dir) }
}

extension Browser {
    mutating func scrape(_ token: String) async throws -> TestResponse {
        try await send("/metrics", method: .get, headers: [.authorization: "Bearer \(token)"], body: nil)
    }
}

/// The samples of a Prometheus text page, by name and labels (in any order).
struct PrometheusSamples {
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    let samples: [Sample]

    init(_ text: String) throws {
        var samples: [Sample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
            var rest = Substring(line)
            let name = String(rest.prefix { $0 != "{" && $0 != " " })
            rest = rest.dropFirst(name.count)
            var labels: [String: String] = [:]
            if rest.first == "{" {
                rest = rest.dropFirst()
                while rest.first != "}" {
                    let key = String(rest.prefix { $0 != "=" })
                    rest = rest.dropFirst(key.count + 2) // `="`
                    var value = ""
                    while let c = rest.first, c != "\"" {
                        if c == "\\" { rest = rest.dropFirst() }
                        value.append(rest.first ?? "\\")
                        rest = rest.dropFirst()
                    }
                    rest = rest.dropFirst() // the closing quote
                    if rest.first == "," { rest = rest.dropFirst() }
                    labels[key] = value
                    guard !rest.isEmpty else { throw TestSetupError("unterminated labels: \(line)") }
                }
                rest = rest.dropFirst()
            }
            let value = try #require(Double(rest.trimmingCharacters(in: .whitespaces)), "no value: \(line)")
            samples.append(Sample(name: name, labels: labels, value: value))
        }
        self.samples = samples
    }

    subscript(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    func named(_ name: String) -> [Sample] { samples.filter { $0.name == name } }
}

@Suite("GET /metrics, on SQLite and PostgreSQL")
struct MetricsTests {
    @Test(arguments: MetricsDatabase.allCases)
    func onlyABearerTokenOpensTheMetrics(database: MetricsDatabase) async throws {
        let world = try await MetricsWorld.make(database)
        defer { world.cleanUp() }
        let token = try await world.token()
        let revoked = try await world.token("old-scraper")
        try await world.store.revokeAPIToken(name: "old-scraper", by: "test", at: world.clock.now())
        let (none, wrong, old, session, good) = try await world.withBrowser { browser in
            let none = try await browser.get("/metrics")
            let wrong = try await browser.scrape("not-a-token")
            let old = try await browser.scrape(revoked)
            _ = try await browser.signIn("hana")
            let session = try await browser.get("/metrics")
            return (none, wrong, old, session, try await browser.scrape(token))
        }
        for refused in [none, wrong, old, session] {
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.wwwAuthenticate] == "Bearer")
            #expect(refused.headers[.contentType] == "application/json")
            #expect(!refused.text.contains("encompass_"))
        }
        #expect(good.status == .ok)
        #expect(good.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(good.headers[.cacheControl] == "no-store")
        #expect(good.text.contains("# TYPE encompass_alerts gauge"))
    }

    @Test(arguments: MetricsDatabase.allCases)
    func theAlertGaugesAreTheStoresCountsReadAtEachScrape(database: MetricsDatabase) async throws {
        let world = try await MetricsWorld.make(database)
        defer { world.cleanUp() }
        let token = try await world.token()
        let store = world.store
        let now = world.clock.now()
        let (before, after) = try await world.withBrowser { browser in
            let before = try PrometheusSamples(try await browser.scrape(token).text)
            // The queued and the overdue alert are claimed; one is delivered, the other still sending.
            let claimed = try await store.claimDue(now: now, owner: "test", lease: 60, limit: 10, isDead: { _ in false })
            try await store.record(.delivered, for: try #require(claimed.alerts.first).alertKey, owner: "test", now: now)
            return (before, try PrometheusSamples(try await browser.scrape(token).text))
        }
        #expect(before.named("encompass_alerts").count == AlertState.allCases.count)
        #expect(before["encompass_alerts", ["state": "overdue"]] == 1)
        #expect(before["encompass_alerts", ["state": "queued"]] == 1)
        #expect(before["encompass_alerts", ["state": "unmatched"]] == 2)
        #expect(before["encompass_alerts", ["state": "delivered"]] == 0)

        // By each state as read at the scrape (`AlertRow.asRead`): the alert still being sent is
        // overdue if it is I-10's (its deadline passed), sending if it is I-11's.
        let rows = try await store.alerts(state: nil).map { $0.asRead(at: now) }
        for state in AlertState.allCases {
            let inStore = Double(rows.filter { $0.state == state }.count)
            #expect(after["encompass_alerts", ["state": state.rawValue]] == inStore, "\(state)")
        }
        #expect(after["encompass_alerts", ["state": "delivered"]] == 1)
        #expect((after["encompass_alerts", ["state": "sending"]] ?? 0) + (after["encompass_alerts", ["state": "overdue"]] ?? 0) == 1)
        #expect(after["encompass_alerts", ["state": "queued"]] == 0)
    }

    /// SPEC §7: "An alert not delivered by its deadline is overdue, and the hub is told at once".
    /// Five minutes after I-11's deadline (Tue 24 Nov, 20:00), with no run since, the hub sees it
    /// overdue wherever it looks: the board's count and its run, `/metrics`, the child's page and
    /// `/api/children/C-11`. It read "queued" and "0 overdue" until the next run stored it, up to
    /// an hour with the timer as shipped (audit 27, F1). The store keeps "queued" for that run.
    @Test(arguments: MetricsDatabase.allCases)
    func anAlertPastItsDeadlineIsOverdueOnEveryPageBeforeARunStoresIt(database: MetricsDatabase) async throws {
        let world = try await MetricsWorld.make(database)
        defer { world.cleanUp() }
        let token = try await world.token()
        @Sendable func pages(_ browser: inout Browser) async throws -> (metrics: PrometheusSamples, board: String, child: String, api: String) {
            (try PrometheusSamples(try await browser.scrape(token).text), try await browser.get("/alerts").text,
             try await browser.get("/children/C-11").text,
             try await browser.send("/api/children/C-11", method: .get, headers: [.authorization: "Bearer \(token)"], body: nil).text)
        }
        let clock = world.clock
        let (before, after) = try await world.withBrowser { browser in
            clock.advance(minutes: (2 * 24 + 11) * 60 + 55)
            _ = try await browser.signIn("hana")
            let before = try await pages(&browser)
            clock.advance(minutes: 10)
            return (before, try await pages(&browser))
        }
        // 19:55: I-11 is queued, I-10 overdue (stored by the fixture's run).
        #expect(before.metrics["encompass_alerts", ["state": "overdue"]] == 1)
        #expect(before.metrics["encompass_alerts", ["state": "queued"]] == 1)
        #expect(before.board.contains("<strong>1</strong> overdue"))
        #expect(before.board.contains(#"<td data-label="queued">1</td>"#))
        #expect(before.child.contains(#"<span class="state state-queued">queued</span>"#))
        #expect(before.api.contains(#""state": "queued""#), "\(before.api)")
        // 20:05: overdue, everywhere, with no run since.
        #expect(after.metrics["encompass_alerts", ["state": "overdue"]] == 2)
        #expect(after.metrics["encompass_alerts", ["state": "queued"]] == 0)
        #expect(after.board.contains("<strong>2</strong> overdue"))
        #expect(after.board.contains(#"<td data-label="overdue">2</td>"#))
        #expect(after.board.contains(#"<td data-label="queued">0</td>"#))
        #expect(after.child.contains(#"<span class="state state-overdue">overdue</span>"#))
        #expect(!after.child.contains("state-queued"))
        #expect(after.api.contains(#""state": "overdue""#), "\(after.api)")
        #expect(!after.api.contains(#""state": "queued""#))
        // Read so, not written: the next run turns it overdue and tells the hub once.
        #expect(try await world.store.alerts(state: .queued).map(\.reference) == ["ENC-I-11-C-11"])
    }

    @Test(arguments: MetricsDatabase.allCases)
    func theLastNotifyRunsTimeAndOutcomeComeFromTheStore(database: MetricsDatabase) async throws {
        let world = try await MetricsWorld.make(database)
        defer { world.cleanUp() }
        let token = try await world.token()
        let store = world.store
        let first = NotifyRunRecord(startedAt: Date(timeIntervalSince1970: 1_795_334_000), finishedAt: Date(timeIntervalSince1970: 1_795_334_030),
                                    outcome: .serviceUnavailable, delivered: 3, retrying: 1, failed: 2, heldBack: 4, overdue: 5,
                                    hubNoticesSent: 1, hubNoticesUnsent: 2, detail: "smtp our relay 10.1.2.3:587 cannot be reached", relayWaiting: 6)
        let second = NotifyRunRecord(startedAt: Date(timeIntervalSince1970: 1_795_334_400), finishedAt: Date(timeIntervalSince1970: 1_795_334_412),
                                     outcome: .ok, delivered: 9)
        let (none, afterFirst, afterSecond) = try await world.withBrowser { browser in
            let none = try await browser.scrape(token).text
            try await store.recordNotifyRun(first)
            let afterFirst = try PrometheusSamples(try await browser.scrape(token).text)
            try await store.recordNotifyRun(second)
            return (none, afterFirst, try PrometheusSamples(try await browser.scrape(token).text))
        }
        #expect(!none.contains("encompass_notify_"), "no run recorded yet: no time that would read as 1970")

        #expect(afterFirst["encompass_notify_last_run_start_timestamp_seconds"] == 1_795_334_000)
        #expect(afterFirst["encompass_notify_last_run_end_timestamp_seconds"] == 1_795_334_030)
        #expect(afterFirst["encompass_notify_last_run_duration_seconds"] == 30)
        #expect(afterFirst["encompass_notify_last_run_outcome", ["outcome": "service_unavailable"]] == 1)
        #expect(afterFirst["encompass_notify_last_run_outcome", ["outcome": "ok"]] == 0)
        #expect(afterFirst["encompass_notify_last_run_outcome", ["outcome": "error"]] == 0)
        #expect(afterFirst["encompass_notify_last_run_alerts", ["result": "delivered"]] == 3)
        #expect(afterFirst["encompass_notify_last_run_alerts", ["result": "retrying"]] == 1)
        #expect(afterFirst["encompass_notify_last_run_alerts", ["result": "failed"]] == 2)
        #expect(afterFirst["encompass_notify_last_run_alerts", ["result": "held_back"]] == 4)
        #expect(afterFirst["encompass_notify_last_run_alerts", ["result": "waiting_on_relay"]] == 6)
        #expect(afterFirst["encompass_notify_last_run_overdue_alerts"] == 5)
        #expect(afterFirst["encompass_notify_last_run_hub_notices", ["result": "sent"]] == 1)
        #expect(afterFirst["encompass_notify_last_run_hub_notices", ["result": "unsent"]] == 2)

        #expect(afterSecond["encompass_notify_last_run_end_timestamp_seconds"] == 1_795_334_412)
        #expect(afterSecond["encompass_notify_last_run_outcome", ["outcome": "ok"]] == 1)
        #expect(afterSecond["encompass_notify_last_run_outcome", ["outcome": "service_unavailable"]] == 0)
        #expect(afterSecond["encompass_notify_last_run_alerts", ["result": "delivered"]] == 9)
        #expect(afterSecond["encompass_notify_last_run_alerts", ["result": "failed"]] == 0)
        #expect(afterSecond["encompass_notify_last_run_alerts", ["result": "waiting_on_relay"]] == 0)
    }

    /// `encompass notify` is another process: what it records is what every server shows.
    @Test(arguments: MetricsDatabase.allCases)
    func aNotifyRunOfTheCommandShowsOnTheServersMetrics(database: MetricsDatabase) async throws {
        let world = try await MetricsWorld.make(database)
        defer { world.cleanUp() }
        let token = try await world.token()
        let before = Date()
        let run = try await EncompassProcess.run(["notify", "--now", "2026-11-22T08:00:00Z"], databaseURL: world.url, environment: [
            "ENCOMPASS_ALERTS_OUTBOX_DIR": world.dir.appendingPathComponent("outbox").path,
            "ENCOMPASS_TEMPLATES": WebFixture.packageRoot.appendingPathComponent("Templates").path,
        ])
        let after = Date()
        #expect(run.status == 0, "\(run.stderr)")
        let metrics = try await world.withBrowser { try PrometheusSamples(try await $0.scrape(token).text) }
        let recorded = try #require(try await world.store.latestNotifyRun())
        #expect(recorded.outcome == .ok)
        // I-10 and I-11, and any the repository's Config/ matched on the way (it has more key adults).
        #expect(recorded.delivered >= 2)
        #expect(run.stdout.hasPrefix("alerts: \(recorded.delivered) delivered"), "\(run.stdout)")
        let start = try #require(metrics["encompass_notify_last_run_start_timestamp_seconds"])
        let end = try #require(metrics["encompass_notify_last_run_end_timestamp_seconds"])
        #expect(start == recorded.startedAt.timeIntervalSince1970)
        #expect(end == recorded.finishedAt.timeIntervalSince1970)
        #expect(before.timeIntervalSince1970 <= start && start <= end && end <= after.timeIntervalSince1970,
                "the run's own clock, not --now")
        #expect(metrics["encompass_notify_last_run_outcome", ["outcome": "ok"]] == 1)
        #expect(metrics["encompass_notify_last_run_alerts", ["result": "delivered"]] == Double(recorded.delivered))
        #expect(metrics["encompass_notify_last_run_hub_notices", ["result": "sent"]] == Double(recorded.hubNoticesSent))
        #expect(metrics["encompass_alerts", ["state": "delivered"]] == Double(recorded.delivered))
    }

    /// A good run of the command, then a run on a host two hours behind the database stopped before
    /// it began (its settings): `/metrics` shows the stopped run, not the good run's `ok`, on both
    /// databases (audit 23, review F8: recorded on that host's clock, it sorted before the good run).
    @Test(arguments: MetricsDatabase.allCases)
    func aRunStoppedOnAHostBehindTheDatabaseIsTheLastRunOnTheServersMetrics(database: MetricsDatabase) async throws {
        let world = try await MetricsWorld.make(database)
        defer { world.cleanUp() }
        let token = try await world.token()
        let good = try await EncompassProcess.run(["notify"], databaseURL: world.url, environment: [
            "ENCOMPASS_ALERTS_OUTBOX_DIR": world.dir.appendingPathComponent("outbox").path,
            "ENCOMPASS_TEMPLATES": WebFixture.packageRoot.appendingPathComponent("Templates").path,
        ])
        #expect(good.status == 0, "\(good.stderr)")
        let goodRun = try #require(try await world.store.latestNotifyRun())
        #expect(goodRun.outcome == .ok && goodRun.delivered > 0)
        struct StoppedBySettings: Error {}
        await #expect(throws: StoppedBySettings.self) {
            _ = try await NotifyRun.morning(prepare: { throw StoppedBySettings() }, storeToRecordIn: { world.store },
                                            reason: { _ in "environment ENCOMPASS_SCORING_WINDOW_DAYS: scoring.window_days: expected a whole number" },
                                            wallClock: { Date().addingTimeInterval(-7200) })
        }
        let metrics = try await world.withBrowser { try PrometheusSamples(try await $0.scrape(token).text) }
        #expect(metrics["encompass_notify_last_run_outcome", ["outcome": "error"]] == 1)
        #expect(metrics["encompass_notify_last_run_outcome", ["outcome": "ok"]] == 0)
        #expect(metrics["encompass_notify_last_run_alerts", ["result": "delivered"]] == 0, "not the good run's counts")
        if database == .postgres {
            let end = try #require(metrics["encompass_notify_last_run_end_timestamp_seconds"])
            #expect(end >= goodRun.finishedAt.timeIntervalSince1970, "on the database's clock, after the good run")
        }
    }

    @Test(arguments: MetricsDatabase.allCases)
    func requestsAreCountedAndTimedByRoutePatternMethodAndStatus(database: MetricsDatabase) async throws {
        let world = try await MetricsWorld.make(database)
        defer { world.cleanUp() }
        let token = try await world.token()
        let (first, second, third) = try await world.withBrowser { browser in
            let first = try PrometheusSamples(try await browser.scrape(token).text)
            for _ in 0..<3 { #expect(try await browser.get("/health").status == .ok) }
            #expect(try await browser.get("/children/C-10").status == .seeOther)
            #expect(try await browser.get("/no/such/C-11/page").status == .seeOther)
            let decision = try await browser.send("/api/children/C-404/decisions", method: .post,
                                                  headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                                                  body: ByteBuffer(string: #"{"marac": "referred", "on": "2026-11-21"}"#))
            #expect(decision.status == .notFound)
            let secondText = try await browser.scrape(token).text
            #expect(!secondText.contains("C-10") && !secondText.contains("C-11") && !secondText.contains("C-404"),
                    "no id in any label")
            #expect(try await browser.get("/health").status == .ok)
            return (first, try PrometheusSamples(secondText), try PrometheusSamples(try await browser.scrape(token).text))
        }
        func requests(_ samples: PrometheusSamples, _ method: String, _ route: String, _ status: Int) -> Double {
            samples["encompass_http_requests_total", ["method": method, "route": route, "status": String(status)]] ?? 0
        }
        #expect(requests(first, "GET", "/health", 200) == 0)
        #expect(requests(second, "GET", "/health", 200) == 3)
        #expect(requests(third, "GET", "/health", 200) == 4)
        #expect(requests(second, "GET", "/metrics", 200) == 1)
        #expect(requests(third, "GET", "/metrics", 200) == 2)
        #expect(requests(second, "GET", "/children/{childId}", 303) == 1)
        #expect(requests(second, "GET", "unmatched", 303) == 1)
        #expect(requests(second, "POST", "/api/children/{childId}/decisions", 404) == 1)

        let health = ["method": "GET", "route": "/health", "status": "200"]
        #expect(second["encompass_http_request_duration_seconds_count", health] == 3)
        #expect(second["encompass_http_request_duration_seconds_bucket", health.merging(["le": "+Inf"]) { a, _ in a }] == 3)
        #expect(try #require(second["encompass_http_request_duration_seconds_sum", health]) >= 0)
        #expect(third["encompass_http_request_duration_seconds_count", health] == 4)
    }

    /// A database that hangs (here: a session holding a table locked: the alerts, which the scrape
    /// reads, or the tokens, which the token's check reads first) is answered 503 within /health's
    /// wait, not after the store's own 20 s, past a scraper's timeout; once it answers, so does
    /// /metrics.
    @Test(arguments: ["alerts", "api_tokens"])
    func aDatabaseThatHangsIsAnsweredUnavailableInHealthsWait(table: String) async throws {
        let world = try await MetricsWorld.make(.postgres)
        defer { world.cleanUp() }
        let token = try await world.token()
        var configuration = world.configuration
        // Long enough for the scrape after the lock to answer on a loaded machine (1 s did not,
        // under a full run at load 20), far short of the store's own 20 s.
        configuration.healthTimeoutSeconds = 5
        let server = try PostgresServer.shared()
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: server.bin + "/psql")
        holder.arguments = ["-q", "-X", "-h", "127.0.0.1", "-p", String(server.port), "-U", "postgres",
                            "-d", String(world.url.split(separator: "/").last!.split(separator: "?").first!)]
        let input = Pipe.forChild(), output = Pipe.forChild()
        holder.standardInput = input
        holder.standardOutput = output
        try holder.run()
        defer { if holder.isRunning { holder.terminate() } }
        // The server ends the session (and its lock) after 60 s idle, so a regression, whose scrape
        // would wait for the lock, fails then instead of hanging.
        input.fileHandleForWriting.write(Data("""
            SET idle_in_transaction_session_timeout = '60s';
            BEGIN;
            LOCK TABLE \(table) IN ACCESS EXCLUSIVE MODE;
            \\echo locked

            """.utf8))
        // Told by the session itself once the lock is held: no waiting on a clock.
        #expect(output.fileHandleForReading.readFirstLine() == "locked\n")
        let (held, released) = try await world.withBrowser(configuration: configuration) { browser in
            let held = try await browser.scrape(token)
            input.fileHandleForWriting.write(Data("ROLLBACK;\n\\echo released\n".utf8))
            _ = output.fileHandleForReading.readFirstLine()
            return (held, try await browser.scrape(token))
        }
        #expect(held.status == .serviceUnavailable && held.text == "database unavailable\n", "\(held.status) \(held.text)")
        #expect(released.status == .ok)
        #expect(try PrometheusSamples(released.text)["encompass_alerts", ["state": "unmatched"]] == 2)
    }

    @Test func eachServerKeepsItsOwnCounts() async throws {
        let world = try await MetricsWorld.make(.sqlite)
        defer { world.cleanUp() }
        let token = try await world.token()
        let one = try await world.withBrowser { browser in
            _ = try await browser.get("/health")
            return try PrometheusSamples(try await browser.scrape(token).text)
        }
        let two = try await world.withBrowser { try PrometheusSamples(try await $0.scrape(token).text) }
        let health = ["method": "GET", "route": "/health", "status": "200"]
        #expect(one["encompass_http_requests_total", health] == 1)
        #expect(two["encompass_http_requests_total", health] == nil)
        #expect(two["encompass_alerts", ["state": "unmatched"]] == 2, "the store's gauges are the same on every server")
    }
}
