import Foundation
import RiskModel
import StoreContract
import Stores
import Synchronization
import Testing
import TestSupport

/// PostgreSQL's text compared as bytes (`pg13-text-as-bytes`): every text column of every table,
/// on a new store and on one the version before made and filled.
@Suite("PostgreSQL's text compared as bytes")
struct TextAsBytesTests {
    /// The tables' text columns that do not compare as bytes, as `table.column`, one a line.
    static func columnsNotAsBytes(_ url: String) async throws -> String {
        let result = try await PostgresServer.shared().psql(String(url.split(separator: "/").last!), """
            SELECT c.relname || '.' || a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
              AND a.atttypid = 'text'::regtype AND a.attcollation <> 'pg_catalog."C"'::regcollation
            ORDER BY 1
            """)
        #expect(result.exitCode == 0, "\(result.output)")
        return result.output
    }

    /// A later migration's new text column must say `COLLATE "C"` too: this names any that does not.
    @Test func everyTextColumnOfANewStoreComparesAsBytes() async throws {
        let t = try await TempStore(.postgres)
        defer { t.cleanUp() }
        #expect(try await Self.columnsNotAsBytes(t.url) == "")
    }

    /// A store the version before made and filled (every table), with a role granted its rows and
    /// the decisions' view: after the migration every row is as it was, the view answers that role,
    /// and the serial-perpetrator trigger (made again around the change) still fires.
    @Test func aStoreOfTheVersionBeforeKeepsEverythingThroughTheChange() async throws {
        let source = try await CopyStoreTests().filled()
        defer { source.cleanUp() }
        let url = try PostgresServer.shared().makeDatabase()
        let db = String(url.split(separator: "/").last!)
        let older = try SchemaVersionStoreTests.store(.postgres, url, knownUpTo: "pg12-retention")
        _ = try await older.migrate(for: .write)
        // Every table that version had: pg14-ack-tokens made alert_ack_tokens after it, and
        // pg15-incident-details the incidents' bwv_used and the links' names.
        let tables = SchemaVersionStoreTests.tablesBefore(missing: ["alert_ack_tokens"])
        let copied = Mutex<Set<String>>([])
        try await older.insert(tables) { table in
            guard copied.withLock({ $0.insert(table.name).inserted }) else { return nil }
            let rows = try await source.store.rows(of: table)
            return rows.isEmpty ? nil : rows
        }
        func contents(_ store: any FullStore) async throws -> [String: [String]] {
            var out: [String: [String]] = [:]
            for table in tables { out[table.name] = try await store.rows(of: table).map { "\($0)" }.sorted() }
            return out
        }
        let before = try await contents(older)
        #expect(try await Self.columnsNotAsBytes(url).contains("incidents.incident_id"), "the version before compared by the locale")
        let granted = try await PostgresServer.shared().psql(db, """
            DO $$ BEGIN CREATE ROLE encompass_reader LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            GRANT USAGE ON SCHEMA public TO encompass_reader;
            GRANT SELECT ON all_decisions TO encompass_reader;
            """)
        try #require(granted.exitCode == 0, "\(granted.output)")

        let current = try StoreFactory.open(url)
        #expect(try await current.migrate(for: .migrate) == ["pg13-text-as-bytes", "pg14-ack-tokens", "pg15-incident-details",
                                                            "pg16-hub-notice-claims", "pg17-token-scopes", "pg18-retention-owner-only", "pg19-hub-notice-rounds", "pg20-idempotency-keys", "pg21-hub-notice-schools", "pg22-alert-school-rounds", "pg23-hub-notice-settled", "pg24-alerts-board-lists", "pg25-foreign-key-indexes", "pg26-routing-version"])
        #expect(try await Self.columnsNotAsBytes(url) == "")
        #expect(try await contents(current) == before)
        let read = try await PostgresServer.shared().psql(db, "SET ROLE encompass_reader; SELECT count(*) FROM all_decisions")
        #expect(read.exitCode == 0 && read.output == "2\n", "the view made again, with its grant: \(read.output)")
        #expect(try await current.decisions(childId: "C-1").count == 1)

        // P-1 was named against V-1 only; an incident against V-2 makes P-1 a candidate.
        #expect(try await PostgresServer.shared().psql(db, "SELECT count(*) FROM serial_candidates").output == "0\n")
        _ = try await current.ingest([Incident(id: "I-9", reportedAt: at("2026-11-22T20:00:00Z"), officerGrade: .standard, victimId: "V-2",
                                               perpetratorId: "P-1", children: [child("C-9")])],
                                     actor: "test", at: at("2026-11-23T08:00:00Z"), planner: nil)
        #expect(try await PostgresServer.shared().psql(db, "SELECT string_agg(perpetrator_id, ',') FROM serial_candidates").output == "P-1\n")
    }
}
