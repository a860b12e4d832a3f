import Synchronization

/// An answer, or nil when something else comes first: a time limit, or a connection closing. A
/// task group would wait for a late task however long it takes to notice cancellation: a database
/// pool reconnecting can take minutes, and PostgresNIO's pool can keep a cancelled request for a
/// connection waiting until one comes (a database that refuses connections: for good), as it can a
/// statement on a connection the server has ended. This returns when the other thing comes and
/// leaves the late task, cancelled, to finish on its own.
public enum FirstAnswer {
    /// Whoever claims first resumes the continuation; the other does nothing.
    private final class Once: Sendable {
        private let done = Mutex(false)
        func claim() -> Bool { done.withLock { done in defer { done = true }; return !done } }
    }

    /// A task to cancel on request, even a request made before the task is handed over: the timer
    /// (cancelled by the work's answer), the work (cancelled by its caller's cancellation).
    private final class Cancellable: Sendable {
        private let state = Mutex<(task: Task<Void, Never>?, cancelled: Bool)>((nil, false))
        func hold(_ task: Task<Void, Never>) {
            if state.withLock({ $0.task = task; return $0.cancelled }) { task.cancel() }
        }
        func cancel() {
            state.withLock { $0.cancelled = true; return $0.task }?.cancel()
        }
    }

    /// `work`'s answer (or what it threw), or nil when the `stop` handed to `arm` (once, as the work
    /// starts) is called first; the work is then cancelled. `disarm` runs when the work answers: a
    /// timer to cancel, a watch to clear. The work runs in a task of its own, so that a stop can
    /// leave it; a caller cancelled (a scan given up when another of its parts failed, a server
    /// stopped by force rather than let finish its requests) cancels it too, and has what it then
    /// answers or throws.
    public static func until<T: Sendable>(arm: (_ stop: @escaping @Sendable () -> Void) -> Void,
                                          disarm: @escaping @Sendable () -> Void,
                                          _ work: @escaping @Sendable () async throws -> T) async throws -> T? {
        let once = Once()
        let worker = Cancellable()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (answer: CheckedContinuation<T?, any Error>) in
                worker.hold(Task {
                    let outcome: Result<T, any Error>
                    do { outcome = .success(try await work()) } catch { outcome = .failure(error) }
                    disarm()
                    if once.claim() { answer.resume(with: outcome.map(Optional.some)) }
                })
                arm {
                    guard once.claim() else { return }
                    worker.cancel()
                    answer.resume(returning: nil)
                }
            }
        } onCancel: { worker.cancel() }
    }

    /// `work`'s answer (or what it threw), or nil when it has not come within `limit` and
    /// `giveUpIf` agrees then; the work is then cancelled. A `giveUpIf` that says no (the work has
    /// begun what must not be left half done) means waiting for the work however long it takes.
    public static func within<T: Sendable>(_ limit: Duration, giveUpIf giveUp: @escaping @Sendable () -> Bool = { true },
                                           _ work: @escaping @Sendable () async throws -> T) async throws -> T? {
        let timer = Cancellable()
        return try await until(arm: { stop in
            timer.hold(Task {
                do { try await Task.sleep(for: limit) } catch { return } // the work answered first
                if giveUp() { stop() }
            })
        }, disarm: { timer.cancel() }, work)
    }
}
