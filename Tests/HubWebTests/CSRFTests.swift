import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import SQLiteStore
import StoreContract
import Testing

@Suite struct CSRFTests {
    /// Every form POST, with the fields it would need apart from the token.
    static let posts: [(String, [(String, String)])] = [
        ("/sign-out", []),
        ("/children/C-1/decisions", [("marac", "declined"), ("on", "2026-11-21"), ("reason", "no")]),
        ("/children/C-1/incidents/I-1/regrade", [("grade", "high"), ("reason", "no")]),
        ("/admin/users", [("name", "newperson"), ("role", "hub"), ("password", "a long enough password"), ("confirm", "a long enough password")]),
        ("/admin/users/hana/disable", []),
        ("/admin/users/hana/enable", []),
        ("/alerts/unmatched/ENC-I-1-C-1/school", [("urn", "120501")]),
        ("/children/C-1/plan", [("action", "Weekly visit"), ("agency", "Police")]),
        ("/children/C-1/plan/1/done", [("on", "2026-11-21")]),
    ]

    @Test(arguments: 0..<posts.count)
    func aSignedInPostWithoutTheTokenIs403AndChangesNothing(index: Int) async throws {
        let (path, form) = Self.posts[index]
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let store = fixture.store
        let (missing, wrong, countsBefore) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            let before = try await store.counts()
            let missing = try await browser.post(path, form: form)
            let wrong = try await browser.post(path, form: [("csrf", "forged")] + form)
            return (missing, wrong, before)
        }
        #expect(missing.status == .forbidden, "\(path)")
        #expect(wrong.status == .forbidden, "\(path)")
        #expect(missing.text.contains("This form has expired"))
        let after = try await store.counts()
        #expect(after.decisions == countsBefore.decisions)
        #expect(try await store.users().count == 3)
        #expect(try await store.user(named: "hana")?.disabled == false)
        #expect(try await store.planActions(childId: "C-1").isEmpty)
    }

    @Test func signInWithoutItsTokenIs403() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.get("/sign-in")  // the token cookie is set, but the field is missing
            return try await browser.post("/sign-in", form: [("name", "hana"), ("password", WebFixture.password)])
        }
        #expect(response.status == .forbidden)
        #expect(response.headers[values: .setCookie].allSatisfy { !$0.hasPrefix("encompass_session=") })
    }

    /// A browser asks for /favicon.ico, is sent to the sign-in page, and must not make the form it shows stale.
    @Test func askingForTheSignInPageAgainKeepsTheFormsToken() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            let token = try #require(Browser.csrf(in: try await browser.get("/sign-in").text))
            let favicon = try await browser.get("/favicon.ico")
            #expect(favicon.location == "/sign-in?next=/favicon.ico")
            _ = try await browser.get(try #require(favicon.location))
            return try await browser.post("/sign-in", form: [("csrf", token), ("name", "hana"), ("password", WebFixture.password)])
        }
        #expect(response.status == .seeOther)
        #expect(response.location == "/#top")
    }

    @Test func anotherSessionsTokenIsRefused() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let status = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("sam")
            let samsToken = try #require(Browser.csrf(in: try await browser.get("/").text))
            browser.cookies = [:]
            _ = try await browser.signIn("hana")
            return try await browser.post("/children/C-1/decisions", form: [
                ("csrf", samsToken), ("marac", "referred"), ("on", "2026-11-21"),
            ]).status
        }
        #expect(status == .forbidden)
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
    }
}
