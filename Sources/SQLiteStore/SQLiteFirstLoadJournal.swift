import Foundation
import GRDB

/// A first load's pages written to the file once. In WAL mode a transaction larger than the page
/// cache spills every page into the WAL, and the checkpoint after the commit copies each into the
/// file: at ten million rows 1.3 GB written twice, read back once and `fsync`ed twice, the part of
/// the load that grew faster than its rows. A rollback journal keeps a copy of only those pages a
/// transaction changes that were in the file when it began (a rollback puts them back and cuts the
/// file to its old length), so into an empty store, whose file is its schema's few pages, a load
/// writes its pages once. All or nothing and durable as in WAL mode: `synchronous = FULL` for the
/// load, so the journal is on disk before the file is touched, and a load cut short (a crash)
/// is rolled back by the next connection to open the file.
///
/// SQLite leaves WAL mode only while no other connection has the file open (each holds a lock that
/// says so), so a store that another process or a reader of this one has open keeps WAL and loads
/// as before. Out of WAL mode, another process opening the store waits (as for any lock, up to
/// `SQLiteStore.busySeconds`) and puts it back in WAL mode itself; so does this store after the
/// load.
struct SQLiteFirstLoadJournal {
    /// Takes the store out of WAL mode for a first load; nil (WAL kept) when it is not one or when
    /// another connection has the file open. Outside any transaction.
    static func leaveWAL(_ db: Database) throws -> SQLiteFirstLoadJournal? {
        guard try SQLiteFirstLoad.isFirstLoad(db) else { return nil }
        // Refused at once, with "database is locked", while another connection has the file open.
        let mode: String?
        do {
            mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            return nil
        }
        guard mode == "delete" else { return nil }
        try db.execute(sql: "PRAGMA synchronous = FULL")
        return SQLiteFirstLoadJournal()
    }

    /// Back to WAL mode and its `synchronous = NORMAL` (as `SQLiteStore` opens a file), after the
    /// load's transaction has ended either way. Idle connections do not stand in the way (out of
    /// WAL mode they hold no lock between reads, and they follow the file back into WAL mode), but
    /// one reading at that moment, or a process opening the file (which is switching it back
    /// itself), may: tried again for up to a second. Failing that, the next process to open the
    /// store switches it back, and this one's connections work on in rollback mode.
    func returnToWAL(_ db: Database) {
        if (try? SQLiteStore.retryingWhileBusy(for: 1) { try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }) == "wal" {
            try? db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
    }
}
