import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import Review
import RiskModel
import StoreContract
import Testing

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
        #expect(Set(alerts[0].keys) == ["reference", "incident_id", "school_urn", "channel", "state", "deadline"])
        #expect(alerts[0]["incident_id"] as? String == "I-8" && alerts[0]["school_urn"] as? String == "120501")
        #expect(alerts[0]["state"] as? String == "queued" && alerts[0]["channel"] as? String == "smtp")
        #expect(alerts[0]["deadline"] as? String == "2026-11-24T21:00:00+00:00", "the planner's deadline, as alerts --json writes it")
    }

    @Test func anUnknownChildIs404() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await APITests.call(fixture, .get, "/api/children/C-404")
        #expect(response.status == .notFound)
        #expect(try Self.document(response)["error"] as? String == "no such child")
    }
}
