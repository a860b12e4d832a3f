import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import RiskModel
import StoreContract
import Testing
import TestSupport

/// What an address can carry that the routes did not expect: dates the calendar cannot name, ids
/// with control characters, a link's token in the log, methods other than the route's; and the
/// review queue's words for each kind of decision.
@Suite struct AddressHardeningTests {
    // MARK: Dates out of range

    /// Each was a crash of the whole server (a force-unwrap on a date past 9999 or before 1);
    /// now the problem is named and the server answers the next request.
    @Test(arguments: [
        ("sam", "/report.csv?to=0001-03-01", HTTPResponse.Status.badRequest, "to must be a date as YYYY-MM-DD in the years 1900 to 9998"),
        ("sam", "/report?from=9999-12-01&to=9999-12-02", .badRequest, "From must be a date as YYYY-MM-DD in the years 1900 to 9998"),
        ("hana", "/?as_of=9999-12-31T23:59:59-01:00", .badRequest, "as_of must be an ISO 8601 date-time"),
        ("hana", "/?as_of=1899-12-31T23:00:00Z", .badRequest, "as_of must be an ISO 8601 date-time"),
    ])
    func aDateOutOfRangeInAPageIsRefusedAndTheServerStaysUp(user: String, uri: String, status: HTTPResponse.Status, message: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (page, health) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn(user)
            return (try await browser.get(uri), try await browser.get("/health"))
        }
        #expect(page.status == status)
        #expect(page.text.contains(message))
        #expect(health.status == .ok)
    }

    /// The ends of the range still work: a month at either end, twelve months back from the first.
    @Test(arguments: ["/report?from=9998-12-01&to=9998-12-31", "/report.csv?to=1900-01-15", "/?as_of=9998-12-31T22:00:00Z"])
    func theEndsOfTheRangeAreAnswered(uri: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let page = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("sam")
            return try await browser.get(uri)
        }
        #expect(page.status == .ok)
    }

    @Test func anInstantOutOfRangeInTheAPIIs400() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let token = try await APITests.token(fixture)
        let refused = try await APITests.call(fixture, .get, "/api/escalations?as_of=9999-12-31T23:59:59-01:00", token: token)
        #expect(refused.status == .badRequest)
        #expect(refused.text.contains("as_of: expected an ISO 8601 date-time"))
        #expect(!refused.text.contains("0000-01-01"), "never a wrong instant")
        let decision = try await APITests.call(fixture, .post, "/api/children/C-1/decisions", type: "application/json",
                                               body: #"{"marac": "referred", "on": "0001-01-01"}"#, token: token)
        #expect(decision.status == .unprocessableContent)
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
        #expect(try await APITests.call(fixture, .get, "/health", token: token).status == .ok)
    }

    // MARK: Control characters in an id

    static func fixture(_ database: MetricsDatabase) async throws -> WebFixture {
        try await WebFixture.make(database: database == .postgres ? try PostgresServer.shared().makeDatabase() : nil)
    }

    /// SQLite cut `C-1%00evil` at the NUL and wrote C-1's decision; PostgreSQL refused the text.
    @Test(arguments: MetricsDatabase.allCases)
    func anIdWithAControlCharacterInTheAPIIsNoChild(database: MetricsDatabase) async throws {
        let fixture = try await Self.fixture(database)
        defer { fixture.cleanUp() }
        let token = try await APITests.token(fixture)
        for id in ["C-1%00evil", "C-1%0A", "C-1%1B%5B2J"] {
            let posted = try await APITests.call(fixture, .post, "/api/children/\(id)/decisions", type: "application/json",
                                                 body: #"{"marac": "referred", "on": "2026-11-21", "reason": "x"}"#, token: token)
            #expect(posted.status == .notFound, "\(id)")
            let read = try await APITests.call(fixture, .get, "/api/children/\(id)", token: token)
            #expect(read.status == .notFound, "\(id)")
            #expect(!read.text.contains("C-1"), "\(id)")
        }
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
    }

    @Test(arguments: MetricsDatabase.allCases)
    func anIdWithAControlCharacterInAPageIsNotFound(database: MetricsDatabase) async throws {
        let fixture = try await Self.fixture(database)
        defer { fixture.cleanUp() }
        let (page, decided, planned) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let page = try await browser.get("/children/C-2%00x")
            let decided = try await browser.submit("/children/C-2%00x/decisions", from: "/children/C-2",
                                                   form: [("marac", "referred"), ("on", "2026-11-21")])
            let planned = try await browser.submit("/children/C-2%00zz/plan", from: "/children/C-2",
                                                   form: [("action", "Weekly visit"), ("agency", "School")])
            return (page, decided, planned)
        }
        #expect(page.status == .notFound)
        #expect(!page.text.contains("\u{0}"))
        #expect(decided.status == .notFound)
        #expect(planned.status == .notFound)
        #expect(try await fixture.store.decisions(childId: "C-2").isEmpty)
        #expect(try await fixture.store.planActions(childId: "C-2").isEmpty)
    }

    // MARK: The log

    /// The fixture's application with its log captured, at info.
    static func loggingApplication(_ fixture: WebFixture) async throws -> (some ApplicationProtocol, LogLines) {
        let log = LogLines()
        var logger = Logger(label: "encompass.web.test") { _ in CapturingLogHandler(lines: log) }
        logger.logLevel = .info
        let clock = fixture.clock
        let app = try await buildApplication(configuration: fixture.configuration, store: fixture.store,
                                             clock: WebClock { clock.now() }, logger: logger)
        return (app, log)
    }

    /// A link's token opens the school's alert: the log has the path without it, on every line.
    @Test func anAcknowledgementTokenIsNotLogged() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (app, log) = try await Self.loggingApplication(fixture)
        let token = "Zq8sW3cretT0kenThatMustNotBeLogged"
        let statuses = try await app.test(.router) { client in
            var browser = Browser(client: client)
            return [try await browser.get("/ack/" + token).status,
                    try await browser.post("/ack/" + token, form: []).status,
                    try await browser.get("/health").status]
        }
        #expect(statuses == [.notFound, .notFound, .ok])
        let lines = log.all
        #expect(lines.contains { $0.contains("path=/ack/…") })
        #expect(lines.contains { $0.contains("path=/health") }, "the log was captured")
        #expect(!lines.contains { $0.contains(token) })
    }

    /// A refusal thrown below the log (the CSRF 403, a page's 404, a 405) is logged as an answer is:
    /// method, path and status. Only a page given (2xx) is logged by its path; a refusal, or a
    /// redirect (to sign-in without a session), by its route's pattern, since an id that names
    /// nothing is whatever was typed, a name even (audit 22, people F5); a path no route takes is
    /// not written either.
    @Test func refusalsAreLoggedWithIdsOnly() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let token = try await APITests.token(fixture)
        let (app, log) = try await Self.loggingApplication(fixture)
        let statuses = try await app.test(.router) { client in
            var browser = Browser(client: client)
            let signedOut = try await browser.get("/children/Ophelia%20Xanthos").status
            _ = try await browser.get("/sign-in")
            let forged = try await browser.post("/sign-in", form: [("name", "hana"), ("password", WebFixture.password)]).status
            _ = try await browser.signIn("hana")
            let api = try await browser.send("/api/children/Ophelia-Xanthos", method: .get, headers: [.authorization: "Bearer \(token)"],
                                             body: nil).status
            return [signedOut, forged, try await browser.get("/children/C-NOPE").status,
                    try await browser.get("/children/C-1/incidents/Zebedee/regrade").status, api,
                    try await browser.get("/children/C-1").status,
                    try await browser.send("/", method: .delete, headers: [:], body: nil).status,
                    try await browser.get("/Zoe-Nobody").status]
        }
        #expect(statuses == [.seeOther, .forbidden, .notFound, .forbidden, .notFound, .ok, .methodNotAllowed, .notFound])
        let lines = log.all
        func logged(_ method: String, _ path: String, _ status: Int) -> Bool {
            lines.contains { $0.hasPrefix("request ") && $0.contains("method=\(method)") && $0.contains("path=\(path) ") && $0.contains("status=\(status)") }
        }
        #expect(logged("GET", "/children/{childId}", 303), "\(lines)")
        #expect(logged("POST", "/sign-in", 403), "\(lines)")
        #expect(logged("GET", "/children/{childId}", 404), "\(lines)")
        #expect(logged("GET", "/children/{childId}/incidents/{incidentId}/regrade", 403), "a hub role is refused the regrade form: \(lines)")
        #expect(logged("GET", "/api/children/{childId}", 404), "\(lines)")
        #expect(logged("GET", "/children/C-1", 200), "a page given is logged by its path: \(lines)")
        #expect(logged("DELETE", "(no route)", 405), "\(lines)")
        #expect(logged("GET", "(no route)", 404), "\(lines)")
        for typed in ["Zoe", "Ophelia", "Xanthos", "Zebedee", "C-NOPE"] {
            #expect(!lines.contains { $0.contains(typed) }, "\(typed)")
        }
    }

    /// A database failure under a request is logged with the database's one line (a full disk, a
    /// lock), as a command prints it, not only "DatabaseError": the operator reading the journal
    /// through a morning of 503s must see the cause (audit 21, crash F3). Never the request's values.
    @Test func aDatabaseFailureIsLoggedWithItsOneLine() async throws {
        let url = try PostgresServer.shared().makeDatabase()
        let fixture = try await WebFixture.make(database: url)
        defer { fixture.cleanUp() }
        let made = try await PostgresServer.shared().psql(String(url.split(separator: "/").last!.split(separator: "?").first!), """
            CREATE FUNCTION full_disk() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$;
            CREATE TRIGGER full_disk BEFORE INSERT ON decisions FOR EACH ROW EXECUTE FUNCTION full_disk();
            """)
        try #require(made.exitCode == 0, "\(made.output)")
        let (app, log) = try await Self.loggingApplication(fixture)
        let token = try await APITests.token(fixture)
        let status = try await app.test(.router) { client in
            var browser = Browser(client: client)
            return try await browser.send("/api/children/C-1/decisions", method: .post,
                                          headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                                          body: ByteBuffer(string: #"{"marac": "declined", "on": "2026-11-21", "reason": "Zoe said no", "by": "jo.bloggs"}"#)).status
        }
        #expect(status.code >= 500)
        let failed = log.all.filter { $0.hasPrefix("request failed") }
        #expect(failed.count == 1 && failed[0].contains("No space left on device") && failed[0].contains("path=/api/children/{childId}/decisions"),
                "\(log.all)")
        #expect(!log.all.contains { $0.contains("Zoe") || $0.contains("jo.bloggs") })
    }

    // MARK: Methods

    @Test func headIsAnsweredAsGetWithoutABody() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (health, page, headPage) = try await fixture.withBrowser { browser in
            let health = try await browser.send("/health", method: .head, headers: [:], body: nil)
            _ = try await browser.signIn("hana")
            let page = try await browser.get("/children/C-1")
            return (health, page, try await browser.send("/children/C-1", method: .head, headers: [:], body: nil))
        }
        #expect(health.status == .ok, "a load balancer's check, without signing in")
        #expect(health.body.readableBytes == 0)
        #expect(headPage.status == .ok)
        #expect(headPage.body.readableBytes == 0)
        #expect(headPage.headers[.contentType] == page.headers[.contentType])
        #expect(headPage.headers[.contentSecurityPolicy] == page.headers[.contentSecurityPolicy])
    }

    @Test func aMethodThePathDoesNotTakeIs405WithAllow() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (options, delete, headPost, unknown) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return (try await browser.send("/health", method: .options, headers: [:], body: nil),
                    try await browser.send("/children/C-1", method: .delete, headers: [:], body: nil),
                    try await browser.send("/sign-out", method: .head, headers: [:], body: nil),
                    try await browser.send("/no/such/page", method: .delete, headers: [:], body: nil))
        }
        #expect(options.status == .methodNotAllowed)
        #expect(options.headers[.allow] == "GET, HEAD")
        #expect(delete.status == .methodNotAllowed)
        #expect(delete.headers[.allow] == "GET, HEAD")
        #expect(delete.text.contains("This address does not take DELETE."))
        #expect(headPost.status == .methodNotAllowed)
        #expect(headPost.headers[.allow] == "POST")
        #expect(unknown.status == .notFound)
        #expect(unknown.headers[.allow] == nil)
    }

    // MARK: The queue's words for a decision

    static let decisionWords = ["Strategy meeting held, Sat 21 Nov 2026", "Strategy meeting declined, Sat 21 Nov 2026",
                                "MARAC referral made, Sat 21 Nov 2026", "MARAC referral declined, Sat 21 Nov 2026"]

    @Test(arguments: [
        (Decision.Kind.strategyMeeting, Decision.Outcome.held, "Strategy meeting held, Sat 21 Nov 2026"),
        (.strategyMeeting, .declined, "Strategy meeting declined, Sat 21 Nov 2026"),
        (.marac, .referred, "MARAC referral made, Sat 21 Nov 2026"),
        (.marac, .declined, "MARAC referral declined, Sat 21 Nov 2026"),
    ])
    func theQueueNamesEachKindOfDecision(kind: Decision.Kind, outcome: Decision.Outcome, words: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.store.record(Decision(childId: "C-1", kind: kind, outcome: outcome, on: LocalDate(iso: "2026-11-21")!,
                                                reason: outcome == .declined ? "Reviewed." : nil, by: "hana",
                                                recordedAt: fixture.clock.now()))
        let queue = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/").text
        }
        #expect(queue.contains(words))
        for other in Self.decisionWords where other != words { #expect(!queue.contains(other)) }
    }

    // MARK: The API's decision

    @Test(arguments: [
        (#"{"marac": 5, "on": true}"#, ["marac must be a string", "on must be a string"]),
        (#"{"marac": "referred", "on": "2026-11-21", "xx": 1}"#, ["xx is not a field of a decision"]),
        (#"{"marac": "referred", "on": "2026-11-21", "strategy_discussion": 1}"#, ["strategy_discussion must be true or false"]),
        (#"{"strategy_meeting": ["held"], "on": "2026-11-21"}"#, ["strategy_meeting must be a string"]),
        // Audit 20, F7: JSONSerialization kept the last of a repeated key, and a decline became a referral.
        (#"{"marac":"declined","reason":"victim engaging","marac":"referred","on":"2026-11-21"}"#, ["marac appears more than once"]),
        (#"{"marac":"referred","on":"2026-11-21","on":"2026-01-01"}"#, ["on appears more than once"]),
    ])
    func aDecisionOfTheWrongShapeIsAProblemList(body: String, errors: [String]) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await APITests.call(fixture, .post, "/api/children/C-1/decisions", type: "application/json", body: body)
        #expect(response.status == .unprocessableContent)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
        #expect(object["errors"] as? [String] == errors)
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
    }

    /// Audit 20, F2: combining marks piled on one character were one character to the length limit.
    /// `by` is an id, and an id takes no mark at all (audit 26, F5): refused as that.
    @Test func aReasonAndAnAuthorOfPiledMarksAreTooLong() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let reason = "a" + String(repeating: "\u{301}", count: 20_000), by = "x" + String(repeating: "\u{301}", count: 1000)
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["marac": "declined", "on": "2026-11-21", "reason": reason, "by": by]), as: UTF8.self)
        let response = try await APITests.call(fixture, .post, "/api/children/C-1/decisions", type: "application/json", body: body)
        #expect(response.status == .unprocessableContent)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
        let errors = try #require(object["errors"] as? [String])
        #expect(errors.contains { $0.hasPrefix("reason: The reason is too long") }
                    && errors.contains { $0.hasPrefix("by: by has a character that may print as another") }, "\(errors)")
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
    }

    @Test func aDecisionThatIsNotJSONIs415() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let body = #"{"marac": "referred", "on": "2026-11-21"}"#
        let plain = try await APITests.call(fixture, .post, "/api/children/C-1/decisions", type: "text/plain", body: body)
        let none = try await APITests.call(fixture, .post, "/api/children/C-1/decisions", body: body)
        #expect(plain.status == .unsupportedMediaType)
        #expect(none.status == .unsupportedMediaType)
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
        let json = try await APITests.call(fixture, .post, "/api/children/C-1/decisions", type: "application/json; charset=utf-8", body: body)
        #expect(json.status == .created)
    }

    // MARK: The layout and sign-in

    @Test func signingInLandsOnTheTopNotOnErrorsAndEveryPageLinksItsIcon() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (signInPage, signedIn, queue) = try await fixture.withBrowser { browser in
            let page = try await browser.get("/sign-in").text
            let signedIn = try await browser.signIn("hana")
            return (page, signedIn, try await browser.get("/").text)
        }
        // A refusal lands on its summary (audit 20, F7); a browser keeps the form's fragment through
        // a redirect without one of its own, so a good sign-in's has `#top`, not `#errors`.
        #expect(signInPage.contains(#"<form method="post" action="/sign-in#errors" class="stack">"#))
        #expect(signedIn.status == .seeOther && signedIn.location == "/#top")
        for page in [signInPage, queue] { #expect(page.contains(#"<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">"#)) }
    }
}

/// Every line logged, as `message key=value ...`.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

struct CapturingLogHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        lines.append(([event.message.description] + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " "))
    }
}
