import Foundation
import RiskModel
@testable import SQLiteStore
@testable import StoreContract
import Testing
import TestSupport

/// The store's side of an ingest written while its file is read: rows many at a time, one
/// transaction, committed only when the reader says the batch was valid.
@Suite("Ingest from a feed")
struct FeedIngestTests {
    let now = at("2026-11-01T12:00:00Z")

    /// `count` incidents a day apart, each with one child of three, so children recur.
    func batch(_ count: Int, prefix: String = "I") -> [Incident] {
        (0..<count).map { i in
            let day = String(format: "2026-%02d-%02dT10:00:00Z", 1 + i / 28 % 9, 1 + i % 28)
            return incident("\(prefix)-\(String(format: "%05d", i))", day, children: [child("C-\(i % 3)"), child("C-K\(i)")])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aCompleteFeedIsWrittenInChunksAndCommitted(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let all = batch(300)
        let feed = IncidentFeed()
        // Chunks handed over from another thread while the store writes.
        let reader = Thread {
            for start in stride(from: 0, to: all.count, by: 70) { feed.push(Array(all[start..<min(start + 70, all.count)])) }
            feed.finish(.complete)
        }
        reader.start()
        let s = try await t.store.ingest(feed, actor: "test", at: now, planner: nil)
        #expect((s.added, s.updated, s.unchanged, s.children) == (300, 0, 0, 303))
        let counts = try await t.store.counts()
        #expect((counts.incidents, counts.children, counts.links) == (300, 303, 600))
        // The same content as one batch, through the other door, changes nothing.
        let again = try await t.store.ingest(all, actor: "test", at: now, planner: nil)
        #expect((again.added, again.updated, again.unchanged) == (0, 0, 300))
    }

    /// Yields until `ready`, so a test acts at a known point of the hand-over.
    func until(_ ready: () -> Bool) async {
        while !ready() { await Task.yield() }
    }

    @Test func aFeedSaysWhetherThereIsAnythingToWrite() async {
        let pushed = IncidentFeed()
        let answer = Task { await pushed.hasWork() }
        await until { pushed.waitingCount == 1 }
        pushed.push(batch(2))
        #expect(await answer.value, "a waiting writer is woken by a chunk")
        let abandoned = IncidentFeed()
        abandoned.finish(.abandoned)
        #expect(await !abandoned.hasWork(), "an abandoned batch is not work")
        let empty = IncidentFeed()
        empty.finish(.complete)
        #expect(await empty.hasWork(), "a complete batch is, even an empty one")
        let closed = IncidentFeed()
        let waiting = Task { await closed.hasWork() }
        await until { closed.waitingCount == 1 }
        closed.close()
        #expect(await !waiting.value, "a waiting writer is told when nobody will write")
    }

    /// Issue 10, item 7: a reader whose writer waits for the write lock must not read ahead
    /// without bound: past a few chunks, `push` waits until the writer takes one.
    @Test func aReaderWaitsWhileTooManyChunksAreQueued() async {
        let feed = IncidentFeed(maximumQueued: 3)
        let all = batch(10)
        let reader = Thread {
            for incident in all { feed.push([incident]) }
            feed.finish(.complete)
        }
        reader.start()
        await until { feed.pushersWaitingCount == 1 }
        #expect(feed.queuedChunks == 3, "the fourth chunk waits for room")
        var taken: [String] = []
        while let chunk = feed.next() {
            taken += chunk.incidents.map(\.id)
            #expect(feed.queuedChunks <= 3)
        }
        #expect(taken == all.map(\.id), "every chunk arrives once, in order")
    }

    /// Chunks read before the store was open are handed over by the writer's own task, which takes
    /// none until that returns: more than the feed's few go in without waiting for room (a file of
    /// more than four chunks, about 4,100 incidents, read before a new database was set up, hung).
    @Test func chunksAlreadyHeldGoInWithoutWaitingForRoom() {
        let feed = IncidentFeed(maximumQueued: 3)
        let all = batch(10)
        feed.pushHeld(all.map { [$0] })
        #expect(feed.pushersWaitingCount == 0)
        #expect(feed.queuedChunks == 10)
        feed.finish(.complete)
        var taken: [String] = []
        while let chunk = feed.next() { taken += chunk.incidents.map(\.id) }
        #expect(taken == all.map(\.id), "every chunk arrives once, in order")
    }

    @Test func aReaderWaitingForRoomIsReleasedWhenTheWriterStops() async {
        let feed = IncidentFeed(maximumQueued: 1)
        let first = batch(1), second = batch(1, prefix: "J")
        let done = DoneFlag()
        let reader = Thread {
            feed.push(first)
            feed.push(second)
            done.set()
        }
        reader.start()
        await until { feed.pushersWaitingCount == 1 }
        feed.close()
        await until { done.isSet }
        #expect(feed.queuedChunks == 0)
    }

    @Test(arguments: StoreKind.allCases)
    func anAbandonedFeedLeavesTheStoreAsItWas(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        _ = try await t.store.ingest(batch(5, prefix: "OLD"), actor: "test", at: now, planner: nil)
        let before = try await t.store.counts()
        let feed = IncidentFeed()
        let store = t.store
        let writing = Task { try await store.ingest(feed, actor: "test", at: now, planner: nil) }
        // The writer takes (and writes) the first chunk before the batch turns out invalid.
        feed.push(batch(200))
        await until { feed.queuedChunks == 0 }
        feed.push(batch(3, prefix: "LATE"))
        feed.finish(.abandoned)
        await #expect(throws: IngestAbandoned.self) { try await writing.value }
        #expect(try await t.store.counts() == before)
    }

    /// SQLite's bulk statements stop at a failure without undoing their own earlier rows (OR FAIL,
    /// which spares a statement journal): the ingest's transaction must take them all away.
    @Test(arguments: StoreKind.allCases)
    func aChunkThatBreaksAConstraintHalfWayLeavesAnEmptyStoreEmpty(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let first = batch(200)
        let feed = IncidentFeed()
        feed.push(first)
        // A first load looks nothing up, so an incident handed over twice reaches the insert.
        let fresh = batch(40, prefix: "NEW")
        feed.push(Array(fresh[..<20]) + [first[150]] + Array(fresh[20...]))
        feed.finish(.complete)
        await #expect(throws: (any Error).self) { try await t.store.ingest(feed, actor: "test", at: now, planner: nil) }
        let counts = try await t.store.counts()
        #expect((counts.incidents, counts.children, counts.links) == (0, 0, 0))
        // And the store takes the batch afterwards as a first load.
        let s = try await t.store.ingest(first + fresh, actor: "test", at: now, planner: nil)
        #expect(s.added == 240)
    }

    @Test(arguments: StoreKind.allCases)
    func aRedoWritesTheWholeBatchInsteadOfWhatWasHandedOver(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        // I-1 was handed over with one child before its second row was read.
        let feed = IncidentFeed()
        feed.push([incident("I-1", "2026-10-01T10:00:00Z", children: [child("C-1")]), incident("I-2", "2026-10-02T10:00:00Z", children: [])])
        let whole = [incident("I-1", "2026-10-01T10:00:00Z", children: [child("C-1"), child("C-2")]),
                     incident("I-2", "2026-10-02T10:00:00Z", children: [])]
        feed.finish(.redo(whole))
        let s = try await t.store.ingest(feed, actor: "test", at: now, planner: nil)
        #expect((s.added, s.children) == (2, 2))
        let counts = try await t.store.counts()
        #expect((counts.incidents, counts.children, counts.links) == (2, 2, 2))
        let again = try await t.store.ingest(whole, actor: "test", at: now, planner: nil)
        #expect(again.unchanged == 2)
    }

    @Test(arguments: StoreKind.allCases)
    func aChildsRowTakesTheirNewestDetailsWhateverTheOrder(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        // The newest incident comes first in the batch.
        let newer = incident("I-2", "2026-10-05T10:00:00Z", children: [child("C-1", urn: "120502", voice: "")])
        let older = incident("I-1", "2026-10-01T10:00:00Z", children: [child("C-1", urn: "120501", voice: nil)])
        _ = try await t.store.ingest([newer, older], actor: "test", at: now, planner: nil)
        var summaries = try await t.store.childSummaries(["C-1"])
        #expect(summaries["C-1"]?.schoolURN == "120502")
        // An older file later does not move the child back.
        _ = try await t.store.ingest([incident("I-0", "2026-09-01T10:00:00Z", children: [child("C-1", urn: "999999")])],
                                     actor: "test", at: now, planner: nil)
        summaries = try await t.store.childSummaries(["C-1"])
        #expect(summaries["C-1"]?.schoolURN == "120502")
        // A newer one does.
        _ = try await t.store.ingest([incident("I-3", "2026-10-09T10:00:00Z", children: [child("C-1", urn: "120503")])],
                                     actor: "test", at: now, planner: nil)
        summaries = try await t.store.childSummaries(["C-1"])
        #expect(summaries["C-1"]?.schoolURN == "120503")
    }

    @Test(arguments: StoreKind.allCases, [1, 2, 8])
    func scanningAnEmptyStoreVisitsNoOne(kind: StoreKind, parts: Int) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let seen = ScanResults<String>(parts: parts)
        try await t.store.scanChildHistories(windowStart: at("2025-11-01T00:00:00Z"), asOf: now, parts: parts, floor: nil) { part, h, _ in
            seen.append(h.childId, to: part)
        }
        #expect(seen.all.isEmpty)
    }

    @Test(arguments: StoreKind.allCases, [2, 3, 7])
    func scanningInPartsGivesEveryChildOnceAsOneScanDoes(kind: StoreKind, parts: Int) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        _ = try await t.store.ingest(batch(120), actor: "test", at: now, planner: nil)
        func scan(_ parts: Int) async throws -> [String: [String]] {
            let seen = ScanResults<(String, [String], ChildSummary)>(parts: parts)
            try await t.store.scanChildHistories(windowStart: at("2025-11-01T00:00:00Z"), asOf: now, parts: parts, floor: nil) { part, h, summary in
                seen.append((h.childId, h.incidents.map(\.incidentId), try summary()), to: part)
            }
            #expect(seen.all.allSatisfy { $0.0 == $0.2.childId && $0.2.schoolURN == "120501" })
            return Dictionary(seen.all.map { ($0.0, $0.1) }, uniquingKeysWith: { a, b in
                Issue.record("a child was visited twice")
                return a + b
            })
        }
        let one = try await scan(1)
        #expect(one.count == 123)
        #expect(try await scan(parts) == one)
    }
}

/// A store may leave out, by the floor RiskModel gives it, children who cannot reach the queue.
@Suite("Scanning with a floor")
struct ScanFloorTests {
    @Test(arguments: StoreKind.allCases)
    func aFloorMayLeaveOutOnlyChildrenBelowIt(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let now = at("2026-11-01T12:00:00Z")
        _ = try await t.store.ingest([
            incident("I-1", "2026-10-01T10:00:00Z", children: [child("C-ONE"), child("C-TWO"), child("C-MED")]),
            incident("I-2", "2026-10-02T10:00:00Z", children: [child("C-TWO")]),
            incident("I-3", "2026-10-03T10:00:00Z", grade: .medium, children: [child("C-MED")]),
            incident("I-4", "2025-01-01T10:00:00Z", children: [child("C-REF")]),
            incident("I-5", "2026-10-04T10:00:00Z", children: [child("C-REF")]),
        ], actor: "test", at: now, planner: nil)
        try await t.store.record(Decision(childId: "C-REF", outcome: .referred, on: LocalDate(iso: "2025-06-01")!, reason: nil, by: "a", recordedAt: now))
        let floor = ScanFloor(incidents: 2, grade: .medium)
        let seen = ScanResults<ChildHistory>(parts: 1)
        try await t.store.scanChildHistories(windowStart: at("2025-11-01T00:00:00Z"), asOf: now, parts: 1, floor: floor) { part, h, _ in
            seen.append(h, to: part)
        }
        let ids = Set(seen.all.map(\.childId))
        #expect(ids.isSuperset(of: ["C-TWO", "C-MED", "C-REF"]), "every child the floor admits, and every referred child")
        if kind == .postgres { #expect(!ids.contains("C-ONE"), "PostgreSQL's scan applies the floor") }
        // A referred child's history still reaches back past the window.
        #expect(seen.all.first { $0.childId == "C-REF" }?.incidents.map(\.incidentId) == ["I-4", "I-5"])
    }
}

/// Set once by another thread.
final class DoneFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
