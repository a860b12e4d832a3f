import Foundation
import Review
import RiskModel
import StoreContract
import Testing

/// `escalations --json` renders a long queue a block at a time, each block split across the cores:
/// whatever the block, the document is the same bytes.
@Suite("The queue's JSON, written a block at a time")
struct QueueJSONBlockTests {
    @Test(arguments: StoreKind.allCases)
    func everyBlockSizeWritesTheSameDocument(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        // 2,500 children graded high: past the 2,000 at which rendering is split across the cores.
        let incidents = (0..<2_500).map { n in
            incident("I-\(n)", "2026-10-01T10:00:00Z", grade: .high, children: [child("C-\(n)")])
        }
        _ = try await t.store.ingest(incidents, actor: "test", at: at("2026-11-01T12:00:00Z"), planner: nil)
        let queue = try await ReviewQueue.build(store: t.store, settings: ScoringSettings(), asOf: at("2026-11-01T12:00:00Z"),
                                                includeAll: false)
        #expect(queue.entries.count == 2_500)
        let whole = queue.jsonBytes()
        for block in [1, 7, 1_250, 2_499, 2_500, ReviewQueue.jsonBlock] {
            var written: [UInt8] = []
            var writes = 0
            queue.writeJSON(block: block) { written += Array($0); writes += 1 }
            #expect(written == whole, "block \(block)")
            if block == 7 { #expect(writes > 300, "written as it is rendered, not at the end") }
        }
        let document = try JSONSerialization.jsonObject(with: Data(whole)) as? [String: Any]
        #expect((document?["children"] as? [Any])?.count == 2_500)
    }
}
