import Foundation
import RiskModel
import StoreContract

extension ReviewQueue {
    /// `escalations --json`: the same document as `build(...).writeJSON`, byte for byte, with each
    /// child's object rendered as the scan assesses it, and the queue's order worked out from each
    /// child's place alone. Rendered after the scan, in the queue's order, each entry was fetched
    /// back from memory scattered over a hundred megabytes (the first retain of each was the JSON's
    /// costliest instruction), on the client alone while the database waited: the order and the
    /// JSON were a third of the client's CPU on the 1M PostgreSQL store. Here each object is written
    /// while its lists are still in the cache and the assessment is dropped once written (what is
    /// held is what is printed); the end is a sort of the places and a copy. `escalations --json`
    /// on that store, alternating: wall and client CPU about 15% less (docs/benchmarks.md).
    /// `piece` is how many bytes are gathered per `write` (tests write smaller).
    public static func writeDocument(store: any Store, settings: ScoringSettings, asOf: Date, includeAll: Bool,
                                     piece: Int = 1 << 20, _ write: (UnsafeRawBufferPointer) throws -> Void) async throws {
        let minimum: Level = includeAll ? .standard : .medium
        let rendered = try await assess(store: store, settings: settings, asOf: asOf, minimum: minimum,
                                        tally: { RenderedEntries(parts: scanParts) }) { rendered, part, a, summary in
            try rendered.add(a, schoolURN: summary()?.schoolURN, to: part)
        }
        let (keys, places) = rendered.all
        // The one order of the queue (RiskRules), over the same keys `build` sorts: the parts' lists
        // joined in part order, as `build` joins its entries.
        let order = RiskRules.reviewQueueOrder(keys, includeAll: minimum == .standard)
        var out = JSONBytes(capacity: max(piece, 64) + 4_096)
        appendHead(asOf: asOf, to: &out)
        for (n, i) in order.enumerated() {
            appendSeparator(first: n == 0, to: &out)
            rendered.appendObject(at: places[i], to: &out)
            if out.count >= piece {
                try out.withBytes(write)
                out.removeAll()
            }
        }
        appendTail(to: &out)
        try out.withBytes(write)
    }
}

/// Where one child's rendered object lies: a part, a block of that part's, and the bytes in it.
struct RenderedPlace {
    let part: Int32
    let block: Int32
    let start: Int32
    let count: Int32
}

/// The children's objects as the scan renders them, each part's in blocks of its own (a part's
/// children are handed over one at a time, so a part is written by one task at a time), with
/// each child's place in the queue beside it.
final class RenderedEntries: @unchecked Sendable {
    final class Part {
        var keys: [RiskRules.QueueKey] = []
        var places: [RenderedPlace] = []
        /// Blocks of about a megabyte, filled in turn: an object never spans two. Each object is
        /// rendered straight into the last block, and found again by its offset, so a block that
        /// grows (and moves) for a long object loses nothing.
        var blocks: [ReviewQueue.Piece] = []
    }

    static let blockBytes = 1 << 20
    private let parts: [Part]

    init(parts: Int) { self.parts = (0..<max(parts, 1)).map { _ in Part() } }

    func add(_ a: Assessment, schoolURN: String?, to part: Int) {
        let p = parts[part]
        p.keys.append(RiskRules.QueueKey(a))
        if p.blocks.isEmpty || p.blocks[p.blocks.count - 1].json.count >= RenderedEntries.blockBytes {
            p.blocks.append(ReviewQueue.Piece(capacity: RenderedEntries.blockBytes + 16_384))
        }
        let block = p.blocks[p.blocks.count - 1]
        let start = block.json.count
        ReviewQueue.appendObject(a, schoolURN: schoolURN, to: &block.json)
        p.places.append(RenderedPlace(part: Int32(part), block: Int32(p.blocks.count - 1), start: Int32(start),
                                      count: Int32(block.json.count - start)))
    }

    /// Every part's keys and places, in part order.
    var all: (keys: [RiskRules.QueueKey], places: [RenderedPlace]) {
        (parts.flatMap(\.keys), parts.flatMap(\.places))
    }

    func appendObject(at place: RenderedPlace, to out: inout JSONBytes) {
        parts[Int(place.part)].blocks[Int(place.block)].json.withBytes { bytes in
            out.append(UnsafeRawBufferPointer(rebasing: bytes[Int(place.start)..<Int(place.start + place.count)]))
        }
    }
}
