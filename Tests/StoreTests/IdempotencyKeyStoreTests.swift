import Foundation
import RiskModel
import StoreContract
import Stores
import Testing
import TestSupport

/// The JSON API's `Idempotency-Key` as both stores keep it: the key with the decisions it answered,
/// in one transaction, once however many send it at once.
@Suite("Idempotency keys kept with the decisions, on SQLite and PostgreSQL")
struct IdempotencyKeyStoreTests {
    let now = at("2026-11-22T08:00:00Z")
    let key = IdempotencyKey(client: "records-system", key: "8e03978e-40d5-43e8-bc93-6894a57f9324")

    func decision() -> Decision {
        Decision(childId: "C-1", outcome: .declined, on: LocalDate(iso: "2026-11-21")!, reason: "No consent", by: "api:records-system",
                 recordedAt: now)
    }

    func response(_ body: String = #"{"child_id":"C-1"}"#) -> KeptResponse {
        KeptResponse(fingerprint: "f-1", status: 201, body: body, recordedAt: now)
    }

    /// Forty at once on two stores (two servers) on one database: one records, every other is
    /// answered what it kept.
    @Test(arguments: StoreKind.allCases)
    func theSameKeyAtOnceRecordsOnceAndTheRestAreAnsweredWhatWasKept(kind: StoreKind) async throws {
        let t = try await OnePressStoreTests().store(kind)
        defer { t.cleanUp() }
        let stores: [any FullStore] = [t.store, try StoreFactory.open(t.url)]
        let (key, decision, response) = (key, decision(), response())
        let answers = try await withThrowingTaskGroup(of: KeptResponse?.self) { group in
            for n in 0..<40 {
                let store = stores[n % 2]
                group.addTask {
                    try await store.record([decision], strategyDiscussion: false, actor: "api:records-system", key: key, response: response)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.filter { $0 == nil }.count == 1, "one recorded")
        #expect(answers.compactMap { $0 } == Array(repeating: response, count: 39), "the rest answered what it kept")
        #expect(try await t.store.decisions(childId: "C-1") == [decision])
        let another = IdempotencyKey(client: "another-token", key: key.key)
        #expect(try await t.store.record([decision], strategyDiscussion: false, actor: "api:another-token", key: another, response: response) == nil,
                "a key is its token's own: another's records")
        #expect(try await t.store.decisions(childId: "C-1").count == 2)
    }

    /// A failure keeps neither the decision nor the key: the retry records.
    @Test(arguments: StoreKind.allCases)
    func aFailedRecordKeepsNoKey(kind: StoreKind) async throws {
        let t = try await OnePressStoreTests().store(kind)
        defer { t.cleanUp() }
        // The audit row, written after the key and the decision, refused.
        let refuse = kind == .sqlite
            ? "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'refused'); END;"
            : """
              CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$;
              CREATE TRIGGER refuse_audit BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION refuse_audit();
              """
        try #require(try await t.refusal(refuse) == nil)
        await #expect(throws: (any Error).self) {
            _ = try await t.store.record([decision()], strategyDiscussion: false, actor: "api:records-system", key: key, response: response())
        }
        #expect(try await t.store.decisions(childId: "C-1").isEmpty)
        try #require(try await t.refusal(kind == .sqlite ? "DROP TRIGGER refuse_audit;" : "DROP TRIGGER refuse_audit ON audit;") == nil)
        #expect(try await t.store.record([decision()], strategyDiscussion: false, actor: "api:records-system", key: key, response: response()) == nil,
                "no key was kept: the retry records")
        #expect(try await t.store.decisions(childId: "C-1").count == 1)
    }
}
