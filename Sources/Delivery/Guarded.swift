import Foundation

/// A value behind a pthread mutex (NSLock). Used rather than Synchronization's `Mutex`, whose
/// futex-based lock ThreadSanitizer cannot see on Linux, so every access through it would be
/// reported as a race and real ones would drown.
final class Guarded<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
