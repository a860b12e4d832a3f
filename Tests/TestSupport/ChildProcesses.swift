import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Starting children safely from many tests at once. Under a full parallel run, Foundation's
/// `Process.run()` on Linux has crashed (a bad pointer in its spawn set-up) when several threads
/// launched at once, and `readDataToEndOfFile()` traps (`try!`) when a read is interrupted by a
/// signal (EINTR) as children end. Launches go one at a time, and output is read with a plain
/// `read` loop that retries an interrupted call.
private let launchLock = Mutex(())

/// How a child ended, as the kernel tells its parent.
public struct ChildEnd: Sendable, Equatable {
    /// The exit code, or the number of the signal that ended it (as `Process.terminationStatus`).
    public let status: Int32
    /// Ended by a signal rather than by exiting.
    public let signalled: Bool

    public init(status: Int32, signalled: Bool) {
        self.status = status
        self.signalled = signalled
    }
}

/// The kill armed for each child started with a limit, until its end is seen: kept by a thread of
/// its own, not a task. A task's timer needs one of Swift's cooperative threads, and a test that
/// blocks those (a wait for a child, a read of its output) can hold every one of them: on a
/// one-core machine a child waiting to be killed then waited for its own kill, and the whole run
/// hung (reproduced here with the pool's width forced to one).
private final class ChildLimits: @unchecked Sendable {
    static let shared = ChildLimits()

    private struct Armed {
        let deadline: ContinuousClock.Instant
        /// Weakly: nothing here keeps a child, or its pipes, alive.
        weak var process: Process?
        let pid: pid_t
        let what: String
    }

    private let condition = NSCondition()
    private var armed: [ObjectIdentifier: Armed] = [:]
    private var running = false

    func arm(_ process: Process, limit: Duration) {
        let what = ([process.executableURL?.lastPathComponent ?? "?"] + (process.arguments ?? []).prefix(3)).joined(separator: " ")
        condition.lock()
        defer { condition.unlock() }
        armed[ObjectIdentifier(process)] = Armed(deadline: .now + limit, process: process, pid: process.processIdentifier, what: what)
        if !running {
            running = true
            let thread = Thread { [self] in watch() }
            thread.name = "test child limits"
            thread.start()
        }
        condition.signal()
    }

    func disarm(_ process: Process) {
        condition.lock()
        armed.removeValue(forKey: ObjectIdentifier(process))
        condition.unlock()
    }

    private func watch() {
        condition.lock()
        while true {
            let now = ContinuousClock.now
            for (key, child) in armed where child.deadline <= now {
                armed.removeValue(forKey: key)
                // Foundation has reaped it when it no longer runs: the id may be another's by now.
                guard child.process?.isRunning == true else { continue }
                FileHandle.standardError.write(Data("test support: child \(child.pid) (\(child.what)) still running past its limit: killed\n".utf8))
                kill(-child.pid, SIGKILL)
            }
            if let next = armed.values.map(\.deadline).min() {
                let (seconds, attoseconds) = now.duration(to: next).components
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) / 1e18))
            } else {
                condition.wait()
            }
        }
    }
}

/// Runs blocking work (a wait for a child, a read of its output) on a thread of its own and
/// resumes the caller when it ends. Swift's cooperative threads are as many as the cores: a test
/// blocking one while its child waited for something in this process (a PostgreSQL lock a store
/// here holds, a kill) could leave none for that, and the run hung.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// `offThePool` for work that cannot fail.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

extension Pipe {
    /// A pipe for one child's stream that no other child can inherit. Foundation's pipes are not
    /// close-on-exec, and a launch closes only the descriptors open when it looked: a pipe made by
    /// another test in the moment between that look and the spawn went to the new child too. A
    /// server that lives to the end of the run (PostgreSQL, a relay) holding a test's write end
    /// means that test waits for an end of file that never comes: the whole run hangs. Made under
    /// the launch lock, and marked close-on-exec before any launch can see it; the child's own
    /// copy (`dup2`'d onto 0, 1 or 2) is not close-on-exec, so the child still gets its stream.
    public static func forChild() -> Pipe {
        launchLock.withLock { _ in
            let pipe = Pipe()
            for fd in [pipe.fileHandleForReading.fileDescriptor, pipe.fileHandleForWriting.fileDescriptor] {
                _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
            }
            return pipe
        }
    }
}

extension Process {
    /// `run()`, one launch at a time across the test process.
    public func runSerially() throws {
        try launchLock.withLock { _ in try run() }
    }

    /// `runSerially()` for a child that is meant to end by itself (a command, not a server): if it
    /// is still running after `limit`, it and everything it started (its process group) are killed
    /// and a line says so. A child that never ends (a relay holding a message for good, a lock
    /// never let go) would otherwise hang the whole test run with nothing to say which test; killed,
    /// its test fails on its status and the run goes on. Set-up, not a measurement: far longer
    /// than any command here takes.
    public func runSerially(endingWithin limit: Duration) throws {
        try runSerially()
        ChildLimits.shared.arm(self, limit: limit)
    }

    /// Waits for this child to end, as the kernel reports it, rather than `waitUntilExit()`: with
    /// many children ending at once, Foundation on Linux has been seen to miss an exit and spin in
    /// `waitUntilExit` for good (the child a zombie nobody reaps), hanging the whole test run.
    /// `waitid` with `WNOWAIT` leaves the child for Foundation to reap; if Foundation has reaped it
    /// already (no such child), Foundation's own record is read once it is written.
    @discardableResult
    public func waitForExit() async -> ChildEnd {
        await offThePool { self.waitForExitBlocking() }
    }

    /// `waitForExit()` on this thread: for set-up that is itself synchronous (a server started once,
    /// under a lock).
    @discardableResult
    public func waitForExitBlocking() -> ChildEnd {
        defer { ChildLimits.shared.disarm(self) }
        var info = siginfo_t()
        while true {
            if waitid(P_PID, id_t(processIdentifier), &info, WEXITED | WNOWAIT) == 0 {
                return ChildEnd(status: info._sifields._sigchld.si_status, signalled: info.si_code != CLD_EXITED)
            }
            if errno != EINTR { break }
        }
        waitUntilExit()
        return ChildEnd(status: terminationStatus, signalled: terminationReason == .uncaughtSignal)
    }

    /// Runs this child to its end with both output streams captured, read at the same time (one
    /// after the other, a child filling the second pipe while the first is read would never end),
    /// each on a thread of its own (`offThePool`), killed after `limit` as
    /// `runSerially(endingWithin:)` says.
    public func runToEnd(limit: Duration = .seconds(600)) async throws -> (end: ChildEnd, stdout: Data, stderr: Data) {
        let out = Pipe.forChild(), err = Pipe.forChild()
        standardOutput = out
        standardError = err
        try runSerially(endingWithin: limit)
        let outHandle = out.fileHandleForReading, errHandle = err.fileHandleForReading
        async let said = offThePool { outHandle.readAllRetryingInterrupts() }
        async let errors = offThePool { errHandle.readAllRetryingInterrupts() }
        let (stdout, stderr) = await (said, errors)
        return (await waitForExit(), stdout, stderr)
    }
}

extension FileHandle {
    /// What a child wrote up to the end of its first line (all of it, if it ended first), read as it
    /// comes: a server's line naming its address.
    public func readFirstLine() -> String {
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// Everything up to end of file, retrying reads a signal interrupted.
    public func readAllRetryingInterrupts() -> Data {
        var out = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let fd = fileDescriptor
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                out.append(buffer, count: n)
            } else if n == 0 || errno != EINTR {
                return out
            }
        }
    }
}
