import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// README, "Exit status": a closed pipe (`encompass alerts | head`) ends the command as any Unix
/// tool, by SIGPIPE (the shell's 141), with nothing on stderr, on both databases alike. On
/// PostgreSQL, where the driver ignores SIGPIPE for its sockets, it was exit 69 and "could not
/// write or read a file: Broken pipe" (audit 21, spec F2).
@Suite struct ClosedPipeCLITests {
    @Test(arguments: TestDatabase.allCases, [["alerts"], ["alerts", "--json"], ["escalations", "--all", "--as-of", "2026-11-20T08:00:00Z"]])
    func aReaderThatLeavesEndsTheCommandAsAnyUnixTool(kind: TestDatabase, command: [String]) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        let samples = h.configDir.appendingPathComponent("sample-incidents.csv").path
        #expect(try await h.run(["ingest", samples]).status == 0)

        let p = h.process(command, environment: [:])
        let out = Pipe.forChild(), err = Pipe.forChild()
        p.standardOutput = out
        p.standardError = err
        // No reader at all: the first write of the answer finds the pipe closed.
        try out.fileHandleForReading.close()
        try p.runSerially(endingWithin: .seconds(600))
        let errHandle = err.fileHandleForReading
        let said = await offThePool { errHandle.readAllRetryingInterrupts() }
        let end = await p.waitForExit()
        #expect(end == ChildEnd(status: SIGPIPE, signalled: true), "\(String(decoding: said, as: UTF8.self))")
        #expect(said.isEmpty, "\(String(decoding: said, as: UTF8.self))")
    }
}
