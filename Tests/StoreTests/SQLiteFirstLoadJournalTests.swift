import Foundation
import GRDB
import RiskModel
@testable import SQLiteStore
import StoreContract
import Testing

/// The rules of `SQLiteFirstLoadJournal` taken one at a time (the loads themselves are in
/// `FirstLoadTests`).
@Suite("SQLite's first load out of WAL mode")
struct SQLiteFirstLoadJournalTests {
    func mode(_ store: SQLiteStore) async throws -> String? {
        try await store.pool.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
    }

    /// This process's readers, opened in WAL mode, hold the file: the switch is refused while one is
    /// open, and WAL stays.
    @Test func anOpenReaderKeepsTheStoreInWALMode() async throws {
        let (dir, _, store) = try await SchemaVersionStoreTests.migratedStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try await store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM incidents") }
        #expect(try await store.pool.writeWithoutTransaction { try SQLiteFirstLoadJournal.leaveWAL($0) } == nil)
        #expect(try await mode(store) == "wal")
    }

    /// A reader that read while the store was out of WAL mode does not keep it out: it holds no lock
    /// between reads, and it reads on in WAL mode after.
    @Test func aReaderOfTheLoadsTimeFollowsTheStoreBackIntoWALMode() async throws {
        let (dir, _, store) = try await SchemaVersionStoreTests.migratedStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        store.pool.releaseMemory()
        let journal = try #require(try await store.pool.writeWithoutTransaction { try SQLiteFirstLoadJournal.leaveWAL($0) })
        #expect(try await mode(store) == "delete")
        #expect(try await store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM incidents") } == 0)
        try await store.pool.writeWithoutTransaction { db in
            journal.returnToWAL(db)
            try db.execute(sql: "INSERT INTO serial_candidates (perpetrator_id) VALUES ('P-1')")
        }
        #expect(try await mode(store) == "wal")
        #expect(try await store.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try await store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM serial_candidates") } == 1)
    }

    /// A store with incidents is no first load: WAL stays.
    @Test func aStoreWithIncidentsStaysInWALMode() async throws {
        let (dir, _, store) = try await SchemaVersionStoreTests.migratedStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try await store.ingest([Incident(id: "I-1", reportedAt: Date(timeIntervalSince1970: 1_790_000_000), officerGrade: .standard,
                                            victimId: "V-1")],
                                   actor: "test", at: Date(timeIntervalSince1970: 1_790_000_100), planner: nil)
        store.pool.releaseMemory()
        #expect(try await store.pool.writeWithoutTransaction { try SQLiteFirstLoadJournal.leaveWAL($0) } == nil)
        #expect(try await mode(store) == "wal")
    }
}
