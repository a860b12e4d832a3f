import ArgumentParser
import Foundation
import Ingest
import Settings
import Store

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read incidents from CSV or JSON Lines files, all or nothing.",
        discussion: """
            Every row of every file is checked before anything is written. Any invalid row: each error
            is printed as FILE:LINE: column: message, nothing is written, and the exit status is 65.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Files ending .csv, .jsonl or .ndjson.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one file to ingest") }
        for f in files where IncidentFileFormat(fileName: f) == nil {
            throw ValidationError("\(f): expected a .csv, .jsonl or .ndjson file")
        }
    }

    func run() async throws {
        try await Failure.run {
            let now = Date()
            // Read every file before opening anything, so a missing file is reported first (exit 66).
            let inputs = try files.map { ($0, try ConfigDirectory.data($0)) }
            @Sendable func readAll(into builder: inout IncidentBatchBuilder) {
                for (f, data) in inputs { builder.add(data, fileName: f, format: IncidentFileFormat(fileName: f)!) }
            }
            // The store writes incidents while the files are still being read, in a transaction it
            // commits only once every row has proved valid. (A row of a real export is rarely under
            // 100 bytes, which sizes the feed's index of children.)
            let feed = IncidentFeed(expectedRows: inputs.reduce(0) { $0 + $1.1.count } / 100)
            let global = self.global
            let writer = Task { () throws -> IngestSummary in
                defer { feed.close() }
                // Opened once there is something to write: a file refused before any incident was
                // handed over (any file of under a thousand incidents) leaves no database behind.
                guard await feed.hasWork() else { throw IngestAbandoned() }
                let context = try await Context.open(global)
                return try await context.store.ingest(feed, actor: "cli:\(NSUserName())", at: now, planner: context.planner)
            }
            // Read on a thread of its own: `push` waits while the writer is behind (the feed holds
            // a few chunks at most), and must not hold up a thread the writer's tasks need.
            let end = await ReaderThread.run { () -> Result<IncidentFeed.End, IngestFailure> in
                var builder = IncidentBatchBuilder(now: now, sink: { feed.push($0) })
                readAll(into: &builder)
                switch builder.finishStreaming() {
                case .failure(let failure): return .failure(failure)
                case .success(.handedOver): return .success(.complete)
                case .success(.redo):
                    // An incident's rows were far apart: read the files again, whole, and write that.
                    var whole = IncidentBatchBuilder(now: now)
                    readAll(into: &whole)
                    return whole.finish().map { .redo($0) }
                }
            }
            switch end {
            case .failure(let failure):
                // Input errors come first, whatever the store made of it; the store has rolled back.
                feed.finish(.abandoned)
                _ = try? await writer.value
                throw failure
            case .success(let end):
                feed.finish(end)
            }
            print(try await writer.value.line)
        }
    }
}

/// Runs blocking work on a thread of its own rather than on one of the few the tasks share.
enum ReaderThread {
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.stackSize = 1 << 22
            thread.start()
        }
    }
}
