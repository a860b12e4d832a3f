import GRDB
import StoreContract

/// Versioned migrations for the embedded database. A migration, once released, is never edited:
/// later changes are new migrations.
enum SQLiteSchema {
    /// States as an SQL list, `('queued', 'retrying')`: the state machine's lists, in a query.
    static func list(_ states: [AlertState]) -> String {
        "(" + states.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-core") { db in
            try db.execute(sql: """
                CREATE TABLE incidents (
                    incident_key INTEGER PRIMARY KEY,
                    incident_id TEXT NOT NULL UNIQUE,
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
                    updated_at REAL NOT NULL
                );
                CREATE TABLE children (
                    child_key INTEGER PRIMARY KEY,
                    child_id TEXT NOT NULL UNIQUE,
                    given_name TEXT NOT NULL,
                    family_name TEXT NOT NULL,
                    dob TEXT NOT NULL,
                    school_urn TEXT,
                    latest_reported_at REAL NOT NULL
                );
                -- One row per child per incident. reported_at, incident_id and effective_grade are
                -- copied from the incident so the review queue reads one table in one pass.
                CREATE TABLE incident_children (
                    child_key INTEGER NOT NULL REFERENCES children(child_key),
                    incident_key INTEGER NOT NULL REFERENCES incidents(incident_key) ON DELETE CASCADE,
                    incident_id TEXT NOT NULL,
                    reported_at REAL NOT NULL,
                    effective_grade INTEGER NOT NULL,
                    school_urn TEXT,
                    present INTEGER,
                    spoken_to INTEGER,
                    child_voice TEXT,
                    bwv_used INTEGER,
                    -- Clustered by child then time, so the queue reads each child's incidents oldest first.
                    PRIMARY KEY (child_key, reported_at, incident_key)
                ) WITHOUT ROWID;
                CREATE INDEX incident_children_by_incident ON incident_children(incident_key);
                CREATE TABLE decisions (
                    decision_key INTEGER PRIMARY KEY,
                    child_id TEXT NOT NULL,
                    marac TEXT NOT NULL CHECK (marac IN ('referred', 'declined')),
                    on_date TEXT NOT NULL,
                    reason TEXT,
                    decided_by TEXT NOT NULL,
                    recorded_at REAL NOT NULL,
                    CHECK (marac = 'referred' OR length(trim(coalesce(reason, ''))) > 0)
                );
                CREATE INDEX decisions_by_child ON decisions(child_id, decision_key);
                -- Append-only: the program never updates or deletes a decision or an audit row.
                CREATE TRIGGER decisions_never_change BEFORE UPDATE ON decisions
                    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
                CREATE TRIGGER decisions_never_deleted BEFORE DELETE ON decisions
                    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
                CREATE TABLE audit (
                    audit_key INTEGER PRIMARY KEY,
                    at REAL NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    detail TEXT
                );
                CREATE TRIGGER audit_never_change BEFORE UPDATE ON audit
                    BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;
                CREATE TRIGGER audit_never_deleted BEFORE DELETE ON audit
                    BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;
                CREATE TABLE schools (
                    urn TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    la_code TEXT
                );
                CREATE TABLE key_adults (
                    urn TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    email TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    endpoint TEXT
                );
                """)
        }
        registerAccounts(&m)
        registerAlerts(&m)
        m.registerMigration("v5-incident-child-keys") { db in
            // An incident's links are found through the child keys it holds (each link is then one
            // seek on the links table's own key), not through an index of every link by incident:
            // a large ingest writes one B-tree entry fewer per link.
            try db.execute(sql: """
                ALTER TABLE incidents ADD COLUMN child_keys TEXT NOT NULL DEFAULT '[]';
                UPDATE incidents SET child_keys = coalesce((SELECT json_group_array(l.child_key) FROM incident_children l
                                                            WHERE l.incident_key = incidents.incident_key), '[]');
                DROP INDEX incident_children_by_incident;
                """)
        }
        m.registerMigration("v6-change-counter") { db in
            // One number every writer of what the queue reads bumps, so each server's cached queue
            // knows it is stale (`Store.changeVersion`).
            try db.execute(sql: """
                CREATE TABLE store_changes (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
                INSERT INTO store_changes (id, version) VALUES (1, 0);
                """)
        }
        m.registerMigration("v7-notify-runs") { db in
            // One row per `notify` run, written by the run as it ends, so `serve` on any host can
            // say on /metrics when the last one ran and how it went. Counts only.
            try db.execute(sql: """
                CREATE TABLE notify_runs (
                    run_key INTEGER PRIMARY KEY,
                    started_at REAL NOT NULL,
                    finished_at REAL NOT NULL,
                    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'service_unavailable', 'error')),
                    delivered INTEGER NOT NULL,
                    retrying INTEGER NOT NULL,
                    failed INTEGER NOT NULL,
                    held_back INTEGER NOT NULL,
                    overdue INTEGER NOT NULL,
                    hub_notices_sent INTEGER NOT NULL,
                    hub_notices_unsent INTEGER NOT NULL
                );
                CREATE INDEX notify_runs_by_finish ON notify_runs(finished_at, run_key);
                """)
        }
        registerAcknowledgement(&m)
        registerKeyAdults(&m)
        registerEpisodes(&m)
        m.registerMigration("v11-relay-state") { db in
            // A run that found our relay down says so: its exit-69 line and how many alerts wait on
            // the relay (NULL: the relay was not found down), for the board and the next run.
            try db.execute(sql: """
                ALTER TABLE notify_runs ADD COLUMN detail TEXT;
                ALTER TABLE notify_runs ADD COLUMN relay_waiting INTEGER;
                """)
        }
        registerPlans(&m)
        registerOfficerRole(&m)
        registerTokenLifecycle(&m)
        registerPasswordResets(&m)
        registerRetention(&m)
        registerIncidentIdIndex(&m)
        registerAcknowledgementTokens(&m)
        m.registerMigration("v19-incident-details") { db in
            // SPEC §11 counts "incidents with Y": body-worn video is kept on the incident, so an
            // incident with no child keeps it too. Y on any of an incident's links, else N on any,
            // else unknown (SQL's max skips NULLs); a value given on a row with no child was not kept
            // before, and comes with the next ingest of the incident (its fingerprint now holds it).
            //
            // And each link keeps the child's names and date of birth as that incident gave them, so a
            // correction that takes a child's newest incident away gives their row those of the
            // newest one left (`ChildNewest`). Links made before take the child's row's: what is known.
            try db.execute(sql: """
                ALTER TABLE incidents ADD COLUMN bwv_used INTEGER;
                UPDATE incidents SET bwv_used = b.used
                FROM (SELECT incident_key, max(bwv_used) AS used FROM incident_children GROUP BY incident_key) b
                WHERE b.incident_key = incidents.incident_key AND b.used IS NOT NULL;
                ALTER TABLE incident_children ADD COLUMN given_name TEXT;
                ALTER TABLE incident_children ADD COLUMN family_name TEXT;
                ALTER TABLE incident_children ADD COLUMN dob TEXT;
                UPDATE incident_children SET given_name = c.given_name, family_name = c.family_name, dob = c.dob
                FROM children c WHERE c.child_key = incident_children.child_key;
                """)
        }
        registerHubNoticeClaims(&m)
        registerTokenScopes(&m)
        registerHubNoticeRounds(&m)
        registerIdempotencyKeys(&m)
        registerHubNoticeSchools(&m)
        registerSchoolRounds(&m)
        registerHubNoticeSettled(&m)
        registerAlertsBoardLists(&m)
        m.registerMigration("v28-foreign-key-indexes") { db in
            // A row deleted from a table others refer to makes SQLite look for the rows that refer
            // to it, and without an index led by the referring column that is a scan of the whole
            // table each time: a purge deleted each child's row with a scan of every alert, 38 ms a
            // child at a million rows, hours in all (audit 26, F2). Every foreign key now has one,
            // but the links' by incident (`v5-incident-child-keys`; the purge, the only delete of
            // incidents, makes it for its own length).
            try db.execute(sql: """
                CREATE INDEX alerts_by_child_key ON alerts(child_key);
                CREATE INDEX hub_notices_by_alert ON hub_notices(alert_key);
                CREATE INDEX hub_notice_alerts_by_alert ON hub_notice_alerts(alert_key);
                CREATE INDEX sessions_by_user ON sessions(user_key);
                """)
        }
        registerRoutingVersion(&m)
        return m
    }

    /// Inside a write that changes what the review queue reads.
    static func noteChange(_ db: Database) throws {
        try db.execute(sql: "UPDATE store_changes SET version = version + 1 WHERE id = 1")
    }

    /// Inside a write that may move an alert a run holds (`OutcomeRecorded.routingVersion`).
    static func noteRoutingChange(_ db: Database) throws {
        try db.execute(sql: "UPDATE routing_version SET version = version + 1 WHERE id = 1")
    }

    /// The links of incident `?1`, for a WHERE clause on `incident_children` (SQL), its columns
    /// named through `table` (an alias) when given.
    static func linksOfIncident(_ table: String? = nil) -> String {
        let t = table.map { $0 + "." } ?? ""
        return """
            \(t)child_key IN (SELECT value FROM json_each((SELECT child_keys FROM incidents WHERE incident_key = ?1))) \
            AND \(t)incident_key = ?1
            """
    }
}
