import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import StoreContract
import Testing

/// An admin's password reset: the old password stops, the account's sessions end, the temporary one
/// signs in only to choose a new one (every page leads there), and the change is audited. Anyone may
/// change their own password with the current one: the change ends the account's other sessions,
/// guessing the current one is throttled and audited as sign-in is, and a password is kept as typed.
@Suite struct PasswordResetTests {
    static let temporary = "temporary password 2026"
    static let chosen = "a new password nobody knows"

    @Test func aResetAccountMustChooseANewPasswordBeforeAnythingElse() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let store = fixture.store
        let (old, before, forced, child, refused, changed, after) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            try await UserAccounts.resetPassword(name: "hana", temporary: Self.temporary, store: store, by: "cli:root", at: Date(), cost: 4)
            // The reset ended the session: back to sign-in.
            let before = try await browser.get("/")
            let old = try await browser.signIn("hana")
            _ = try await browser.signIn("hana", password: Self.temporary)
            let forced = try await browser.get("/")
            let child = try await browser.get("/children/C-1")
            let refused = try await browser.submit("/account/password", from: "/account/password",
                                                   form: [("current", Self.temporary), ("password", "short"), ("confirm", "short")])
            let changed = try await browser.submit("/account/password", from: "/account/password",
                                                   form: [("current", Self.temporary), ("password", Self.chosen), ("confirm", Self.chosen)])
            return (old, before, forced, child, refused, changed, try await browser.get("/"))
        }
        #expect(before.status == .seeOther && before.location?.hasPrefix("/sign-in") == true)
        #expect(old.status == .unauthorized, "the old password no longer signs in")
        #expect(forced.status == .seeOther && forced.location == "/account/password")
        #expect(child.status == .seeOther && child.location == "/account/password")
        #expect(refused.status == .unprocessableContent && refused.text.contains("A password needs at least 12 characters."))
        #expect(changed.status == .seeOther && changed.location == "/")
        #expect(after.status == .ok && after.text.contains("<h1>Review queue</h1>"))
        #expect(try await store.passwordResetPending(name: "hana") == false)
        let actions = try await store.auditEntries(limit: 30).filter { $0.subject == "user:hana" }.map(\.action)
        #expect(actions.contains("user.password-reset") && actions.contains("user.password-changed"))
        #expect(try await store.auditEntries(limit: 30).allSatisfy { !($0.detail ?? "").contains(Self.chosen) })
        let again = try await fixture.withBrowser { try await $0.signIn("hana", password: Self.chosen) }
        #expect(again.status == .seeOther)
    }

    @Test func aWrongCurrentPasswordChangesNothing() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let page = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("sam")
            return try await browser.submit("/account/password", from: "/account/password",
                                            form: [("current", "not my password at all"), ("password", Self.chosen), ("confirm", Self.chosen)])
        }
        #expect(page.status == .unprocessableContent)
        #expect(page.text.contains("Enter the password you signed in with."))
        #expect(page.text.contains("<title>Error: Change your password"))
        let still = try await fixture.withBrowser { try await $0.signIn("sam") }
        #expect(still.status == .seeOther, "the old password still works")
    }

    /// Whoever else holds a session of the account (a shared PC, a stolen cookie) is thrown out when
    /// its owner changes the password; the owner's own session stays.
    @Test func changingOnesPasswordEndsTheAccountsOtherSessions() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (before, changed, mine, theirs) = try await fixture.withBrowser { browser in
            var other = Browser(client: browser.client)
            _ = try await other.signIn("hana")
            _ = try await browser.signIn("hana")
            let before = try await other.get("/").status
            let changed = try await browser.submit("/account/password", from: "/account/password",
                                                   form: [("current", WebFixture.password), ("password", Self.chosen), ("confirm", Self.chosen)])
            return (before, changed, try await browser.get("/"), try await other.get("/"))
        }
        #expect(before == .ok)
        #expect(changed.status == .seeOther && changed.location == "/")
        #expect(mine.status == .ok)
        #expect(theirs.status == .seeOther && theirs.location?.hasPrefix("/sign-in") == true)
    }

    /// With a session in hand, the current-password check must not be a way to guess the password:
    /// it shares the sign-in throttle (by the account's name), a throttled guess is not checked, and
    /// each wrong guess is audited without what was typed.
    @Test func guessingTheCurrentPasswordIsThrottledWithSignInAndAudited() async throws {
        var fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let counter = SignInHardeningTests.CountingVerifier()
        fixture.configuration.passwordVerifier = counter.verifier
        fixture.configuration.signInLimits.addressBurst = 100
        let clock = fixture.clock
        let (guesses, right, signIn, checks, later) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("sam")
            var guesses: [HTTPResponse.Status] = []
            for i in 1...6 {
                guesses.append(try await browser.submit("/account/password", from: "/account/password",
                                                        form: [("current", "guess number \(i)"), ("password", Self.chosen), ("confirm", Self.chosen)]).status)
            }
            let right = try await browser.submit("/account/password", from: "/account/password",
                                                 form: [("current", WebFixture.password), ("password", Self.chosen), ("confirm", Self.chosen)])
            var other = Browser(client: browser.client)
            let signIn = try await other.signIn("sam").status
            let checks = counter.count
            clock.advance(minutes: 0.6)
            let later = try await browser.submit("/account/password", from: "/account/password",
                                                 form: [("current", WebFixture.password), ("password", Self.chosen), ("confirm", Self.chosen)])
            return (guesses, right, signIn, checks, later)
        }
        #expect(guesses == Array(repeating: .unprocessableContent, count: 5) + [.tooManyRequests])
        #expect(right.status == .tooManyRequests, "the right password too, while the name waits")
        #expect(right.text.contains("Too many wrong passwords. Your password was not checked. Wait until 08:00:30 GMT, then try again."))
        #expect(right.headers[.retryAfter] == "30")
        #expect(signIn == .tooManyRequests, "the sign-in form counts the same guesses")
        #expect(checks == 1 + 5, "the sign-in and the five admitted guesses; no throttled one")
        #expect(later.status == .seeOther)
        let audit = try await fixture.store.auditEntries(limit: 50).filter { $0.action == "user.password-check-failed" }
        #expect(audit.count == 5)
        #expect(audit.allSatisfy { $0.actor == "user:sam" && $0.subject == "user:sam" && !($0.detail ?? "").contains("guess") })
    }

    /// A password with a space at either end (a password manager's may have one) is kept as typed, and
    /// signs in only as typed.
    @Test func aNewPasswordIsKeptExactlyAsTyped() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let spaced = "  spaced pass 12345  "
        let changed = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("sam")
            return try await browser.submit("/account/password", from: "/account/password",
                                            form: [("current", WebFixture.password), ("password", spaced), ("confirm", spaced)])
        }
        #expect(changed.status == .seeOther)
        let trimmed = try await fixture.withBrowser { try await $0.signIn("sam", password: "spaced pass 12345").status }
        let asTyped = try await fixture.withBrowser { try await $0.signIn("sam", password: spaced).status }
        #expect(trimmed == .unauthorized)
        #expect(asTyped == .seeOther)
    }
}
