import Foundation
import GRDB
import StoreContract

extension SQLiteSchema {
    /// `v16-retention`: a purge may remove what the append-only triggers otherwise refuse, but only
    /// for the records it names in `retention_purging` within its own transaction: an alert's calls,
    /// an incident's regrades, and the personal values of the audit rows about the record (their
    /// `detail`, replaced by the removal marker; nothing else of the row may change).
    static func registerRetention(_ m: inout DatabaseMigrator) {
        m.registerMigration("v16-retention") { db in
            try db.execute(sql: """
                CREATE TABLE retention_purging (subject TEXT PRIMARY KEY) WITHOUT ROWID;
                DROP TRIGGER audit_never_change;
                CREATE TRIGGER audit_never_change BEFORE UPDATE ON audit
                    WHEN NOT (NEW.detail IS '\(RetentionText.removedDetail)' AND NEW.audit_key = OLD.audit_key AND NEW.at = OLD.at
                              AND NEW.actor = OLD.actor AND NEW.action = OLD.action AND NEW.subject = OLD.subject
                              AND EXISTS (SELECT 1 FROM retention_purging WHERE subject = OLD.subject))
                    BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;
                DROP TRIGGER alert_calls_never_deleted;
                CREATE TRIGGER alert_calls_never_deleted BEFORE DELETE ON alert_calls
                    WHEN NOT EXISTS (SELECT 1 FROM retention_purging WHERE subject = 'alert:' || OLD.alert_key)
                    BEGIN SELECT RAISE(ABORT, 'alert_calls are append-only'); END;
                DROP TRIGGER regrades_never_deleted;
                CREATE TRIGGER regrades_never_deleted BEFORE DELETE ON regrades
                    WHEN NOT EXISTS (SELECT 1 FROM retention_purging WHERE subject = 'incident:' || OLD.incident_id)
                    BEGIN SELECT RAISE(ABORT, 'regrades are append-only'); END;
                """)
        }
    }
}

extension SQLiteStore: RetentionStore {
    public func retentionCandidates(incidentsBefore: Date?, episodesBefore: Date?) async throws -> [RetentionItem] {
        try await pool.read { db in
            var items: [RetentionItem] = []
            if let incidentsBefore {
                items += try Row.fetchAll(db, sql: """
                    SELECT incident_id, reported_at, \(Self.alertMayStillGo("incidents.incident_key")) FROM incidents
                    WHERE reported_at <= ? ORDER BY reported_at, incident_id
                    """, arguments: [incidentsBefore.timeIntervalSince1970])
                    .map { RetentionItem(kind: .incident, id: $0[0], recordedAt: Date(timeIntervalSince1970: $0[1]), alertMayStillGo: $0[2]) }
            }
            if let episodesBefore {
                items += try Row.fetchAll(db, sql: "SELECT episode_id, missing_at FROM episodes WHERE missing_at <= ? ORDER BY missing_at, episode_id",
                                          arguments: [episodesBefore.timeIntervalSince1970])
                    .map { RetentionItem(kind: .episode, id: $0[0], recordedAt: Date(timeIntervalSince1970: $0[1])) }
            }
            return items
        }
    }

    public func purgeBatch(_ items: [RetentionItem], policy: RetentionPolicy, actor: String, at: Date) async throws -> RetentionSummary {
        try await pool.write { db in
            var summary = RetentionSummary()
            var children: Set<String> = []
            // The links are keyed by child, and deleting an incident makes SQLite look for its links
            // (the foreign key): an index by incident for the purge's own length, made by its first
            // batch of incidents and dropped when it ends (`purgeEnded`), not kept after it (an
            // ingest writes one index entry fewer per link: v5-incident-child-keys). A purge killed
            // part way leaves it until the next purge ends.
            if items.contains(where: { $0.kind == .incident }) {
                try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(Self.linksByIncident) ON incident_children(incident_key)")
            }
            // Statements cached: compiling one runs GRDB's authorizer over every column it and its
            // triggers touch, which was most of a purge a record at a time (30,955 incidents).
            for item in items {
                switch item.kind {
                case .incident:
                    guard let key = try Int64.fetchOne(db.cachedStatement(sql: "SELECT incident_key FROM incidents WHERE incident_id = ?"), arguments: [item.id]) else { continue }
                    // Asked again here, in the purge's transaction: a run may have claimed or
                    // finished an alert since the list was made.
                    if try Bool.fetchOne(db.cachedStatement(sql: "SELECT \(Self.alertMayStillGo("?"))"), arguments: [key]) == true {
                        summary.keptForAlerts += 1
                        continue
                    }
                    try db.cachedStatement(sql: "INSERT OR IGNORE INTO retention_purging (subject) VALUES (?)").execute(arguments: [item.subject])
                    children.formUnion(try String.fetchAll(db.cachedStatement(sql: """
                        SELECT c.child_id FROM children c WHERE c.child_key IN (SELECT value FROM json_each((SELECT child_keys FROM incidents WHERE incident_key = ?)))
                        """), arguments: [key]))
                    let alerts = try Int64.fetchAll(db.cachedStatement(sql: "SELECT alert_key FROM alerts WHERE incident_key = ?"), arguments: [key])
                    for alert in alerts {
                        try db.cachedStatement(sql: "INSERT OR IGNORE INTO retention_purging (subject) VALUES (?)").execute(arguments: ["alert:\(alert)"])
                        try db.cachedStatement(sql: "DELETE FROM alert_calls WHERE alert_key = ?").execute(arguments: [alert])
                        try db.cachedStatement(sql: "DELETE FROM alert_ack_tokens WHERE alert_key = ?").execute(arguments: [alert])
                        try db.cachedStatement(sql: """
                            DELETE FROM hub_notice_alerts WHERE alert_key = ?1
                                OR notice_key IN (SELECT notice_key FROM hub_notices WHERE alert_key = ?1)
                            """).execute(arguments: [alert])
                        try db.cachedStatement(sql: "DELETE FROM hub_notices WHERE alert_key = ?").execute(arguments: [alert])
                    }
                    try db.cachedStatement(sql: "DELETE FROM alerts WHERE incident_key = ?").execute(arguments: [key])
                    try db.cachedStatement(sql: "DELETE FROM regrades WHERE incident_id = ?").execute(arguments: [item.id])
                    // Its links go with it (ON DELETE CASCADE).
                    try db.cachedStatement(sql: "DELETE FROM incidents WHERE incident_key = ?").execute(arguments: [key])
                    summary.incidents += db.changesCount
                case .episode:
                    try db.cachedStatement(sql: "INSERT OR IGNORE INTO retention_purging (subject) VALUES (?)").execute(arguments: [item.subject])
                    if let child = try String.fetchOne(db.cachedStatement(sql: "SELECT child_id FROM episodes WHERE episode_id = ?"), arguments: [item.id]) {
                        children.insert(child)
                    }
                    try db.cachedStatement(sql: "DELETE FROM episodes WHERE episode_id = ?").execute(arguments: [item.id])
                    summary.episodes += db.changesCount
                }
                try db.cachedStatement(sql: "UPDATE audit SET detail = ? WHERE subject = ? AND detail IS NOT NULL")
                    .execute(arguments: [RetentionText.removedDetail, item.subject])
                try SQLiteAudit.append(db, at: at, actor: actor, action: "retention.purged", subject: item.subject,
                                       detail: ["review_date": policy.reviewDate(item.kind, recordedAt: item.recordedAt)?.formatted(.iso8601) ?? ""])
            }
            // A child with nothing left of theirs: no incident, episode, decision or plan.
            for child in children.sorted() {
                try db.cachedStatement(sql: """
                    DELETE FROM children WHERE child_id = ?1
                        AND NOT EXISTS (SELECT 1 FROM incident_children l WHERE l.child_key = children.child_key)
                        AND NOT EXISTS (SELECT 1 FROM episodes WHERE child_id = ?1)
                        AND NOT EXISTS (SELECT 1 FROM all_decisions WHERE child_id = ?1)
                        AND NOT EXISTS (SELECT 1 FROM plan_actions WHERE child_id = ?1)
                    """).execute(arguments: [child])
                summary.children += db.changesCount
            }
            try db.execute(sql: "DELETE FROM retention_purging")
            try SQLiteSchema.noteChange(db)
            return summary
        }
    }

    public func purgeEnded() async throws {
        try await pool.write { db in try db.execute(sql: "DROP INDEX IF EXISTS \(Self.linksByIncident)") }
    }

    /// The purge's own index of the links by incident (`purgeBatch`).
    static let linksByIncident = "retention_links_by_incident"

    /// Another program waiting for SQLite's one write lock tries again every 100 ms at most (its
    /// busy handler), and the next batch would take the lock again at once: a longer pause is its turn.
    public var pauseBetweenPurgeBatches: Duration { .milliseconds(150) }

    /// SQL true when the incident keyed `incidentKey` (SQL) has an alert that may still go.
    static func alertMayStillGo(_ incidentKey: String) -> String {
        "EXISTS (SELECT 1 FROM alerts a WHERE a.incident_key = \(incidentKey) AND a.state IN \(SQLiteSchema.list(AlertLifecycle.mayStillGo)))"
    }
}
