import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import SQLiteStore
import StoreContract
import Testing
import TestSupport

/// Every route the application has, as "METHOD /path" with `{name}` parameters (as Hummingbird prints them).
enum Routes {
    static let open: Set<String> = ["GET /health", "GET /sign-in", "POST /sign-in", "GET /static/hub.css", "GET /static/favicon.svg"]
    static let api: Set<String> = ["GET /api/escalations", "POST /api/incidents", "POST /api/children/{childId}/decisions",
                                   "GET /api/children/{childId}"]
    /// A school's acknowledgement: the link's token, or the webhook's signature, is the key.
    static let school: Set<String> = ["GET /ack/{token}", "POST /ack/{token}", "POST /api/alerts/{reference}/ack"]
    /// Prometheus text: a bearer token, as the API.
    static let metrics: Set<String> = ["GET /metrics"]
    static let pages: Set<String> = [
        "GET /", "POST /sign-out",
        "GET /search",
        "GET /children/{childId}", "POST /children/{childId}/decisions",
        "POST /children/{childId}/plan", "POST /children/{childId}/plan/{actionId}/done",
        "GET /children/{childId}/incidents/{incidentId}/regrade", "POST /children/{childId}/incidents/{incidentId}/regrade",
        "GET /admin/audit", "GET /admin/users", "POST /admin/users",
        "POST /admin/users/{name}/disable", "POST /admin/users/{name}/enable",
        "GET /admin/key-adults", "POST /admin/key-adults", "POST /admin/key-adults/change", "POST /admin/key-adults/remove",
        "GET /alerts", "POST /alerts/unmatched/{reference}/school", "POST /alerts/{reference}/call",
        "GET /report", "GET /report.csv",
        "GET /account/password", "POST /account/password",
    ]
    static var all: Set<String> { open.union(api).union(metrics).union(pages).union(school) }
    /// The forms whose typed text is kept through signing in again (`KeptForm`): answered with the sign-in page itself.
    static let kept: Set<String> = [
        "POST /children/{childId}/decisions", "POST /children/{childId}/plan", "POST /children/{childId}/plan/{actionId}/done",
        "POST /children/{childId}/incidents/{incidentId}/regrade",
        "POST /alerts/unmatched/{reference}/school", "POST /alerts/{reference}/call",
    ]

    /// The route with sample values in its parameters.
    static func concrete(_ path: String) -> String {
        path.replacingOccurrences(of: "{childId}", with: "C-1").replacingOccurrences(of: "{incidentId}", with: "I-1")
            .replacingOccurrences(of: "{name}", with: "hana").replacingOccurrences(of: "{reference}", with: "ENC-I-1-C-1")
            .replacingOccurrences(of: "{actionId}", with: "1")
    }

    static func split(_ route: String) -> (HTTPRequest.Method, String) {
        let parts = route.split(separator: " ", maxSplits: 1)
        return (HTTPRequest.Method(rawValue: String(parts[0]))!, String(parts[1]))
    }
}

@Suite struct AccessTests {
    @Test func theRouterHasExactlyTheRoutesThisTestKnows() async throws {
        let fixture = try await WebFixture.make(csv: "")
        defer { fixture.cleanUp() }
        let routes = Set(try await fixture.router().routes.map { "\($0.method.rawValue) \($0.path)" })
        #expect(routes == Routes.all)
    }

    @Test(arguments: Routes.pages.sorted())
    func aPageWithoutSignInRedirectsToTheSignInPage(route: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (method, path) = Routes.split(route)
        let response = try await fixture.withBrowser { browser in
            try await browser.send(Routes.concrete(path), method: method, headers: [:], body: nil)
        }
        if Routes.kept.contains(route) {
            #expect(response.status == .unauthorized)
            #expect(response.text.contains("<h1>Sign in</h1>") && response.text.contains("What you sent was NOT recorded."))
        } else {
            #expect(response.status == .seeOther)
            #expect(response.location?.hasPrefix("/sign-in") == true)
            // A form's POST is told it was not recorded (sign-out has nothing to record).
            #expect(response.location?.contains("unsent=1") == (method == .post && path != "/sign-out"))
        }
        #expect(!response.text.contains("Amelia"))
    }

    @Test(arguments: Routes.api.union(Routes.metrics).sorted())
    func anAPIRouteWithoutATokenIs401(route: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (method, path) = Routes.split(route)
        for authorization in [nil, "Bearer not-a-token", "Basic aGFuYTpwYXNzd29yZA=="] {
            let response = try await fixture.withBrowser { browser in
                var headers: HTTPFields = [:]
                if let authorization { headers[.authorization] = authorization }
                return try await browser.send(Routes.concrete(path), method: method, headers: headers, body: nil)
            }
            #expect(response.status == .unauthorized, "\(route) with \(authorization ?? "no header")")
            #expect(response.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test func aSignedInSessionDoesNotOpenTheAPI() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let status = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            return try await browser.get("/api/escalations").status
        }
        #expect(status == .unauthorized)
    }

    @Test func healthAnswersWithoutSignIn() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { try await $0.get("/health") }
        #expect(response.status == .ok)
        #expect(response.text == "ok\n")
    }

    @Test func theSignInPageAndItsStylesheetAreOpen() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (page, css) = try await fixture.withBrowser { browser in
            (try await browser.get("/sign-in"), try await browser.get("/static/hub.css"))
        }
        #expect(page.status == .ok)
        #expect(page.text.contains(#"<label for="password">Password</label>"#))
        #expect(css.status == .ok)
        #expect(css.headers[.contentType]?.hasPrefix("text/css") == true)
    }

    /// The pages' icon is this site's own, which the policy's `img-src 'self'` allows: the pages
    /// named `data:,`, which it blocks (a violation in the browser's console on every page). The
    /// policy is not loosened for it.
    @Test func thePagesIconIsServedFromThisSiteAsThePolicyAllows() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (signIn, icon, page) = try await fixture.withBrowser { browser in
            let signIn = try await browser.get("/sign-in")
            let icon = try await browser.get("/static/favicon.svg")
            _ = try await browser.signIn("hana")
            return (signIn, icon, try await browser.get("/children/C-1"))
        }
        for response in [signIn, page] {
            #expect(response.status == .ok)
            #expect(response.text.contains(#"<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">"#))
            #expect(!response.text.contains("data:"), "nothing the policy blocks")
            #expect(response.headers[.contentSecurityPolicy]
                == "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        }
        #expect(icon.status == .ok)
        #expect(icon.headers[.contentType] == "image/svg+xml")
        #expect(icon.text.hasPrefix("<svg ") && !icon.text.contains("<script"))
    }

    @Test func anUnknownAddressIsRefusedBeforeSignInAndNotFoundAfter() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (before, after) = try await fixture.withBrowser { browser in
            let before = try await browser.get("/no/such/page")
            _ = try await browser.signIn("hana")
            return (before, try await browser.get("/no/such/page"))
        }
        #expect(before.status == .seeOther)
        #expect(after.status == .notFound)
        #expect(after.text.contains("<h1>Not Found</h1>"))
    }

    @Test func pagesForbidScriptsFramingAndCaching() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/children/C-1")
        }
        #expect(response.status == .ok)
        let policy = try #require(response.headers[.contentSecurityPolicy])
        #expect(policy.contains("default-src 'none'"))
        #expect(!policy.contains("script-src"))
        #expect(response.headers[.cacheControl] == "no-store")
        #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
    }

    @Test func aValidTokenOpensTheAPIAndARevokedOneDoesNot() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let token = try await APITokens.create(name: "records", store: fixture.store, by: "test", at: fixture.clock.now())
        let before = try await fixture.withBrowser { browser in
            try await browser.send("/api/escalations", method: .get, headers: [.authorization: "Bearer \(token)"], body: nil)
        }
        try await fixture.store.revokeAPIToken(name: "records", by: "test", at: fixture.clock.now())
        let after = try await fixture.withBrowser { browser in
            try await browser.send("/api/escalations", method: .get, headers: [.authorization: "Bearer \(token)"], body: nil)
        }
        #expect(before.status == .ok)
        #expect(after.status == .unauthorized)
    }

    @Test func onlyTheTokensHashIsStored() async throws {
        let fixture = try await WebFixture.make(csv: "")
        defer { fixture.cleanUp() }
        let token = try await APITokens.create(name: "records", store: fixture.store, by: "test", at: fixture.clock.now())
        #expect(token.count >= 43)
        let bytes = try #require(FileManager.default.contents(atPath: fixture.databasePath))
        let wal = FileManager.default.contents(atPath: fixture.databasePath + "-wal") ?? Data()
        #expect((bytes + wal).range(of: Data(token.utf8)) == nil)
        #expect(try await fixture.store.liveAPIToken(tokenHash: Secrets.hash(token), at: fixture.clock.now()) == LiveAPIToken(name: "records", scope: .api))
    }
}

@Suite struct HealthTests {
    /// /health reads the database: a server whose database went away says so (503), for the load
    /// balancer to take it out of service.
    @Test func healthIsUnavailableWhenTheDatabaseIs() async throws {
        let url = try PostgresServer.shared().makeDatabase()
        let fixture = try await WebFixture.make(csv: "", users: false, database: url)
        defer { fixture.cleanUp() }
        let name = String(url.split(separator: "/").last!.split(separator: "?").first!)
        let (before, after) = try await fixture.withBrowser { browser in
            let before = try await browser.get("/health")
            _ = try await PostgresServer.shared().psql("postgres", "DROP DATABASE \"\(name)\" WITH (FORCE)")
            return (before, try await browser.get("/health"))
        }
        #expect(before.status == .ok && before.text == "ok\n")
        #expect(after.status == .serviceUnavailable)
        #expect(after.text == "database unavailable\n")
    }
}
