import Foundation
import GRDB
@testable import SQLiteStore
import StoreContract
import Testing

/// Each connection's page cache is the size asked for, in the pages its file really has: on a new
/// file the size was once turned into 4 KiB pages before the 16 KiB page size took effect, which
/// made the writer's 256 MiB a gibibyte.
@Suite("SQLite's page caches")
struct SQLitePageCacheTests {
    /// The page size, and the cache in bytes (nil unless given in pages, which says what it holds).
    static func cache(_ db: Database) throws -> (pageSize: Int, bytes: Int?) {
        let pages = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? 0
        let size = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
        return (size, pages > 0 ? pages * size : nil)
    }

    @Test func aNewFileHasSixteenKiBPagesAndTheCachesAsked() async throws {
        let dir = try SchemaVersionStoreTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteStore(path: dir.appendingPathComponent("new.sqlite").path)
        let writer = try await store.pool.write { db in try Self.cache(db) }
        #expect(writer.pageSize == 16384)
        #expect(writer.bytes == SQLiteStore.writerCacheBytes)
        _ = try await store.migrate(for: .write)
        let reader = try await store.pool.read { db in try Self.cache(db) }
        #expect(reader.pageSize == 16384)
        #expect(reader.bytes == SQLiteStore.readerCacheBytes)
        // Readers map the file; the writer reads through its own cache only, so a re-ingest does
        // not hold the same pages twice.
        #expect(try await store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA mmap_size") } == 256 << 20)
        #expect(try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA mmap_size") } == 0)
    }

    @Test func anOlderFileOfFourKiBPagesKeepsThemAndTheSameBytesOfCache() async throws {
        let dir = try SchemaVersionStoreTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("old.sqlite").path
        do {
            let old = try DatabaseQueue(path: path)
            try await old.write { db in
                try db.execute(sql: "CREATE TABLE before_page_size (a)")
            }
        }
        let store = try SQLiteStore(path: path)
        let writer = try await store.pool.write { db in try Self.cache(db) }
        #expect(writer.pageSize == 4096)
        #expect(writer.bytes == SQLiteStore.writerCacheBytes)
        let reader = try await store.pool.read { db in try Self.cache(db) }
        #expect(reader.pageSize == 4096)
        #expect(reader.bytes == SQLiteStore.readerCacheBytes)
    }

    /// A big ingest's write-behind (`SQLiteWriteBehind`) finds `sync_file_range` and both of the
    /// store's files; where there are none, it starts nothing. Called directly: the timer is set
    /// never to fire here.
    @Test func aWriteBehindStartsWritebackOfTheFileAndItsWAL() async throws {
        let (dir, path, store) = try await SchemaVersionStoreTests.migratedStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        let writeBehind = SQLiteWriteBehind(databasePath: path, interval: .seconds(86_400))
        defer { writeBehind.stop() }
        #expect(writeBehind.startWritebackNow() == 2)
        let nothing = SQLiteWriteBehind(databasePath: dir.appendingPathComponent("none.sqlite").path, interval: .seconds(86_400))
        defer { nothing.stop() }
        #expect(nothing.startWritebackNow() == 0)
        withExtendedLifetime(store) {}  // its connections hold the files open
    }

    /// With thousands of descriptors open, /proc/self/fd takes many of readdir's buffers, and each
    /// entry's name is read where it lies: the write-behind still finds the store's two files among
    /// them. (The copy of every entry's whole 256-byte name that this replaced read past the end of
    /// the buffer, which crashed test runs with many descriptors open; where the buffer lies decides
    /// whether such a read faults, so this checks the many-entry path rather than reproducing it.)
    @Test func aWriteBehindFindsTheStoresFilesAmongThousandsOfDescriptors() async throws {
        let (dir, path, store) = try await SchemaVersionStoreTests.migratedStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let opened = (0..<3_000).map { _ in open("/dev/null", O_RDONLY | O_CLOEXEC) }
        defer { for fd in opened where fd >= 0 { close(fd) } }
        #expect(opened.allSatisfy { $0 >= 0 }, "the test's own descriptors")
        let writeBehind = SQLiteWriteBehind(databasePath: path, interval: .seconds(86_400))
        defer { writeBehind.stop() }
        for _ in 0..<20 { #expect(writeBehind.startWritebackNow() == 2) }
        withExtendedLifetime(store) {}
    }

    /// The write-behind uses SQLite's own descriptors and never closes one: closing any descriptor
    /// of a file drops every lock the process holds on it, and the store's lock is what keeps
    /// another process from taking the file out of WAL mode while the store has it open. The
    /// kernel's table of locks says what this process holds (SQLite's own bookkeeping would still
    /// show a lock the kernel has dropped to a connection of this process).
    @Test func aWriteBehindLeavesTheStoresLocksInPlace() async throws {
        let (dir, path, store) = try await SchemaVersionStoreTests.migratedStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let inode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
        func locksHeld() throws -> [String] {
            // "1: POSIX  ADVISORY  READ 1234 fe:00:5678 1073741826 1073742335": pid, then device:inode.
            try String(contentsOfFile: "/proc/locks", encoding: .utf8).split(separator: "\n").filter { line in
                let fields = line.split(separator: " ")
                return fields.count > 5 && fields[4] == "\(getpid())" && fields[5].hasSuffix(":\(inode)")
            }.map { String($0.split(separator: " ", maxSplits: 1)[1]) }
        }
        let before = try locksHeld()
        #expect(!before.isEmpty, "the open store holds a lock on its file")
        let writeBehind = SQLiteWriteBehind(databasePath: path, interval: .seconds(86_400))
        #expect(writeBehind.startWritebackNow() == 2)
        writeBehind.stop()
        #expect(writeBehind.startWritebackNow() == 2, "the files are still the store's, and open")
        #expect(try locksHeld() == before)
        withExtendedLifetime(store) {}
    }
}
