import Foundation
import GRDB
import RiskModel
@testable import SQLiteStore
import StoreContract
import Testing

/// A database written by an earlier version keeps working after its migrations.
@Suite("Schema migrations")
struct SchemaMigrationTests {
    /// Every incident, then every link, in key order.
    static func incidentsAndLinks(_ db: Database) throws -> [Row] {
        try Row.fetchAll(db, sql: "SELECT * FROM incidents ORDER BY incident_key")
            + Row.fetchAll(db, sql: "SELECT * FROM incident_children ORDER BY child_key, reported_at, incident_key")
    }

    /// Each row's values in the columns its counterpart in `like` has: a later migration adds columns
    /// of its own, and what is compared is that the rows came through with what they had.
    static func values(_ rows: [Row], like: [Row]) -> [[DatabaseValue]] {
        zip(rows, like).map { row, was in was.columnNames.map { row[$0] as DatabaseValue } }
    }

    /// A folder of the test's own and the store's path in it.
    static func newStorePath() throws -> (URL, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("encompass-migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return (dir, dir.appendingPathComponent("store.sqlite").path)
    }

    @Test func linksWrittenBeforeChildKeysAreStillFoundThroughTheirIncident() async throws {
        let (dir, path) = try Self.newStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let now = at("2026-11-01T12:00:00Z")
        // Written as version 4 wrote them: links found by an index on incident_key, no child_keys.
        let old = try DatabaseQueue(path: path)
        try SQLiteSchema.migrator.migrate(old, upTo: "v4-configuration-notices")
        try await old.write { db in
            try db.execute(sql: """
                INSERT INTO incidents (incident_key, incident_id, reported_at, risk_tool, officer_grade, dash_yes_count,
                    effective_grade, victim_id, fingerprint, first_ingested_at, updated_at)
                    VALUES (1, 'I-1', 0, 'DASH', 0, 2, 0, 'V-1', 'x', 0, 0), (2, 'I-2', 0, 'DASH', 0, 2, 0, 'V-1', 'x', 0, 0);
                INSERT INTO children (child_key, child_id, given_name, family_name, dob, latest_reported_at)
                    VALUES (1, 'C-1', 'A', 'B', '2015-05-05', 0), (2, 'C-2', 'A', 'B', '2015-05-05', 0);
                INSERT INTO incident_children (child_key, incident_key, incident_id, reported_at, effective_grade)
                    VALUES (1, 1, 'I-1', 0, 0), (2, 1, 'I-1', 0, 0), (2, 2, 'I-2', 0, 0);
                """)
        }
        try old.close()

        let store = try SQLiteStore(path: path)
        try await store.migrate()
        let queue = try DatabaseQueue(path: path)
        #expect(try await queue.read { try String.fetchAll($0, sql: "SELECT child_keys FROM incidents ORDER BY incident_key") }
                == ["[1,2]", "[2]"])
        #expect(try await queue.read {
            try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master WHERE name = 'incident_children_by_incident'")
        } == 0)
        try queue.close()

        // I-1 corrected to name C-2 and C-3: C-1's link goes, I-2's link to C-2 stays.
        let corrected = incident("I-1", "2026-10-01T10:00:00Z", children: [child("C-2"), child("C-3")])
        let s = try await store.ingest([corrected], actor: "test", at: now, planner: nil)
        #expect((s.added, s.updated) == (0, 1))
        let after = try DatabaseQueue(path: path)
        let links = try await after.read {
            try Row.fetchAll($0, sql: """
                SELECT l.incident_id, c.child_id FROM incident_children l JOIN children c USING (child_key)
                ORDER BY l.incident_id, c.child_id
                """).map { "\($0[0] as String)/\($0[1] as String)" }
        }
        #expect(links == ["I-1/C-2", "I-1/C-3", "I-2/C-2"])
        #expect(try await after.read { try String.fetchOne($0, sql: "SELECT child_keys FROM incidents WHERE incident_id = 'I-1'") }
                == "[2,3]")
    }

    /// v11 makes the accounts table again to let it hold officers: every account and its session
    /// come through, keys and all, and the session's link to its account holds.
    @Test func accountsAndSessionsComeThroughTheOfficerMigration() async throws {
        let (dir, path) = try Self.newStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let old = try DatabaseQueue(path: path)
        try SQLiteSchema.migrator.migrate(old, upTo: "v12-marac-plans")
        try await old.write { db in
            try db.execute(sql: """
                INSERT INTO users (user_key, name, role, password_hash, disabled, failed_sign_ins, created_at)
                    VALUES (7, 'Hana', 'hub', 'h1', 0, 2, 10), (9, 'ade', 'admin', 'h2', 1, 0, 20);
                INSERT INTO sessions (token_hash, user_key, csrf_token, created_at, last_seen_at) VALUES ('t', 7, 'c', 30, 40);
                """)
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO users (name, role, password_hash, created_at) VALUES ('pc', 'officer', 'h', 0)")
            }
        }
        try old.close()

        let store = try SQLiteStore(path: path)
        try await store.migrate()
        #expect(try await store.users().map { "\($0.name) \($0.role.rawValue) \($0.disabled) \($0.failedSignIns)" }
                == ["ade admin true 0", "Hana hub false 2"])
        #expect(try await store.session(tokenHash: "t")?.user.name == "Hana")
        try await store.addUser(name: "pc.jones", role: .officer, passwordHash: "h", by: "test", at: Date())
        #expect(try await store.user(named: "PC.JONES")?.role == .officer)
        await #expect(throws: AccountError.nameTaken("hana")) {
            try await store.addUser(name: "hana", role: .officer, passwordHash: "h", by: "test", at: Date())
        }
        let queue = try DatabaseQueue(path: path)
        let foreignKeyProblems = try queue.read { try Row.fetchAll($0, sql: "PRAGMA foreign_key_check") }
        let leftOver = try await queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master WHERE name = 'users_v11'") }
        #expect(foreignKeyProblems.isEmpty)
        #expect(leftOver == 0)
        try queue.close()
        // Ending the account's session still goes through the link.
        try await store.setDisabled(true, name: "Hana", by: "test", at: Date())
        #expect(try await store.session(tokenHash: "t") == nil)
    }

    /// v17 makes the incidents table again so that its id is unique by a named index a first load
    /// can set aside: every incident comes through with its key, the links that refer to it are
    /// still there and still hold, the serial-perpetrator index and triggers are made again, and the
    /// id is still unique.
    @Test func incidentsComeThroughTheIdIndexMigration() async throws {
        let (dir, path) = try Self.newStorePath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let old = try DatabaseQueue(path: path)
        try SQLiteSchema.migrator.migrate(old, upTo: "v16-retention")
        let before = try old.write { db in
            try db.execute(sql: """
                INSERT INTO incidents (incident_key, incident_id, reported_at, risk_tool, officer_grade, dash_yes_count,
                    effective_grade, victim_id, perpetrator_id, fingerprint, first_ingested_at, updated_at, child_keys)
                    VALUES (3, 'I-1', 1.5e9, 'DASH', 0, 2, 0, 'V-1', 'P-7', 'x', 0, 0, '[1]'),
                           (8, 'I-2', 1.6e9, 'DASH', 1, 2, 1, 'V-2', 'P-7', 'y', 0, 0, '[1]');
                INSERT INTO children (child_key, child_id, given_name, family_name, dob, latest_reported_at)
                    VALUES (1, 'C-1', 'A', 'B', '2015-05-05', 1.6e9);
                INSERT INTO incident_children (child_key, incident_key, incident_id, reported_at, effective_grade)
                    VALUES (1, 3, 'I-1', 1.5e9, 0), (1, 8, 'I-2', 1.6e9, 1);
                """)
            return try Self.incidentsAndLinks(db)
        }
        #expect(try await old.read { try String.fetchAll($0, sql: "SELECT perpetrator_id FROM serial_candidates") } == ["P-7"])
        try old.close()

        let store = try SQLiteStore(path: path)
        try await store.migrate()
        let queue = try DatabaseQueue(path: path)
        // The links too: had the table been dropped with foreign keys on, ON DELETE CASCADE would
        // have taken them, and the foreign key check below would still find nothing wrong.
        let after = try queue.read { try Self.incidentsAndLinks($0) }
        #expect(after.count == before.count && Self.values(after, like: before) == Self.values(before, like: before))
        #expect(try queue.read { try Row.fetchAll($0, sql: "PRAGMA foreign_key_check") }.isEmpty)
        #expect(try await queue.read {
            try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE tbl_name = 'incidents' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        } == ["incidents", "incidents_by_id", "incidents_by_perpetrator", "incidents_serial_candidate_added", "incidents_serial_candidate_changed"])
        #expect(throws: DatabaseError.self) {
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO incidents (incident_id, reported_at, risk_tool, officer_grade, effective_grade, victim_id, fingerprint,
                        first_ingested_at, updated_at) VALUES ('I-1', 0, 'DASH', 0, 0, 'V-1', 'z', 0, 0)
                    """)
            }
        }
        try queue.close()
        // The trigger is back: P-9 named against a second victim becomes a candidate.
        let now = at("2026-11-01T12:00:00Z")
        func named(_ id: String, _ when: String, victim: String) -> Incident {
            Incident(id: id, reportedAt: at(when), officerGrade: .standard, dashYesCount: 2, victimId: victim, perpetratorId: "P-9",
                     children: [child("C-2")])
        }
        _ = try await store.ingest([named("I-3", "2026-10-01T10:00:00Z", victim: "V-3"), named("I-4", "2026-10-02T10:00:00Z", victim: "V-4")],
                                   actor: "test", at: now, planner: nil)
        let found = try await store.serialCandidateIncidents(from: at("2020-01-01T00:00:00Z"), to: now, minimumVictims: 2)
        #expect(Set(found.map(\.perpetratorId)) == ["P-7", "P-9"])
    }
}
