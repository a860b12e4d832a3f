import Delivery
import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import Review
import RiskModel
import StoreContract
import Testing
import TestSupport

/// `GET /api/children/{id}`: the child's assessment as the queue has it, decisions, plan and alerts.
@Suite struct ChildAPITests {
    static func document(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
    }

    @Test func aChildsRecordHasTheQueuesEntryTheDecisionsThePlanAndTheAlerts() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let action = try await PlanPageTests.add(fixture, "C-1", "Weekly visit\nand a call")
        _ = try await fixture.store.markPlanActionDone(id: action.id, on: LocalDate(iso: "2026-11-21")!, by: "sam", at: fixture.clock.now(), actor: "user:sam")
        _ = try await PlanPageTests.add(fixture, "C-2", "Another child's")
        try await fixture.store.record(Decision(childId: "C-1", outcome: .declined, on: LocalDate(iso: "2026-11-21")!, reason: "Plan in place",
                                                by: "hana", recordedAt: fixture.clock.now()), strategyDiscussion: true, actor: "user:hana")
        let response = try await APITests.call(fixture, .get, "/api/children/C-1")
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/json")
        let doc = try Self.document(response)
        #expect(Set(doc.keys) == ["child_id", "assessment", "decisions", "plans", "episodes", "alerts"])
        #expect(doc["child_id"] as? String == "C-1")

        // The assessment is the child's entry of `escalations --all` as of now, key for key.
        let queue = try await ReviewQueue.build(store: fixture.store, settings: fixture.configuration.scoring,
                                                asOf: fixture.clock.now(), includeAll: true)
        let all = try #require(try JSONSerialization.jsonObject(with: Data(queue.json().utf8)) as? [String: Any])
        let entry = try #require((all["children"] as? [[String: Any]])?.first { $0["child_id"] as? String == "C-1" })
        let assessment = try #require(doc["assessment"] as? [String: Any])
        #expect(NSDictionary(dictionary: assessment).isEqual(to: entry))
        #expect(assessment["level"] as? String == "high")

        let decisions = try #require(doc["decisions"] as? [[String: Any]])
        #expect(decisions.count == 1)
        #expect(decisions[0]["marac"] as? String == "declined" && decisions[0]["reason"] as? String == "Plan in place")
        #expect(decisions[0]["strategy_discussion"] as? Bool == true)
        #expect(decisions[0]["recorded_at"] as? String == "2026-11-22T08:00:00Z")

        // The plan's objects are `plan list --json`'s.
        let plans = try #require(doc["plans"] as? [[String: Any]])
        let stored = try #require(try await fixture.store.planAction(id: action.id))
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(PlanList.json(childId: "C-1", [stored]).utf8)) as? [String: Any])
        #expect(NSArray(array: plans).isEqual(to: listed["actions"] as? [Any] ?? []))
        #expect(plans.first?["done_on"] as? String == "2026-11-21")

        #expect((doc["alerts"] as? [Any])?.isEmpty == true)
        #expect(!response.text.contains("Another child") && !response.text.contains("C-2"), "no other child's data")
        #expect(!response.text.contains("Amelia"), "ids and states, not the child's name")
        let view = try #require(try await fixture.store.auditEntries(limit: 5).first { $0.action == "child.viewed" })
        #expect(view.actor.hasPrefix("api:t-") && view.subject == "child:C-1")
    }

    @Test func aChildWithNoIncidentInTheWindowHasANullAssessmentAndAnotherTheirAlerts() async throws {
        let fixture = try await WebFixture.make(csv: "")
        defer { fixture.cleanUp() }
        try await fixture.store.replaceDirectory(SchoolDirectory(
            schools: [School(urn: "120501", name: "Boston Pioneers", laCode: "925")],
            keyAdults: [KeyAdult(urn: "120501", name: "Ann Lead", email: "dsl@boston.school.example", channel: .smtp, endpoint: nil)]))
        // C-9's only incident is older than the window; C-8's is recent.
        try await fixture.ingest(Sample.header + "\n"
            + "I-9,2025-06-01T21:00:00Z,DASH,standard,3,,V-1,P-1,C-9,Old,Case,2016-04-02,120501,Y,Y,,Y\n"
            + "I-8,2026-11-21T21:00:00Z,DASH,standard,3,,V-2,P-2,C-8,New,Case,2016-04-02,120501,Y,Y,,Y\n",
            planner: AlertBoardTests.planner)
        let old = try Self.document(try await APITests.call(fixture, .get, "/api/children/C-9"))
        #expect(old["assessment"] is NSNull)
        #expect((old["alerts"] as? [[String: Any]])?.map { $0["incident_id"] as? String } == ["I-9"], "the child's own alerts only")
        let new = try Self.document(try await APITests.call(fixture, .get, "/api/children/C-8"))
        #expect((new["assessment"] as? [String: Any])?["level"] as? String == "standard")
        let alerts = try #require(new["alerts"] as? [[String: Any]])
        try #require(alerts.count == 1)
        #expect(Set(alerts[0].keys) == ["reference", "incident_id", "school_urn", "channel", "state", "deadline", "delivered_at", "acknowledged_at"])
        #expect(alerts[0]["delivered_at"] is NSNull && alerts[0]["acknowledged_at"] is NSNull, "queued: not delivered yet")
        #expect(alerts[0]["incident_id"] as? String == "I-8" && alerts[0]["school_urn"] as? String == "120501")
        #expect(alerts[0]["state"] as? String == "queued" && alerts[0]["channel"] as? String == "smtp")
        #expect(alerts[0]["deadline"] as? String == "2026-11-24T21:00:00+00:00", "the planner's deadline, as alerts --json writes it")
    }

    /// "Delivered is not read" (SPEC §7): the child's page and the API say when each alert reached its
    /// school and whether anyone there acknowledged it, and one delivered and unread past its deadline
    /// reads as the board's "phone the school": an officer, who may not open the board, saw both
    /// alerts below as "delivered" (audit 22, people F4). On either database.
    @Test(arguments: MetricsDatabase.allCases)
    func anAlertSaysWhenItWasDeliveredAndWhetherItWasAcknowledged(kind: MetricsDatabase) async throws {
        var fixture = try await WebFixture.make(csv: "", database: kind == .postgres ? try PostgresServer.shared().makeDatabase() : nil)
        defer { fixture.cleanUp() }
        fixture.configuration.alertPlanner = AlertBoardTests.planner
        try await fixture.addUser("pc.jones", .officer)
        try await fixture.store.replaceDirectory(AlertBoardTests.directory)
        try await fixture.ingest(Sample.header + "\n"
            + "I-20,2026-11-21T20:00:00Z,DASH,standard,3,,V-20,P-20,C-20,Ava,Lee,2016-01-01,120501,Y,N,,N\n"
            + "I-21,2026-11-21T20:30:00Z,DASH,standard,3,,V-20,P-20,C-20,Ava,Lee,2016-01-01,120501,Y,N,,N\n",
            planner: AlertBoardTests.planner)
        // Both delivered with a link at 08:00; I-21's acknowledged an hour later; then past both deadlines.
        let claimed = try await fixture.store.claimDue(now: fixture.clock.now(), owner: "test", lease: 60, limit: 10, isDead: { _ in false })
        var tokens: [String: String] = [:]
        for alert in claimed.alerts {
            let token = AcknowledgementLinks.newToken()
            try await fixture.store.issueAcknowledgementTokens([(alert.alertKey, AcknowledgementLinks.hash(token),
                                                                 fixture.clock.now().addingTimeInterval(AcknowledgementTests.links.validFor))],
                                                               at: fixture.clock.now())
            try await fixture.store.record(.delivered, for: alert.alertKey, owner: "test", now: fixture.clock.now())
            tokens[alert.incidentId] = token
        }
        try #require(tokens.count == 2)
        fixture.clock.advance(minutes: 60)
        _ = try await fixture.store.acknowledge(tokenHash: AcknowledgementLinks.hash(try #require(tokens["I-21"])), now: fixture.clock.now())
        fixture.clock.advance(minutes: 3 * 24 * 60)

        let page = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("pc.jones")
            return try await browser.get("/children/C-20").text
        }
        func row(_ incident: String) -> String {
            page.components(separatedBy: "<tr>").first { $0.contains(#"<td data-label="Incident">\#(incident)</td>"#) } ?? ""
        }
        #expect(page.contains(#"<th scope="col">Delivered</th><th scope="col">Acknowledged</th>"#))
        #expect(row("I-20").contains(#"<td data-label="Delivered">Sun 22 Nov 2026, 08:00 GMT</td>"#), "\(row("I-20"))")
        #expect(row("I-20").contains(#"<td data-label="Acknowledged">delivered but not acknowledged by its deadline: phone the school</td>"#))
        #expect(row("I-21").contains(#"<td data-label="Delivered">Sun 22 Nov 2026, 08:00 GMT</td>"#), "\(row("I-21"))")
        #expect(row("I-21").contains(#"<td data-label="Acknowledged">Sun 22 Nov 2026, 09:00 GMT</td>"#))

        let doc = try Self.document(try await APITests.call(fixture, .get, "/api/children/C-20"))
        let alerts = try #require(doc["alerts"] as? [[String: Any]])
        let byIncident = Dictionary(alerts.map { ($0["incident_id"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byIncident["I-20"]?["delivered_at"] as? String == "2026-11-22T08:00:00Z")
        #expect(byIncident["I-20"]?["acknowledged_at"] is NSNull)
        #expect(byIncident["I-21"]?["delivered_at"] as? String == "2026-11-22T08:00:00Z")
        #expect(byIncident["I-21"]?["acknowledged_at"] as? String == "2026-11-22T09:00:00Z")

        // Once I-20's link has closed the board no longer lists it to phone, nor does the page ask
        // for the call (it did, for every alert ever unacknowledged): it says the link closed.
        fixture.clock.advance(minutes: AcknowledgementTests.links.validFor / 60)
        let later = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("pc.jones")
            return try await browser.get("/children/C-20").text
        }
        let closed = later.components(separatedBy: "<tr>").first { $0.contains(#"<td data-label="Incident">I-20</td>"#) } ?? ""
        #expect(closed.contains(#"<td data-label="Acknowledged">delivered but never acknowledged; its link has closed</td>"#), "\(closed)")
        #expect(!later.contains("phone the school"))
    }

    @Test func anUnknownChildIs404() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await APITests.call(fixture, .get, "/api/children/C-404")
        #expect(response.status == .notFound)
        #expect(try Self.document(response)["error"] as? String == "no such child")
    }
}
