import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import StoreContract
import Testing
import TestSupport

/// A posted form that gives a field twice (`marac=referred&marac=declined`, two `reason`s) was read
/// as its last value: which the person meant is not known. Refused with 400 naming the field, by the
/// one reading of every form (`CSRFMiddleware`, `FormFields.repeatedNames`), and nothing recorded:
/// a kept form on its own page, as its other problems are shown, the field left blank; any other
/// form on the error page.
@Suite struct RepeatedFieldTests {
    static func fixture(_ database: MetricsDatabase) async throws -> WebFixture {
        try await WebFixture.make(database: database == .postgres ? try PostgresServer.shared().makeDatabase() : nil)
    }

    @Test(arguments: MetricsDatabase.allCases, [
        ([("marac", "referred"), ("on", "2026-11-21"), ("marac", "declined"), ("reason", "Mother engaging with IDVA.")], "marac"),
        ([("marac", "declined"), ("on", "2026-11-21"), ("reason", "Mother engaging with IDVA."), ("reason", "Father left.")], "reason"),
    ])
    func aDecisionGivingAFieldTwiceIsRefusedOnItsPageAndNothingIsRecorded(database: MetricsDatabase,
                                                                           sent: ([(String, String)], String)) async throws {
        let (form, name) = sent
        let fixture = try await Self.fixture(database)
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.submit("/children/C-1/decisions", from: "/children/C-1", form: form)
        }
        #expect(response.status == .badRequest)
        // The page's own error summary, as a decision's other problems are shown.
        #expect(response.text.contains("The decision was not recorded"))
        #expect(response.text.contains("\(name): is given more than once in the form; give it once. What you sent was NOT recorded. "
            + "It is below as you typed it, \(name) left blank: check it, then press Record decision to record it."), "\(response.text)")
        // The rest as typed; the field given twice neither value.
        #expect(response.text.contains(#"name="on" type="date" value="2026-11-21""#))
        if name == "reason" {
            #expect(response.text.contains(#"marac-declined" name="marac" value="declined" checked"#))
            #expect(response.text.contains(#"aria-describedby="reason-hint">"#) && response.text.contains("></textarea>"))
            #expect(!response.text.contains("Father left.") && !response.text.contains("Mother engaging"))
        } else {
            #expect(!response.text.contains(#"value="referred" checked"#) && !response.text.contains(#"value="declined" checked"#))
            #expect(response.text.contains(">Mother engaging with IDVA.</textarea>"))
        }
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
        #expect(try await fixture.store.auditEntries(limit: 50).allSatisfy { !$0.action.hasPrefix("decision") })
    }

    /// Another kept form, the plan's: the same rule, nothing added.
    @Test(arguments: MetricsDatabase.allCases)
    func aPlanActionGivingAFieldTwiceIsRefusedAndNothingIsAdded(database: MetricsDatabase) async throws {
        let fixture = try await Self.fixture(database)
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.submit("/children/C-1/plan", from: "/children/C-1",
                                            form: [("action", "Weekly visit"), ("agency", "Police"), ("agency", "Children's Social Care")])
        }
        #expect(response.status == .badRequest)
        #expect(response.text.contains("agency: is given more than once in the form; give it once. What you sent was NOT recorded."))
        #expect(response.text.contains(">Weekly visit</textarea>"))
        #expect(try await fixture.store.planActions(childId: "C-1").isEmpty)
    }

    /// A form that is not kept (the password's): the error page names the field; the password stays.
    @Test(arguments: MetricsDatabase.allCases)
    func thePasswordFormGivingAFieldTwiceIsRefusedAndThePasswordStays(database: MetricsDatabase) async throws {
        let fixture = try await Self.fixture(database)
        defer { fixture.cleanUp() }
        let chosen = "a new password nobody knows"
        let (response, old) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let response = try await browser.submit("/account/password", from: "/account/password", form: [
                ("current", WebFixture.password), ("password", chosen), ("confirm", chosen), ("confirm", "something else entirely"),
            ])
            var again = Browser(client: browser.client)
            return (response, try await again.signIn("hana"))
        }
        #expect(response.status == .badRequest)
        #expect(response.text.contains("confirm: is given more than once in the form; give it once. Nothing was changed: reload the page and send it again."),
                "\(response.text)")
        #expect(old.status == .seeOther, "the password is still the old one")
        #expect(try await fixture.store.auditEntries(limit: 50).allSatisfy { $0.action != "user.password-changed" })
    }

    /// A forged form (no token) is told only 403, whatever it repeats.
    @Test func aFormWithoutItsTokenIsRefusedAsForgedFirst() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.post("/children/C-1/decisions", form: [("marac", "referred"), ("marac", "declined"), ("on", "2026-11-21")])
        }
        #expect(response.status == .forbidden)
        #expect(!response.text.contains("more than once"))
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
    }
}
