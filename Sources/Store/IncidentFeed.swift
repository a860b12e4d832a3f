import Foundation
import RiskModel

/// Incidents handed from the reader of a batch's files to the store's writer while the files are
/// still being read, so reading and writing use a core each. The writer writes inside a transaction
/// it commits only when the reader ends the feed `complete`: any error in any row ends it
/// `abandoned`, and nothing is kept.
public final class IncidentFeed: @unchecked Sendable {
    public enum End: Sendable {
        /// Every incident of the batch was handed over, each once and whole.
        case complete
        /// The batch is invalid: write nothing.
        case abandoned
        /// An incident was handed over before all its rows were read (its rows were not together
        /// in the file): write this whole batch instead.
        case redo([Incident])
    }

    /// An incident with its fingerprint, worked out by the thread that hands it over, which is
    /// the less busy one.
    struct Item {
        let incident: Incident
        let fingerprint: String
    }

    private let condition = NSCondition()
    private var chunks: [[Item]] = []
    private var end: End?

    public init() {}

    /// A feed already holding a whole batch.
    public convenience init(batch: [Incident]) {
        self.init()
        push(batch)
        finish(.complete)
    }

    public func push(_ incidents: [Incident]) {
        guard !incidents.isEmpty else { return }
        let chunk = incidents.map { Item(incident: $0, fingerprint: Fingerprint.of($0)) }
        condition.lock()
        chunks.append(chunk)
        condition.signal()
        condition.unlock()
    }

    public func finish(_ end: End) {
        condition.lock()
        self.end = end
        condition.signal()
        condition.unlock()
    }

    /// The next chunk, waiting for one; nil once the feed has ended and every chunk was taken.
    func next() -> [Item]? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && end == nil { condition.wait() }
        if chunks.isEmpty { return nil }
        return chunks.removeFirst()
    }

    /// How the feed ended; only once `next()` has returned nil.
    var outcome: End {
        condition.lock()
        defer { condition.unlock() }
        return end ?? .abandoned
    }
}

/// Thrown by a store's ingest when the feed was abandoned: its transaction was rolled back.
public struct IngestAbandoned: Error {
    public init() {}
}
