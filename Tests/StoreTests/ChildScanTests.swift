import Foundation
import PostgresNIO
@testable import PostgresStore
import RiskModel
import StoreContract
import Synchronization
import Testing

/// The queue's scan against the plain reading of the same incidents: every child's history worked
/// out here from the batch itself. PostgreSQL's scan reads the links in chunks of arrays and applies
/// the floor as they arrive, SQLite's walks its index: both must give exactly this.
@Suite("The child-history scan against the plain path")
struct ChildScanTests {
    let now = at("2026-11-01T12:00:00Z")
    let windowStart = at("2025-11-01T12:00:00Z")

    /// About 700 children (several chunks on PostgreSQL when read in chunks of 64 keys, as
    /// `smallChunksGiveEveryChildExactlyItsPlainHistory` does), each with a few incidents:
    /// some before the window, some after as-of, some at the same minute as another of the child's,
    /// graded standard, medium or high; every tenth child of no known school.
    func batch() -> [Incident] {
        var incidents: [Incident] = []
        var n = 0
        for c in 0..<700 {
            let urn: String? = c % 10 == 0 ? nil : "1205\(String(format: "%02d", c % 7))"
            for k in 0..<(1 + c % 4) {
                n += 1
                // Days back from as-of: k = 2 is at the same minute as k = 1; c % 9 == 0 reaches before the window.
                let days = c % 9 == 0 && k == 0 ? 400 : (k == 2 ? 13 + c % 50 : 10 + c % 50 + k * 3)
                let when = now.addingTimeInterval(-Double(days) * 86_400 + (c % 13 == 0 && k == 3 ? 40 * 86_400 : 0))
                let grade: Grade = (c + k) % 11 == 0 ? .high : ((c + k) % 5 == 0 ? .medium : .standard)
                incidents.append(Incident(id: "I-\(String(format: "%05d", n))", reportedAt: when, officerGrade: grade, dashYesCount: 2,
                                          supervisorGrade: nil, victimId: "V-\(c)", perpetratorId: "P-\(c % 17)",
                                          children: [child("C-\(String(format: "%04d", c))", urn: urn)]))
            }
        }
        return incidents
    }

    /// What the scan must hand over for each child, from the batch alone: its incidents in the
    /// window (and before it for a referred child), oldest first, a tie in the order written; its
    /// latest school.
    func plain(_ incidents: [Incident], referred: Set<String>) -> [String: (facts: [IncidentFact], urn: String?)] {
        var out: [String: (facts: [IncidentFact], urn: String?)] = [:]
        var newest: [String: Date] = [:]
        for incident in incidents {
            for link in incident.children {
                if incident.reportedAt >= (newest[link.childId] ?? .distantPast) {
                    newest[link.childId] = incident.reportedAt
                    out[link.childId, default: ([], nil)].urn = link.schoolURN
                }
                guard incident.reportedAt <= now, incident.reportedAt >= windowStart || referred.contains(link.childId) else { continue }
                out[link.childId, default: ([], nil)].facts.append(IncidentFact(incidentId: incident.id, reportedAt: incident.reportedAt,
                                                                                grade: incident.effectiveGrade))
            }
        }
        for (id, entry) in out {
            // A stable sort: ties stay in the order written, which is the order of the incidents' keys.
            out[id]?.facts = entry.facts.enumerated().sorted { ($0.element.reportedAt, $0.offset) < ($1.element.reportedAt, $1.offset) }.map(\.element)
        }
        return out.filter { !$0.value.facts.isEmpty }
    }

    /// C-0009 has an incident before the window, and C-0036 only one, before it: referred on this
    /// day, those are read too.
    static let referredOn = LocalDate(iso: "2025-06-01")!
    static let referred: Set<String> = ["C-0009", "C-0036"]

    /// The batch ingested into `t`, and C-0009 and C-0036 referred: what each child's scan must give.
    func loadBatch(into t: TempStore) async throws -> [String: (facts: [IncidentFact], urn: String?)] {
        let incidents = batch()
        _ = try await t.store.ingest(incidents, actor: "test", at: now, planner: nil)
        for id in Self.referred.sorted() {
            try await t.store.record(Decision(childId: id, outcome: .referred, on: Self.referredOn, reason: nil, by: "a", recordedAt: now))
        }
        return plain(incidents, referred: Self.referred)
    }

    @Test(arguments: StoreKind.allCases, [1, 2, 3])
    func everyChildHasExactlyItsPlainHistoryWithAndWithoutTheFloor(kind: StoreKind, parts: Int) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let expected = try await loadBatch(into: t)
        #expect(expected["C-0009"]?.facts.first?.reportedAt ?? now < windowStart, "the referred child reaches back")
        #expect(expected["C-0036"]?.facts.map { $0.reportedAt < windowStart } == [true], "one referred child is only before the window")

        var floor = ScanFloor(incidents: 3, grade: .medium)
        floor.alsoChildren = ["C-0001", "C-0004"]
        floor.serial = SerialPerpetrators(findings: [:], perpetratorOfIncident: ["I-00002": "P-1"])  // C-0001's first incident; C-0004's are not named
        let check = ScanFloor.Check(floor)
        for applied in [nil, floor] {
            let seen = ScanResults<(ChildHistory, ChildSummary)>(parts: parts)
            try await t.store.scanChildHistories(windowStart: windowStart, asOf: now, parts: parts, floor: applied) { part, h, summary in
                seen.append((h, try summary()), to: part)
            }
            let byChild = Dictionary(seen.all.map { ($0.0.childId, $0) }, uniquingKeysWith: { a, _ in
                Issue.record("\(a.0.childId) visited twice")
                return a
            })
            // Every child the floor keeps is visited (all of them without one); PostgreSQL leaves
            // out exactly the others, SQLite none.
            let kept = Set(expected.filter { id, e in
                applied == nil || check.keeps(childId: id, incidents: e.facts, windowStart: windowStart, referred: Self.referred.contains(id))
            }.keys)
            #expect(kept.count > 100 && (applied == nil || kept.count < expected.count - 100), "the floor leaves some out, not all")
            #expect(Set(byChild.keys) == (kind == .postgres ? kept : Set(expected.keys)))
            // A store may number its incidents (`storeKey`): one key per incident id, never two.
            var keyOf: [String: UInt32] = [:]
            for (id, (h, summary)) in byChild {
                let e = try #require(expected[id])
                #expect(h.incidents.map(Self.unkeyed) == e.facts, "\(id)")
                for f in h.incidents where f.storeKey != 0 {
                    #expect(keyOf.updateValue(f.storeKey, forKey: f.incidentId).map { $0 == f.storeKey } ?? true, "\(f.incidentId)")
                }
                #expect(summary.childId == id && summary.schoolURN == e.urn, "\(id)")
                #expect(h.maracReferrals == (Self.referred.contains(id) ? [Self.referredOn] : []), "\(id)")
            }
            #expect(Set(keyOf.values).count == keyOf.count, "no key names two incidents")
            #expect(keyOf.count > 100, "both stores number their incidents")
        }
    }

    /// The store reads 2,048 keys a chunk, more than this batch has: read in chunks of 64 keys (a
    /// child's links never split, the referred child's chunk sorted, ranges that end mid-chunk),
    /// or of one (a chunk with links only before the window: C-0036's), every child still has
    /// exactly its history and school.
    @Test(arguments: [1, 64, 97])
    func smallChunksGiveEveryChildExactlyItsPlainHistory(chunkKeys: Int64) async throws {
        let t = try await TempStore(.postgres)
        defer { t.cleanUp() }
        let store = try #require(t.store as? PostgresStore)
        let expected = try await loadBatch(into: t)
        let (windowStart, now, referredOn) = (windowStart, now, Self.referredOn)
        let seen = try await store.scanRead { conn in
            let logger = store.logger
            let referred = try await conn.rows("SELECT child_key FROM children WHERE child_id = ANY(\(Array(Self.referred)))", logger, as: Int64.self)
            #expect(referred.count == 2)
            let lastKey = try #require(try await conn.row("SELECT max(child_key) FROM children", logger, as: Int64.self))
            var scan = PostgresChildScan(windowStart: windowStart, asOf: now, schoolNames: [:],
                                         referrals: Dictionary(uniqueKeysWithValues: referred.map { ($0, [referredOn]) }))
            scan.chunkKeys = chunkKeys
            var seen: [String: [IncidentFact]] = [:]
            var schools: [String: String?] = [:]
            // Two ranges, the first ending inside a chunk.
            for keys in [1...(lastKey / 2 + 5), (lastKey / 2 + 6)...lastKey] {
                try await scan.run(conn, logger, keys: keys, started: { ScanBegun(floor: nil, context: ()) }) { h, summary, _ in
                    #expect(seen.updateValue(h.incidents.map(Self.unkeyed), forKey: h.childId) == nil, "\(h.childId) twice")
                    schools[h.childId] = try summary().schoolURN
                }
            }
            return (seen, schools)
        }
        #expect(seen.0.count == expected.count)
        for (id, e) in expected {
            #expect(seen.0[id] == e.facts, "\(id)")
            #expect(seen.1[id] == .some(e.urn), "\(id)")
        }
    }

    static func unkeyed(_ f: IncidentFact) -> IncidentFact {
        IncidentFact(incidentId: f.incidentId, reportedAt: f.reportedAt, grade: f.grade)
    }

    /// `start` may be answered after the store has begun reading (PostgreSQL sends its queries
    /// first), but never after a child is handed over: each visit gets its answer, the scan returns
    /// it, and a `start` that fails fails the scan before any child is visited.
    @Test(arguments: StoreKind.allCases)
    func theStartIsAnsweredBeforeTheFirstChildAndFailsTheScanWhenItFails(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let incidents = batch()
        _ = try await t.store.ingest(incidents, actor: "test", at: now, planner: nil)
        let children = plain(incidents, referred: []).count
        let answered = Mutex(false)
        let visits = Mutex(0)
        let store = t.store
        let returned = try await store.scanChildHistories(windowStart: windowStart, asOf: now, parts: 2, start: {
            // A read of the store's own, as the queue's start does, while the scan's queries run.
            let serial = try await store.serialCandidateIncidents(from: windowStart, to: now, minimumVictims: 1)
            answered.withLock { $0 = true }
            return ScanStart(floor: nil, context: serial.count)
        }) { _, _, _, context in
            #expect(answered.withLock { $0 }, "a child handed over before start answered")
            #expect(context > 0)
            visits.withLock { $0 += 1 }
        }
        #expect(returned > 0)
        #expect(visits.withLock { $0 } == children)

        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            _ = try await store.scanChildHistories(windowStart: windowStart, asOf: now, parts: 2,
                                                   start: { () async throws -> ScanStart<Int> in throw Refused() }) { _, _, _, _ in
                visits.withLock { $0 += 1 }
            }
        }
        #expect(visits.withLock { $0 } == children, "no child visited after a failed start")
    }

    /// Texts joined by the unit separator split back into exactly the texts joined: empty ones too,
    /// and an empty one read as nil where a column may be NULL.
    @Test func joinedTextsSplitIntoTheTextsJoined() {
        for texts in [["C-1", "C-22", "", "C-333"], [""], ["C-1"], ["", ""]] {
            var out: [String] = []
            SeparatedText.split(ByteBuffer(string: texts.joined(separator: "\u{1F}")), into: &out) { String(decoding: $0, as: UTF8.self) }
            #expect(out == texts)
        }
        // Appended to what is there (a chunk's window links, then its referred children's earlier ones).
        var urns: [String?] = ["120500"]
        SeparatedText.split(ByteBuffer(string: "120501\u{1F}\u{1F}120502"), into: &urns) { $0.isEmpty ? nil : String(decoding: $0, as: UTF8.self) }
        #expect(urns == ["120500", "120501", nil, "120502"])
    }

    /// No id the store takes in holds a control character, but a row written at the database's own
    /// shell might: the separator inside a child's id fails PostgreSQL's scan, never hands another
    /// child that id or its school.
    @Test func anIdHoldingTheSeparatorFailsTheScanNotAnotherChild() async throws {
        let t = try await TempStore(.postgres)
        defer { t.cleanUp() }
        _ = try await t.store.ingest(batch(), actor: "test", at: now, planner: nil)
        #expect(try await t.refusal("UPDATE children SET child_id = E'C-0001\\x1fC-0002' WHERE child_id = 'C-0001'") == nil)
        await #expect(throws: StoreError.self) {
            try await t.store.scanChildHistories(windowStart: windowStart, asOf: now, parts: 1, floor: nil) { _, _, _ in }
        }
    }

    /// The chunk's own order is checked, not assumed: links that come out of order are sorted.
    @Test func aChunkOutOfOrderIsReadInTheLinksOrder() {
        var chunk = LinkChunk()
        chunk.childKeys = [7, 3, 7, 3, 3]
        chunk.times = [20, 10, 10, 10, 5]
        chunk.incidentKeys = [1, 9, 2, 4, 8]
        chunk.arrange()
        #expect(chunk.order == [4, 3, 1, 2, 0])
        chunk.childKeys = [1, 1, 2]
        chunk.times = [1, 1, 0]
        chunk.incidentKeys = [1, 2, 3]
        chunk.arrange()
        #expect(chunk.order == [0, 1, 2])
    }

    /// Every connection of a PostgreSQL store runs without JIT compilation: LLVM compiling a plan
    /// cost more than running any of ours (see PostgresDatabase).
    @Test func postgresConnectionsCompileNoPlans() async throws {
        let t = try await TempStore(.postgres)
        defer { t.cleanUp() }
        let pg = try #require(t.store as? PostgresStore)
        let logger = pg.logger
        let settings = try await pg.read { conn in try await conn.row("SELECT current_setting('jit')", logger, as: (String).self) }
        #expect(settings == "off")
    }

    /// A chunk's children are found by key whatever order their arrays come in, and a link to a
    /// child the chunk does not hold is an error, not another child's id.
    @Test func aChunksChildrenAreFoundByKeyInAnyOrder() throws {
        var chunk = LinkChunk()
        chunk.lowKey = 257
        chunk.keysOfChildren = [260, 257, 259]
        chunk.childIds = ["C-260", "C-257", "C-259"]
        try chunk.placeChildren()
        #expect(try [257, 259, 260].map { chunk.childIds[try chunk.child($0)] } == ["C-257", "C-259", "C-260"])
        for missing: Int64 in [258, 256, 261] {
            #expect(throws: StoreError.self) { try chunk.child(missing) }
        }
        chunk.keysOfChildren = [256]
        #expect(throws: StoreError.self) { try chunk.placeChildren() }
    }
}
