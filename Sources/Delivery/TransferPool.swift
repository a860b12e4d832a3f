import Foundation

/// Runs one batch of transfers on worker threads of its own, each owning one libcurl easy handle
/// and reusing it, and so its connection, from one message to the next. Blocking curl calls never
/// run on the Swift concurrency pool, and no easy handle is ever touched by two threads.
///
/// Why threads and not curl's multi interface on one thread: libcurl's SMTP code waits for the
/// relay's reply to the end of each message in a blocking call, even under the multi interface,
/// so one multi thread would finish messages one at a time and a relay slow to accept one
/// message would hold up all the others.
///
/// How a slow receiver delays nobody else: each lane (the relay, the schools' endpoints) starts
/// `connections` workers. A supervisor adds a worker whenever a transfer has been running longer
/// than `stallAfter` and messages are waiting, up to `maxTransfers`, so a tarpitted recipient or a
/// stalled endpoint ties up one connection of its own; extra workers retire once the lane is back
/// to normal. Every transfer also has connect, low-speed and total timeouts.
///
/// With a `DeliveryPacing`, a worker that has reported an outcome waits until the reader has
/// recorded it before taking the next message, so the sent never run ahead of the recorded by more
/// than a message a worker.
final class TransferPool: Sendable {
    typealias Lane = TransferRequest.Lane

    private struct Worker {
        /// When its current transfer started; nil between transfers.
        var started: ContinuousClock.Instant?
    }

    private struct State {
        var pending: [Lane: [TransferRequest]] = [:]
        var next: [Lane: Int] = [:]
        var workers: [Lane: [Int: Worker]] = [:]
        var nextWorkerID = 0
        /// A relay or endpoint that showed it cannot take messages in this run, and why.
        var tripped: [String: DeliveryOutcome] = [:]
        var cancelled = false
        var finished = false

        func hasPending(_ lane: Lane) -> Bool {
            (next[lane] ?? 0) < (pending[lane]?.count ?? 0)
        }
    }

    private let state = Guarded(State())
    private let abort = AbortSignal()
    private let limits: [Lane: ConnectionLimits]
    private let timeouts: TransferTimeouts
    /// When set, a worker waits for its outcome to be recorded before it takes another message.
    private let pacing: DeliveryPacing?
    private let report: @Sendable (DeliveryOutcome) -> Void
    private let finished: @Sendable () -> Void
    private let clock = ContinuousClock()

    init(
        requests: [TransferRequest], limits: [Lane: ConnectionLimits], timeouts: TransferTimeouts, pacing: DeliveryPacing?,
        report: @escaping @Sendable (DeliveryOutcome) -> Void, finished: @escaping @Sendable () -> Void
    ) {
        self.limits = limits
        self.timeouts = timeouts
        self.pacing = pacing
        self.report = report
        self.finished = finished
        state.withLock { state in
            for request in requests { state.pending[request.lane, default: []].append(request) }
        }
    }

    func start() {
        guard CurlGlobal.ready else {
            let all = state.withLock { state in
                state.finished = true
                return state.pending.values.flatMap { $0 }
            }
            for request in all {
                report(OutcomeText.notStarted(request, status: .temporary, reason: "libcurl could not start"))
            }
            finished()
            return
        }
        let lanes = state.withLock { state in
            state.pending.map { lane, requests in (lane, min(requests.count, limit(lane).connections)) }
        }
        for (lane, count) in lanes {
            for _ in 0..<count { spawnWorker(lane) }
        }
        let supervisor = Thread { [self] in supervise() }
        supervisor.name = "encompass-delivery-supervisor"
        supervisor.start()
    }

    /// Stops handing out messages and aborts those in flight; safe from any thread, at any time.
    func cancel() {
        state.withLock { $0.cancelled = true }
        abort.raise()
        pacing?.stop()
    }

    /// The reader closed the pacing (`DeliveryPacing.close`): no more messages are handed out, and
    /// the batch ends once those in flight are in. (Pacing's lock is taken inside the state's, never
    /// the other way round.)
    private var paceClosed: Bool { pacing?.isClosed ?? false }

    private func limit(_ lane: Lane) -> ConnectionLimits {
        limits[lane] ?? .relay
    }

    private func spawnWorker(_ lane: Lane) {
        let id = state.withLock { state in
            defer { state.nextWorkerID += 1 }
            state.workers[lane, default: [:]][state.nextWorkerID] = Worker(started: nil)
            return state.nextWorkerID
        }
        let thread = Thread { [self] in work(lane, id: id) }
        thread.name = "encompass-delivery"
        thread.start()
    }

    private func work(_ lane: Lane, id: Int) {
        var easy: CurlEasy?
        while let request = take(lane, id: id) {
            if easy == nil { easy = CurlEasy() }
            guard let easy else {
                finish(lane, id: id, request: request, outcome: OutcomeText.notStarted(
                    request, status: .temporary, reason: "libcurl could not make a handle"), trips: false)
                continue
            }
            if let option = easy.configure(request, timeouts: timeouts, abort: abort) {
                easy.reset()
                finish(lane, id: id, request: request, outcome: OutcomeText.notStarted(
                    request, status: .configuration, reason: "libcurl refused option \(option)"), trips: false)
                continue
            }
            let code = easy.perform()
            let result = easy.result(code)
            easy.reset()
            let outcome = OutcomeText.finished(request, failure: result.failure, reply: result.reply, message: result.message,
                                               replyText: result.replyText, refusedRecipients: result.refusedRecipients,
                                               recipientWords: result.recipientWords)
            finish(lane, id: id, request: request, outcome: outcome,
                   trips: outcome.status == .configuration || result.failure == .unreachable || result.failure == .tls || result.failure == .untrustedCertificate)
        }
        // Every outcome is out: the batch may end while this thread says QUIT and closes.
        retire(lane, id: id)
        easy = nil
    }

    /// The worker's next message, or nil when it should stop. Messages for a relay or endpoint
    /// that already failed in a way retrying cannot fix are answered here without sending.
    private func take(_ lane: Lane, id: Int) -> TransferRequest? {
        var skipped: [DeliveryOutcome] = []
        defer { for outcome in skipped { report(outcome) } }
        return state.withLock { state -> TransferRequest? in
            state.workers[lane]?[id]?.started = nil
            while !state.cancelled, !paceClosed, state.hasPending(lane) {
                // An extra worker added for a stalled transfer goes once the lane is back to normal.
                let others = (state.workers[lane] ?? [:]).filter { $0.key != id }.values
                let connections = limit(lane).connections
                if others.count >= connections, fresh(others, stallAfter: limit(lane).stallAfter) >= connections {
                    return nil
                }
                let request = state.pending[lane]![state.next[lane] ?? 0]
                state.next[lane, default: 0] += 1
                if let cause = state.tripped[request.breakerKey] {
                    skipped.append(OutcomeText.skipped(request, cause: cause))
                    continue
                }
                state.workers[lane]?[id]?.started = clock.now
                return request
            }
            return nil
        }
    }

    private func finish(_ lane: Lane, id: Int, request: TransferRequest, outcome: DeliveryOutcome, trips: Bool) {
        let reportable = state.withLock { state in
            if trips, state.tripped[request.breakerKey] == nil { state.tripped[request.breakerKey] = outcome }
            // Waiting for the outcome to be recorded is no stalled transfer: the supervisor must
            // not add workers for it.
            state.workers[lane]?[id]?.started = nil
            // After a cancel nobody reads outcomes, and an aborted transfer has none worth keeping.
            return !state.cancelled
        }
        guard reportable else { return }
        pacing?.handingOver(outcome.reference)
        report(outcome)
        pacing?.waitUntilRecorded(outcome.reference)
    }

    private func retire(_ lane: Lane, id: Int) {
        let last = state.withLock { state -> Bool in
            state.workers[lane]?[id] = nil
            let alive = state.workers.values.reduce(0) { $0 + $1.count }
            let waiting = !state.cancelled && !paceClosed && state.pending.keys.contains { state.hasPending($0) }
            guard alive == 0, !waiting, !state.finished else { return false }
            state.finished = true
            return true
        }
        if last { finished() }
    }

    /// Workers between transfers, and those whose transfer has run for less than `stallAfter`.
    private func fresh(_ workers: some Sequence<Worker>, stallAfter: Duration) -> Int {
        let now = clock.now
        return workers.count { worker in worker.started.map { now - $0 < stallAfter } ?? true }
    }

    /// Adds a worker to a lane while messages wait and every running transfer there is stalled.
    private func supervise() {
        while true {
            let (spawn, done): ([Lane], Bool) = state.withLock { state in
                if state.cancelled || paceClosed || state.finished { return ([], true) }
                let waiting = state.pending.keys.filter { state.hasPending($0) }
                let spawn = waiting.filter { lane in
                    let workers = state.workers[lane]?.values ?? [:].values
                    let limit = limit(lane)
                    return fresh(workers, stallAfter: limit.stallAfter) < limit.connections && workers.count < limit.maxTransfers
                }
                return (spawn, waiting.isEmpty)
            }
            if done { return }
            for lane in spawn { spawnWorker(lane) }
            let tick = limits.values.map(\.stallAfter).min().map { min($0 / 4, .milliseconds(100)) } ?? .milliseconds(100)
            Thread.sleep(forTimeInterval: Double(max(tick, .milliseconds(5)).milliseconds) / 1000)
        }
    }
}
