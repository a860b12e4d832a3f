import Synchronization

/// An answer, or nil when it takes longer than a limit. A task group would wait for a late task
/// however long it takes to notice cancellation (a database pool reconnecting can take minutes); this
/// returns at the limit and leaves the late task to finish on its own.
enum FirstAnswer {
    /// Whoever claims first resumes the continuation; the other does nothing.
    private final class Once: Sendable {
        private let done = Mutex(false)
        func claim() -> Bool { done.withLock { done in defer { done = true }; return !done } }
    }

    static func within<T: Sendable>(seconds: Double, _ work: @escaping @Sendable () async -> T) async -> T? {
        let once = Once()
        return await withCheckedContinuation { (answer: CheckedContinuation<T?, Never>) in
            Task {
                let value = await work()
                if once.claim() { answer.resume(returning: value) }
            }
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                if once.claim() { answer.resume(returning: nil) }
            }
        }
    }
}
