import Foundation
import GRDB
import GRDBSQLite
import RiskModel
@testable import SQLiteStore
import StoreContract
import Testing

/// A correcting feed on SQLite compiles its statements once, not once an incident: compiling ran
/// GRDB's authorizer over every column a statement reads, and reading each updated incident back,
/// withdrawing its alerts and moving them compiled several statements an incident. A correction of
/// the 18,559 incidents of a 30k-row history held the write lock for 24 s in a release build (a
/// first load of the same feed: 1.2 s), and the morning run gave up waiting (audit 27, chaos F2).
/// SQLite only: PostgreSQL's ingest reads and writes a chunk's changed incidents set-wise.
@Suite("SQLite: a correction's statements")
struct SQLiteCorrectionStatementsTests {
    let now = at("2026-11-22T08:00:00Z")

    /// Counts the statements compiled afresh that a connection runs: SQLite calls the trace at a
    /// statement's start, before it counts the run, so a statement's first run reads 0.
    final class Compiled: @unchecked Sendable {
        var count = 0
    }

    static let trace: @convention(c) (UInt32, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32 = {
        _, context, statement, _ in
        guard let context, let statement else { return 0 }
        if sqlite3_stmt_status(OpaquePointer(statement), SQLITE_STMTSTATUS_RUN, 0) == 0 {
            Unmanaged<Compiled>.fromOpaque(context).takeUnretainedValue().count += 1
        }
        return 0
    }

    /// `n` incidents, each with a child at `urn`, graded `supervisor`.
    func feed(_ n: Int, supervisor: Grade?, urn: String) -> [Incident] {
        (0..<n).map { i in
            incident("I-\(i)", "2026-11-21T20:00:00Z", supervisor: supervisor, children: [child("C-\(i)", urn: urn)])
        }
    }

    /// The statements compiled by a correction of `n` incidents (each regraded, its child moved to
    /// another school, so its queued alert follows it), on a new store.
    func compiledByCorrecting(_ n: Int) async throws -> (compiled: Int, summary: IngestSummary) {
        let t = try await TempStore(.sqlite)
        defer { t.cleanUp() }
        let planner = SchoolDirectoryStoreTests.planner
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: ["120501", "120502"].map(SchoolDirectoryStoreTests.adult)))
        _ = try await t.store.ingest(feed(n, supervisor: nil, urn: "120501"), actor: "test", at: now, planner: planner)
        let compiled = Compiled()
        let sqlite = try #require(t.store as? SQLiteStore)
        // The pool's one writer connection runs every ingest.
        try await sqlite.pool.writeWithoutTransaction { db in
            _ = sqlite3_trace_v2(db.sqliteConnection, UInt32(SQLITE_TRACE_STMT), Self.trace, Unmanaged.passUnretained(compiled).toOpaque())
        }
        let summary = try await t.store.ingest(feed(n, supervisor: .high, urn: "120502"), actor: "test", at: now, planner: planner)
        try await sqlite.pool.writeWithoutTransaction { db in
            _ = sqlite3_trace_v2(db.sqliteConnection, 0, nil, nil)
        }
        return withExtendedLifetime(compiled) { (compiled.count, summary) }
    }

    @Test func aCorrectionCompilesAsManyStatementsForFortyIncidentsAsForFour() async throws {
        let few = try await compiledByCorrecting(4)
        let many = try await compiledByCorrecting(40)
        #expect(few.summary.updated == 4)
        #expect(many.summary.updated == 40)
        #expect(few.compiled > 0)  // the trace saw the ingest
        #expect(many.compiled == few.compiled, "compiled \(few.compiled) statements for 4 incidents, \(many.compiled) for 40")
    }
}
