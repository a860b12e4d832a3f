import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import SQLiteStore
import StoreContract
import Testing

@Suite struct SessionTests {
    @Test func theSessionCookieIsHttpOnlyAndStrict() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { try await $0.signIn("hana") }
        #expect(response.status == .seeOther)
        #expect(response.location == "/#top", "the sign-in form's #errors is not kept")
        let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("encompass_session=") })
        #expect(cookie.contains("HttpOnly"))
        #expect(cookie.contains("SameSite=Strict"))
        #expect(!cookie.contains("Secure"))
        let value = cookie.split(separator: ";")[0].dropFirst("encompass_session=".count)
        #expect(value.count >= 43)
    }

    @Test func behindTLSTheCookieIsSecure() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            browser.headers[HTTPField.Name("X-Forwarded-Proto")!] = "https"
            return try await browser.signIn("hana")
        }
        let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("encompass_session=") })
        #expect(cookie.contains("Secure"))
        #expect(response.headers[.strictTransportSecurity] != nil)
    }

    @Test func aSessionIdleTooLongEnds() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let clock = fixture.clock
        let (kept, ended) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            clock.advance(minutes: 29)
            let kept = try await browser.get("/")
            clock.advance(minutes: 29)  // 29 minutes since the last request: still alive
            _ = try await browser.get("/")
            clock.advance(minutes: 31)
            return (kept, try await browser.get("/"))
        }
        #expect(kept.status == .ok)
        #expect(ended.status == .seeOther)
        #expect(ended.location == "/sign-in?expired=1")
        #expect(try await fixture.store.auditEntries(limit: 1).first?.action == "session.expired")
    }

    @Test func signingOutEndsTheSession() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (signedOut, after) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let old = browser.cookies
            let signedOut = try await browser.submit("/sign-out", from: "/", form: [])
            browser.cookies = old  // replay the old cookie: it must not work
            return (signedOut, try await browser.get("/"))
        }
        #expect(signedOut.location == "/sign-in?signed-out=1")
        #expect(after.status == .seeOther)
    }

    /// Five wrong passwords in a row make the name wait (SignInHardeningTests has the details); the
    /// account itself is not locked, so a stranger cannot keep its owner out for long.
    @Test func fiveWrongPasswordsSlowTheNameWithoutLockingTheAccount() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let clock = fixture.clock
        let (wrong, slowed, afterwards) = try await fixture.withBrowser { browser in
            var wrong: [HTTPResponse.Status] = []
            for _ in 1...5 { wrong.append(try await browser.signIn("hana", password: "not the password").status) }
            let slowed = try await browser.signIn("hana")
            clock.advance(minutes: 1)
            return (wrong, slowed, try await browser.signIn("hana"))
        }
        #expect(wrong == Array(repeating: .unauthorized, count: 5))
        #expect(slowed.status == .tooManyRequests)
        #expect(slowed.headers[values: .setCookie].allSatisfy { !$0.hasPrefix("encompass_session=") })
        #expect(afterwards.status == .seeOther)
        #expect(afterwards.location == "/#top")
        let actions = try await fixture.store.auditEntries(limit: 20).map(\.action)
        #expect(actions.filter { $0 == "sign-in.failed" }.count == 5)
        #expect(!actions.contains("sign-in.locked"))
    }

    @Test func aGoodSignInResetsTheCountOfFailures() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let last = try await fixture.withBrowser { browser in
            for _ in 1...4 { _ = try await browser.signIn("hana", password: "wrong") }
            _ = try await browser.signIn("hana")
            browser.cookies = [:]
            for _ in 1...4 { _ = try await browser.signIn("hana", password: "wrong") }
            return try await browser.signIn("hana")
        }
        #expect(last.status == .seeOther)
    }

    @Test func aDisabledAccountCannotSignInAndItsSessionsEnd() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let store = fixture.store
        let (during, signIn) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            try await store.setDisabled(true, name: "hana", by: "test", at: Date())
            let during = try await browser.get("/")
            return (during, try await browser.signIn("hana"))
        }
        #expect(during.status == .seeOther)
        #expect(signIn.status == .unauthorized)
    }

    @Test(arguments: ["//evil.example/", "https://evil.example/", "/\\evil.example"])
    func signInNeverSendsAnyoneAway(next: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            try await browser.submit("/sign-in", from: "/sign-in",
                                     form: [("name", "hana"), ("password", WebFixture.password), ("next", next)])
        }
        #expect(response.location == "/#top")
    }

    @Test func signInReturnsToThePageAskedFor() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (redirect, response) = try await fixture.withBrowser { browser in
            let redirect = try await browser.get("/children/C-4")
            let signInPage = try #require(redirect.location)
            let html = try await browser.get(signInPage).text
            let token = try #require(Browser.csrf(in: html))
            #expect(html.contains(#"name="next" value="/children/C-4""#))
            return (redirect, try await browser.post("/sign-in", form: [
                ("csrf", token), ("name", "hana"), ("password", WebFixture.password), ("next", "/children/C-4"),
            ]))
        }
        #expect(redirect.location == "/sign-in?next=/children/C-4")
        #expect(response.location == "/children/C-4#top")
    }

    @Test func anUnknownNameGetsTheSameAnswerAsAWrongPassword() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (unknown, wrong) = try await fixture.withBrowser { browser in
            (try await browser.signIn("nobody"), try await browser.signIn("hana", password: "wrong password here"))
        }
        #expect(unknown.status == wrong.status)
        #expect(unknown.text.contains("That name and password do not match"))
        #expect(wrong.text.contains("That name and password do not match"))
    }
}
