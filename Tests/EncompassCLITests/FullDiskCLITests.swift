import Foundation
import Testing
import TestSupport

/// A command whose output cannot be written (a full disk: `/dev/full` refuses every write) says so
/// in one line and exits 69, never 0 with its answer lost, never a crash with a stack trace.
@Suite("Output that cannot be written")
struct FullDiskCLITests {
    @Test(arguments: [["alerts"], ["alerts", "--json"], ["escalations", "--json", "--as-of", "2026-11-20T08:00:00Z"],
                      ["escalations", "--as-of", "2026-11-20T08:00:00Z"], ["synth", "--rows", "2000", "--seed", "1"]])
    func aFullDiskIsOneLineAndExit69(args: [String]) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file((0..<50).map { CSVRows.row("I-\($0)", "2026-11-19T21:40:00Z", child: "C-\($0 % 7)") }))
        #expect(try await h.run(["ingest", file], environment: ["ENCOMPASS_ALERTS_MAX_AGE_DAYS": "0"]).status == 0)
        let p = h.process(args, environment: [:])
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
        let err = Pipe.forChild()
        p.standardError = err
        try p.runSerially(endingWithin: .seconds(600))
        let text = String(decoding: err.fileHandleForReading.readAllRetryingInterrupts(), as: UTF8.self)
        #expect(await p.waitForExit().status == 69, "\(args): \(text)")
        #expect(text.hasPrefix("encompass: could not write"), "\(args): \(text)")
        #expect(text.split(separator: "\n").count == 1, "\(args): \(text)")
    }
}
