import Foundation
import GRDB
import RiskModel
@testable import SQLiteStore
import StoreContract
import Testing

/// A first load fills the serial-perpetrator candidates by walking the perpetrators' index
/// (`fillFromIndex`), the migration by `GROUP BY ... count(DISTINCT ...)` (`fill`): the fast path
/// checked against the plain one.
@Suite("SQLite's serial candidates: the index walk against the GROUP BY")
struct SQLiteSerialCandidatesTests {
    /// The candidates each way, from the store's incidents (the table emptied before each).
    func both(_ store: SQLiteStore) async throws -> (plain: [String], walked: [String]) {
        try await store.pool.write { db in
            func filled(_ fill: () throws -> Void) throws -> [String] {
                try db.execute(sql: "DELETE FROM serial_candidates")
                try fill()
                return try String.fetchAll(db, sql: "SELECT perpetrator_id FROM serial_candidates ORDER BY perpetrator_id")
            }
            return (try filled { try db.execute(sql: SQLiteSerialCandidates.fill) },
                    try filled { try SQLiteSerialCandidates.fillFromIndex(db) })
        }
    }

    func incident(_ n: Int, victim: String, perpetrator: String?) -> Incident {
        Incident(id: "I-\(n)", reportedAt: Date(timeIntervalSince1970: 1_790_000_000 + Double(n) * 3600), officerGrade: .standard,
                 victimId: victim, perpetratorId: perpetrator)
    }

    /// The groups' edges: one victim named twice, a second victim first seen late in the group, ids
    /// that differ only in case (the columns compare as bytes), two groups side by side whose ids
    /// share a beginning (a walk comparing only that much would join them), and incidents with no
    /// perpetrator.
    @Test func theEdgesOfAGroupGiveTheSameCandidatesBothWays() async throws {
        let (dir, _, store) = try await SchemaVersionStoreTests.migratedStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows: [(String, String?)] = [
            ("V-1", "P-1"), ("V-1", "P-1"), // one victim twice: no
            ("V-1", "P-2"), ("V-1", "P-2"), ("V-1", "P-2"), ("V-2", "P-2"), // the second victim last: yes
            ("V-1", "P-3"), ("v-1", "P-3"), // victims differing in case: yes
            ("V-9", "p-3"), // the same id in lower case is another perpetrator, with one victim: no
            ("V-1", "P-5"), ("V-2", "P-50"), // one victim each, the second's id beginning with the first's: no
            ("V-4", nil), ("V-5", nil), // no perpetrator
            ("V-6", "P-4"), ("V-7", "P-4"), ("V-6", "P-4"), // yes, once
        ]
        let incidents = rows.enumerated().map { incident($0.offset, victim: $0.element.0, perpetrator: $0.element.1) }
        _ = try await store.ingest(incidents, actor: "test", at: Date(timeIntervalSince1970: 1_800_000_000), planner: nil)
        let (plain, walked) = try await both(store)
        #expect(plain == ["P-2", "P-3", "P-4"])
        #expect(walked == plain)
    }

    /// Many groups of many sizes, the victims drawn from a few (seeded, so a failure repeats).
    @Test func aSpreadOfGroupsGivesTheSameCandidatesBothWays() async throws {
        let (dir, _, store) = try await SchemaVersionStoreTests.migratedStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        let incidents = (0..<3000).map { n in
            incident(n, victim: "V-\(next(next(3) == 0 ? 40 : 2))", perpetrator: next(10) == 0 ? nil : "P-\(next(600))")
        }
        _ = try await store.ingest(incidents, actor: "test", at: Date(timeIntervalSince1970: 1_800_000_000), planner: nil)
        var victims: [String: Set<String>] = [:]
        for i in incidents { if let p = i.perpetratorId { victims[p, default: []].insert(i.victimId) } }
        let expected = victims.filter { $0.value.count >= 2 }.keys.sorted()
        #expect(expected.count > 100 && expected.count < victims.count) // both kinds of group are there
        let (plain, walked) = try await both(store)
        #expect(plain == expected)
        #expect(walked == plain)
    }
}
