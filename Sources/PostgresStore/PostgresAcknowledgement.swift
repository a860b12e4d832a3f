import Foundation
import Logging
import PostgresNIO
import StoreContract

extension PostgresSchema {
    /// SQLite's v18-ack-tokens: each send's random token, by its hash, in a table of its own; the
    /// tokens made before move there with their end, and `alerts.ack_token_hash` goes.
    static let acknowledgementTokens = Migration(id: "pg14-ack-tokens", statements: [
        """
        CREATE TABLE alert_ack_tokens (
            token_hash text COLLATE "C" PRIMARY KEY,
            alert_key bigint NOT NULL REFERENCES alerts (alert_key),
            issued_at double precision,
            expires_at double precision NOT NULL
        )
        """,
        "CREATE INDEX alert_ack_tokens_by_alert ON alert_ack_tokens (alert_key)",
        """
        INSERT INTO alert_ack_tokens (token_hash, alert_key, issued_at, expires_at)
            SELECT ack_token_hash, alert_key, NULL, ack_expires_at FROM alerts
            WHERE ack_token_hash IS NOT NULL AND ack_expires_at IS NOT NULL
        """,
        "DROP INDEX alerts_by_ack_token",
        "DROP INDEX alerts_awaiting_ack",
        "ALTER TABLE alerts DROP COLUMN ack_token_hash",
        """
        CREATE INDEX alerts_awaiting_ack ON alerts (deadline)
            WHERE state = 'delivered' AND acknowledged_at IS NULL AND ack_expires_at IS NOT NULL
        """,
    ])

    /// SQLite's v25-alert-school-rounds: each alert's school round and each call's
    /// (`AlertLifecycle.schoolRoundAfterMove`, `callIsToItsSchool`).
    static let schoolRounds = Migration(id: "pg22-alert-school-rounds", statements: [
        "ALTER TABLE alerts ADD COLUMN school_round bigint NOT NULL DEFAULT 0",
        "ALTER TABLE alert_calls ADD COLUMN school_round bigint NOT NULL DEFAULT 0",
    ])
}

extension PostgresAlerts {
    /// Delivered alerts with a link that nobody acknowledged by the deadline: the hub hears once each
    /// round (a re-routed alert's new school may be silent too).
    ///
    /// Each alert is held (`FOR KEY SHARE`, as its notice's foreign key would) from the moment it is
    /// read, and one being deleted (a purge's batch, a correction) is skipped: read without, it was
    /// waited for and then failed the notice's foreign key, and the run with it (audit 26, F2).
    static func markUnacknowledged(_ conn: PostgresConnection, _ logger: Logger, now: Date) async throws {
        for (key, deadline) in try await conn.rows("""
            SELECT a.alert_key, a.deadline FROM alerts a
            WHERE a.state = 'delivered' AND a.acknowledged_at IS NULL AND a.ack_expires_at IS NOT NULL
              AND a.deadline < \(now.timeIntervalSince1970)
              AND NOT EXISTS (SELECT 1 FROM hub_notices n
                              WHERE n.alert_key = a.alert_key AND n.kind = \(AlertLifecycle.unacknowledgedKind) AND n.rerouted_at IS NULL)
            FOR KEY SHARE OF a SKIP LOCKED
            """, logger, as: (Int64, Double?).self)
        where AlertLifecycle.isUnacknowledged(state: .delivered, linkIssued: true, acknowledgedAt: nil,
                                              deadline: deadline.map(Date.init(timeIntervalSince1970:)), now: now) {
            try await notices([.alert(kind: AlertLifecycle.unacknowledgedKind, detail: AlertLifecycle.unacknowledgedDetail)], conn, logger,
                              alertKey: key, now: now)
        }
    }

    /// The first acknowledgement is kept; the state follows the state machine's rule. Not waiting
    /// for an ingest that corrects the alert's incident (`FOR NO KEY UPDATE`: see `PostgresAlertQueue.marked`).
    static func acknowledge(_ conn: PostgresConnection, _ logger: Logger, alertKey: Int64, by: String, now: Date) async throws -> AcknowledgementView? {
        guard let (state, acknowledgedAt, reference) = try await conn.row("""
            SELECT state, acknowledged_at, reference FROM alerts WHERE alert_key = \(alertKey) FOR NO KEY UPDATE
            """, logger, as: (String, Double?, String).self) else { return nil }
        if acknowledgedAt == nil {
            let next = AlertLifecycle.stateAfterAcknowledgement(AlertState(rawValue: state) ?? .queued)?.rawValue
            let t = now.timeIntervalSince1970
            try await conn.run("""
                UPDATE alerts SET acknowledged_at = \(t), acknowledged_by = \(by), state = coalesce(\(next)::text, state),
                    delivered_at = CASE WHEN \(next)::text IS NULL THEN delivered_at ELSE \(t) END
                WHERE alert_key = \(alertKey)
                """, logger)
            try await PostgresAudit.append(conn, logger, at: now, actor: "school:\(by)", action: "alert.acknowledged",
                                           subject: "alert:\(reference)", detail: nil)
        }
        var acknowledged = try await view(conn, logger, alertKey: alertKey)
        acknowledged?.justAcknowledged = acknowledgedAt == nil
        return acknowledged
    }

    /// The alert a token opens: any token issued for it, until its end, unless it was withdrawn
    /// (`AlertLifecycle.opensForSchool`).
    static func alertKey(_ conn: PostgresConnection, _ logger: Logger, tokenHash: String, now: Date) async throws -> Int64? {
        guard let (key, end, lastError) = try await conn.row("""
            SELECT t.alert_key, t.expires_at, a.last_error FROM alert_ack_tokens t JOIN alerts a ON a.alert_key = t.alert_key
            WHERE t.token_hash = \(tokenHash)
            """, logger, as: (Int64, Double, String?).self),
              AlertLifecycle.opensForSchool(linksEnd: Date(timeIntervalSince1970: end), lastError: lastError, now: now) else { return nil }
        return key
    }

    static func view(_ conn: PostgresConnection, _ logger: Logger, alertKey: Int64) async throws -> AcknowledgementView? {
        guard let (at, by) = try await conn.row("SELECT acknowledged_at, acknowledged_by FROM alerts WHERE alert_key = \(alertKey)",
                                                logger, as: (Double?, String?).self),
              let alert = try await due(conn, logger, keys: [alertKey]).alerts.first else { return nil }
        return AcknowledgementView(alert: alert, acknowledgedAt: at.map(Date.init(timeIntervalSince1970:)), acknowledgedBy: by)
    }
}

extension PostgresStore {
    public func issueAcknowledgementTokens(_ tokens: [(alertKey: Int64, tokenHash: String, expiresAt: Date)], at now: Date) async throws {
        guard !tokens.isEmpty else { return }
        let logger = self.logger
        let keys = tokens.map(\.alertKey), hashes = tokens.map(\.tokenHash)
        try await write { conn in
            // Each alert's links' end, the earlier links' too (`AlertLifecycle.linksEnd`). In the
            // alerts' order, as an ingest locks them; not waiting for one that holds them `FOR KEY
            // SHARE` meanwhile (`PostgresAlertQueue.marked`).
            var ends: [Int64: Date] = [:]
            for (key, end) in try await conn.rows("""
                SELECT alert_key, ack_expires_at FROM alerts WHERE alert_key = ANY(\(keys)) ORDER BY alert_key FOR NO KEY UPDATE
                """, logger, as: (Int64, Double?).self) {
                ends[key] = end.map(Date.init(timeIntervalSince1970:))
            }
            for t in tokens { ends[t.alertKey] = AlertLifecycle.linksEnd(kept: ends[t.alertKey], issued: t.expiresAt) }
            let endKeys = Array(ends.keys), endsAt = endKeys.map { ends[$0]!.timeIntervalSince1970 }
            try await conn.run("""
                UPDATE alerts a SET ack_expires_at = e.ends_at
                FROM unnest(\(endKeys)::bigint[], \(endsAt)::double precision[]) AS e(key, ends_at) WHERE a.alert_key = e.key
                """, logger)
            try await conn.run("""
                UPDATE alert_ack_tokens t SET expires_at = e.ends_at
                FROM unnest(\(endKeys)::bigint[], \(endsAt)::double precision[]) AS e(key, ends_at) WHERE t.alert_key = e.key
                """, logger)
            try await conn.run("""
                INSERT INTO alert_ack_tokens (token_hash, alert_key, issued_at, expires_at)
                    SELECT t.hash, a.alert_key, \(now.timeIntervalSince1970), a.ack_expires_at
                    FROM unnest(\(keys)::bigint[], \(hashes)::text[]) AS t(key, hash) JOIN alerts a ON a.alert_key = t.key
                """, logger)
        }
    }

    public func acknowledgement(tokenHash: String, now: Date) async throws -> AcknowledgementView? {
        let logger = self.logger
        return try await read { conn in
            guard let key = try await PostgresAlerts.alertKey(conn, logger, tokenHash: tokenHash, now: now) else { return nil }
            return try await PostgresAlerts.view(conn, logger, alertKey: key)
        }
    }

    public func acknowledge(tokenHash: String, now: Date) async throws -> AcknowledgementView? {
        let logger = self.logger
        return try await write { conn in
            guard let key = try await PostgresAlerts.alertKey(conn, logger, tokenHash: tokenHash, now: now) else { return nil }
            return try await PostgresAlerts.acknowledge(conn, logger, alertKey: key, by: "link", now: now)
        }
    }

    public func acknowledge(reference: String, now: Date) async throws -> AcknowledgementView? {
        let logger = self.logger
        return try await write { conn in
            guard let (key, channel, end, lastError, round) = try await conn.row("""
                SELECT alert_key, channel, ack_expires_at, last_error, school_round FROM alerts WHERE reference = \(reference)
                """, logger, as: (Int64, String?, Double?, String?, Int).self),
                  AlertLifecycle.acceptsWebhookAcknowledgement(channel: channel, linksEnd: end.map(Date.init(timeIntervalSince1970:)),
                                                               lastError: lastError, schoolRound: round, now: now)
            else { return nil }
            return try await PostgresAlerts.acknowledge(conn, logger, alertKey: key, by: "webhook", now: now)
        }
    }

    public func recordCall(_ call: AlertCall, seen: Int?) async throws {
        let logger = self.logger
        try await write { conn in
            guard let key = try await conn.row("SELECT alert_key FROM alerts WHERE reference = \(call.reference)", logger, as: (Int64).self) else {
                throw UnmatchedError.unknownAlert(call.reference)
            }
            if seen != nil {
                try await PostgresOnePress.lock(conn, logger, .calls, of: call.reference)
                let calls = try await conn.rows("""
                    SELECT called_by, called_at, note FROM alert_calls WHERE alert_key = \(key) ORDER BY called_at, call_key
                    """, logger, as: (String, Double, String?).self).map {
                    AlertCall(reference: call.reference, calledBy: $0.0, calledAt: Date(timeIntervalSince1970: $0.1), note: $0.2)
                }
                try OnePress.check(seen: seen, calls: calls, adding: call)
            }
            // Made in the alert's school round as it is now: to the school it is for now.
            try await conn.run("""
                INSERT INTO alert_calls (alert_key, called_by, called_at, note, school_round)
                    SELECT alert_key, \(call.calledBy), \(call.calledAt.timeIntervalSince1970), \(call.note), school_round
                    FROM alerts WHERE alert_key = \(key)
                """, logger)
            // The note may hold what the school said about a child: the audit keeps that a note was made.
            try await PostgresAudit.append(conn, logger, at: call.calledAt, actor: "user:\(call.calledBy)", action: "alert.school-phoned",
                                           subject: "alert:\(call.reference)", detail: ["note": call.note == nil ? "no" : "yes"])
        }
    }

    public func calls(references: [String]) async throws -> [AlertCall] {
        guard !references.isEmpty else { return [] }
        let logger = self.logger
        return try await read { conn in
            try await conn.rows("""
                SELECT a.reference, c.called_by, c.called_at, c.note, c.school_round, a.school_round
                FROM alert_calls c JOIN alerts a ON a.alert_key = c.alert_key
                WHERE a.reference = ANY(\(references)) ORDER BY c.called_at, c.call_key
                """, logger, as: (String, String, Double, String?, Int, Int).self).map {
                AlertCall(reference: $0.0, calledBy: $0.1, calledAt: Date(timeIntervalSince1970: $0.2), note: $0.3,
                          toEarlierSchool: !AlertLifecycle.callIsToItsSchool(callRound: $0.4, alertRound: $0.5))
            }
        }
    }
}
