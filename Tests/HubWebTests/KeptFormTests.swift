import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import RiskModel
import StoreContract
import Testing
import TestSupport

/// A form pressed after its session ended, or from a page of an earlier session (audit 22, people
/// F1): the answer says plainly that nothing was recorded, signing in again leads back to the form's
/// page, and what was typed comes back filled in, to be recorded once when pressed. On SQLite and
/// PostgreSQL, as the decision is a store's.
@Suite("A form refused for its session comes back filled in, on SQLite and PostgreSQL")
struct KeptFormTests {
    typealias Database = OnePressTests.Database

    static func fixture(_ kind: Database) async throws -> WebFixture {
        try await WebFixture.make(database: kind == .postgres ? try PostgresServer.shared().makeDatabase() : nil)
    }

    static let decisions = "/children/C-1/decisions"
    static let typed = [("marac", "declined"), ("on", "2026-11-21"), ("reason", "Mother engaging with the IDVA & <school>")]
    static let shownReason = ">Mother engaging with the IDVA &amp; &lt;school&gt;</textarea>"

    /// The fields a browser sends from the form in `html` posting to `uri`: its hidden fields (their
    /// values as the browser reads them from the page's HTML) and what was typed.
    static func sent(from html: String, posting uri: String, typed: [(String, String)] = []) -> [(String, String)] {
        Browser.hidden(in: html, posting: uri).map { name, value in
            (name, ["&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'"].reduce(value) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
                .replacingOccurrences(of: "&amp;", with: "&"))
        } + typed
    }

    @Test(arguments: Database.allCases)
    func aDecisionPressedAfterTheSessionEndedIsShownAgainAfterSignInAndRecordedOnce(kind: Database) async throws {
        let fixture = try await Self.fixture(kind)
        defer { fixture.cleanUp() }
        let clock = fixture.clock
        let (refused, signedIn, recorded, again) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let page = try await browser.get("/children/C-1").text
            clock.advance(minutes: 31)  // typing the reason: the session passes its 30 idle minutes
            let refused = try await browser.post(Self.decisions, form: Self.sent(from: page, posting: Self.decisions, typed: Self.typed))
            // Signing in from that page, as the browser sends its form.
            let signIn = Self.sent(from: refused.text, posting: "/sign-in") + [("name", "hana"), ("password", WebFixture.password)]
            let signedIn = try await browser.post("/sign-in", form: signIn)
            // The form as shown, pressed (what the browser sends: its hidden fields and the fields as filled in).
            let resent = Self.sent(from: signedIn.text, posting: Self.decisions, typed: Self.typed)
            let recorded = try await browser.post(Self.decisions, form: resent)
            return (refused, signedIn, recorded, try await browser.post(Self.decisions, form: resent))
        }
        // Nothing recorded, and said so; the typed fields ride in the sign-in page, never the password.
        #expect(refused.status == .unauthorized)
        #expect(refused.text.contains("Your session ended after 30 minutes without use. What you sent was NOT recorded."))
        #expect(refused.text.contains(#"<input type="hidden" name="next" value="/children/C-1">"#))
        #expect(refused.text.contains(#"<input type="hidden" name="kept" value="/children/C-1/decisions">"#))
        #expect(refused.text.contains(#"<input type="hidden" name="kept.reason" value="Mother engaging with the IDVA &amp; &lt;school&gt;">"#))
        #expect(!refused.text.contains("kept.csrf") && !refused.text.contains("kept.seen"))
        #expect(refused.headers[values: .setCookie].allSatisfy { !$0.contains("Mother") }, "never in a cookie")
        // After sign-in: the child's page, the form filled in, a fresh token, nothing recorded yet.
        #expect(signedIn.status == .ok)
        #expect(signedIn.headers[values: .setCookie].contains { $0.hasPrefix("encompass_session=") })
        #expect(signedIn.text.contains("Your session had ended when you pressed Record decision, so what you sent was NOT recorded."))
        #expect(signedIn.text.contains(Self.shownReason))
        #expect(signedIn.text.contains(#"name="marac" value="declined" checked"#))
        #expect(Browser.hidden(in: signedIn.text, posting: Self.decisions).first { $0.0 == "seen" }?.1 == "0")
        // Pressed: recorded once, and a second press is the same press.
        #expect(recorded.location == "/children/C-1?recorded=1#decisions")
        #expect(again.location == "/children/C-1?recorded=already#decisions")
        let stored = try await fixture.store.decisions(childId: "C-1")
        #expect(stored.map(\.reason) == ["Mother engaging with the IDVA & <school>"])
    }

    @Test(arguments: Database.allCases)
    func aDecisionFromAPageOfAnEarlierSessionIsShownAgainFilledIn(kind: Database) async throws {
        let fixture = try await Self.fixture(kind)
        defer { fixture.cleanUp() }
        let clock = fixture.clock
        let (stale, recorded) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let page = try await browser.get("/children/C-1").text
            clock.advance(minutes: 31)
            // Another tab: the sign-in page, and signing in again (a new session, a new token).
            _ = try await browser.get("/")
            _ = try await browser.signIn("hana")
            let stale = try await browser.post(Self.decisions, form: Self.sent(from: page, posting: Self.decisions, typed: Self.typed))
            let recorded = try await browser.post(Self.decisions, form: Self.sent(from: stale.text, posting: Self.decisions, typed: Self.typed))
            return (stale, recorded)
        }
        #expect(stale.status == .forbidden)
        #expect(stale.text.contains("This page came from an earlier session (you have signed in again since), so what you sent was NOT recorded."))
        #expect(stale.text.contains(Self.shownReason))
        #expect(recorded.location == "/children/C-1?recorded=1#decisions")
        #expect(try await fixture.store.decisions(childId: "C-1").count == 1)
    }

    @Test func aPlanActionAndARegradeComeBackFilledInToo() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let clock = fixture.clock
        let regrade = "/children/C-3/incidents/I-5/regrade"
        let (plan, regraded) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("sam")
            let child = try await browser.get("/children/C-1").text
            let form = try await browser.get(regrade).text
            clock.advance(minutes: 31)
            let refusedPlan = try await browser.post("/children/C-1/plan", form: Self.sent(from: child, posting: "/children/C-1/plan",
                                                                                           typed: [("action", "Weekly visit"), ("agency", "Police"), ("due", "")]))
            let plan = try await browser.post("/sign-in", form: Self.sent(from: refusedPlan.text, posting: "/sign-in")
                + [("name", "sam"), ("password", WebFixture.password)])
            clock.advance(minutes: 31)
            let refusedRegrade = try await browser.post(regrade, form: Self.sent(from: form, posting: regrade,
                                                                                 typed: [("grade", "high"), ("reason", "Weapon in the notes")]))
            let regraded = try await browser.post("/sign-in", form: Self.sent(from: refusedRegrade.text, posting: "/sign-in")
                + [("name", "sam"), ("password", WebFixture.password)])
            return (plan.text, regraded.text)
        }
        #expect(plan.contains("Your session had ended when you pressed Add the action, so what you sent was NOT recorded."))
        #expect(plan.contains(">Weekly visit</textarea>"))
        #expect(regraded.contains("Your session had ended when you pressed Record regrade, so what you sent was NOT recorded."))
        #expect(regraded.contains(">Weapon in the notes</textarea>"))
        #expect(regraded.contains(#"<option value="high" selected>"#))
        #expect(try await fixture.store.planActions(childId: "C-1").isEmpty)
        #expect(try await fixture.store.childRecord("C-3")?.regrades.isEmpty == true)
    }

    /// The form named in the sign-in page's fields is only ever one of this site's forms, and sign-in
    /// goes only to a path of this site.
    @Test(arguments: ["//evil.example/children/C-1/decisions", "https://evil.example/children/C-1/decisions", "/children/C-1/elsewhere"])
    func aKeptFormNamingAnotherAddressIsIgnored(kept: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            let page = try await browser.get("/sign-in").text
            return try await browser.post("/sign-in", form: [("csrf", try #require(Browser.csrf(in: page))), ("next", "//evil.example/"),
                                                             ("kept", kept), ("kept.reason", "x"),
                                                             ("name", "hana"), ("password", WebFixture.password)])
        }
        #expect(response.status == .seeOther)
        #expect(response.location == "/#top")
    }
}
