import Foundation
@testable import PostgresStore
import RiskModel
import StoreContract
import Stores
import Testing
import TestSupport

/// A child's row is written in the chunk that first names them, and newer details from a later
/// chunk are applied at the end (`BatchChildren`): against the same batch written as one chunk (the
/// plain path), table for table and row for row, on both databases, and against the rule itself
/// (each child's details from their newest incident, ties to the later one).
@Suite("A child's newest details when incidents come a chunk at a time")
struct ChildNewestTests {
    let now = at("2026-11-22T08:00:00Z")

    static func kid(_ id: String, given: String = "Zoë", urn: String? = "120501", dob: String = "2015-05-05") -> ChildLink {
        ChildLink(childId: id, givenName: given, familyName: "Ní Bhriain", dateOfBirth: LocalDate(iso: dob)!, schoolURN: urn,
                  present: true, spokenTo: nil, voice: nil, bodyWornVideo: false)
    }

    static func event(_ id: String, _ day: Int, _ children: [ChildLink], hour: Int = 10) -> Incident {
        Incident(id: id, reportedAt: at(String(format: "2026-10-%02dT%02d:00:00Z", day, hour)), officerGrade: .standard, dashYesCount: 1,
                 victimId: "V-\(id)", perpetratorId: "P-1", children: children)
    }

    /// Each child's details changing in a later incident: newer, older and at the same time, in the
    /// same chunk and across chunks, and a child first listed in an old incident and then a newer one.
    static var changing: [Incident] {
        [
            event("I-01", 1, [kid("C-NEWER", urn: "100001")]),
            event("I-02", 3, [kid("C-OLDER", urn: "100001"), kid("C-TIE", urn: "100001")]),
            event("I-03", 5, [kid("C-NEWER", given: "Zoe", urn: "100002"), kid("C-SAME-CHUNK", urn: "100001")]),
            event("I-04", 1, [kid("C-OLDER", urn: "100002")]),
            event("I-05", 3, [kid("C-TIE", urn: nil, dob: "2015-06-06")]),
            event("I-06", 9, [kid("C-SAME-CHUNK", urn: "100003"), kid("C-OLD-FIRST", urn: "100001")]),
            event("I-07", 2, [kid("C-OLD-FIRST", urn: "100009")]),
            event("I-08", 20, [kid("C-OLD-FIRST", given: "Zo", urn: "100004"), kid("C-NEWER", urn: "100003")]),
            event("I-09", 20, [kid("C-OLD-FIRST", given: "Zo", urn: "100004")]),
            event("I-10", 3, [kid("C-TIE", urn: "100005")]),
            event("I-11", 2, []),
            event("I-12", 4, [kid("C-ONCE")]),
        ]
    }

    /// Writes `batch` into `t`: through the store's own feed in chunks of `chunk` incidents, pushed
    /// from a thread of its own as ingest does, or as one batch (`chunk` nil: the plain path).
    func write(_ batch: [Incident], into t: TempStore, chunk: Int?) async throws -> IngestSummary {
        guard let chunk else { return try await t.store.ingest(batch, actor: "test", at: now, planner: SchoolDirectoryStoreTests.planner) }
        let feed = t.store.makeIncidentFeed(expectedRows: batch.count, episodes: nil)
        let writer = Task { [store = t.store, now] in
            try await store.ingest(feed, actor: "test", at: now, planner: SchoolDirectoryStoreTests.planner)
        }
        let reader = Thread {
            for start in stride(from: 0, to: batch.count, by: chunk) { feed.push(Array(batch[start..<min(start + chunk, batch.count)])) }
            feed.finish(.complete)
        }
        reader.start()
        return try await writer.value
    }

    /// A new store with the key adults, `before` written into it whole, then `batch` as `write` does.
    func store(_ kind: StoreKind, before: [[Incident]] = [], _ batch: [Incident], chunk: Int?) async throws -> (TempStore, IngestSummary) {
        let t = try await TempStore(kind)
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501")]))
        for b in before { _ = try await write(b, into: t, chunk: nil) }
        return (t, try await write(batch, into: t, chunk: chunk))
    }

    /// The children's rows the rule gives for a first load of `batch`, as (id, given name, school,
    /// date of birth, newest time), by id.
    static func expectedChildren(_ batch: [Incident]) -> [String] {
        var newest: [String: (Double, ChildLink)] = [:]
        for incident in batch {
            let t = incident.reportedAt.timeIntervalSince1970
            for c in incident.children where t >= newest[c.childId]?.0 ?? -.infinity { newest[c.childId] = (t, c) }
        }
        return newest.keys.sorted().map { id in
            let (t, c) = newest[id]!
            return "\(id) \(c.givenName) \(c.schoolURN ?? "-") \(c.dateOfBirth) \(t)"
        }
    }

    static func storedChildren(_ t: TempStore) async throws -> [String] {
        let table = StoreTable.all.first { $0.name == "children" }!
        return try await t.store.rows(of: table).map { r -> String in
            func text(_ v: StoreValue) -> String {
                switch v {
                case .text(let s): s
                case .null: "-"
                case .double(let d): "\(d)"
                case .int(let i): "\(i)"
                case .blob(let b): "\(b)"
                }
            }
            return "\(text(r[1])) \(text(r[2])) \(text(r[5])) \(text(r[4])) \(text(r[6]))"
        }.sorted()
    }

    @Test(arguments: StoreKind.allCases, [1, 2, 3, 5])
    func aFirstLoadInChunksWritesWhatTheWholeBatchDoes(kind: StoreKind, chunk: Int) async throws {
        let batch = Self.changing
        let (plain, plainSummary) = try await store(kind, batch, chunk: nil)
        defer { plain.cleanUp() }
        let (fast, fastSummary) = try await store(kind, batch, chunk: chunk)
        defer { fast.cleanUp() }
        #expect(fastSummary == plainSummary)
        #expect(fastSummary.children == 6)
        let written = try await FirstLoadTests().tables(fast.store)
        #expect(written == (try await FirstLoadTests().tables(plain.store)))
        #expect(try await Self.storedChildren(fast) == Self.expectedChildren(batch))
    }

    /// Children already stored: one given newer details, one older, one the same time with other
    /// details (taken only when a new or changed incident names the child), one named only by an
    /// unchanged incident, and children new to the store whose details change in a later chunk.
    static var before: [[Incident]] {
        [
            [event("S-1", 5, [kid("C-NEWER", urn: "200001"), kid("C-OLDER", urn: "200001"), kid("C-TIE", urn: "200001")]),
             event("S-2", 7, [kid("C-UNCHANGED", urn: "200001"), kid("C-TIE-UNTOUCHED", urn: "200001")])],
            // Ties go to the later batch: the stored row has the second's details.
            [event("S-3", 7, [kid("C-TIE-UNTOUCHED", urn: "200002")])],
        ]
    }

    static var second: [Incident] {
        [
            // S-2 again as it was: unchanged, so its children are not touched.
            event("S-2", 7, [kid("C-UNCHANGED", urn: "200001"), kid("C-TIE-UNTOUCHED", urn: "200001")]),
            event("N-1", 9, [kid("C-NEWER", urn: "200009")]),
            event("N-2", 1, [kid("C-OLDER", urn: "200009")]),
            event("N-3", 5, [kid("C-TIE", urn: "200009"), kid("C-NEW", urn: "300001")]),
            event("N-4", 8, [kid("C-NEW", given: "Zoey", urn: "300002")]),
            event("N-5", 8, [kid("C-NEW", urn: "300003"), kid("C-NEW-OLDER", urn: "300001")]),
            event("N-6", 2, [kid("C-NEW-OLDER", urn: "300009")]),
            event("N-7", 6, [kid("C-NEWER", urn: "200008")]),
        ]
    }

    @Test(arguments: StoreKind.allCases, [1, 2, 3])
    func anIngestInChunksIntoAStoreWithChildrenWritesWhatTheWholeBatchDoes(kind: StoreKind, chunk: Int) async throws {
        let (plain, plainSummary) = try await store(kind, before: Self.before, Self.second, chunk: nil)
        defer { plain.cleanUp() }
        let (fast, fastSummary) = try await store(kind, before: Self.before, Self.second, chunk: chunk)
        defer { fast.cleanUp() }
        #expect(fastSummary == plainSummary)
        #expect((fastSummary.added, fastSummary.unchanged, fastSummary.children) == (7, 1, 7))
        #expect(try await FirstLoadTests().tables(fast.store) == (try await FirstLoadTests().tables(plain.store)))
        let children = try await Self.storedChildren(fast)
        #expect(children == [
            "C-NEW Zoë 300003 2015-05-05 1791453600.0",
            "C-NEW-OLDER Zoë 300001 2015-05-05 1791453600.0",
            "C-NEWER Zoë 200009 2015-05-05 1791540000.0",
            "C-OLDER Zoë 200001 2015-05-05 1791194400.0",
            "C-TIE Zoë 200009 2015-05-05 1791194400.0",
            "C-TIE-UNTOUCHED Zoë 200002 2015-05-05 1791367200.0",
            "C-UNCHANGED Zoë 200001 2015-05-05 1791367200.0",
        ])
        // The same batch again changes nothing, child rows included.
        let again = try await write(Self.second, into: fast, chunk: chunk)
        #expect((again.added, again.updated, again.unchanged) == (0, 0, 8))
        #expect(try await Self.storedChildren(fast) == children)
    }

    /// A stored child named in an unchanged incident at their stored time with other details (a
    /// tie the stored row won), then in a changed, older incident: today's rule gives the row the
    /// batch's newest details, those of the unchanged incident, and the chunked path must too.
    @Test(arguments: StoreKind.allCases)
    func aTieFromAnUnchangedIncidentCountsOnceAChangedOneNamesTheChild(kind: StoreKind) async throws {
        let batch = [Self.event("S-2", 7, [Self.kid("C-UNCHANGED", urn: "200001"), Self.kid("C-TIE-UNTOUCHED", urn: "200001")]),
                     Self.event("N-9", 1, [Self.kid("C-TIE-UNTOUCHED", urn: "200005")])]
        let (plain, _) = try await store(kind, before: Self.before, batch, chunk: nil)
        defer { plain.cleanUp() }
        let (fast, _) = try await store(kind, before: Self.before, batch, chunk: 1)
        defer { fast.cleanUp() }
        #expect(try await FirstLoadTests().tables(fast.store) == (try await FirstLoadTests().tables(plain.store)))
        #expect(try await Self.storedChildren(fast).contains("C-TIE-UNTOUCHED Zoë 200001 2015-05-05 1791367200.0"))
    }
    /// SPEC §2: a correction updates the incident, and the child's row follows. Children whose
    /// newest incident stops naming them (C-77: it was another child, C-80, wrongly keyed; C-78: it
    /// names no child now), is corrected to an earlier time (C-81), or stops naming them where two
    /// incidents tie for newest (C-79: one ingest gives the tie to the later incident): incremental
    /// ingests give the row, names and date of birth included, one ingest of the final versions gives.
    @Test(arguments: StoreKind.allCases)
    func aCorrectionThatTakesAChildsNewestIncidentAwayGivesTheRowOneIngestGives(kind: StoreKind) async throws {
        let first = [Self.event("R-1", 10, [Self.kid("C-77", given: "Amy", urn: "120501", dob: "2015-01-01")]),
                     Self.event("R-2", 20, [Self.kid("C-77", given: "Zoe", urn: "120503", dob: "2016-02-02")]),
                     Self.event("R-3", 5, [Self.kid("C-78", urn: "120502")]),
                     Self.event("R-4", 25, [Self.kid("C-78", given: "Zo", urn: "120504")]),
                     Self.event("R-5", 12, [Self.kid("C-79", urn: "120505")]),
                     Self.event("R-6", 12, [Self.kid("C-79", urn: "120506")]),
                     Self.event("R-7", 30, [Self.kid("C-79", urn: "120507")]),
                     Self.event("R-8", 22, [Self.kid("C-81", given: "Ann", urn: "120508")]),
                     Self.event("R-9", 24, [Self.kid("C-81", given: "Anne", urn: "120509")])]
        let corrections = [Self.event("R-2", 20, [Self.kid("C-80", given: "Zoe", urn: "120503", dob: "2016-02-02")]),
                           Self.event("R-4", 25, []), Self.event("R-7", 30, []),
                           Self.event("R-9", 2, [Self.kid("C-81", given: "Anne", urn: "120509")])]
        let (incremental, summary) = try await store(kind, before: [first], corrections, chunk: nil)
        defer { incremental.cleanUp() }
        #expect(summary.updated == 4)
        let final = first.map { i in corrections.first { $0.id == i.id } ?? i }
        let (whole, _) = try await store(kind, final, chunk: nil)
        defer { whole.cleanUp() }
        let children = try await Self.storedChildren(incremental)
        #expect(children == (try await Self.storedChildren(whole)))
        #expect(children == Self.expectedChildren(final))
        #expect(children.filter { $0.hasPrefix("C-7") || $0.hasPrefix("C-81") }.map { $0.split(separator: " ").prefix(4).joined(separator: " ") }
            == ["C-77 Amy 120501 2015-01-01", "C-78 Zoë 120502 2015-05-05", "C-79 Zoë 120506 2015-05-05", "C-81 Ann 120508 2015-05-05"])
    }
}
