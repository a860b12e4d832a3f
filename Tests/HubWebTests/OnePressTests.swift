import Delivery
import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import RiskModel
import StoreContract
import Testing
import TestSupport

/// One press, one record (audit 20, F1): a decision, a plan action or a call sent twice from the
/// same page (Back and press again, a double click on a slow link, the same POST to two servers
/// behind a load balancer, two at once) is recorded once, and the repeat is told "already
/// recorded"; a form whose page did not show a decision recorded meanwhile writes nothing and says
/// what was recorded. Two servers on one database, SQLite and PostgreSQL, so nothing rests on one
/// process's memory.
@Suite("One press, one record, on two servers on SQLite and PostgreSQL")
struct OnePressTests {
    enum Database: String, CaseIterable, Sendable { case sqlite, postgres }

    /// A server's fixture on `kind` (made by `make`) and a second server's on the same database.
    static func servers(_ kind: Database, make: (String?) async throws -> WebFixture = { try await WebFixture.make(database: $0) })
        async throws -> (a: WebFixture, b: WebFixture) {
        let url: String? = kind == .postgres ? try PostgresServer.shared().makeDatabase() : nil
        let a = try await make(url)
        var b = try await WebFixture.make(csv: "", users: false, database: url ?? "sqlite:" + a.databasePath)
        b.configuration = a.configuration
        return (a, b)
    }

    /// Signs in on `fixture` and reads `page`'s form that posts to `uri`: its hidden fields (the
    /// CSRF token and what the page showed), as the browser holds them; with the session's cookies.
    static func form(_ fixture: WebFixture, as user: String = "hana", page: String, posting uri: String) async throws
        -> (fields: [(String, String)], cookies: [String: String]) {
        try await fixture.withBrowser { browser in
            _ = try await browser.signIn(user)
            let html = try await browser.get(page).text
            let fields = Browser.hidden(in: html, posting: uri)
            #expect(fields.contains { $0.0 == "seen" }, "the form says what its page showed")
            return (fields, browser.cookies)
        }
    }

    /// POSTs `fields` to `uri` on `fixture` with `cookies`.
    static func post(_ fixture: WebFixture, _ uri: String, _ fields: [(String, String)], cookies: [String: String]) async throws -> TestResponse {
        try await fixture.withBrowser { browser in
            browser.cookies = cookies
            return try await browser.post(uri, form: fields)
        }
    }

    static func get(_ fixture: WebFixture, _ uri: String, cookies: [String: String]) async throws -> String {
        try await fixture.withBrowser { browser in
            browser.cookies = cookies
            return try await browser.get(uri).text
        }
    }

    @Test(arguments: Database.allCases)
    func aDecisionFormSentTwiceOrTwiceAtOnceRecordsOneDecision(kind: Database) async throws {
        let (a, b) = try await Self.servers(kind)
        defer { a.cleanUp(); b.cleanUp() }
        let typed = [("marac", "declined"), ("on", "2026-11-21"), ("reason", "Double-submit test reason")]

        // Sent, then the same form again (Back and press), to the other server.
        let (fields, cookies) = try await Self.form(a, page: "/children/C-1", posting: "/children/C-1/decisions")
        let first = try await Self.post(a, "/children/C-1/decisions", fields + typed, cookies: cookies)
        let again = try await Self.post(b, "/children/C-1/decisions", fields + typed, cookies: cookies)
        #expect(first.status == .seeOther && first.location == "/children/C-1?recorded=1#decisions")
        #expect(again.status == .seeOther && again.location == "/children/C-1?recorded=already#decisions")
        let shown = try await Self.get(a, try #require(again.location), cookies: cookies)
        #expect(shown.contains("This decision was already recorded: it is under Decisions so far. Nothing more was recorded."))
        #expect(try await a.store.decisions(childId: "C-1").count == 1)
        #expect(shown.components(separatedBy: "Double-submit test reason").count == 2, "shown once, in Decisions so far")

        // Two at once (a double click on a slow link), one to each server.
        let (both, bothCookies) = try await Self.form(a, page: "/children/C-4", posting: "/children/C-4/decisions")
        let sent = both + [("marac", "referred"), ("on", "2026-11-21")]
        async let x = Self.post(a, "/children/C-4/decisions", sent, cookies: bothCookies)
        async let y = Self.post(b, "/children/C-4/decisions", sent, cookies: bothCookies)
        let answers = try await [x, y].compactMap(\.location).sorted()
        #expect(answers == ["/children/C-4?recorded=1#decisions", "/children/C-4?recorded=already#decisions"])
        #expect(try await a.store.decisions(childId: "C-4").count == 1)
    }

    @Test(arguments: Database.allCases)
    func aFormWhosePageMissedADecisionRecordedMeanwhileSaysWhatAndWritesNothing(kind: Database) async throws {
        let (a, b) = try await Self.servers(kind)
        defer { a.cleanUp(); b.cleanUp() }
        // hana opens the page on A; sam decides on B meanwhile.
        let (stale, cookies) = try await Self.form(a, page: "/children/C-1", posting: "/children/C-1/decisions")
        let (fresh, samCookies) = try await Self.form(b, as: "sam", page: "/children/C-1", posting: "/children/C-1/decisions")
        let sams = try await Self.post(b, "/children/C-1/decisions", fresh + [("marac", "referred"), ("on", "2026-11-21")], cookies: samCookies)
        #expect(sams.location == "/children/C-1?recorded=1#decisions")

        let typed = [("marac", "declined"), ("on", "2026-11-21"), ("reason", "Mother engaging with the IDVA")]
        let hanas = try await Self.post(a, "/children/C-1/decisions", stale + typed, cookies: cookies)
        #expect(hanas.status == .conflict)
        #expect(hanas.text.contains("Another decision was recorded for this child while this page was open (MARAC referral made on 2026-11-21 by sam)"))
        #expect(hanas.text.contains("<title>Error: "))
        #expect(hanas.text.contains(">Mother engaging with the IDVA</textarea>"), "what was typed is kept")
        #expect(try await a.store.decisions(childId: "C-1").map(\.by) == ["sam"], "nothing written")

        // The page sent back counts sam's decision: pressing again records hana's.
        let renewed = Browser.hidden(in: hanas.text, posting: "/children/C-1/decisions")
        #expect(renewed.first { $0.0 == "seen" }?.1 == "1")
        let again = try await Self.post(a, "/children/C-1/decisions", renewed + typed, cookies: cookies)
        #expect(again.location == "/children/C-1?recorded=1#decisions")
        #expect(try await a.store.decisions(childId: "C-1").map(\.by) == ["sam", "hana"])
    }

    @Test(arguments: Database.allCases)
    func aPlanActionSentTwiceIsAddedOnce(kind: Database) async throws {
        let (a, b) = try await Self.servers(kind)
        defer { a.cleanUp(); b.cleanUp() }
        let typed = [("action", "Weekly visit by the social worker"), ("agency", "Children's Social Care"), ("due", "2026-12-01")]
        let (fields, cookies) = try await Self.form(a, page: "/children/C-1", posting: "/children/C-1/plan")
        let first = try await Self.post(a, "/children/C-1/plan", fields + typed, cookies: cookies)
        let again = try await Self.post(b, "/children/C-1/plan", fields + typed, cookies: cookies)
        #expect(first.location == "/children/C-1?plan=added#plan")
        #expect(again.location == "/children/C-1?plan=already#plan")
        #expect(try await Self.get(a, try #require(again.location), cookies: cookies)
            .contains("This action was already recorded: it is in the plan below. Nothing more was recorded."))
        #expect(try await a.store.planActions(childId: "C-1").count == 1)

        // Another action added meanwhile: the stale form is told, and adds nothing.
        let other = [("action", "Refer to the IDVA"), ("agency", "Police"), ("due", "")]
        let stale = try await Self.post(b, "/children/C-1/plan", fields + other, cookies: cookies)
        #expect(stale.status == .conflict)
        #expect(stale.text.contains("An action was added to this plan by hana while this page was open."))
        #expect(try await a.store.planActions(childId: "C-1").count == 1)
    }

    /// A supervisor's regrade (audit 22, people F6): a double or triple click wrote it 3 to 5 times,
    /// for good (regrades are append-only). Several at once, to two servers, record one; pressing
    /// again is told "already recorded"; a regrade to the grade a supervisor gave already writes nothing.
    @Test(arguments: Database.allCases)
    func aRegradeSentSeveralTimesAtOnceIsRecordedOnce(kind: Database) async throws {
        let (a, b) = try await Self.servers(kind)
        defer { a.cleanUp(); b.cleanUp() }
        let uri = "/children/C-3/incidents/I-5/regrade"
        let (fields, cookies) = try await Self.form(a, as: "sam", page: uri, posting: uri)
        let sent = fields + [("grade", "medium"), ("reason", "DV history known to the supervisor")]
        async let w = Self.post(a, uri, sent, cookies: cookies)
        async let x = Self.post(b, uri, sent, cookies: cookies)
        async let y = Self.post(a, uri, sent, cookies: cookies)
        async let z = Self.post(b, uri, sent, cookies: cookies)
        let answers = try await [w, x, y, z].compactMap(\.location).sorted()
        #expect(answers == ["/children/C-3?regraded=1#incident-I-5"] + Array(repeating: "/children/C-3?regraded=already#incident-I-5", count: 3))
        let again = try await Self.post(b, uri, sent, cookies: cookies)
        #expect(again.location == "/children/C-3?regraded=already#incident-I-5")
        #expect(try await Self.get(a, try #require(again.location), cookies: cookies)
            .contains("This regrade was already recorded: it is under the incident. Nothing more was recorded."))
        #expect(try await a.store.childRecord("C-3")?.regrades.count == 1)

        // The page now counts that regrade; the same grade again is answered, and writes nothing.
        let (fresh, freshCookies) = try await Self.form(a, as: "sam", page: uri, posting: uri)
        #expect(fresh.first { $0.0 == "seen" }?.1 == "1")
        let same = try await Self.post(a, uri, fresh + [("grade", "medium"), ("reason", "Looked again")], cookies: freshCookies)
        #expect(same.status == .conflict)
        #expect(same.text.contains("The incident is already at that grade: a supervisor graded it medium. Nothing was recorded"))
        #expect(same.text.contains(">Looked again</textarea>"), "what was typed is kept")
        #expect(try await a.store.childRecord("C-3")?.regrades.count == 1)
        #expect(try await a.store.auditEntries(limit: 50).filter { $0.action == "incident.regraded" }.count == 1)
    }

    /// The alerts board's fixture (AlertBoardTests) on `database`, with I-11's alert delivered with
    /// its link and, three days on, past its deadline unacknowledged: on the board to phone.
    static func board(_ database: String?) async throws -> WebFixture {
        var fixture = try await WebFixture.make(csv: "", database: database)
        fixture.configuration.alertPlanner = AlertBoardTests.planner
        try await fixture.store.replaceDirectory(AlertBoardTests.directory)
        try await fixture.ingest(AlertBoardTests.csv, planner: AlertBoardTests.planner)
        let claimed = try await fixture.store.claimDue(now: fixture.clock.now(), owner: "test", lease: 60, limit: 10, isDead: { _ in false })
        let alert = try #require(claimed.alerts.first { $0.reference == AcknowledgementTests.reference })
        let token = AcknowledgementLinks.hash(AcknowledgementLinks.newToken())
        try await fixture.store.issueAcknowledgementTokens([(alert.alertKey, token, fixture.clock.now().addingTimeInterval(14 * 86_400))],
                                                           at: fixture.clock.now())
        try await fixture.store.record(.delivered, for: alert.alertKey, owner: "test", now: fixture.clock.now())
        fixture.clock.advance(minutes: 3 * 24 * 60)
        return fixture
    }

    @Test(arguments: Database.allCases)
    func aCallToASchoolSentTwiceIsRecordedOnce(kind: Database) async throws {
        let (a, b) = try await Self.servers(kind, make: Self.board)
        defer { a.cleanUp(); b.cleanUp() }
        b.clock.advance(minutes: 3 * 24 * 60)
        let reference = AcknowledgementTests.reference
        let uri = "/alerts/\(reference)/call"
        let (fields, cookies) = try await Self.form(a, page: "/alerts", posting: uri)
        let first = try await Self.post(a, uri, fields + [("note", "Spoke to the head")], cookies: cookies)
        let again = try await Self.post(b, uri, fields + [("note", "Spoke to the head")], cookies: cookies)
        #expect(first.location == "/alerts?phoned=\(reference)")
        #expect(again.location == "/alerts?again=1&phoned=\(reference)")
        #expect(try await Self.get(a, try #require(again.location), cookies: cookies)
            .contains("This call about alert \(reference) was already recorded: it is shown below. Nothing more was recorded."))
        #expect(try await a.store.calls(references: [reference]).count == 1)

        // Another call recorded meanwhile (not this one): the stale form is told, and records nothing.
        let stale = try await Self.post(b, uri, fields + [("note", "Left a message")], cookies: cookies)
        #expect(stale.status == .conflict)
        #expect(stale.text.contains("hana recorded a call about this alert while this page was open."))
        #expect(try await a.store.calls(references: [reference]).count == 1)
    }
}
