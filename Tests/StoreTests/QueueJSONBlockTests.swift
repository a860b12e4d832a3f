import Foundation
import Review
import RiskModel
import StoreContract
import Testing

/// `escalations --json` renders a long queue a block at a time, each block split across the cores:
/// whatever the block, the document is the same bytes. The table for people is written in pieces too.
@Suite("The queue's JSON and table, written a piece at a time")
struct QueueJSONBlockTests {
    @Test(arguments: StoreKind.allCases)
    func everyBlockSizeWritesTheSameDocument(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        // 2,500 children graded high: past the 2,000 at which rendering is split across the cores.
        let incidents = (0..<2_500).map { n in
            incident("I-\(n)", "2026-10-01T10:00:00Z", grade: .high, children: [child("C-\(n)")])
        }
        _ = try await t.store.ingest(incidents, actor: "test", at: at("2026-11-01T12:00:00Z"), planner: nil)
        let queue = try await ReviewQueue.build(store: t.store, settings: ScoringSettings(), asOf: at("2026-11-01T12:00:00Z"),
                                                includeAll: false)
        #expect(queue.entries.count == 2_500)
        let whole = queue.jsonBytes()
        for block in [1, 7, 1_250, 2_499, 2_500, ReviewQueue.jsonBlock] {
            var written: [UInt8] = []
            var writes = 0
            queue.writeJSON(block: block) { written += Array($0); writes += 1 }
            #expect(written == whole, "block \(block)")
            if block == 7 { #expect(writes > 300, "written as it is rendered, not at the end") }
        }
        let document = try JSONSerialization.jsonObject(with: Data(whole)) as? [String: Any]
        #expect((document?["children"] as? [Any])?.count == 2_500)
    }

    /// `escalations --json` renders each child's object as the scan assesses it and orders the
    /// queue by the children's places alone (`ReviewQueue.writeDocument`): the same document,
    /// byte for byte, as the queue built whole and rendered after, with and without --all, gathered
    /// in pieces of any size. The store holds children of every level across the scan's parts, many
    /// sharing their newest incident (the child id settles the order), children with a school and
    /// without, and one known by its missing episodes alone.
    @Test(arguments: StoreKind.allCases)
    func objectsRenderedAsTheScanAssessesThemMakeTheSameDocument(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let now = at("2026-11-22T08:00:00Z")
        let grades: [Grade] = [.standard, .medium, .high, .standard, .standard]
        let incidents = (0..<600).map { n in
            incident("I-\(n)", "2026-10-\(10 + n % 9)T10:00:00Z", grade: grades[n % grades.count],
                     children: [child("C-\(n * 7 % 250)", urn: n % 4 == 0 ? nil : "120501")])
        }
        let episodes = ["2026-10-01T20:00:00Z", "2026-10-20T20:00:00Z", "2026-11-15T20:00:00Z"].enumerated().map { n, missing in
            Episode(id: "E-\(n)", childId: "C-E", givenName: "Zoë", familyName: "Ní Bhriain", dateOfBirth: LocalDate(iso: "2012-03-03")!,
                    schoolURN: "120501", missingAt: at(missing), returnedAt: nil, risk: .medium, returnInterviewAt: nil)
        }
        _ = try await t.store.ingest(IncidentFeed(batch: incidents, episodes: episodes), actor: "cli:test", at: now, planner: nil)
        for includeAll in [false, true] {
            let queue = try await ReviewQueue.build(store: t.store, settings: ScoringSettings(), asOf: now, includeAll: includeAll)
            #expect(queue.entries.count > (includeAll ? 200 : 100), "\(queue.entries.count)")
            #expect(queue.entries.contains { $0.assessment.childId == "C-E" })
            let whole = queue.jsonBytes()
            for piece in [1, 1_000, 1 << 20] {
                var written: [UInt8] = []
                try await ReviewQueue.writeDocument(store: t.store, settings: ScoringSettings(), asOf: now, includeAll: includeAll,
                                                    piece: piece) { written += Array($0) }
                #expect(written == whole, "includeAll \(includeAll), piece \(piece)")
            }
        }
    }

    @Test func theTableWrittenInPiecesIsTheWholeTable() async throws {
        let t = try await TempStore(.sqlite)
        defer { t.cleanUp() }
        let incidents = (0..<500).map { n in
            incident("I-\(n)", "2026-10-01T10:00:00Z", grade: n % 2 == 0 ? .high : .medium, children: [child("C-\(n)")])
        }
        _ = try await t.store.ingest(incidents, actor: "test", at: at("2026-11-01T12:00:00Z"), planner: nil)
        let queue = try await ReviewQueue.build(store: t.store, settings: ScoringSettings(), asOf: at("2026-11-01T12:00:00Z"),
                                                includeAll: true)
        let zone = ScoringSettings().zone
        let whole = queue.table(zone: zone)
        let lines = whole.split(separator: "\n")
        #expect(lines.count == 502, "a title, a header and a row a child")
        #expect(lines[1].hasPrefix("LEVEL   CHILD  INCIDENTS  NEWEST      SCHOOL"))
        // Every row's columns line up: each row's school starts where the header's does.
        let schoolAt = try #require(lines[1].range(of: "SCHOOL")).lowerBound.utf16Offset(in: lines[1])
        #expect(lines.dropFirst(2).allSatisfy { $0.utf16.count > schoolAt && $0.utf16.dropFirst(schoolAt - 2).prefix(2).allSatisfy { $0 == 0x20 } })
        var pieces: [[UInt8]] = []
        let longest = lines.map(\.utf8.count).max() ?? 0
        queue.writeTable(zone: zone, piece: 4_096) { pieces.append(Array($0)) }
        #expect(pieces.count > 5, "written as it is made, not at the end")
        #expect(pieces.allSatisfy { $0.count < 4_096 + longest + 1 })
        #expect(String(decoding: pieces.joined(), as: UTF8.self) == whole)
    }

    /// The table's columns line up in characters, not bytes: a school whose name is not ASCII (a
    /// circumflex, and an accent written as a combining mark) pads the same as the others, and the
    /// rules start at one column on every row.
    @Test func aNameThatIsNotASCIILinesUpByCharacters() async throws {
        let t = try await TempStore(.sqlite)
        defer { t.cleanUp() }
        try await t.store.replaceDirectory(SchoolDirectory(schools: [
            School(urn: "100001", name: "Ysgol Gŵyr Cafe\u{301}", laCode: "660"),
            School(urn: "100002", name: "Plain Primary School", laCode: "660"),
        ], keyAdults: []))
        let incidents = (0..<6).map { n in
            incident("I-\(n)", "2026-10-0\(n + 1)T10:00:00Z", grade: .high, children: [child("C-\(n)", urn: n % 2 == 0 ? "100001" : "100002")])
        }
        _ = try await t.store.ingest(incidents, actor: "test", at: at("2026-11-01T12:00:00Z"), planner: nil)
        let queue = try await ReviewQueue.build(store: t.store, settings: ScoringSettings(), asOf: at("2026-11-01T12:00:00Z"),
                                                includeAll: true)
        let lines = queue.table(zone: ScoringSettings().zone).split(separator: "\n").dropFirst()
        #expect(lines.count == 7)
        #expect(lines.contains { $0.contains("Ysgol Gŵyr Cafe\u{301} (100001)") } && lines.contains { $0.contains("Plain Primary School (100002)") })
        let whyAt = lines.map { line in line.distance(from: line.startIndex, to: line.range(of: line == lines.first ? "WHY" : "1 graded high")!.lowerBound) }
        #expect(Set(whyAt).count == 1, "\(whyAt)")
    }
}
