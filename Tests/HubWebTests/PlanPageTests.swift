import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import RiskModel
import StoreContract
import Testing

/// The MARAC plan on a child's page: shown with who recorded each action and when, added and
/// marked done from the page, checked as `encompass plan` checks, nothing written on a problem.
@Suite struct PlanPageTests {
    static func add(_ fixture: WebFixture, _ child: String = "C-1", _ action: String = "Weekly visit", due: String? = "2026-12-01") async throws -> PlanAction {
        try await fixture.store.addPlanAction(NewPlanAction(childId: child, action: action, agency: "Children's Social Care",
                                                            due: due.flatMap(LocalDate.init(iso:)), by: "hub.lead",
                                                            recordedAt: fixture.clock.now(), actor: "cli:test"))
    }

    @Test func thePageShowsEachActionWithWhoRecordedItAndWhenItWasDone() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let first = try await Self.add(fixture, "C-1", "Safety visit <b>weekly</b>")
        _ = try await Self.add(fixture, "C-1", "Refer to the IDVA", due: nil)
        _ = try await Self.add(fixture, "C-2", "Another child's action")
        _ = try await fixture.store.markPlanActionDone(id: first.id, on: LocalDate(iso: "2026-11-21")!, by: "sam", at: fixture.clock.now(), actor: "user:sam")
        let page = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/children/C-1").text
        }
        #expect(page.contains(#"<h2 id="plan-heading">MARAC plan</h2>"#))
        #expect(page.contains("Safety visit &lt;b&gt;weekly&lt;/b&gt;"), "escaped")
        #expect(page.contains("Children&#39;s Social Care"))
        #expect(page.contains("Tue 1 Dec 2026"), "the due date")
        #expect(page.contains("no date set"))
        #expect(page.contains("by hub.lead, Sun 22 Nov 2026, 08:00"))
        #expect(page.contains("<span class=\"tag\">done</span> Sat 21 Nov 2026 (sam)"))
        #expect(page.contains("1 not done yet"))
        #expect(!page.contains("Another child"), "no other child's plan")
        // A "done" form only where the action is not done yet, each with its own labelled date.
        #expect(!page.contains("plan-done-on-\(first.id)"))
        let label = "<label for=\"plan-done-on-\(first.id + 1)\">"
        #expect(page.contains(label))
    }

    @Test func staffAddAnActionAndMarkItDoneFromThePageAndBothAreAudited() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (added, done, page) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let added = try await browser.submit("/children/C-1/plan", from: "/children/C-1",
                                                 form: [("action", "  Weekly visit\r\nby the social worker "), ("agency", "Children's Social Care"), ("due", "2026-12-01")])
            let id = try #require(try await fixture.store.planActions(childId: "C-1").first?.id)
            let done = try await browser.submit("/children/C-1/plan/\(id)/done", from: "/children/C-1", form: [("on", "2026-11-22")])
            return (added, done, try await browser.get("/children/C-1?plan=done").text)
        }
        #expect(added.status == .seeOther)
        #expect(added.location == "/children/C-1?plan=added#plan")
        #expect(done.status == .seeOther)
        #expect(done.location == "/children/C-1?plan=done#plan")
        #expect(page.contains("Plan action marked done."))
        let kept = try await fixture.store.planActions(childId: "C-1")
        #expect(kept.count == 1)
        #expect(kept[0].action == "Weekly visit\r\nby the social worker")
        #expect(kept[0].recordedBy == "hana")
        #expect(kept[0].due == LocalDate(iso: "2026-12-01"))
        #expect(kept[0].done?.on == LocalDate(iso: "2026-11-22") && kept[0].done?.by == "hana")
        let audit = try await fixture.store.auditEntries(limit: 20).filter { $0.action.hasPrefix("plan.") }
        #expect(audit.map(\.action) == ["plan.done", "plan.added"])
        #expect(audit.allSatisfy { $0.actor == "user:hana" && $0.subject == "child:C-1" && $0.detail?.contains("Weekly") == false })
    }

    @Test func anActionWithProblemsComesBackBesideItsFieldsAndNothingIsWritten() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.submit("/children/C-1/plan", from: "/children/C-1",
                                            form: [("action", "Visit <i>kept</i>"), ("agency", "Police\nand Health"), ("due", "next week")])
        }
        #expect(response.status == .unprocessableContent)
        let page = response.text
        #expect(page.contains("<title>Error: Child C-1"))
        #expect(page.contains(#"<h3 id="plan-errors">The plan was not changed</h3>"#))
        #expect(page.contains(##"<a href="#plan-agency">The agency holds a line break or a control character: type it again on one line.</a>"##))
        #expect(page.contains(##"<a href="#plan-due">Enter the due date as a date"##))
        #expect(page.contains(#"aria-describedby="plan-agency-hint plan-agency-error" aria-invalid="true""#))
        #expect(page.contains(#"<p id="plan-due-error" class="error">"#))
        #expect(page.contains("Visit &lt;i&gt;kept&lt;/i&gt;</textarea>"), "what was typed is kept")
        #expect(page.contains(#"action="/children/C-1/plan#errors""#))
        #expect(try await fixture.store.planActions(childId: "C-1").isEmpty)
        #expect(try await fixture.store.auditEntries(limit: 50).allSatisfy { !$0.action.hasPrefix("plan.") })
    }

    @Test func aDoneDateInTheFutureOrTwiceIsRefusedAndAnotherChildsActionIsNotFound() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let action = try await Self.add(fixture)
        let other = try await Self.add(fixture, "C-2", "Theirs")
        let (future, elsewhere, first, again) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let future = try await browser.submit("/children/C-1/plan/\(action.id)/done", from: "/children/C-1", form: [("on", "2026-11-23")])
            let elsewhere = try await browser.submit("/children/C-1/plan/\(other.id)/done", from: "/children/C-1", form: [("on", "2026-11-21")])
            let first = try await browser.submit("/children/C-1/plan/\(action.id)/done", from: "/children/C-1", form: [("on", "2026-11-21")])
            let again = try await browser.submit("/children/C-1/plan/\(action.id)/done", from: "/children/C-1", form: [("on", "2026-11-22")])
            return (future, elsewhere, first, again)
        }
        #expect(future.status == .unprocessableContent)
        let link = "<a href=\"#plan-done-on-\(action.id)\">The date it was done cannot be in the future.</a>"
        #expect(future.text.contains(link))
        #expect(future.text.contains(#"value="2026-11-23""#), "what was typed is kept")
        #expect(elsewhere.status == .notFound)
        #expect(try await fixture.store.planAction(id: other.id)?.done == nil)
        #expect(first.status == .seeOther)
        #expect(again.status == .conflict)
        #expect(again.text.contains("This action was already marked done on 2026-11-21: nothing was changed."))
        #expect(try await fixture.store.planAction(id: action.id)?.done?.on == LocalDate(iso: "2026-11-21"), "the first done stands")
    }
}
