import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import RiskModel
import SQLiteStore
import StoreContract
import Testing

@Suite struct RoleTests {
    @Test(arguments: ["/children/C-1/incidents/I-1/regrade", "/admin/audit", "/admin/users"])
    func aHubUserCannotReachSupervisorOrAdminPages(path: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get(path)
        }
        #expect(response.status == .forbidden)
        #expect(response.text.contains("Your role does not allow this"))
    }

    @Test func aHubUserCannotRegradeEvenWithAValidForm() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.submit("/children/C-1/incidents/I-1/regrade", from: "/children/C-1",
                                            form: [("grade", "high"), ("reason", "Repeat pattern.")])
        }
        #expect(response.status == .forbidden)
        let record = try #require(try await fixture.store.childRecord("C-1"))
        #expect(record.incidents.first { $0.incidentId == "I-1" }?.supervisorGrade == nil)
    }

    @Test func theRegradeLinkIsShownOnlyToSupervisors() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (hub, supervisor) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let hub = try await browser.get("/children/C-1").text
            browser.cookies = [:]
            _ = try await browser.signIn("sam")
            return (hub, try await browser.get("/children/C-1").text)
        }
        #expect(!hub.contains("Regrade incident"))
        #expect(supervisor.contains(#"<a href="/children/C-1/incidents/I-1/regrade">Regrade incident I-1</a>"#))
    }

    @Test func aSupervisorRegradesWithAReasonAndTheQueueFollows() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (posted, page, queue) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("sam")
            let posted = try await browser.submit("/children/C-3/incidents/I-5/regrade", from: "/children/C-3/incidents/I-5/regrade",
                                                  form: [("grade", "high"), ("reason", "Weapon mentioned in the officer's notes.")])
            return (posted, try await browser.get("/children/C-3").text, try await browser.get("/").text)
        }
        #expect(posted.status == .seeOther)
        #expect(posted.location == "/children/C-3?regraded=1#incident-I-5")
        #expect(page.contains("Regraded from not reviewed to high by sam"))
        #expect(page.contains("Weapon mentioned in the officer&#39;s notes."))
        #expect(QueuePageTests.childIds(in: queue).contains("C-3"))
        let incident = try #require(try await fixture.store.childRecord("C-3")?.incidents.first)
        #expect(incident.supervisorGrade == .high)
        #expect(incident.effectiveGrade == .high)
        let audit = try #require(try await fixture.store.auditEntries(limit: 5).first { $0.action == "incident.regraded" })
        #expect(audit.actor == "user:sam")
        #expect(audit.subject == "incident:I-5")
        #expect(audit.detail?.contains("\"supervisor_grade\":{\"new\":\"high\",\"old\":null}") == true)
        #expect(audit.detail?.contains("Weapon") == false, "the reason is the regrade's, not the audit's")
    }

    @Test func aRegradeNeedsAReason() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("sam")
            return try await browser.submit("/children/C-3/incidents/I-5/regrade", from: "/children/C-3/incidents/I-5/regrade",
                                            form: [("grade", "high"), ("reason", "")])
        }
        #expect(response.status == .unprocessableContent)
        #expect(response.text.contains("a reason is required"))
        #expect(try await fixture.store.childRecord("C-3")?.incidents.first?.supervisorGrade == nil)
    }

    @Test func theChecklistStaysAFloorWhateverTheSupervisorSays() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        _ = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("sam")
            return try await browser.submit("/children/C-4/incidents/I-6/regrade", from: "/children/C-4/incidents/I-6/regrade",
                                            form: [("grade", "standard"), ("reason", "Disagree with the officer.")])
        }
        let incident = try #require(try await fixture.store.childRecord("C-4")?.incidents.first)
        #expect(incident.supervisorGrade == .standard)
        #expect(incident.effectiveGrade == .high)
    }

    @Test func anAdminAddsAndDisablesAnAccount() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (added, disabled, page) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            let added = try await browser.submit("/admin/users", from: "/admin/users", form: [
                ("name", "jo"), ("role", "supervisor"), ("password", "twelve chars ok"), ("confirm", "twelve chars ok"),
            ])
            let disabled = try await browser.submit("/admin/users/hana/disable", from: "/admin/users", form: [])
            return (added, disabled, try await browser.get("/admin/users").text)
        }
        #expect(added.location == "/admin/users?done=1")
        #expect(disabled.location == "/admin/users?done=1")
        #expect(try await fixture.store.user(named: "jo")?.role == .supervisor)
        #expect(try await fixture.store.user(named: "hana")?.disabled == true)
        #expect(page.contains("Enable hana"))
    }

    @Test func anAdminCannotDisableThemself() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            return try await browser.submit("/admin/users/ade/disable", from: "/admin/users", form: [])
        }
        #expect(response.status == .badRequest)
        #expect(try await fixture.store.user(named: "ade")?.disabled == false)
    }

    @Test func aNameInUseIsTheFormAgainWithTheReason() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            return try await browser.submit("/admin/users", from: "/admin/users", form: [
                ("name", "HANA"), ("role", "admin"), ("password", "twelve chars ok"), ("confirm", "twelve chars ok"),
            ])
        }
        #expect(response.status == .unprocessableContent)
        #expect(response.text.contains("There is already an account with that name."))
        #expect(try await fixture.store.user(named: "hana")?.role == .hub)
    }

    /// Both pass the look before the (here slower) hash; the second insert meets the UNIQUE constraint,
    /// which must read as the same "already" answer, never a 500. Either order passes.
    @Test func twoAdminsAddingOneNameAtOnceGetOneAccountAndOneAnswer() async throws {
        var fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        fixture.configuration.bcryptCost = 10
        try await fixture.addUser("ada", .admin)
        let responses = try await fixture.withBrowser { browser in
            var admins = [Browser(client: browser.client), Browser(client: browser.client)]
            _ = try await admins[0].signIn("ade")
            _ = try await admins[1].signIn("ada")
            return try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for admin in admins {
                    group.addTask {
                        var admin = admin
                        return try await admin.submit("/admin/users", from: "/admin/users", form: [
                            ("name", "jo"), ("role", "hub"), ("password", "twelve chars ok"), ("confirm", "twelve chars ok"),
                        ])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(responses.map(\.status.code).sorted() == [303, 422])
        let refused = try #require(responses.first { $0.status == .unprocessableContent })
        #expect(refused.text.contains("There is already an account with that name."))
        #expect(try await fixture.store.users().filter { $0.name == "jo" }.count == 1)
    }

    @Test func aShortPasswordIsRefused() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            return try await browser.submit("/admin/users", from: "/admin/users",
                                            form: [("name", "jo"), ("role", "hub"), ("password", "short"), ("confirm", "short")])
        }
        #expect(response.status == .unprocessableContent)
        #expect(response.text.contains("at least 12 characters"))
        #expect(try await fixture.store.user(named: "jo") == nil)
    }
}

@Suite struct AuditTests {
    @Test func viewingAChildIsAudited() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        _ = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/children/C-2")
        }
        let entry = try #require(try await fixture.store.auditEntries(limit: 10).first { $0.action == "child.viewed" })
        #expect(entry.actor == "user:hana")
        #expect(entry.subject == "child:C-2")
        #expect(entry.at == fixture.clock.now())
    }

    @Test func aDecisionIsAuditedWithThePersonAndTime() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        _ = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.submit("/children/C-1/decisions", from: "/children/C-1",
                                            form: [("marac", "declined"), ("on", "2026-11-21"), ("reason", "Reviewed.")])
        }
        let entry = try #require(try await fixture.store.auditEntries(limit: 10).first { $0.action == "decision.declined" })
        #expect(entry.actor == "user:hana")
        #expect(entry.subject == "child:C-1")
        #expect(entry.at == fixture.clock.now())
        #expect(entry.detail?.contains("\"strategy_discussion\":false") == true)
    }

    @Test func theAdminReadsTheAuditInTheApp() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            _ = try await browser.get("/children/C-4")
            browser.cookies = [:]
            _ = try await browser.signIn("ade")
            return try await browser.get("/admin/audit").text
        }
        #expect(html.contains("<td data-label=\"Who\">user:hana</td><td data-label=\"What\">child.viewed</td><td data-label=\"About\">child:C-4</td>"))
    }
}
