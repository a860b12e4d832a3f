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

/// The kill armed for each child started with a limit, until its end is seen.
private let limits = Mutex<[ObjectIdentifier: ArmedKill]>([:])

/// A work item is cancelled from any thread (`cancel()` is thread-safe), though not marked `Sendable`.
private struct ArmedKill: @unchecked Sendable {
    let item: DispatchWorkItem
}

/// A `Process` handed to the limit's work item: only `isRunning` and its id are read there.
private struct LimitedChild: @unchecked Sendable {
    let process: Process
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
        let child = LimitedChild(process: self)
        let pid = processIdentifier
        let what = ([executableURL?.lastPathComponent ?? "?"] + (arguments ?? []).prefix(3)).joined(separator: " ")
        let kill = DispatchWorkItem {
            // Foundation has reaped it when it no longer runs: the id may be another's by now.
            guard child.process.isRunning else { return }
            FileHandle.standardError.write(Data("test support: child \(pid) (\(what)) still running after \(limit): killed\n".utf8))
            Glibc.kill(-pid, SIGKILL)
        }
        limits.withLock { $0[ObjectIdentifier(self)] = ArmedKill(item: kill) }
        let (seconds, attoseconds) = limit.components
        DispatchQueue.global().asyncAfter(
            deadline: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)), execute: kill)
    }

    /// Waits for this child to end, as the kernel reports it, rather than `waitUntilExit()`: with
    /// many children ending at once, Foundation on Linux has been seen to miss an exit and spin in
    /// `waitUntilExit` for good (the child a zombie nobody reaps), hanging the whole test run.
    /// `waitid` with `WNOWAIT` leaves the child for Foundation to reap; if Foundation has reaped it
    /// already (no such child), Foundation's own record is read once it is written.
    @discardableResult
    public func waitForExit() -> ChildEnd {
        defer { limits.withLock { $0.removeValue(forKey: ObjectIdentifier(self)) }?.item.cancel() }
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
        let out = Pipe(), err = Pipe()
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
