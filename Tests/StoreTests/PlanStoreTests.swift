import Foundation
import RiskModel
import StoreContract
import Testing
import TestSupport

/// A child's MARAC plan as both stores keep it: actions appended, each done at most once by a row
/// of its own, the database refusing any edit, and an audit of ids only.
@Suite("MARAC plans, on SQLite and PostgreSQL")
struct PlanStoreTests {
    let now = at("2026-11-22T08:00:00Z")

    func store(_ kind: StoreKind) async throws -> TempStore {
        let t = try await TempStore(kind)
        _ = try await t.store.ingest([incident("I-1", "2026-11-01T10:00:00Z", children: [child("C-1"), child("C-2")])],
                                     actor: "t", at: now, planner: nil)
        return t
    }

    func new(_ child: String = "C-1", _ action: String = "Weekly visit", due: String? = "2026-12-01") -> NewPlanAction {
        NewPlanAction(childId: child, action: action, agency: "Children's Social Care", due: due.flatMap(LocalDate.init(iso:)),
                      by: "hub.lead", recordedAt: now, actor: "cli:someone")
    }

    @Test(arguments: StoreKind.allCases)
    func actionsAreKeptPerChildOldestFirstAndDoneOnce(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let first = try await t.store.addPlanAction(new())
        let second = try await t.store.addPlanAction(new("C-1", "Refer to the IDVA\nand the school", due: nil))
        _ = try await t.store.addPlanAction(new("C-2", "Someone else's"))
        #expect(second.id > first.id)
        var kept = try await t.store.planActions(childId: "C-1")
        #expect(kept == [first, second])
        #expect(kept[1].action == "Refer to the IDVA\nand the school")
        #expect(kept[0].due == LocalDate(iso: "2026-12-01"))

        let on = LocalDate(iso: "2026-11-21")!
        let done = try await t.store.markPlanActionDone(id: first.id, on: on, by: "sam", at: now, actor: "user:sam")
        #expect(done.done == PlanAction.Done(on: on, by: "sam", recordedAt: now))
        kept = try await t.store.planActions(childId: "C-1")
        #expect(kept[0].done?.on == on && kept[1].done == nil)
        #expect(try await t.store.planAction(id: first.id) == done)

        await #expect(throws: PlanError.alreadyDone(first.id, on: on)) {
            _ = try await t.store.markPlanActionDone(id: first.id, on: LocalDate(iso: "2026-11-22")!, by: "x", at: now, actor: "user:x")
        }
        await #expect(throws: PlanError.unknownAction(9_999)) {
            _ = try await t.store.markPlanActionDone(id: 9_999, on: on, by: "x", at: now, actor: "user:x")
        }
        await #expect(throws: StoreError.self) { _ = try await t.store.addPlanAction(new("C-404")) }
        #expect(try await t.store.planActions(childId: "C-404").isEmpty)
        #expect(try await t.store.planAction(id: 9_999) == nil)
        #expect(try await t.store.planActions(childId: "C-1")[0].done?.on == on, "the first done stands")
    }

    @Test(arguments: StoreKind.allCases)
    func theAuditHoldsIdsAndDatesNeverTheActionsText(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let added = try await t.store.addPlanAction(new("C-1", "Move Amelia to her aunt's"))
        _ = try await t.store.markPlanActionDone(id: added.id, on: LocalDate(iso: "2026-11-21")!, by: "sam", at: now, actor: "user:sam")
        let audit = try await t.store.auditEntries(limit: 10).filter { $0.action.hasPrefix("plan.") }.reversed().map { $0 }
        #expect(audit.map(\.action) == ["plan.added", "plan.done"])
        #expect(audit.map(\.actor) == ["cli:someone", "user:sam"])
        #expect(audit.allSatisfy { $0.subject == "child:C-1" })
        #expect(audit[0].detail == "{\"action_id\":\(added.id),\"by\":\"hub.lead\",\"due\":\"2026-12-01\"}")
        #expect(audit[1].detail == "{\"action_id\":\(added.id),\"by\":\"sam\",\"on\":\"2026-11-21\"}")
    }

    @Test(arguments: StoreKind.allCases)
    func theDatabaseRefusesAnyEditOfAnActionOrItsDone(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let added = try await t.store.addPlanAction(new())
        _ = try await t.store.markPlanActionDone(id: added.id, on: LocalDate(iso: "2026-11-21")!, by: "sam", at: now, actor: "user:sam")
        for sql in ["UPDATE plan_actions SET action_text = 'x'", "DELETE FROM plan_actions",
                    "UPDATE plan_actions_done SET done_on = '2026-01-01'", "DELETE FROM plan_actions_done"] {
            #expect(try await t.refusal(sql)?.contains("append-only") == true, "\(sql)")
        }
        if kind == .postgres {
            for table in ["plan_actions_done", "plan_actions"] { #expect(try await t.refusal("TRUNCATE \(table) CASCADE") != nil, "TRUNCATE \(table)") }
        }
        #expect(try await t.refusal("INSERT INTO plan_actions_done (action_key, done_on, done_by, recorded_at) VALUES (\(added.id), '2026-11-22', 'x', 0)") != nil,
                "done twice, even written directly")
        #expect(try await t.refusal("INSERT INTO plan_actions (child_id, action_text, agency, recorded_by, recorded_at) VALUES ('C-1', '  ', 'Police', 'x', 0)") != nil,
                "an empty action, even written directly")
        let kept = try await t.store.planActions(childId: "C-1")
        #expect(kept.count == 1 && kept[0].action == "Weekly visit" && kept[0].done?.on == LocalDate(iso: "2026-11-21"))
    }
}

@Suite("Officer accounts, on SQLite and PostgreSQL")
struct OfficerAccountStoreTests {
    @Test(arguments: StoreKind.allCases)
    func anOfficerAccountIsKeptWithItsRoleAndNoOtherRoleIsTaken(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        try await t.store.addUser(name: "pc.jones", role: .officer, passwordHash: "$2b$04$hash", by: "test", at: at("2026-11-22T08:00:00Z"))
        #expect(try await t.store.user(named: "pc.jones")?.role == .officer)
        #expect(try await t.refusal("INSERT INTO users (name, role, password_hash, created_at) VALUES ('x', 'constable', 'h', 0)") != nil,
                "the database keeps to the four roles")
    }
}
