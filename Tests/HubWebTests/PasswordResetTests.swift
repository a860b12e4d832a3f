import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import StoreContract
import Testing

/// An admin's password reset: the old password stops, the account's sessions end, the temporary one
/// signs in only to choose a new one (every page leads there), and the change is audited. Anyone may
/// change their own password with the current one.
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
}
