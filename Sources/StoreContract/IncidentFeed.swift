import Foundation
import RiskModel

/// Incidents handed from the reader of a batch's files to the store's writer while the files are
/// still being read, so reading and writing use a core each. The writer writes inside a transaction
/// it commits only when the reader ends the feed `complete`: any error in any row ends it
/// `abandoned`, and nothing is kept.
///
/// What needs no database can be worked out by the handing thread, the less busy one, through the
/// store's `IncidentFeedEncoder`: each store encodes its own rows.
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

    /// Incidents handed over together, and what the store's encoder made of them on the handing
    /// thread (nil when the feed has no encoder).
    public struct Chunk: @unchecked Sendable {
        public var incidents: [Incident]
        public var encoded: Any?
    }

    /// The store's encoder, run on the handing thread only; nil: the writer encodes for itself.
    public let encoder: (any IncidentFeedEncoder)?
    /// The batch's missing episodes (SPEC §10), checked whole before the feed is made, nil when the
    /// command named no episode file: the store writes them in the incidents' transaction, so an
    /// ingest of both kinds is still all or nothing.
    public let episodes: [Episode]?

    private let condition = NSCondition()
    private var chunks: [Chunk] = []
    /// The most chunks queued at once: past it, `push` waits for the writer to take one, so a
    /// reader whose writer waits for the database's write lock does not read ahead without bound.
    private let maximumQueued: Int
    /// Readers waiting in `push` for room (for tests).
    private var pushersWaiting = 0
    private var end: End?
    /// The writer has stopped taking chunks (it failed, or the feed ended): later ones are dropped.
    private var closed = false
    /// Waiting in `hasWork()`.
    private var waiting: [CheckedContinuation<Bool, Never>] = []

    /// `encoder`: the store's, from `Store.makeIncidentFeed(expectedRows:)`, so rows are made ready
    /// to write on the handing thread while the writer writes.
    public init(encoder: (any IncidentFeedEncoder)? = nil, maximumQueued: Int = 4, episodes: [Episode]? = nil) {
        self.encoder = encoder
        self.episodes = episodes
        self.maximumQueued = max(1, maximumQueued)
    }

    /// A feed already holding a whole batch.
    public convenience init(batch: [Incident], episodes: [Episode]? = nil) {
        self.init(episodes: episodes)
        push(batch)
        finish(.complete)
    }

    public func push(_ incidents: [Incident]) {
        push(incidents, waitingForRoom: true)
    }

    /// Hands over chunks already held in memory without waiting for room: for the writer's own
    /// task, which takes chunks only once this returns, so waiting for room here would wait for
    /// itself (it did: a file of more than four chunks read before the store was open hung).
    public func pushHeld(_ held: [[Incident]]) {
        for chunk in held { push(chunk, waitingForRoom: false) }
    }

    private func push(_ incidents: [Incident], waitingForRoom: Bool) {
        guard !incidents.isEmpty, !isClosed else { return }
        let chunk = Chunk(incidents: incidents, encoded: encoder?.encode(incidents))
        condition.lock()
        // Wait for room while the writer is still taking chunks (it closes the feed if it stops).
        while waitingForRoom, !closed, chunks.count >= maximumQueued {
            pushersWaiting += 1
            condition.wait()
            pushersWaiting -= 1
        }
        if !closed { chunks.append(chunk) }
        condition.broadcast()
        wakeWaiters()
        condition.unlock()
    }

    /// Waits until there is something to write: a chunk, or the end of a batch that was not
    /// abandoned. False when the batch was abandoned (or the feed closed) first.
    public func hasWork() async -> Bool {
        await withCheckedContinuation { c in
            condition.lock()
            defer { condition.unlock() }
            if let answer = workAnswer { c.resume(returning: answer) } else { waiting.append(c) }
        }
    }

    /// Under the lock: whether there is work, or nil while that is not yet known.
    private var workAnswer: Bool? {
        if !chunks.isEmpty { return true }
        switch end {
        case nil: return closed ? false : nil
        case .abandoned?: return false
        case .complete?, .redo?: return true
        }
    }

    /// Under the lock.
    private func wakeWaiters() {
        guard let answer = workAnswer, !waiting.isEmpty else { return }
        for c in waiting { c.resume(returning: answer) }
        waiting.removeAll()
    }

    /// Chunks handed over and not yet taken, and tasks waiting in `hasWork()`: for tests that must
    /// act at a known point of the hand-over.
    var queuedChunks: Int { locked { chunks.count } }
    var waitingCount: Int { locked { waiting.count } }
    var pushersWaitingCount: Int { locked { pushersWaiting } }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    private var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// Nothing will take more chunks (the writer ended, or never started): the reader stops
    /// queueing them. Safe to call more than once.
    public func close() {
        condition.lock()
        closed = true
        chunks.removeAll()
        condition.broadcast()
        wakeWaiters()
        condition.unlock()
    }

    public func finish(_ end: End) {
        condition.lock()
        self.end = end
        condition.broadcast()
        wakeWaiters()
        condition.unlock()
    }

    /// The next chunk, waiting for one; nil once the feed has ended and every chunk was taken.
    public func next() -> Chunk? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && end == nil { condition.wait() }
        // An abandoned batch is rolled back: what is still queued need not be written first.
        if case .abandoned? = end { chunks.removeAll() }
        if chunks.isEmpty { return nil }
        // A reader may be waiting for room.
        condition.broadcast()
        return chunks.removeFirst()
    }

    /// How the feed ended; only once `next()` has returned nil.
    public var outcome: End {
        condition.lock()
        defer { condition.unlock() }
        return end ?? .abandoned
    }
}

/// A store's preparation of rows on the thread that reads the files (the less busy one), so the
/// writer only writes. Called on that thread alone, in order: never concurrently.
public protocol IncidentFeedEncoder: AnyObject {
    /// What the store will write for these incidents, in its own form. Nothing is asked of it at
    /// the end: a batch of millions would have to hold what it made for the end until then.
    func encode(_ incidents: [Incident]) -> Any
}

/// Thrown by a store's ingest when the feed was abandoned: its transaction was rolled back.
public struct IngestAbandoned: Error {
    public init() {}
}
