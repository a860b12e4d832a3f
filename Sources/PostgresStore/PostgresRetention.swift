import Foundation
import Logging
import PostgresNIO
import StoreContract

extension PostgresSchema {
    /// SQLite's v16-retention: the append-only triggers of the audit, the calls and the regrades let a
    /// purge through, for the records it names in `retention_purging`, and nothing else.
    static let retention = Migration(id: "pg12-retention", statements: [
        "CREATE TABLE retention_purging (subject text PRIMARY KEY)",
        """
        CREATE FUNCTION encompass_append_only_but_retention() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- Nested, so each table's own columns are read only for that table.
            IF TG_TABLE_NAME = 'audit' THEN
                IF TG_OP = 'UPDATE' THEN
                    IF NEW.detail IS NOT DISTINCT FROM '\(RetentionText.removedDetail)' AND NEW.audit_key = OLD.audit_key
                       AND NEW.at = OLD.at AND NEW.actor = OLD.actor AND NEW.action = OLD.action AND NEW.subject = OLD.subject
                       AND EXISTS (SELECT 1 FROM retention_purging WHERE subject = OLD.subject) THEN
                        RETURN NEW;
                    END IF;
                END IF;
            ELSIF TG_TABLE_NAME = 'alert_calls' THEN
                IF TG_OP = 'DELETE' THEN
                    IF EXISTS (SELECT 1 FROM retention_purging WHERE subject = 'alert:' || OLD.alert_key) THEN
                        RETURN OLD;
                    END IF;
                END IF;
            ELSIF TG_TABLE_NAME = 'regrades' THEN
                IF TG_OP = 'DELETE' THEN
                    IF EXISTS (SELECT 1 FROM retention_purging WHERE subject = 'incident:' || OLD.incident_id) THEN
                        RETURN OLD;
                    END IF;
                END IF;
            END IF;
            RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
        END
        $$
        """,
    ] + ["audit", "alert_calls", "regrades"].flatMap { table in [
        "DROP TRIGGER \(table)_never_change ON \(table)",
        "CREATE TRIGGER \(table)_never_change BEFORE UPDATE OR DELETE ON \(table) FOR EACH ROW EXECUTE FUNCTION encompass_append_only_but_retention()",
    ] })
}

extension PostgresSchema {
    /// `retention_purging` opens the append-only triggers for the records it names, so only the
    /// tables' owner may name one: a force that runs its services as a role granted the rows (README:
    /// Running on PostgreSQL) gave that role INSERT on every table, this one too, and anyone holding
    /// the services' password could then name an incident and delete its regrades or redact the
    /// audit. A trigger rather than a REVOKE, because the README's grants (and their default
    /// privileges) cover every table, and a grant given later must not reopen it. Not SECURITY
    /// DEFINER: `current_user` is the role writing. A purge is then run as the owner, as `migrate` is.
    static let retentionOwnerOnly = Migration(id: "pg18-retention-owner-only", statements: [
        """
        CREATE FUNCTION encompass_retention_purging_owner_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
                RAISE EXCEPTION 'only the role that owns the tables may purge (retention --purge)' USING ERRCODE = '42501';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        """
        CREATE TRIGGER retention_purging_owner_only BEFORE INSERT OR UPDATE ON retention_purging
            FOR EACH ROW EXECUTE FUNCTION encompass_retention_purging_owner_only()
        """,
    ])
}

extension PostgresStore: RetentionStore {
    public func retentionCandidates(incidentsBefore: Date?, episodesBefore: Date?) async throws -> [RetentionItem] {
        let logger = self.logger
        return try await read { conn in
            var items: [RetentionItem] = []
            if let incidentsBefore {
                items += try await conn.rows("""
                    SELECT incident_id, reported_at,
                        EXISTS (SELECT 1 FROM alerts a WHERE a.incident_key = i.incident_key AND a.state = ANY(\(PostgresAlerts.names(AlertLifecycle.mayStillGo))))
                    FROM incidents i WHERE reported_at <= \(incidentsBefore.timeIntervalSince1970)
                    ORDER BY reported_at, incident_id COLLATE "C"
                    """, logger, as: (String, Double, Bool).self).map {
                        RetentionItem(kind: .incident, id: $0.0, recordedAt: Date(timeIntervalSince1970: $0.1), alertMayStillGo: $0.2)
                    }
            }
            if let episodesBefore {
                items += try await conn.rows("""
                    SELECT episode_id, missing_at FROM episodes WHERE missing_at <= \(episodesBefore.timeIntervalSince1970)
                    ORDER BY missing_at, episode_id COLLATE "C"
                    """, logger, as: (String, Double).self).map { RetentionItem(kind: .episode, id: $0.0, recordedAt: Date(timeIntervalSince1970: $0.1)) }
            }
            return items
        }
    }

    /// Set by set: each step for every record of the batch at once (a few statements a record were
    /// 70.7 s for 30,955 incidents, SQLite 10.7 s). The purge's subjects are named first, so the
    /// append-only triggers let these deletions and the audit's redaction through, and nothing else.
    public func purgeBatch(_ items: [RetentionItem], policy: RetentionPolicy, actor: String, at: Date) async throws -> RetentionSummary {
        let logger = self.logger
        return try await write { conn in
            var summary = RetentionSummary()
            var children: [String] = []
            let incidentIds = items.filter { $0.kind == .incident }.map(\.id)
            // Whether an alert may still go is asked here, in the purge's transaction: a run may have
            // claimed or finished one since the list was made.
            let stored = try await conn.rows("""
                SELECT incident_key, incident_id,
                    EXISTS (SELECT 1 FROM alerts a WHERE a.incident_key = i.incident_key AND a.state = ANY(\(PostgresAlerts.names(AlertLifecycle.mayStillGo))))
                FROM incidents i WHERE incident_id = ANY(\(incidentIds))
                """, logger, as: (Int64, String, Bool).self)
            let found = stored.filter { !$0.2 }.map { ($0.0, $0.1) }
            summary.keptForAlerts = stored.count - found.count
            let kept = Set(stored.filter(\.2).map { "incident:" + $0.1 })
            try await conn.run("""
                INSERT INTO retention_purging (subject) SELECT unnest(\(items.map(\.subject).filter { !kept.contains($0) })::text[]) ON CONFLICT DO NOTHING
                """, logger)
            let keys = found.map(\.0)
            if !keys.isEmpty {
                children += try await conn.rows("""
                    SELECT DISTINCT c.child_id FROM incident_children l JOIN children c ON c.child_key = l.child_key WHERE l.incident_key = ANY(\(keys))
                    """, logger, as: (String).self)
                // Held before anything that refers to them is deleted: a run that read one to name it in
                // a notice holds it (as the notice's foreign key would) and is waited for, and one that
                // comes later skips it (`PostgresAlerts.markUnacknowledged`). Taken only as they were
                // deleted, a run's notice went in between and failed the batch (SQLSTATE 23503).
                let alerts = try await conn.rows("SELECT alert_key FROM alerts WHERE incident_key = ANY(\(keys)) FOR UPDATE", logger,
                                                 as: (Int64).self)
                if !alerts.isEmpty {
                    try await conn.run("""
                        INSERT INTO retention_purging (subject) SELECT 'alert:' || k FROM unnest(\(alerts)::bigint[]) AS k ON CONFLICT DO NOTHING
                        """, logger)
                    try await conn.run("DELETE FROM alert_calls WHERE alert_key = ANY(\(alerts))", logger)
                    try await conn.run("DELETE FROM alert_ack_tokens WHERE alert_key = ANY(\(alerts))", logger)
                    try await conn.run("""
                        DELETE FROM hub_notice_alerts WHERE alert_key = ANY(\(alerts))
                            OR notice_key IN (SELECT notice_key FROM hub_notices WHERE alert_key = ANY(\(alerts)))
                        """, logger)
                    try await conn.run("DELETE FROM hub_notices WHERE alert_key = ANY(\(alerts))", logger)
                }
                try await conn.run("DELETE FROM alerts WHERE incident_key = ANY(\(keys))", logger)
                try await conn.run("DELETE FROM regrades WHERE incident_id = ANY(\(found.map(\.1)))", logger)
                summary.incidents = try await conn.changed("DELETE FROM incidents WHERE incident_key = ANY(\(keys))", logger)
            }
            let episodeIds = items.filter { $0.kind == .episode }.map(\.id)
            if !episodeIds.isEmpty {
                children += try await conn.rows("SELECT child_id FROM episodes WHERE episode_id = ANY(\(episodeIds))", logger, as: (String).self)
                summary.episodes = try await conn.changed("DELETE FROM episodes WHERE episode_id = ANY(\(episodeIds))", logger)
            }
            // An incident no longer stored, or kept, is skipped, as it was when each record was taken alone.
            let purgedIds = Set(found.map(\.1))
            let purged = items.filter { $0.kind == .episode || purgedIds.contains($0.id) }
            try await conn.run("""
                UPDATE audit SET detail = \(RetentionText.removedDetail) WHERE subject = ANY(\(purged.map(\.subject))) AND detail IS NOT NULL
                """, logger)
            var audits = CopyRows(columns: PostgresAudit.columns.count)
            for item in purged {
                try PostgresAudit.row(at: at, actor: actor, action: "retention.purged", subject: item.subject,
                                      detail: ["review_date": policy.reviewDate(item.kind, recordedAt: item.recordedAt)?.formatted(.iso8601) ?? ""],
                                      into: &audits)
            }
            try await PostgresCopy.send(conn, logger, table: "audit", columns: PostgresAudit.columns, audits)
            if !children.isEmpty {
                summary.children = try await conn.changed("""
                    DELETE FROM children c WHERE c.child_id = ANY(\(Array(Set(children))))
                        AND NOT EXISTS (SELECT 1 FROM incident_children l WHERE l.child_key = c.child_key)
                        AND NOT EXISTS (SELECT 1 FROM episodes e WHERE e.child_id = c.child_id)
                        AND NOT EXISTS (SELECT 1 FROM all_decisions d WHERE d.child_id = c.child_id)
                        AND NOT EXISTS (SELECT 1 FROM plan_actions p WHERE p.child_id = c.child_id)
                    """, logger)
            }
            try await conn.run("DELETE FROM retention_purging", logger)
            try await PostgresSchema.noteChange(conn, logger)
            return summary
        }
    }

    /// Nothing is kept for a purge's length: the links have their index by incident.
    public func purgeEnded() async throws {}

    /// None: each writer waits for the rows it needs, not for the database (`markUnacknowledged`
    /// skips an alert being purged).
    public var pauseBetweenPurgeBatches: Duration { .zero }
}
