import GRDB
import SQLiteStore
import StoreContract
import Testing

/// SQLite's failures as the command line and the web tell them (`StoreFailure.problem`).
@Suite("SQLite's problems in words")
struct SQLiteProblemTests {
    /// A full disk names what to free (audit 22, resilience F5: SQLite's words name no disk).
    @Test func aFullDiskSaysWhichDiskToFree() {
        let full = DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full")
        #expect(full.problem.hasPrefix("database or disk is full: free space on the disk that holds the store"))
        #expect(full.problem.contains("TMPDIR"))
        let corrupt = DatabaseError(resultCode: .SQLITE_CORRUPT, message: "database disk image is malformed")
        #expect(corrupt.problem == "database disk image is malformed", "other failures keep SQLite's words alone")
    }

    /// A write that waited out the busy timeout says who may hold the store and what to do: the
    /// morning run said only "database is locked" while a correcting feed was ingested (audit 27,
    /// chaos F2).
    @Test func aLockedStoreSaysWhatHoldsItAndWhatToDo() {
        let busy = DatabaseError(resultCode: .SQLITE_BUSY, message: "database is locked")
        #expect(busy.problem == "database is locked: another program held the store's write lock for over 30 s "
                + "(a large or correcting `encompass ingest`, a `retention --purge`, an sqlite3 shell?) and this command's "
                + "change was not written: run it again once that one has finished (the notify timer's next run takes what is due)")
    }

    /// What a run keeping an outcome waits out for the lease (a lock, a lost connection), and what
    /// it tries only half a minute (`OutcomeKeeping.lastingFor`): a full disk, a read-only or damaged store.
    @Test func aFullDiskOrAReadOnlyStoreDoesNotClearItself() {
        for code: ResultCode in [.SQLITE_FULL, .SQLITE_READONLY, .SQLITE_CORRUPT, .SQLITE_NOTADB] {
            #expect(!DatabaseError(resultCode: code).mayClearItself, "\(code)")
        }
        for code: ResultCode in [.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_IOERR, .SQLITE_CANTOPEN] {
            #expect(DatabaseError(resultCode: code).mayClearItself, "\(code)")
        }
        #expect(!DatabaseError(resultCode: .SQLITE_READONLY_DBMOVED).mayClearItself, "an extended code by its primary")
    }
}
