import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import RiskModel
import StoreContract
import Testing
import TestSupport

/// A posted form that gives a field twice (`marac=referred&marac=declined`, two `reason`s) was read
/// as its last value: which the person meant is not known. Refused with 400 naming the field, by the
/// one reading of every form (`CSRFMiddleware`, `FormFields.repeatedNames`), and nothing recorded:
/// a kept form on its own page, as its other problems are shown, the field left blank and, beside
/// it, why; any other form on the error page.
@Suite struct RepeatedFieldTests {
    static func fixture(_ database: MetricsDatabase) async throws -> WebFixture {
        try await WebFixture.make(database: database == .postgres ? try PostgresServer.shared().makeDatabase() : nil)
    }

    /// What the page says beside a field given twice, tied to it as the decision form's other field
    /// errors are: `id` the error's element, `label` the field's as the form names it.
    static func beside(_ id: String, _ label: String) -> String {
        #"<p id="\#(id)-error" class="error"><span class="visually-hidden">Error:</span> \#(label) was given more than once in the form, so it is left blank: give it once.</p>"#
    }

    /// Each field of the decision form given twice: its name, its label, and how its control (or
    /// group) names its error (`aria-describedby`) as the form's other field errors are named.
    @Test(arguments: MetricsDatabase.allCases, [
        ([("marac", "referred"), ("on", "2026-11-21"), ("marac", "declined"), ("reason", "Mother engaging with IDVA.")],
         "marac", "MARAC referral", #"<fieldset aria-describedby="marac-error">"#),
        ([("marac", "declined"), ("on", "2026-11-21"), ("reason", "Mother engaging with IDVA."), ("reason", "Father left.")],
         "reason", "Reason", #"aria-describedby="reason-hint reason-error" aria-invalid="true"></textarea>"#),
        ([("marac", "declined"), ("on", "2026-11-21"), ("reason", "Mother engaging with IDVA."), ("strategy", "1"), ("strategy", "1")],
         "strategy", "Strategy discussion requested", #"name="strategy" value="1" aria-describedby="strategy-error" aria-invalid="true">"#),
    ])
    func aDecisionGivingAFieldTwiceIsRefusedOnItsPageAndNothingIsRecorded(database: MetricsDatabase,
                                                                           sent: ([(String, String)], String, String, String)) async throws {
        let (form, name, label, describedBy) = sent
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
            + "It is below as you typed it, \(label) left blank (given more than once): check it, then press Record decision to record it."),
                "\(response.text)")
        // Beside the field too, tied to it, and linked from the summary, as the form's other field errors are.
        #expect(response.text.contains(Self.beside(name, label)), "\(response.text)")
        #expect(response.text.contains(describedBy), "\(response.text)")
        let control = name == "marac" ? "marac-referred" : name  // a group's item links to its first choice
        #expect(response.text.contains(##"<li><a href="#\##(control)">\##(label) was given more than once"##))
        // The rest as typed; the field given twice neither value.
        #expect(response.text.contains(#"name="on" type="date" value="2026-11-21""#))
        switch name {
        case "reason":
            #expect(response.text.contains(#"marac-declined" name="marac" value="declined" checked"#))
            #expect(!response.text.contains("Father left.") && !response.text.contains("Mother engaging"))
        case "marac":
            #expect(!response.text.contains(#"value="referred" checked"#) && !response.text.contains(#"value="declined" checked"#))
            #expect(response.text.contains(">Mother engaging with IDVA.</textarea>"))
        default:
            #expect(!response.text.contains(#"name="strategy" value="1" checked"#))
            #expect(response.text.contains(">Mother engaging with IDVA.</textarea>"))
        }
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
        #expect(try await fixture.store.auditEntries(limit: 50).allSatisfy { !$0.action.hasPrefix("decision") })
    }

    /// A decision giving a field twice, pressed after the session ended: the sign-in page carries the
    /// field's name (never a value of it), and the form comes back on its page after signing in with
    /// the field blank and why beside it, as when the session was live; pressed once it is fixed,
    /// it records once.
    @Test(arguments: MetricsDatabase.allCases)
    func aDecisionGivingAFieldTwiceAfterTheSessionEndedSaysWhyBesideItAfterSignIn(database: MetricsDatabase) async throws {
        let fixture = try await Self.fixture(database)
        defer { fixture.cleanUp() }
        let clock = fixture.clock
        let decisions = KeptFormTests.decisions
        let typed = [("marac", "declined"), ("on", "2026-11-21"), ("reason", "Mother engaging with IDVA."), ("reason", "Father left.")]
        let (refused, signedIn, recorded) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let page = try await browser.get("/children/C-1").text
            clock.advance(minutes: 31)
            let refused = try await browser.post(decisions, form: KeptFormTests.sent(from: page, posting: decisions, typed: typed))
            let signedIn = try await browser.post("/sign-in", form: KeptFormTests.sent(from: refused.text, posting: "/sign-in")
                + [("name", "hana"), ("password", WebFixture.password)])
            // Given once, as the page asks.
            let recorded = try await browser.post(decisions, form: KeptFormTests.sent(from: signedIn.text, posting: decisions,
                                                                                     typed: Array(typed.prefix(3))))
            return (refused, signedIn, recorded)
        }
        #expect(refused.status == .unauthorized)
        #expect(refused.text.contains(#"<input type="hidden" name="kept-twice" value="reason">"#), "\(refused.text)")
        #expect(!refused.text.contains("kept.reason") && !refused.text.contains("Father left.") && !refused.text.contains("Mother engaging"))
        #expect(signedIn.status == .ok)
        #expect(signedIn.text.contains("Your session had ended when you pressed Record decision, so what you sent was NOT recorded. "
            + "It is below as you typed it, Reason left blank (given more than once): check it, then press Record decision to record it."),
                "\(signedIn.text)")
        #expect(signedIn.text.contains(Self.beside("reason", "Reason")), "\(signedIn.text)")
        #expect(signedIn.text.contains(#"aria-describedby="reason-hint reason-error" aria-invalid="true"></textarea>"#))
        #expect(signedIn.text.contains(#"marac-declined" name="marac" value="declined" checked"#))
        #expect(recorded.location == "/children/C-1?recorded=1#decisions")
        #expect(try await fixture.store.decisions(childId: "C-1").map(\.reason) == ["Mother engaging with IDVA."])
    }

    /// Only the form's own field names ride as given twice, and a name said to be given twice carries
    /// no value: a sign-in page carrying other names, and a value beside the name, shows neither.
    @Test func aCarriedNameThatIsNotTheFormsOwnIsIgnored() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let clock = fixture.clock
        let decisions = KeptFormTests.decisions
        let signedIn = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let page = try await browser.get("/children/C-1").text
            clock.advance(minutes: 31)
            let refused = try await browser.post(decisions, form: KeptFormTests.sent(from: page, posting: decisions, typed: KeptFormTests.typed))
            let carried = KeptFormTests.sent(from: refused.text, posting: "/sign-in").filter { $0.0 != "kept-twice" }
            return try await browser.post("/sign-in", form: carried + [("kept-twice", "password reason csrf"),
                                                                       ("name", "hana"), ("password", WebFixture.password)])
        }
        #expect(signedIn.status == .ok)
        #expect(signedIn.text.contains(Self.beside("reason", "Reason")))
        #expect(!signedIn.text.contains("Mother engaging"), "a field said to be given twice carries no value")
        #expect(signedIn.text.contains("It is below as you typed it, Reason left blank (given more than once):"))
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
        #expect(response.text.contains(Self.beside("plan-agency", "Agency")), "\(response.text)")
        #expect(response.text.contains(#"aria-describedby="plan-agency-hint plan-agency-error" aria-invalid="true">"#))
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
