import Delivery
import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import RiskModel
import StoreContract
import Stores
import Testing
import TestSupport

/// Two hub servers on one database, as a force runs them behind a load balancer: what one writes
/// (or another process ingests), the other shows at its next page load; a session opened on one is
/// good on the other. On SQLite (two stores on one file) and on PostgreSQL.
@Suite("Several servers on one database")
struct SeveralServersTests {
    enum Database: String, CaseIterable, Sendable { case sqlite, postgres }

    /// Fixture A's database, and a second server's fixture on the same database.
    func servers(_ kind: Database) async throws -> (a: WebFixture, b: WebFixture) {
        let url: String? = kind == .postgres ? try PostgresServer.shared().makeDatabase() : nil
        let a = try await WebFixture.make(database: url)
        let shared = url ?? "sqlite:" + a.databasePath
        var b = try await WebFixture.make(csv: "", users: false, database: shared)
        b.configuration = a.configuration
        return (a, b)
    }

    @Test(arguments: Database.allCases)
    func anIngestByAnotherProcessShowsOnTheQueueAtTheNextPageLoad(kind: Database) async throws {
        let (a, b) = try await servers(kind)
        defer { a.cleanUp(); b.cleanUp() }
        let (before, after) = try await a.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let before = try await browser.get("/").text
            // As `encompass ingest` on another host would: through another store on the same database.
            try await b.ingest(Sample.header + "\nI-40,2026-11-22T07:00:00Z,DASH,high,,,V-40,,C-40,Ann,Lee,2016-01-01,,,,,\n")
            return (before, try await browser.get("/").text)
        }
        #expect(!QueuePageTests.childIds(in: before).contains("C-40"))
        #expect(QueuePageTests.childIds(in: after).first == "C-40")
    }

    @Test(arguments: Database.allCases)
    func aDecisionOnOneServerShowsOnTheOthersQueueAndTheSessionIsGoodOnBoth(kind: Database) async throws {
        let (a, b) = try await servers(kind)
        defer { a.cleanUp(); b.cleanUp() }
        // Signed in on A; the cookie then goes to B, as a load balancer may send the next request.
        let cookies = try await a.withBrowser { browser in
            _ = try await browser.signIn("hana")
            #expect(QueuePageTests.childIds(in: try await browser.get("/?undecided=1").text).contains("C-4"))
            return browser.cookies
        }
        let decided = try await b.withBrowser { browser in
            browser.cookies = cookies
            let page = try await browser.get("/children/C-4")
            #expect(page.status == .ok, "the session opened on A is good on B")
            let answer = try await browser.submit("/children/C-4/decisions", from: "/children/C-4",
                                                  form: [("marac", "referred"), ("on", "2026-11-21")])
            return answer.status
        }
        #expect(decided == .seeOther || decided == .found || decided == .ok)
        let after = try await a.withBrowser { browser in
            browser.cookies = cookies
            return try await browser.get("/?undecided=1").text
        }
        #expect(!QueuePageTests.childIds(in: after).contains("C-4"), "A's next page load shows B's decision")
    }
}

/// The pages and the API on PostgreSQL are those on SQLite, byte for byte (once each page's own
/// form token is set aside).
@Suite("Pages and API on both databases")
struct BothDatabasesPagesTests {
    static func pages(_ fixture: WebFixture) async throws -> [String: String] {
        let token = try await APITests.token(fixture)
        var out: [String: String] = [:]
        for path in ["/api/escalations?as_of=2026-11-21T12:00:00Z", "/api/escalations"] {
            out[path] = try await APITests.call(fixture, .get, path, token: token).text
        }
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            var pages: [String: String] = [:]
            for path in ["/", "/?undecided=1", "/?level=high", "/children/C-1", "/children/C-2", "/children/C-4", "/alerts", "/admin/users"] {
                let page = try await browser.get(path).text
                // Each session's CSRF token differs; nothing else may.
                pages[path] = page.replacingOccurrences(of: #"name="csrf" value="[^"]+""#, with: "csrf", options: .regularExpression)
            }
            return pages
        }
        return out.merging(html) { a, _ in a }
    }

    @Test func everyPageAndTheAPIAreTheSameOnPostgreSQL() async throws {
        let sqlite = try await WebFixture.make()
        defer { sqlite.cleanUp() }
        let postgres = try await WebFixture.make(database: try PostgresServer.shared().makeDatabase())
        defer { postgres.cleanUp() }
        let a = try await Self.pages(sqlite), b = try await Self.pages(postgres)
        #expect(a.keys.sorted() == b.keys.sorted())
        for (path, page) in a {
            #expect(page.count > 200, "\(path) rendered")
            #expect(page == b[path], "\(path) differs between SQLite and PostgreSQL")
        }
    }
}

/// A database that fails under the app is 503 (as it is 69 from a command), with nothing changed
/// and no detail of the failure shown.
@Suite("The web app when its database fails")
struct DatabaseFailureTests {
    @Test func aFailingDatabaseIs503OnPagesAndTheAPI() async throws {
        let url = try PostgresServer.shared().makeDatabase()
        let fixture = try await WebFixture.make(database: url)
        defer { fixture.cleanUp() }
        let token = try await APITests.token(fixture)
        let (page, api) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            // The record's table goes from under the running app, as a failed restore might leave it.
            let broken = try await PostgresServer.shared().psql(String(url.split(separator: "/").last!),
                                                          "ALTER TABLE incident_children RENAME TO incident_children_gone")
            #expect(broken.exitCode == 0, "\(broken.output)")
            let page = try await browser.get("/children/C-1")
            var headers: HTTPFields = [.authorization: "Bearer \(token)"]
            headers[.contentType] = "application/json"
            let api = try await browser.send("/api/escalations?as_of=2026-11-21T12:00:00Z", method: .get, headers: headers, body: nil)
            return (page, api)
        }
        #expect(page.status == .serviceUnavailable)
        #expect(page.text.contains("The hub&#39;s database is busy or unavailable") || page.text.contains("The hub's database is busy or unavailable"))
        #expect(!page.text.contains("incident_children"), "no detail of the failure")
        #expect(api.status == .serviceUnavailable)
        #expect(api.headers[.contentType] == "application/json")
    }

    /// A school's link with the database gone (PostgreSQL stopped, a failover): 503, GET and POST
    /// alike, in the school's own page with the hub's telephone (the number the 404 page gives);
    /// nothing of the hub's database and no link into the staff site (audit 22, people F7: the
    /// staff error page's "Go to the review queue").
    @Test func aSchoolsLinkWithTheDatabaseGoneIs503WithTheHubsTelephone() async throws {
        let url = try PostgresServer.shared().makeDatabase()
        var fixture = try await WebFixture.make(csv: "", users: false, database: url)
        defer { fixture.cleanUp() }
        fixture.configuration.hub = HubContact(name: "Lincs Hub", phone: "01632 960999", email: "hub@lincs.police.example")
        let name = String(url.split(separator: "/").last!.split(separator: "?").first!)
        let token = AcknowledgementLinks.newToken()
        let (missing, get, post) = try await fixture.withBrowser { browser in
            let missing = try await browser.get("/ack/" + token)
            _ = try await PostgresServer.shared().psql("postgres", "DROP DATABASE \"\(name)\" WITH (FORCE)")
            return (missing, try await browser.get("/ack/" + token), try await browser.post("/ack/" + token, form: []))
        }
        #expect(missing.status == .notFound && missing.text.contains("<strong>01632 960999</strong>"))
        for page in [get, post] {
            #expect(page.status == .serviceUnavailable)
            #expect(page.text.contains("This page cannot be shown just now"), "\(page.text)")
            #expect(page.text.contains("Please try again in a few minutes, or telephone the hub on <strong>01632 960999</strong>."))
            #expect(page.text.contains("For the school&#39;s key adult only") || page.text.contains("For the school's key adult only"))
            #expect(!page.text.contains("database") && !page.text.contains("review queue"))
            #expect(!page.text.contains(#"href="/""#) && !page.text.contains("/sign-"), "no link into the staff site")
        }
    }
}
