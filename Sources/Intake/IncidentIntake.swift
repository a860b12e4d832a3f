import Foundation
import Ingest
import RiskModel
import StoreContract

/// One input to an ingest: a file's bytes and the name errors give (`FILE:LINE: column`).
public struct IntakeSource: Sendable {
    public var name: String
    public var data: Data
    public var format: IncidentFileFormat
    /// Set when `data` is a file mapped into memory, whose pages the reader gives back as it goes.
    private var mapped: MappedFile?

    public init(name: String, data: Data, format: IncidentFileFormat) {
        self.name = name
        self.data = data
        self.format = format
    }

    /// The file at `path`, mapped rather than read (see `MappedFile`), so a large one is never
    /// resident whole while it is streamed to the store; nil when it cannot be opened or mapped.
    public init?(mapping path: String, name: String, format: IncidentFileFormat) {
        guard let file = MappedFile(path: path) else { return nil }
        self.init(name: name, data: file.data, format: format)
        mapped = file
    }

    /// For one read of the file: what the reader has passed goes back, when the file is mapped.
    var release: ((Int) -> Void)? {
        guard let mapped else { return nil }
        var released = 0
        return { released = mapped.release(from: released, before: $0) }
    }
}

/// Where an intake writes, opened only once there is something to write: a batch refused before
/// any incident was handed over (any file of under a thousand incidents) opens nothing.
public struct IntakeTarget: Sendable {
    public var store: any Store
    public var planner: AlertPlanner?
    /// Config/'s directory, for a command that imports it (`encompass ingest`): written first in
    /// the batch's own transaction, so a batch refused late leaves it unwritten too.
    public var directory: SchoolDirectory?
    /// Run once the batch is written (not for a refused one): what the command writes after it.
    public var afterwards: (@Sendable () async throws -> Void)?

    public init(store: any Store, planner: AlertPlanner?, directory: SchoolDirectory? = nil,
                afterwards: (@Sendable () async throws -> Void)? = nil) {
        self.store = store
        self.planner = planner
        self.directory = directory
        self.afterwards = afterwards
    }
}

/// The one way incidents reach a store, for the command line and the web API alike (SPEC §2): every
/// row checked, all or nothing, and the store writing while the files are still being read.
public enum IncidentIntake {
    /// Reads `sources` and writes them as one batch. Throws `IngestFailure` (every error, nothing
    /// written) for bad input, whatever the store made of it; otherwise the store's summary.
    ///
    /// The store writes incidents as the reader hands them over, inside a transaction it commits only
    /// once every row has proved valid. When an incident's rows are far apart in the files, the files
    /// are read again whole and that batch written instead.
    ///
    /// Missing-episode files (SPEC §10: `episode_id` in the header or first object) are read and
    /// checked whole first; the store writes them in the incidents' transaction. Any error in any
    /// file, of either kind, and nothing is written.
    public static func run(_ allSources: [IntakeSource], actor: String, now: Date,
                           open: @escaping @Sendable () async throws -> IntakeTarget) async throws -> IngestSummary {
        let kinds = allSources.map { IngestFileKind($0.data, format: $0.format) }
        let sources = zip(allSources, kinds).filter { $0.1 == .incidents }.map(\.0)
        let episodeSources = zip(allSources, kinds).filter { $0.1 == .episodes }.map { (name: $0.0.name, data: $0.0.data, format: $0.0.format) }
        var episodes: [Episode]?
        if !episodeSources.isEmpty {
            switch EpisodeReader.read(episodeSources, now: now) {
            case .success(let read): episodes = read
            case .failure(let failure):
                // Every error of the command, in the order the files were named: the incident files
                // are checked too (read whole, nothing written).
                var builder = IncidentBatchBuilder(now: now)
                for s in sources { builder.add(s.data, fileName: s.name, format: s.format) }
                let incidentErrors: [IngestError]
                if case .failure(let f) = builder.finish() { incidentErrors = f.errors } else { incidentErrors = [] }
                let order = Dictionary(allSources.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
                let all = (incidentErrors + failure.errors).enumerated().sorted { a, b in
                    let (x, y) = (order[a.element.file] ?? 0, order[b.element.file] ?? 0)
                    return x != y ? x < y : a.offset < b.offset
                }.map(\.element)
                throw IngestFailure(errors: all)
            }
        }
        let batchEpisodes = episodes
        // The pages of a mapped file are given back as the reader passes them, so the file is never
        // resident whole; a re-read (the redo below) has the kernel read them again from the file.
        @Sendable func readAll(into builder: inout IncidentBatchBuilder) {
            for s in sources { builder.add(s.data, fileName: s.name, format: s.format, passed: s.release) }
        }
        // The feed is the store's (each store encodes its own rows, on this thread), and the store is
        // opened only once there is something to write: until then what is read waits in the hand-off.
        let handOff = FeedHandOff()
        // A row of a real export is rarely under 100 bytes, which sizes the feed's index of children.
        let expectedRows = sources.reduce(0) { $0 + $1.data.count } / 100
        let writer = Task { () throws -> IngestSummary in
            guard await handOff.hasWork() else { throw IngestAbandoned() }
            let target = try await open()
            let feed = target.store.makeIncidentFeed(expectedRows: expectedRows, episodes: batchEpisodes)
            handOff.attach(feed)
            defer { feed.close() }
            guard await feed.hasWork() else { throw IngestAbandoned() }
            let summary = try await target.store.ingest(feed, actor: actor, at: now, planner: target.planner, directory: target.directory)
            try await target.afterwards?()
            return summary
        }
        // Read on a thread of its own: `push` waits while the writer is behind (the feed holds a few
        // chunks at most), and must not hold up a thread the writer's tasks need.
        let end = await ReaderThread.run { () -> Result<IncidentFeed.End, IngestFailure> in
            var builder = IncidentBatchBuilder(now: now, sink: { handOff.push($0) })
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
            handOff.finish(.abandoned)
            _ = try? await writer.value
            throw failure
        case .success(let end):
            handOff.finish(end)
        }
        return try await writer.value
    }
}

/// The reader's side of a feed that the writer makes once its store is open: what the reader hands
/// over before then waits here, and is pushed, in order and on the reader's thread, at its next
/// hand-over or at the end.
private final class FeedHandOff: @unchecked Sendable {
    private let lock = NSLock()
    private var feed: IncidentFeed?
    private var pending: [[Incident]] = []
    private var end: IncidentFeed.End?
    private var waiting: CheckedContinuation<Bool, Never>?

    /// Waits for the first hand-over or the end: false when the batch was abandoned first.
    func hasWork() async -> Bool {
        await withCheckedContinuation { c in
            lock.lock()
            defer { lock.unlock() }
            if let answer { c.resume(returning: answer) } else { waiting = c }
        }
    }

    /// Under the lock: whether there is anything to write, or nil while that is not yet known.
    private var answer: Bool? {
        if !pending.isEmpty || feed != nil { return true }
        switch end {
        case nil: return nil
        case .abandoned?: return false
        case .complete?, .redo?: return true
        }
    }

    /// Under the lock.
    private func wake() {
        guard let answer, let c = waiting else { return }
        waiting = nil
        c.resume(returning: answer)
    }

    func attach(_ feed: IncidentFeed) {
        lock.lock()
        self.feed = feed
        // The reader may already have ended: nothing more will call push, so end the feed here. (The
        // store's encoder then runs on this thread, which is the only one using it.)
        let pending = end != nil ? self.pending : []
        if end != nil { self.pending = [] }
        let ended = end
        lock.unlock()
        guard let ended else { return }
        // On the writer's task, before it takes any chunk: a `push` waiting for room would wait for
        // itself once more than the feed's few chunks were held.
        feed.pushHeld(pending)
        feed.finish(ended)
    }

    func push(_ incidents: [Incident]) {
        takeFeed(holding: incidents)?.push(incidents)
    }

    func finish(_ end: IncidentFeed.End) {
        takeFeed(noting: end)?.finish(end)
    }

    /// On the reader's thread: the feed once the writer has attached it, with what waited pushed
    /// first; nil while there is none (then `incidents` wait, and the writer is woken).
    private func takeFeed(holding incidents: [Incident]? = nil, noting end: IncidentFeed.End? = nil) -> IncidentFeed? {
        lock.lock()
        if let end { self.end = end }
        guard let feed else {
            if let incidents { pending.append(incidents) }
            wake()
            lock.unlock()
            return nil
        }
        let waiting = pending
        pending = []
        lock.unlock()
        for chunk in waiting { feed.push(chunk) }
        return feed
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
