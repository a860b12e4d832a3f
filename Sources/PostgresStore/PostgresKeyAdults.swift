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

    public func keyAdults(urn: String?) async throws -> [KeyAdult] {
        let logger = self.logger
        return try await read { conn in try await Self.keyAdults(conn, logger, urn: urn) }
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

    /// Replaces one school's key adults, or (`replacing` nil) everyone's.
    static func writeKeyAdults(_ conn: PostgresConnection, _ logger: Logger, _ adults: [KeyAdult], replacing urn: String?) async throws {
        try await conn.run("DELETE FROM key_adults WHERE \(urn)::text IS NULL OR urn = \(urn)", logger)
        for a in adults {
            try await conn.run("""
                INSERT INTO key_adults (urn, name, email, channel, endpoint) VALUES (\(a.urn), \(a.name), \(a.email), \(a.channel.rawValue), \(a.endpoint))
                """, logger)
        }
    }

    /// Config/key-adults.csv, when it says something other than it did at the last import. The
    /// caller holds the directory lock.
    static func importKeyAdults(_ conn: PostgresConnection, _ logger: Logger, _ adults: [KeyAdult], at now: Date) async throws {
        let content = KeyAdult.canonicalText(adults)
        let stored = try await conn.row("SELECT content FROM directory_imports WHERE kind = 'key-adults'", logger, as: (String).self)
        guard stored != content else { return }
        try await writeKeyAdults(conn, logger, adults, replacing: nil)
        try await conn.run("""
            INSERT INTO directory_imports (kind, content, imported_at) VALUES ('key-adults', \(content), \(now.timeIntervalSince1970))
            ON CONFLICT (kind) DO UPDATE SET content = excluded.content, imported_at = excluded.imported_at
            """, logger)
        try await recontact(conn, logger, urn: nil)
    }

    /// The waiting alerts of a school (every school, with nil) follow its people as they now are.
    static func recontact(_ conn: PostgresConnection, _ logger: Logger, urn: String?) async throws {
        let contacts = AlertContact.byURN(try await keyAdults(conn, logger, urn: urn))
        for (key, state, school) in try await conn.rows("""
            SELECT alert_key, state, school_urn FROM alerts
            WHERE state = ANY(\(PostgresAlerts.names(AlertLifecycle.waiting))) AND school_urn IS NOT NULL
              AND (\(urn)::text IS NULL OR school_urn = \(urn))
            FOR UPDATE SKIP LOCKED
            """, logger, as: (Int64, String, String).self) {
            guard let state = AlertState(rawValue: state),
                  let plan = AlertLifecycle.afterContactChange(state: state, urn: school, contact: contacts[school]) else { continue }
            try await conn.run("""
                UPDATE alerts SET state = \(plan.state.rawValue), channel = coalesce(\(plan.channel)::text, channel),
                    recipient = coalesce(\(plan.recipient)::text, recipient), unmatched_reason = \(plan.reason)
                WHERE alert_key = \(key) AND (state, channel, recipient) IS DISTINCT FROM (\(plan.state.rawValue), \(plan.channel)::text, \(plan.recipient)::text)
                """, logger)
        }
    }
}
