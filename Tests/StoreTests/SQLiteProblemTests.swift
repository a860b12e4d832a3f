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
        let busy = DatabaseError(resultCode: .SQLITE_BUSY, message: "database is locked")
        #expect(busy.problem == "database is locked")
    }
}
