import GRDB
import StoreContract

extension SQLiteSchema {
    /// `v17-incident-id-index`: an incident's id is unique by a named index instead of the column's
    /// own UNIQUE, so that a first load can set it aside (`SQLiteFirstLoad`). SQLite cannot drop an
    /// inline UNIQUE, so the table is made again with its rows (same keys), and its other indexes and
    /// triggers from their stored definitions. GRDB turns foreign keys off for a migration and checks
    /// them after it, so the links and alerts that refer to incidents are neither cascaded nor broken.
    static func registerIncidentIdIndex(_ m: inout DatabaseMigrator) {
        m.registerMigration("v17-incident-id-index") { db in
            let dependents = try String.fetchAll(db, sql: """
                SELECT sql FROM sqlite_master WHERE tbl_name = 'incidents' AND type IN ('index', 'trigger') AND sql IS NOT NULL
                ORDER BY type = 'trigger', name
                """)
            let columns = """
                incident_key, incident_id, reported_at, risk_tool, officer_grade, dash_yes_count, supervisor_grade, effective_grade,
                flags, victim_id, perpetrator_id, fingerprint, first_ingested_at, updated_at, child_keys
                """
            try db.execute(sql: """
                CREATE TABLE incidents_v17 (
                    incident_key INTEGER PRIMARY KEY,
                    incident_id TEXT NOT NULL,
                    reported_at REAL NOT NULL,
                    risk_tool TEXT NOT NULL,
                    officer_grade INTEGER NOT NULL,
                    dash_yes_count INTEGER,
                    supervisor_grade INTEGER,
                    effective_grade INTEGER NOT NULL,
                    flags TEXT NOT NULL DEFAULT '',
                    victim_id TEXT NOT NULL,
                    perpetrator_id TEXT,
                    fingerprint TEXT NOT NULL,
                    first_ingested_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    child_keys TEXT NOT NULL DEFAULT '[]'
                );
                INSERT INTO incidents_v17 (\(columns)) SELECT \(columns) FROM incidents ORDER BY incident_key;
                DROP TABLE incidents;
                ALTER TABLE incidents_v17 RENAME TO incidents;
                CREATE UNIQUE INDEX incidents_by_id ON incidents(incident_id);
                """)
            for sql in dependents { try db.execute(sql: sql) }
        }
    }
}

/// What a first load into an empty store sets aside and makes again at its end, in the same
/// transaction: the incidents' id index and the serial-perpetrator candidates' index and triggers.
/// Kept up row by row, an index's pages are written between the incidents' own (the candidates' made
/// the escalations scan after a bulk load read a third more of the file), and a big index's upkeep
/// grows faster than its rows (the id index's was 2 s of the incidents' 7.5 s at ten million rows);
/// `CREATE INDEX` writes each in one sorted pass after them. A first load looks nothing up by id
/// (every incident is new, and a feed hands each id over once), and the unique index, made again,
/// still refuses a batch that broke that promise, rolling it all back. The definitions are read back
/// from the schema itself, so they stay the migrations'.
struct SQLiteFirstLoad {
    private static let indexes = ["incidents_by_id", "incidents_by_perpetrator"]
    private static let triggers = ["incidents_serial_candidate_added", "incidents_serial_candidate_changed"]

    /// Whether an ingest into this store is a first load: no incident yet.
    static func isFirstLoad(_ db: Database) throws -> Bool {
        try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM incidents)")!
    }

    /// The set-aside definitions: indexes, then triggers (whose look-ups use the perpetrators' index).
    private let indexDefinitions: [String]
    private let triggerDefinitions: [String]

    /// Drops the indexes and triggers; `restore` must run before the transaction commits.
    static func setAside(_ db: Database) throws -> SQLiteFirstLoad {
        func definitions(_ type: String, _ names: [String]) throws -> [String] {
            let rows = try Row.fetchAll(db, sql: """
                SELECT name, sql FROM sqlite_master WHERE type = '\(type)' AND name IN (\(names.map { "'\($0)'" }.joined(separator: ", ")))
                ORDER BY name
                """)
            guard rows.count == names.count else { throw StoreError.unavailable("the store's incident indexes are not all there: run `encompass migrate`") }
            return rows.map { $0[1] }
        }
        let set = SQLiteFirstLoad(indexDefinitions: try definitions("index", indexes), triggerDefinitions: try definitions("trigger", triggers))
        for name in triggers { try db.execute(sql: "DROP TRIGGER \(name)") }
        for name in indexes { try db.execute(sql: "DROP INDEX \(name)") }
        return set
    }

    /// Makes the indexes again, the candidates from every incident, then the triggers.
    func restore(_ db: Database) throws {
        for sql in indexDefinitions { try db.execute(sql: sql) }
        try SQLiteSerialCandidates.fillFromIndex(db)
        for sql in triggerDefinitions { try db.execute(sql: sql) }
    }
}
