import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import RiskModel
import StoreContract
import Testing
import TestSupport

/// The officer role (SPEC §5): reads a child's page, found by id, and nothing else.
@Suite struct OfficerTests {
    static func fixture() async throws -> WebFixture {
        let fixture = try await WebFixture.make()
        try await fixture.addUser("pc.jones", .officer)
        return fixture
    }

    /// What an officer gets at each page route; every route not named here is refused (403).
    static let allowed: [String: HTTPResponse.Status] = [
        "GET /search": .ok, "GET /children/{childId}": .ok, "GET /": .seeOther, "POST /sign-out": .seeOther,
        // Their own password (the form's fields here lack the current password: refused, 422).
        "GET /account/password": .ok, "POST /account/password": .unprocessableContent,
    ]

    /// Walks every page route of the router (AccessTests checks `Routes.pages` is exactly the
    /// router's, less the open, API and school routes), signed in as an officer, a POST with the
    /// session's own CSRF token so only the role can refuse it.
    @Test(arguments: Routes.pages.sorted())
    func anOfficerReachesTheSearchAndAChildsPageAndNothingElse(route: String) async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        _ = try await PlanPageTests.add(fixture)
        let (method, path) = Routes.split(route)
        let before = try await fixture.store.counts()
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("pc.jones")
            if method == .post {
                let form: [(String, String)] = [("on", "2026-11-21"), ("action", "x"), ("agency", "x"), ("marac", "referred"),
                                                ("grade", "high"), ("reason", "x"), ("urn", "120501"), ("name", "x"), ("role", "admin"),
                                                ("password", "a long enough password"), ("confirm", "a long enough password"),
                                                ("email", "x@school.example"), ("channel", "smtp")]
                return try await browser.submit(Routes.concrete(path), from: "/search", form: form)
            }
            return try await browser.get(Routes.concrete(path))
        }
        let expected = Self.allowed[route] ?? .forbidden
        #expect(response.status == expected, "\(route)")
        if expected == .forbidden { #expect(response.text.contains("Your role does not allow this"), "\(route)") }
        if route == "GET /" { #expect(response.location == "/search") }
        let after = try await fixture.store.counts()
        #expect(after.decisions == before.decisions && after.incidents == before.incidents)
        #expect(try await fixture.store.planActions(childId: "C-1").map(\.done) == [nil])
        #expect(try await fixture.store.users().count == 4)
        #expect(try await fixture.store.user(named: "hana")?.disabled == false)
    }

    @Test(arguments: Routes.api.union(Routes.metrics).sorted())
    func anOfficersSessionDoesNotOpenTheAPI(route: String) async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        let (method, path) = Routes.split(route)
        let status = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("pc.jones")
            return try await browser.send(Routes.concrete(path), method: method, headers: [:], body: nil).status
        }
        #expect(status == .unauthorized)
    }

    @Test func anOfficerSignsInToTheSearchBoxAndOpensAChildWhoseViewIsAudited() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        _ = try await PlanPageTests.add(fixture)
        let (landing, search, found, page) = try await fixture.withBrowser { browser in
            let landing = try await browser.signIn("pc.jones")
            let search = try await browser.get("/search")
            let found = try await browser.get("/search?child=%20C-1%20")
            return (landing, search, found, try await browser.get("/children/C-1"))
        }
        #expect(landing.status == .seeOther)
        #expect(search.status == .ok)
        #expect(search.text.contains(#"<label for="child">Child's id</label>"#))
        #expect(search.text.contains(#"<li><a href="/search">Find a child</a></li>"#))
        #expect(!search.text.contains(#"href="/alerts""#) && !search.text.contains("Review queue"), "no queue, no board")
        #expect(found.status == .seeOther)
        #expect(found.location == "/children/C-1")
        #expect(page.status == .ok)
        let html = page.text
        #expect(html.contains("Amelia Hartley") && html.contains("Weekly visit"), "the record and the plan")
        for form in ["Record a decision", "Add an action", "Mark done", "Regrade incident", "method=\"post\" action=\"/children"] {
            #expect(!html.contains(form), "no \(form) for an officer")
        }
        #expect(html.contains(#"<a href="/search">Find a child</a>"#))
        let views = try await fixture.store.auditEntries(limit: 20).filter { $0.action == "child.viewed" && $0.actor == "user:pc.jones" }
        #expect(views.map(\.subject) == ["child:C-1"])
    }

    /// A browser sends a space typed in a GET form as `+`: an id pasted with a space before or after
    /// it finds the child, and a URN in the queue's filter is read, on either database (audit 22,
    /// people F2: "No child has the id C-1+" for a child with a MARAC plan).
    @Test(arguments: MetricsDatabase.allCases)
    func aSpaceTypedInAGetFormIsASpaceAndIsTrimmed(kind: MetricsDatabase) async throws {
        let fixture = try await WebFixture.make(database: kind == .postgres ? try PostgresServer.shared().makeDatabase() : nil)
        defer { fixture.cleanUp() }
        try await fixture.addUser("pc.jones", .officer)
        let (trailing, leading, name, queue) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("pc.jones")
            let trailing = try await browser.get("/search?child=C-1+")
            let leading = try await browser.get("/search?child=+C-1")
            let name = try await browser.get("/search?child=Amelia+Hartley")
            _ = try await browser.submit("/sign-out", from: "/search", form: [])
            _ = try await browser.signIn("hana")
            return (trailing, leading, name, try await browser.get("/?school=120501+").text)
        }
        #expect(trailing.status == .seeOther && trailing.location == "/children/C-1")
        #expect(leading.status == .seeOther && leading.location == "/children/C-1")
        #expect(name.status == .notFound)
        #expect(name.text.contains("No child has the id Amelia Hartley."), "what was typed, not the + the browser sent")
        #expect(QueuePageTests.childIds(in: queue) == ["C-1"])
        #expect(!queue.contains("URN as 6 digits"))
    }

    @Test(arguments: [
        ("C-404", HTTPResponse.Status.notFound, "No child has the id C-404."),
        ("", .unprocessableContent, "Enter the child&#39;s id"),
        ("C-%1B%5B2J", .unprocessableContent, "The child&#39;s id has a control character in it"),
        (String(repeating: "x", count: 65), .unprocessableContent, "The child&#39;s id is too long"),
    ] as [(String, HTTPResponse.Status, String)])
    func aSearchThatFindsNoOneSaysWhyBesideTheBox(query: String, status: HTTPResponse.Status, message: String) async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("pc.jones")
            return try await browser.get("/search?child=\(query)")
        }
        #expect(response.status == status)
        #expect(response.text.contains("<title>Error: Find a child"))
        let link = "<a href=\"#child\">" + message
        #expect(response.text.contains(link), "\(response.text)")
        #expect(response.text.contains(#"aria-describedby="child-hint child-error" aria-invalid="true""#))
    }

    @Test func staffSeeTheFormsAndAnAdminCanAddAnOfficerInTheApp() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        let (page, added) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            let page = try await browser.get("/children/C-1").text
            let added = try await browser.submit("/admin/users", from: "/admin/users",
                                                 form: [("name", "pc.smith"), ("role", "officer"), ("password", "a long enough password"),
                                                        ("confirm", "a long enough password")])
            return (page, added)
        }
        #expect(page.contains("Record a decision") && page.contains("Add an action"))
        #expect(added.status == .seeOther)
        #expect(try await fixture.store.user(named: "pc.smith")?.role == .officer)
    }
}
