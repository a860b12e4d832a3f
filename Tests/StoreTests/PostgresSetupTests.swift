import Foundation
import StoreContract
import Stores
import Testing
import TestSupport

/// A new PostgreSQL database is set up in one transaction (audit 27, chaos F4): the first command
/// stopped part way through the set-up left some migrations in, and every command then refused the
/// database as an older one ("needs N migrations: run `encompass migrate`") until someone ran it.
@Suite("PostgreSQL: setting up a new database")
struct PostgresSetupTests {
    /// A set-up that stops at a late migration (a table of that name already there) keeps nothing:
    /// no book of migrations, none of the earlier migrations' tables; once the obstacle is gone the
    /// next writer sets the database up whole, as on a new one.
    @Test func aSetUpStoppedPartWayKeepsNothingAndTheNextWriterSetsItUp() async throws {
        let url = try PostgresServer.shared().makeDatabase()
        let db = String(url.split(separator: "/").last!)
        let blocked = try await PostgresServer.shared().psql(db, "CREATE TABLE idempotency_keys (x int); ALTER TABLE idempotency_keys OWNER TO encompass")
        try #require(blocked.exitCode == 0, "\(blocked.output)")
        let store = try StoreFactory.open(url)
        await #expect(throws: (any Error).self) { try await store.migrate(for: .write) }
        let left = try await PostgresServer.shared().psql(db, "SELECT to_regclass('schema_migrations') IS NULL, to_regclass('incidents') IS NULL")
        #expect(left.output.trimmingCharacters(in: .whitespacesAndNewlines) == "t|t", "\(left.output)")

        _ = try await PostgresServer.shared().psql(db, "DROP TABLE idempotency_keys")
        let ran = try await store.migrate(for: .write)
        #expect(ran.count > 20 && ran.last?.hasPrefix("pg") == true, "\(ran)")
        #expect(try await store.pendingMigrations().isEmpty)
    }
}
