import Foundation
import RiskModel
import StoreContract
import Stores
import Testing
import TestSupport

/// One press, one record (audit 20, F1): the rule, and both stores keeping what it decides in the
/// transaction that appends.
@Suite("One press, one record: the rule, and the stores on SQLite and PostgreSQL")
struct OnePressStoreTests {
    let now = at("2026-11-22T08:00:00Z")

    func decision(_ outcome: Decision.Outcome, by: String = "hana", reason: String? = nil, minutes: Double = 0) -> Decision {
        Decision(childId: "C-1", outcome: outcome, on: LocalDate(iso: "2026-11-21")!, reason: reason, by: by,
                 recordedAt: now.addingTimeInterval(minutes * 60))
    }

    @Test func theRuleAppendsOnlyToTheListThePageShowed() throws {
        let referred = decision(.referred), declined = decision(.declined, reason: "No consent")
        // No form (the CLI, the API), or the list as the page showed it: append.
        try OnePress.check(seen: nil, decisions: [referred], adding: [declined])
        try OnePress.check(seen: 1, decisions: [referred], adding: [declined])
        try OnePress.check(seen: 0, decisions: [], adding: [declined])
        // The same decision by the same person added since the page, typed in a minute later: a repeat.
        #expect(throws: OnePress.Refusal<Decision>.self) { try OnePress.check(seen: 0, decisions: [declined], adding: [declined]) }
        do {
            try OnePress.check(seen: 1, decisions: [referred, declined], adding: [decision(.declined, reason: "No consent", minutes: 1)])
            Issue.record("a repeat appended")
        } catch OnePress.Refusal<Decision>.repeated(let earlier) {
            #expect(earlier == declined)
        } catch { Issue.record("a repeat taken as a change") }
        // Anything else added since: a change, with what was added; a reason or a person apart is another decision.
        for other in [decision(.declined, reason: "Another reason"), decision(.declined, by: "sam", reason: "No consent"), referred] {
            do {
                try OnePress.check(seen: 1, decisions: [referred, other], adding: [declined])
                Issue.record("a change appended")
            } catch OnePress.Refusal<Decision>.changed(let since) {
                #expect(since == [other])
            } catch { Issue.record("a change taken as a repeat") }
        }
        // A page that counted more than the list holds, or a form without a count: a change, nothing to show.
        for seen in [3, OnePress.seen(nil), OnePress.seen("x"), OnePress.seen("-2")] {
            do {
                try OnePress.check(seen: seen, decisions: [referred], adding: [declined])
                Issue.record("seen \(seen) appended")
            } catch OnePress.Refusal<Decision>.changed(let since) {
                #expect(since.isEmpty)
            } catch { Issue.record("seen \(seen) taken as a repeat") }
        }
        #expect(OnePress.seen("2") == 2 && OnePress.seen(" 0 ") == 0)
        // Both kinds at once: a repeat only when both were added since.
        let meeting = Decision(childId: "C-1", kind: .strategyMeeting, outcome: .held, on: LocalDate(iso: "2026-11-21")!,
                               reason: nil, by: "hana", recordedAt: now)
        #expect(throws: OnePress.Refusal<Decision>.self) { try OnePress.check(seen: 0, decisions: [referred], adding: [referred, meeting]) }
        do {
            try OnePress.check(seen: 0, decisions: [referred, meeting], adding: [referred, meeting])
            Issue.record("a repeat of both appended")
        } catch OnePress.Refusal<Decision>.repeated { } catch { Issue.record("a repeat of both taken as a change") }
    }

    func store(_ kind: StoreKind) async throws -> TempStore {
        let t = try await TempStore(kind)
        _ = try await t.store.ingest([incident("I-1", "2026-11-01T10:00:00Z", children: [child("C-1")])], actor: "t", at: now, planner: nil)
        return t
    }

    @Test(arguments: StoreKind.allCases)
    func aStaleFormWritesNothingAndAFreshOneAppends(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let declined = decision(.declined, reason: "No consent")
        try await t.store.record([declined], strategyDiscussion: false, actor: "user:hana", seen: 0)
        await #expect(throws: OnePress.Refusal<Decision>.self) {
            try await t.store.record([decision(.declined, reason: "No consent", minutes: 1)], strategyDiscussion: false, actor: "user:hana", seen: 0)
        }
        await #expect(throws: OnePress.Refusal<Decision>.self) {
            try await t.store.record([decision(.referred, by: "sam")], strategyDiscussion: false, actor: "user:sam", seen: 0)
        }
        #expect(try await t.store.decisions(childId: "C-1") == [declined], "nothing written by either")
        try await t.store.record([decision(.referred, by: "sam", minutes: 2)], strategyDiscussion: false, actor: "user:sam", seen: 1)
        #expect(try await t.store.decisions(childId: "C-1").map(\.by) == ["hana", "sam"])

        let action = NewPlanAction(childId: "C-1", action: "Weekly visit", agency: "Police", due: nil, by: "hana", recordedAt: now, actor: "user:hana")
        _ = try await t.store.addPlanAction(action, seen: 0)
        await #expect(throws: OnePress.Refusal<PlanAction>.self) { _ = try await t.store.addPlanAction(action, seen: 0) }
        #expect(try await t.store.planActions(childId: "C-1").count == 1)
        _ = try await t.store.addPlanAction(action, seen: 1)
        #expect(try await t.store.planActions(childId: "C-1").count == 2, "a press on a page that showed the first")
    }

    @Test(arguments: StoreKind.allCases)
    func twoPressesAtOnceRecordOneDecision(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        // Two stores on one database, as two servers have: nothing rests on one process's memory.
        let stores: [any FullStore] = [t.store, try StoreFactory.open(t.url)]
        let declined = decision(.declined, reason: "No consent")
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for n in 0..<40 {
                let store = stores[n % 2]
                group.addTask {
                    do {
                        try await store.record([declined], strategyDiscussion: false, actor: "user:hana", seen: 0)
                        return true
                    } catch is OnePress.Refusal<Decision> {
                        return false
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        #expect(try await t.store.decisions(childId: "C-1") == [declined])
    }
}
