import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import Ingest
import Logging
import NIOCore
import RiskModel
import SQLiteStore
import StoreContract
import Stores
import Testing

/// One test's world: its own SQLite file in a temp folder, the sample incidents below, accounts of
/// each role, a clock the test moves, and the application built on them.
struct WebFixture {
    let dir: URL
    let store: any FullStore
    let clock: TestClock
    var configuration: WebConfiguration

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let start = Date(timeIntervalSince1970: 1_795_334_400) // 2026-11-22T08:00:00Z
    static let password = "correct horse battery staple"

    /// `database`: nil for an SQLite file in the fixture's folder, or a PostgreSQL URL.
    /// `users`: false for a second server on a database that has them already.
    static func make(csv: String = Sample.csv, users: Bool = true, database: String? = nil) async throws -> WebFixture {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("encompass-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let store = try StoreFactory.open(database ?? "sqlite:" + dir.appendingPathComponent("hub.sqlite").path)
        try await store.migrate()
        var configuration = WebConfiguration(templatesDirectory: packageRoot.appendingPathComponent("Templates/web").path)
        configuration.bcryptCost = 4
        configuration.port = 0
        let fixture = WebFixture(dir: dir, store: store, clock: TestClock(start), configuration: configuration)
        if !csv.isEmpty { try await fixture.ingest(csv) }
        for (name, role) in [("hana", Role.hub), ("sam", .supervisor), ("ade", .admin)] where users {
            try await fixture.addUser(name, role)
        }
        return fixture
    }

    var databasePath: String { dir.appendingPathComponent("hub.sqlite").path }

    func ingest(_ csv: String, planner: AlertPlanner? = nil) async throws {
        var builder = IncidentBatchBuilder(now: clock.now())
        builder.add(Array(csv.utf8), fileName: "fixture.csv", format: .csv)
        _ = try await store.ingest(try builder.finish().get(), actor: "test", at: clock.now(), planner: planner)
    }

    func addUser(_ name: String, _ role: Role, password: String = WebFixture.password) async throws {
        try await UserAccounts.add(name: name, role: role, password: password, store: store, by: "test", at: clock.now(), cost: 4)
    }

    func app() async throws -> some ApplicationProtocol {
        let clock = self.clock
        var logger = Logger(label: "encompass.web.test")
        logger.logLevel = .warning
        return try await buildApplication(configuration: configuration, store: store, clock: WebClock { clock.now() }, logger: logger)
    }

    func router() async throws -> Router<HubRequestContext> {
        let clock = self.clock
        return try await buildRouter(configuration: configuration, store: store, clock: WebClock { clock.now() })
    }

    /// Runs `body` against the application through HummingbirdTesting's router client.
    func withBrowser<T: Sendable>(_ body: @Sendable (inout Browser) async throws -> T) async throws -> T {
        try await app().test(.router) { client in
            var browser = Browser(client: client)
            return try await body(&browser)
        }
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: dir)
    }
}

/// A clock that stands still until the test moves it.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var instant: Date

    init(_ start: Date) { instant = start }

    func now() -> Date { lock.withLock { instant } }
    func advance(minutes: Double) { lock.withLock { instant = instant.addingTimeInterval(minutes * 60) } }
}

/// A client that keeps cookies like a browser and finds the CSRF token in pages.
struct Browser {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    /// Extra headers on every request (e.g. X-Forwarded-Proto).
    var headers: HTTPFields = [:]

    init(client: any TestClientProtocol) { self.client = client }

    mutating func get(_ uri: String) async throws -> TestResponse {
        try await send(uri, method: .get, headers: [:], body: nil)
    }

    mutating func post(_ uri: String, form: [(String, String)]) async throws -> TestResponse {
        let body = form.map { Self.encode($0.0) + "=" + Self.encode($0.1) }.joined(separator: "&")
        return try await send(uri, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                              body: ByteBuffer(string: body))
    }

    /// Posts `form` with the CSRF token from the page at `page`, and, as a browser does, the hidden
    /// fields of the page's form that posts to `uri` (what the page showed: `seen`).
    mutating func submit(_ uri: String, from page: String, form: [(String, String)]) async throws -> TestResponse {
        let html = try await get(page).text
        let token = try #require(Self.csrf(in: html), "no CSRF token on \(page)")
        return try await post(uri, form: [("csrf", token)] + Self.hidden(in: html, posting: uri).filter { $0.0 != "csrf" } + form)
    }

    /// The hidden fields of the form in `html` whose action is `uri` (with or without a `#` part).
    static func hidden(in html: String, posting uri: String) -> [(String, String)] {
        for marker in ["action=\"\(uri)\"", "action=\"\(uri)#"] {
            guard let start = html.range(of: marker), let end = html.range(of: "</form>", range: start.upperBound..<html.endIndex) else { continue }
            let form = html[start.upperBound..<end.lowerBound]
            var fields: [(String, String)] = []
            var rest = form[...]
            while let input = rest.range(of: #"<input type="hidden" name="([^"]+)" value="([^"]*)""#, options: .regularExpression) {
                let parts = rest[input].split(separator: "\"", omittingEmptySubsequences: false)
                fields.append((String(parts[3]), String(parts[5])))
                rest = rest[input.upperBound...]
            }
            return fields
        }
        return []
    }

    mutating func signIn(_ name: String, password: String = WebFixture.password) async throws -> TestResponse {
        try await submit("/sign-in", from: "/sign-in", form: [("name", name), ("password", password)])
    }

    mutating func send(_ uri: String, method: HTTPRequest.Method, headers extra: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var fields = headers
        fields.append(contentsOf: extra)
        if !cookies.isEmpty {
            fields[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        let response = try await client.executeRequest(uri: uri, method: method, headers: fields, body: body)
        for line in response.headers[values: .setCookie] {
            let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            let name = String(pair[0]), value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || line.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return response
    }

    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) else { return nil }
        let match = html[range]
        return match.split(separator: "\"")[3].description
    }

    static func encode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var location: String? { headers[.location] }
}

/// Incidents reported before `WebFixture.start` (2026-11-22T08:00Z):
/// C-1 has three standard incidents (potential-escalation: high), one with a script in the child's words;
/// C-2, whose name holds markup, one medium incident (medium); C-3 one standard incident (standard, not
/// in the queue); C-4 one high incident (visible-high-risk: high).
enum Sample {
    static let header = "incident_id,reported_at,risk_tool,officer_grade,dash_yes_count,supervisor_grade,victim_id,perpetrator_id,child_id,child_given_name,child_family_name,child_dob,school_urn,child_present,child_spoken_to,child_voice,bwv_used"
    static let script = #"<script>alert("x")</script>"#
    static let csv = [
        header,
        #"I-1,2026-06-01T21:00:00Z,DASH,standard,3,,V-1,P-1,C-1,Amelia,Hartley,2016-04-02,120501,Y,Y,"I hid. <script>alert(""x"")</script>",Y"#,
        "I-2,2026-09-10T22:15:00Z,DASH,standard,4,,V-1,P-1,C-1,Amelia,Hartley,2016-04-02,120501,Y,N,,N",
        "I-3,2026-11-02T19:40:00Z,DASH,standard,5,,V-1,P-1,C-1,Amelia,Hartley,2016-04-02,120501,N,N,,Y",
        "I-4,2026-10-20T20:00:00Z,DASH,medium,11,,V-2,P-2,C-2,<b>Bold</b>,O'Neill & Co,2015-01-09,,Y,Y,,Y",
        "I-5,2026-11-15T20:00:00Z,DASH,standard,2,,V-3,P-3,C-3,Jack,Brown,2017-03-03,120502,N,N,,N",
        "I-6,2026-11-20T23:10:00Z,DASH,high,16,,V-4,P-4,C-4,Maya,Singh,2014-05-05,120503,Y,Y,,Y",
    ].joined(separator: "\n") + "\n"
}
