import Foundation
import Logging
import PostgresNIO
import StoreContract

extension PostgresStore {
    static func keyAdults(_ conn: PostgresConnection, _ logger: Logger, urn: String?) async throws -> [KeyAdult] {
        try await conn.rows("""
            SELECT urn, name, email, channel, endpoint FROM key_adults WHERE \(urn)::text IS NULL OR urn = \(urn)
            ORDER BY urn COLLATE "C", lower(email) COLLATE "C", key_adult_key
            """, logger, as: (String, String, String, String, String?).self).compactMap { r in
            KeyAdult.Channel(rawValue: r.3).map { KeyAdult(urn: r.0, name: r.1, email: r.2, channel: $0, endpoint: r.4) }
        }
    }

    /// SQLite's v29-routing-version: a number every change that may move an alert a run
    /// holds raises (`writeKeyAdults`, `noteRoutingChange`), so a run that claimed a batch before the
    /// change knows its messages not yet sent may be for the wrong people (`OutcomeRecorded.
    /// routingVersion`; audit 29, F1).
    static let routingVersionTable = PostgresSchema.Migration(id: "pg26-routing-version", statements: [
        "CREATE TABLE routing_version (id bigint PRIMARY KEY CHECK (id = 1), version bigint NOT NULL)",
        "INSERT INTO routing_version (id, version) VALUES (1, 0)",
    ])

    static func routingVersion(_ conn: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        try await conn.row("SELECT version FROM routing_version WHERE id = 1", logger, as: (Int64).self) ?? 0
    }

    public func keyAdults(urn: String?) async throws -> [KeyAdult] {
        let logger = self.logger
        return try await read { conn in try await Self.keyAdults(conn, logger, urn: urn) }
    }

    public func importedKeyAdultsText() async throws -> String? {
        let logger = self.logger
        return try await read { conn in
            try await conn.row("SELECT content FROM directory_imports WHERE kind = 'key-adults'", logger, as: (String).self)
        }
    }

    public func changeKeyAdults(_ change: KeyAdultChange, actor: String, at now: Date) async throws {
        let logger = self.logger
        try await write { conn in
            let urn = change.urn
            // One change to a school at a time, and none while Config/'s list is imported.
            try await conn.run("SELECT pg_advisory_xact_lock(\(PostgresSchema.directoryLockKey))", logger)
            guard try await conn.row("SELECT 1 FROM schools WHERE urn = \(urn)", logger, as: (Int32).self) != nil else {
                throw KeyAdultError.unknownSchool(urn)
            }
            let old = try await Self.keyAdults(conn, logger, urn: urn)
            let new = try change.applied(to: old).get()
            try await Self.writeKeyAdults(conn, logger, new, replacing: urn)
            let audit = change.audit(old: old)
            try await PostgresAudit.append(conn, logger, at: now, actor: actor, action: audit.action, subject: "school:\(urn)",
                                           detail: audit.detail)
            try await Self.recontact(conn, logger, urn: urn)
        }
    }

    /// Replaces one school's key adults, or (`replacing` nil) everyone's: the rows copied in, in
    /// the order given (their keys break ties in that order), not an INSERT each (a region's
    /// directory has thousands).
    static func writeKeyAdults(_ conn: PostgresConnection, _ logger: Logger, _ adults: [KeyAdult], replacing urn: String?) async throws {
        try await PostgresSchema.noteRoutingChange(conn, logger)
        try await conn.run("DELETE FROM key_adults WHERE \(urn)::text IS NULL OR urn = \(urn)", logger)
        var rows = CopyRows(columns: 5)
        for a in adults {
            rows.text(a.urn); rows.text(a.name); rows.text(a.email); rows.text(a.channel.rawValue); rows.text(a.endpoint)
            rows.endRow()
        }
        try await PostgresCopy.send(conn, logger, table: "key_adults", columns: ["urn", "name", "email", "channel", "endpoint"], rows)
    }

    /// Config/key-adults.csv, when it says something other than it did at the last import. The
    /// caller holds the directory lock.
    static func importKeyAdults(_ conn: PostgresConnection, _ logger: Logger, _ adults: [KeyAdult], at now: Date) async throws {
        let content = KeyAdult.canonicalText(adults)
        let stored = try await conn.row("SELECT content FROM directory_imports WHERE kind = 'key-adults'", logger, as: (String).self)
        guard stored != content else { return }
        try EmptyKeyAdultsFile.check(adults, held: try await conn.row("SELECT count(*) FROM key_adults", logger, as: (Int).self) ?? 0,
                                     imported: stored)
        try await writeKeyAdults(conn, logger, adults, replacing: nil)
        try await conn.run("""
            INSERT INTO directory_imports (kind, content, imported_at) VALUES ('key-adults', \(content), \(now.timeIntervalSince1970))
            ON CONFLICT (kind) DO UPDATE SET content = excluded.content, imported_at = excluded.imported_at
            """, logger)
        try await recontact(conn, logger, urn: nil)
    }

    /// The waiting alerts of a school (every school, with nil) follow its people as they now are.
    /// Every one of them: a row another transaction holds is waited for, not skipped (nothing would
    /// move it later), and those that plan alerts wait for this change
    /// (`PostgresSchema.planWithCurrentKeyAdults`), so the wait cannot close a circle.
    /// Each alert's plan compared here with what it has, and only the changed ones written, in one
    /// statement from a table copied in (a changed key-adults.csv was an UPDATE for every waiting
    /// alert: about 20,000 on a store of a million incidents).
    static func recontact(_ conn: PostgresConnection, _ logger: Logger, urn: String?) async throws {
        let contacts = AlertContact.byURN(try await keyAdults(conn, logger, urn: urn))
        var changed = CopyRows(columns: 5)
        for (key, state, school, channel, recipient) in try await conn.rows("""
            SELECT alert_key, state, school_urn, channel, recipient FROM alerts
            WHERE state = ANY(\(PostgresAlerts.names(AlertLifecycle.waiting))) AND school_urn IS NOT NULL
              AND (\(urn)::text IS NULL OR school_urn = \(urn))
            FOR UPDATE
            """, logger, as: (Int64, String, String, String?, String?).self) {
            guard let stored = AlertState(rawValue: state),
                  let plan = AlertLifecycle.afterContactChange(state: stored, urn: school, contact: contacts[school]),
                  (plan.state, plan.channel, plan.recipient) != (stored, channel, recipient) else { continue }
            changed.int(key); changed.text(plan.state.rawValue); changed.text(plan.channel); changed.text(plan.recipient)
            changed.text(plan.reason)
            changed.endRow()
        }
        let columns: PostgresCopy.Columns = [("alert_key", "bigint"), ("state", "text"), ("channel", "text"), ("recipient", "text"),
                                             ("reason", "text")]
        try await PostgresCopy.through(conn, logger, table: "recontacted", columns: columns, changed, """
            UPDATE alerts SET state = r.state, channel = coalesce(r.channel, alerts.channel),
                recipient = coalesce(r.recipient, alerts.recipient), unmatched_reason = r.reason
            FROM recontacted r WHERE alerts.alert_key = r.alert_key
            """)
    }
}
