import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The way every test here runs a child (TestSupport's `ChildProcesses`): its end read from the
/// kernel, both of its streams read at once, and a child that never ends killed with what it started.
@Suite("Children the tests start")
struct ChildProcessTests {
    static func shell(_ script: String) -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script]
        return p
    }

    @Test func anExitCodeAndASignalAreToldApart() async throws {
        let exited = Self.shell("exit 3")
        try exited.runSerially()
        #expect(await exited.waitForExit() == ChildEnd(status: 3, signalled: false))
        let killed = Self.shell("kill -KILL $$")
        try killed.runSerially()
        #expect(await killed.waitForExit() == ChildEnd(status: SIGKILL, signalled: true))
    }

    /// Read one after the other, a child that fills the error pipe before it closes its output
    /// would wait for a reader that waits for it.
    @Test func bothStreamsAreReadAtOnce() async throws {
        let ran = try await Self.shell("head -c 300000 /dev/zero >&2; echo said").runToEnd()
        #expect(ran.end == ChildEnd(status: 0, signalled: false))
        #expect(String(decoding: ran.stdout, as: UTF8.self) == "said\n")
        #expect(ran.stderr.count == 300_000)
    }

    /// Both ends are closed on exec, so a child started by another test at the moment the pipe is
    /// made cannot keep it open; the child it is given to still writes through it (above).
    @Test func aChildsPipeIsClosedOnExecAtBothEnds() {
        let pipe = Pipe.forChild()
        for fd in [pipe.fileHandleForReading.fileDescriptor, pipe.fileHandleForWriting.fileDescriptor] {
            #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
        }
    }

    /// A child that never ends, and a grandchild holding its output open, are killed at the limit:
    /// the test ends, with the kill as the child's end.
    @Test func aChildPastItsLimitIsKilledWithWhatItStarted() async throws {
        let ran = try await Self.shell("sleep 1000 & wait").runToEnd(limit: .seconds(1))
        #expect(ran.end == ChildEnd(status: SIGKILL, signalled: true))
    }

    /// The kill comes though every one of Swift's cooperative threads is blocked, as tests waiting
    /// for their children may block them: it is kept by a thread of its own. (A task's timer, as it
    /// was, never fired here: the run hung.)
    @Test func aChildIsKilledAtItsLimitThoughEveryCooperativeThreadIsBlocked() async throws {
        let child = Self.shell("sleep 1000 & wait")
        try child.runSerially(endingWithin: .seconds(1))
        // As many blocked waits as the pool has threads (libdispatch counts the cores online).
        let width = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let ends = await withTaskGroup(of: ChildEnd.self) { group in
            for _ in 0..<width { group.addTask { child.waitForExitBlocking() } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(ends == Array(repeating: ChildEnd(status: SIGKILL, signalled: true), count: width))
    }
}
