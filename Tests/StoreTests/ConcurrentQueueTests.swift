import Foundation
import Review
import RiskModel
import StoreContract
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
