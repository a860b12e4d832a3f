import Foundation
import GRDB
import StoreContract

extension SQLiteSchema {
    static func registerKeyAdults(_ m: inout DatabaseMigrator) {
        m.registerMigration("v9-key-adult-deputies") { db in
            // A school's key adult and deputies: several rows per URN, one per address. What was
            // last imported from Config/key-adults.csv is kept, so the file replaces the list only
            // when it changes, and admins' changes in the app stand until then.
            try db.execute(sql: """
                CREATE TABLE key_adults_v9 (
                    key_adult_key INTEGER PRIMARY KEY,
                    urn TEXT NOT NULL,
                    name TEXT NOT NULL,
                    email TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    endpoint TEXT,
                    UNIQUE (urn, email)
                );
                INSERT INTO key_adults_v9 (urn, name, email, channel, endpoint) SELECT urn, name, email, channel, endpoint FROM key_adults;
                DROP TABLE key_adults;
                ALTER TABLE key_adults_v9 RENAME TO key_adults;
                CREATE TABLE directory_imports (kind TEXT PRIMARY KEY, content TEXT NOT NULL, imported_at REAL NOT NULL);
                """)
        }
    }

    /// A number every change that may move an alert a run holds raises (`writeKeyAdults`,
    /// `noteRoutingChange`), so a run that claimed a batch before the change knows its messages not
    /// yet sent may be for the wrong people (`OutcomeRecorded.routingVersion`; audit 29, F1).
    static func registerRoutingVersion(_ m: inout DatabaseMigrator) {
        m.registerMigration("v29-routing-version") { db in
            try db.execute(sql: """
                CREATE TABLE routing_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
                INSERT INTO routing_version (id, version) VALUES (1, 0);
                """)
        }
    }
}

extension SQLiteStore {
    static func routingVersion(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT version FROM routing_version WHERE id = 1") ?? 0
    }

    static func keyAdults(_ db: Database, urn: String?) throws -> [KeyAdult] {
        try Row.fetchAll(db, sql: """
            SELECT urn, name, email, channel, endpoint FROM key_adults WHERE ?1 IS NULL OR urn = ?1 ORDER BY urn, lower(email), key_adult_key
            """, arguments: [urn]).compactMap { r in
            KeyAdult.Channel(rawValue: r[3]).map { KeyAdult(urn: r[0], name: r[1], email: r[2], channel: $0, endpoint: r[4]) }
        }
    }

    public func keyAdults(urn: String?) async throws -> [KeyAdult] {
        try await pool.read { db in try Self.keyAdults(db, urn: urn) }
    }

    public func importedKeyAdultsText() async throws -> String? {
        try await pool.read { db in
            guard try db.tableExists("directory_imports") else { return nil }
            return try String.fetchOne(db, sql: "SELECT content FROM directory_imports WHERE kind = 'key-adults'")
        }
    }

    public func changeKeyAdults(_ change: KeyAdultChange, actor: String, at now: Date) async throws {
        try await pool.write { db in
            let urn = change.urn
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM schools WHERE urn = ?)", arguments: [urn]) == true else {
                throw KeyAdultError.unknownSchool(urn)
            }
            let old = try Self.keyAdults(db, urn: urn)
            let new = try change.applied(to: old).get()
            try Self.writeKeyAdults(db, new, replacing: urn)
            let audit = change.audit(old: old)
            try SQLiteAudit.append(db, at: now, actor: actor, action: audit.action, subject: "school:\(urn)", detail: audit.detail)
            try Self.recontact(db, urn: urn)
        }
    }

    /// Replaces one school's key adults, or (`replacing` nil) everyone's.
    static func writeKeyAdults(_ db: Database, _ adults: [KeyAdult], replacing urn: String?) throws {
        try SQLiteSchema.noteRoutingChange(db)
        try db.execute(sql: "DELETE FROM key_adults WHERE ?1 IS NULL OR urn = ?1", arguments: [urn])
        let insert = try db.makeStatement(sql: "INSERT INTO key_adults (urn, name, email, channel, endpoint) VALUES (?, ?, ?, ?, ?)")
        for a in adults {
            try insert.execute(arguments: [a.urn, a.name, a.email, a.channel.rawValue, a.endpoint])
        }
    }

    /// Config/key-adults.csv, when it says something other than it did at the last import.
    static func importKeyAdults(_ db: Database, _ adults: [KeyAdult], at now: Date) throws {
        let content = KeyAdult.canonicalText(adults)
        let imported = try String.fetchOne(db, sql: "SELECT content FROM directory_imports WHERE kind = 'key-adults'")
        guard imported != content else { return }
        try EmptyKeyAdultsFile.check(adults, held: try Int.fetchOne(db, sql: "SELECT count(*) FROM key_adults") ?? 0, imported: imported)
        try writeKeyAdults(db, adults, replacing: nil)
        try db.execute(sql: """
            INSERT INTO directory_imports (kind, content, imported_at) VALUES ('key-adults', ?, ?)
            ON CONFLICT (kind) DO UPDATE SET content = excluded.content, imported_at = excluded.imported_at
            """, arguments: [content, now.timeIntervalSince1970])
        try recontact(db, urn: nil)
    }

    /// The waiting alerts of a school (every school, with nil) follow its people as they now are.
    static func recontact(_ db: Database, urn: String?) throws {
        let contacts = AlertContact.byURN(try keyAdults(db, urn: urn))
        let rows = try Row.fetchAll(db, sql: """
            SELECT alert_key, state, school_urn FROM alerts
            WHERE state IN \(SQLiteSchema.list(AlertLifecycle.waiting)) AND school_urn IS NOT NULL AND (?1 IS NULL OR school_urn = ?1)
            """, arguments: [urn])
        for r in rows {
            let school: String = r[2]
            guard let state = AlertState(rawValue: r[1]),
                  let plan = AlertLifecycle.afterContactChange(state: state, urn: school, contact: contacts[school]) else { continue }
            try db.execute(sql: """
                UPDATE alerts SET state = ?, channel = coalesce(?, channel), recipient = coalesce(?, recipient), unmatched_reason = ?
                WHERE alert_key = ? AND (state <> ? OR channel IS NOT ? OR recipient IS NOT ?)
                """, arguments: [plan.state.rawValue, plan.channel, plan.recipient, plan.reason, r[0] as Int64,
                                 plan.state.rawValue, plan.channel, plan.recipient])
        }
    }
}
