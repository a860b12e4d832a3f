import Foundation

/// Holds a transport's workers to the pace at which its reader records outcomes: a worker that has
/// handed over an outcome takes its next message only once the reader says that outcome is recorded.
///
/// Why: a run killed part way sends again every alert it sent but had not yet recorded (the next
/// run finds it `sending` under a dead run's lease). Unpaced, the workers ran dozens of messages
/// ahead of a reader writing each outcome in its own transaction to PostgreSQL, and one kill sent
/// 19-35 alerts to schools a second time (audit 27, chaos F1). Paced, a kill leaves at most one
/// message per worker sent and unrecorded: the messages in flight. It costs each connection the wait
/// for its outcome's transaction: on PostgreSQL about 7 % of a worker's rate (docs/benchmarks.md).
public final class DeliveryPacing: @unchecked Sendable {
    private let condition = NSCondition()
    /// References whose outcomes are handed over and not yet recorded.
    private var unrecorded: Set<String> = []
    private var waiting = 0
    private var stopped = false
    private var closed = false

    public init() {}

    /// The reader has recorded the outcome for `reference`, or set it aside for the end of the run:
    /// the worker that sent it goes on. A reference the pacing does not hold (an outcome no
    /// worker waits on) changes nothing.
    public func recorded(_ reference: String) {
        condition.lock()
        defer { condition.unlock() }
        if unrecorded.remove(reference) != nil { condition.broadcast() }
    }

    /// Nobody records any more (the reader has stopped, or the batch is over): no worker waits.
    public func stop() {
        condition.lock()
        defer { condition.unlock() }
        stopped = true
        condition.broadcast()
    }

    /// No worker takes another message; those in flight still end and hand over their outcomes,
    /// which the reader still records. Why: the run may no longer send what it claimed (its lease
    /// on the batch ended, or is too near its end for another message to go and be recorded), and
    /// another run may be sending the same alerts (audit 29, F2).
    public func close() {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
    }

    /// Whether `close()` was called: the transport then hands out no more messages.
    public var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// Blocks the calling thread until `count` workers wait at once, or pacing stops. For tests that
    /// must know the transport can send nothing more until they record.
    public func blockUntilWaiting(_ count: Int) {
        condition.lock()
        defer { condition.unlock() }
        while !stopped, waiting < count { condition.wait() }
    }

    /// The worker is about to hand over `reference`'s outcome: it is unrecorded from now, so the
    /// reader cannot record it before it is counted.
    func handingOver(_ reference: String) {
        condition.lock()
        defer { condition.unlock() }
        if !stopped { unrecorded.insert(reference) }
    }

    /// Blocks the worker's thread until `reference`'s outcome is recorded or pacing stops.
    func waitUntilRecorded(_ reference: String) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped, !closed, unrecorded.contains(reference) else { return }
        waiting += 1
        condition.broadcast()
        while !stopped, !closed, unrecorded.contains(reference) { condition.wait() }
        waiting -= 1
    }
}
