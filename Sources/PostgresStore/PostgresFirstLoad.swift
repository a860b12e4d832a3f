import Foundation
import Logging
import PostgresNIO

/// The first load into an empty store, written the way PostgreSQL loads a table fastest: the links'
/// keys, indexes and foreign keys, the incidents' secondary indexes, the primary keys and unique ids
/// of incidents (and of children, when none is stored) and the alerts' foreign keys to them are
/// dropped, the rows COPY'd bare, and each is built again at the end in one sorted pass (a foreign
/// key checked by one join),
/// where the plain path checks both foreign keys of every link and runs the serial-perpetrator
/// trigger of every incident one row at a time (about two thirds of a million-row ingest's time).
///
/// All inside the ingest's transaction: DDL is transactional in PostgreSQL, so an ingest that fails
/// leaves the schema as it was, and a reader never sees the tables without their keys. The tables
/// are locked for the ingest (readers wait for the commit instead of seeing an empty store): only
/// for a first load, when there is nothing yet to read.
///
/// What is dropped is read from the catalog, and put back from the catalog's own definitions, so a
/// later migration's index is rebuilt as it was made.
struct PostgresFirstLoad {
    /// Put back in this order: the primary keys and unique ids, the indexes, the serial candidates,
    /// then the links' primary key, their foreign keys, and the other foreign keys that were set
    /// aside. (Not private: a test reads what a first load would set aside.)
    let restore: [String]
    /// The children table was empty too (no episode had made one): no child of the batch is stored.
    let childrenEmpty: Bool

    /// Rebuilt by one GROUP BY at the end (what the trigger would have found row by row: every
    /// incident is new in a first load, and the trigger only ever adds).
    static let serialTrigger = "incidents_serial_candidate"

    /// A first load when no incident and no link is stored yet and the tables are this role's own
    /// (dropping an index needs the owner); nil otherwise, and then nothing was changed.
    ///
    /// Inside the ingest lock: only an ingest adds incidents or links, so the store cannot stop being
    /// empty between the look and the lock.
    static func begin(_ conn: PostgresConnection, _ logger: Logger) async throws -> PostgresFirstLoad? {
        let empty = try await conn.row("""
            SELECT NOT EXISTS (SELECT 1 FROM incidents) AND NOT EXISTS (SELECT 1 FROM incident_children)
                AND (SELECT bool_and(pg_has_role(relowner, 'USAGE')) FROM pg_class
                     WHERE oid IN ('incident_children'::regclass, 'incidents'::regclass, 'children'::regclass, 'alerts'::regclass))
            """, logger, as: (Bool).self)
        guard empty == true else { return nil }
        // Every lock at once, first, in one order: an ingest holding one and waiting for another is
        // how deadlocks start. (Dropping a foreign key locks the table it refers to as well.) The
        // alerts too, whose foreign keys refer to incidents and children: empty, since every alert
        // is an incident's, so a notify run waits for the load and finds what it queued. The alerts
        // first: a notify run's transaction takes them before anything else, so it either finishes
        // before the load or waits for it, never holds them while the load waits. (A reader that takes
        // them in another order: `lockTables`.)
        try await lockTables(conn, logger)
        let childrenEmpty = try await conn.row("SELECT NOT EXISTS (SELECT 1 FROM children)", logger, as: (Bool).self) ?? false
        // The primary keys of the incidents, and of the children when none is stored, and the other
        // tables' foreign keys that refer to them (the alerts'): each key's index kept up row by row,
        // every insert its own WAL record, cost more than building it in one pass over rows already
        // in key order (617,000 incidents copied by hand: 1.18-1.29 s with the key, 0.82-0.86 s
        // without and 0.20-0.25 s to build it).
        let keyTables = childrenEmpty ? "('incidents'::regclass, 'children'::regclass)" : "('incidents'::regclass)"
        let primaryKeys = try await conn.rows(PostgresQuery(unsafeSQL: """
            SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint
            WHERE contype = 'p' AND conrelid IN \(keyTables) ORDER BY 1, 2
            """), logger, as: (String, String, String).self)
        let referring = try await conn.rows(PostgresQuery(unsafeSQL: """
            SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint
            WHERE contype = 'f' AND confrelid IN \(keyTables) AND conrelid <> 'incident_children'::regclass ORDER BY 1, 2
            """), logger, as: (String, String, String).self)

        // The links' primary key ('p' sorts after 'f': first) and foreign keys.
        let constraints = try await conn.rows("""
            SELECT quote_ident(conname), pg_get_constraintdef(oid), contype::text FROM pg_constraint
            WHERE conrelid = 'incident_children'::regclass AND contype IN ('p', 'f') ORDER BY contype DESC, conname
            """, logger, as: (String, String, String).self)
        // Indexes of their own (not a constraint's) on the links and the incidents.
        let indexes = try await conn.rows("""
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
            WHERE i.indrelid IN ('incidents'::regclass, 'incident_children'::regclass)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
            ORDER BY 1
            """, logger, as: (String, String).self)

        // The incidents' unique ids, and the children's when none is stored: a first load looks
        // nothing up by them, and a unique index built in one sorted pass at the end costs far less
        // than one kept up row by row as its B-tree outgrows the cache (6.2 million incidents
        // copied by hand: 25.4-32.4 s with the index, 18.7-20.2 s building it after; `ingest` of
        // ten million rows 110.8 -> 90.6 s and 91.7 -> 86.4 s, of a million 10.1 -> 9.5 s). Not one
        // a foreign key refers to: that one could not be dropped alone.
        let uniques = try await conn.rows("""
            SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid) FROM pg_constraint c
            WHERE c.contype = 'u' AND (c.conrelid = 'incidents'::regclass OR (c.conrelid = 'children'::regclass AND \(childrenEmpty)))
              AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)
            ORDER BY 1, 2
            """, logger, as: (String, String, String).self)
        for (table, name, _) in referring {
            try await conn.run(PostgresQuery(unsafeSQL: "ALTER TABLE \(table) DROP CONSTRAINT \(name)"), logger)
        }
        if !constraints.isEmpty {
            let drops = constraints.map { "DROP CONSTRAINT \($0.0)" }.joined(separator: ", ")
            try await conn.run(PostgresQuery(unsafeSQL: "ALTER TABLE incident_children \(drops)"), logger)
        }
        // Once nothing refers to them.
        for (table, name, _) in primaryKeys + uniques {
            try await conn.run(PostgresQuery(unsafeSQL: "ALTER TABLE \(table) DROP CONSTRAINT \(name)"), logger)
        }
        for (name, _) in indexes { try await conn.run(PostgresQuery(unsafeSQL: "DROP INDEX \(name)"), logger) }
        try await conn.run(PostgresQuery(unsafeSQL: "ALTER TABLE incidents DISABLE TRIGGER \(serialTrigger)"), logger)

        // The indexes first, then the serial candidates: their GROUP BY reads the perpetrators' index
        // once it is there, where without it (and without statistics, none yet for the new rows) it
        // spilled a hash aggregate to disk: 12.3 s for both at ten million rows, 9.3 s in this order
        // (1.0 s and 0.8 s at a million).
        var restore = (primaryKeys + uniques).map { "ALTER TABLE \($0.0) ADD CONSTRAINT \($0.1) \($0.2)" }
        restore += indexes.map(\.1)
        restore += ["ALTER TABLE incidents ENABLE TRIGGER \(serialTrigger)", PostgresSchema.serialCandidatesOfAll]
        // The primary key before the foreign keys, each its own statement: one ALTER TABLE would
        // check the foreign keys before building the key's index.
        restore += constraints.map { "ALTER TABLE incident_children ADD CONSTRAINT \($0.0) \($0.1)" }
        // The alerts' keys checked by looking each up in the key just built: with no statistics yet,
        // the check hashed every incident and child for a few alerts each (ten million rows: 1.30 s
        // and 1.91 s for 191,000 alerts).
        if !referring.isEmpty {
            restore += ["SET LOCAL enable_hashjoin = off"]
            restore += referring.map { "ALTER TABLE \($0.0) ADD CONSTRAINT \($0.1) \($0.2)" }
            restore += ["RESET enable_hashjoin"]
        }
        return PostgresFirstLoad(restore: restore, childrenEmpty: childrenEmpty)
    }

    /// Takes the four tables' locks, and takes them again if PostgreSQL ended a deadlock by failing
    /// the load's wait. A reader can hold one of them and then ask for another this load already
    /// holds (the queue's scan reads the links, then the children); the load waited first, so it is
    /// the one PostgreSQL fails (each waiter looks for a deadlock after `deadlock_timeout`), and a
    /// first load would fail because someone opened a page at that instant. Inside a savepoint:
    /// undoing it lets go of the locks just taken, the reader finishes, and the next try waits for
    /// it. A few tries: each needs another reader caught at that same instant.
    static func lockTables(_ conn: PostgresConnection, _ logger: Logger) async throws {
        try await conn.run("SAVEPOINT first_load_locks", logger)
        var tries = 1
        while true {
            do {
                try await conn.run("LOCK TABLE alerts, incidents, children, incident_children IN ACCESS EXCLUSIVE MODE", logger)
                break
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == deadlockDetected && tries < 5 {
                tries += 1
                try await conn.run("ROLLBACK TO SAVEPOINT first_load_locks", logger)
            }
        }
        try await conn.run("RELEASE SAVEPOINT first_load_locks", logger)
    }

    /// PostgreSQL's SQLSTATE for a transaction it failed to end a deadlock.
    static let deadlockDetected = "40P01"

    /// Builds again what `begin` dropped, once every row is in.
    func finish(_ conn: PostgresConnection, _ logger: Logger) async throws {
        for statement in restore { try await conn.run(PostgresQuery(unsafeSQL: statement), logger) }
    }
}
