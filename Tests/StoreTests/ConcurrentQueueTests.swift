import Foundation
import Review
import RiskModel
import StoreContract
import Synchronization
import Testing

/// `serve` builds queues for its pages, its API and the inspection report, several at once.
@Suite("Queues built at once")
struct ConcurrentQueueTests {
    /// PostgreSQL's scan holds its connections while the queue reads the serial perpetrators and
    /// the episodes beside it: from one pool, the parts of a few queues at once could hold every
    /// connection those reads wait for. A dozen at once all finish, each the same as one alone.
    @Test(.timeLimit(.minutes(2)), arguments: StoreKind.allCases)
    func aDozenQueuesBuiltAtOnceAllFinishAsOneAlone(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let now = at("2026-11-01T12:00:00Z")
        // 600 children, some in each of the scan's parts.
        let incidents = (0..<600).map { n in
            incident("I-\(n)", "2026-10-\(String(format: "%02d", 1 + n % 28))T10:00:00Z", grade: n % 3 == 0 ? .high : .medium,
                     children: [child("C-\(n)")])
        }
        _ = try await t.store.ingest(incidents, actor: "test", at: now, planner: nil)
        let store = t.store
        let alone = try await ReviewQueue.build(store: store, settings: ScoringSettings(), asOf: now, includeAll: false).json()
        #expect(alone.contains("\"C-599\""))
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<12 {
                group.addTask { try await ReviewQueue.build(store: store, settings: ScoringSettings(), asOf: now, includeAll: false).json() }
            }
            var finished = 0
            for try await json in group {
                #expect(json == alone)
                finished += 1
            }
            #expect(finished == 12)
        }
    }
}

/// The queue reads a store in several transactions; a write landing between them must not leave
/// it showing a state the store never held.
@Suite("A queue read while a write lands")
struct QueueReadAgainTests {
    final class Made: Sendable { let count = Atomic<Int>(0) }

    /// A correction moves the high-risk incident X-0 from C-A to C-Z after the first reading has
    /// begun (its tally is made after the change number is read, before the scan): that reading
    /// is dropped and the queue read again, which sees the correction whole.
    @Test(arguments: StoreKind.allCases)
    func aWriteThatLandsWhileTheQueueIsReadMakesItReadAgain(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let now = at("2026-11-01T12:00:00Z")
        _ = try await t.store.ingest([incident("X-0", "2026-10-20T10:00:00Z", grade: .high, children: [child("C-A")])],
                                     actor: "test", at: now, planner: nil)
        let store = t.store
        let made = Made()
        let seen = try await ReviewQueue.assess(store: store, settings: ScoringSettings(), asOf: now, minimum: .high, tally: {
            if made.count.add(1, ordering: .relaxed).newValue == 1 {
                _ = try await store.ingest([incident("X-0", "2026-10-20T10:00:00Z", grade: .high, children: [child("C-Z")])],
                                           actor: "test", at: now, planner: nil)
            }
            return ScanResults<String>(parts: 8)
        }) { ids, part, a, _ in ids.append(a.childId, to: part) }
        #expect(made.count.load(ordering: .relaxed) == 2)
        #expect(seen.all == ["C-Z"])
    }

    /// Writes that never stop are not waited out: the fifth reading is taken as it is.
    @Test(arguments: StoreKind.allCases)
    func writesThatNeverStopEndAtTheFifthReading(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let now = at("2026-11-01T12:00:00Z")
        let store = t.store
        let made = Made()
        _ = try await ReviewQueue.assess(store: store, settings: ScoringSettings(), asOf: now, minimum: .high, tally: {
            let n = made.count.add(1, ordering: .relaxed).newValue
            _ = try await store.ingest([incident("W-\(n)", "2026-10-20T10:00:00Z", grade: .high, children: [child("C-\(n)")])],
                                       actor: "test", at: now, planner: nil)
            return ScanResults<String>(parts: 8)
        }) { ids, part, a, _ in ids.append(a.childId, to: part) }
        #expect(made.count.load(ordering: .relaxed) == 5)
    }
}
