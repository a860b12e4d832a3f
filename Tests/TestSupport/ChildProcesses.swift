import Dispatch
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

/// The kill armed for each child started with a limit, until its end is seen. A task, cancelled
/// then: it ends at once and lets go of the child (a cancelled dispatch work item would hold the
/// child, and its pipes, until its time came: hundreds of descriptors in a run).
private let limits = Mutex<[ObjectIdentifier: Task<Void, Never>]>([:])

/// The child, for the kill: weakly, so that nothing here keeps it (or its pipes) alive.
private final class LimitedChild: @unchecked Sendable {
    weak var process: Process?
    init(_ process: Process) { self.process = process }
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
        let child = LimitedChild(self)
        let pid = processIdentifier
        let what = ([executableURL?.lastPathComponent ?? "?"] + (arguments ?? []).prefix(3)).joined(separator: " ")
        let kill = Task {
            do { try await Task.sleep(for: limit) } catch { return } // its end was seen
            // Foundation has reaped it when it no longer runs: the id may be another's by now.
            guard child.process?.isRunning == true else { return }
            FileHandle.standardError.write(Data("test support: child \(pid) (\(what)) still running after \(limit): killed\n".utf8))
            Glibc.kill(-pid, SIGKILL)
        }
        limits.withLock { $0[ObjectIdentifier(self)] = kill }
    }

    /// Waits for this child to end, as the kernel reports it, rather than `waitUntilExit()`: with
    /// many children ending at once, Foundation on Linux has been seen to miss an exit and spin in
    /// `waitUntilExit` for good (the child a zombie nobody reaps), hanging the whole test run.
    /// `waitid` with `WNOWAIT` leaves the child for Foundation to reap; if Foundation has reaped it
    /// already (no such child), Foundation's own record is read once it is written.
    @discardableResult
    public func waitForExit() -> ChildEnd {
        defer { limits.withLock { $0.removeValue(forKey: ObjectIdentifier(self)) }?.cancel() }
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
    /// killed after `limit` as `runSerially(endingWithin:)` says.
    public func runToEnd(limit: Duration = .seconds(600)) throws -> (end: ChildEnd, stdout: Data, stderr: Data) {
        let out = Pipe.forChild(), err = Pipe.forChild()
        standardOutput = out
        standardError = err
        try runSerially(endingWithin: limit)
        // Its own thread, not a dispatch queue's: tests block many of those already.
        let errors = Collected(), errorsRead = DispatchSemaphore(value: 0)
        let errorHandle = err.fileHandleForReading
        Thread {
            errors.data = errorHandle.readAllRetryingInterrupts()
            errorsRead.signal()
        }.start()
        let said = out.fileHandleForReading.readAllRetryingInterrupts()
        errorsRead.wait()
        return (waitForExit(), said, errors.data)
    }
}

/// What a reading thread collected: written before its semaphore is signalled, read after the wait.
private final class Collected: @unchecked Sendable {
    var data = Data()
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
