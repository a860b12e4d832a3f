import Foundation
import Logging
import PostgresNIO
import StoreContract

extension PostgresAlerts {
    /// Delivered alerts with a link that nobody acknowledged by the deadline: the hub hears once each.
    static func markUnacknowledged(_ conn: PostgresConnection, _ logger: Logger, now: Date) async throws {
        for (key, deadline) in try await conn.rows("""
            SELECT a.alert_key, a.deadline FROM alerts a
            WHERE a.state = 'delivered' AND a.acknowledged_at IS NULL AND a.ack_token_hash IS NOT NULL
              AND a.deadline < \(now.timeIntervalSince1970)
              AND NOT EXISTS (SELECT 1 FROM hub_notices n WHERE n.alert_key = a.alert_key AND n.kind = \(AlertLifecycle.unacknowledgedKind))
            """, logger, as: (Int64, Double?).self)
        where AlertLifecycle.isUnacknowledged(state: .delivered, linkIssued: true, acknowledgedAt: nil,
                                              deadline: deadline.map(Date.init(timeIntervalSince1970:)), now: now) {
            try await notices([.alert(kind: AlertLifecycle.unacknowledgedKind, detail: AlertLifecycle.unacknowledgedDetail)], conn, logger,
                              alertKey: key, now: now)
        }
    }

    /// The first acknowledgement is kept; the state follows the state machine's rule.
    static func acknowledge(_ conn: PostgresConnection, _ logger: Logger, alertKey: Int64, by: String, now: Date) async throws -> AcknowledgementView? {
        guard let (state, acknowledgedAt, reference) = try await conn.row("""
            SELECT state, acknowledged_at, reference FROM alerts WHERE alert_key = \(alertKey) FOR UPDATE
            """, logger, as: (String, Double?, String).self) else { return nil }
        if acknowledgedAt == nil {
            let next = AlertLifecycle.stateAfterAcknowledgement(AlertState(rawValue: state) ?? .queued)?.rawValue
            let t = now.timeIntervalSince1970
            try await conn.run("""
                UPDATE alerts SET acknowledged_at = \(t), acknowledged_by = \(by), state = coalesce(\(next)::text, state),
                    delivered_at = CASE WHEN \(next)::text IS NULL THEN delivered_at ELSE coalesce(delivered_at, \(t)) END
                WHERE alert_key = \(alertKey)
                """, logger)
            try await PostgresAudit.append(conn, logger, at: now, actor: "school:\(by)", action: "alert.acknowledged",
                                           subject: "alert:\(reference)", detail: nil)
        }
        var acknowledged = try await view(conn, logger, alertKey: alertKey)
        acknowledged?.justAcknowledged = acknowledgedAt == nil
        return acknowledged
    }

    static func view(_ conn: PostgresConnection, _ logger: Logger, alertKey: Int64) async throws -> AcknowledgementView? {
        guard let (at, by) = try await conn.row("SELECT acknowledged_at, acknowledged_by FROM alerts WHERE alert_key = \(alertKey)",
                                                logger, as: (Double?, String?).self),
              let alert = try await due(conn, logger, keys: [alertKey]).alerts.first else { return nil }
        return AcknowledgementView(alert: alert, acknowledgedAt: at.map(Date.init(timeIntervalSince1970:)), acknowledgedBy: by)
    }
}

extension PostgresStore {
    public func issueAcknowledgementTokens(_ tokens: [(alertKey: Int64, tokenHash: String)], expiresAt: Date) async throws {
        guard !tokens.isEmpty else { return }
        let logger = self.logger
        let keys = tokens.map(\.alertKey), hashes = tokens.map(\.tokenHash)
        try await write { conn in
            try await conn.run("""
                UPDATE alerts a SET ack_token_hash = t.hash, ack_expires_at = coalesce(a.ack_expires_at, \(expiresAt.timeIntervalSince1970))
                FROM unnest(\(keys)::bigint[], \(hashes)::text[]) AS t(key, hash) WHERE a.alert_key = t.key
                """, logger)
        }
    }

    public func acknowledgement(tokenHash: String, now: Date) async throws -> AcknowledgementView? {
        let logger = self.logger
        return try await read { conn in
            guard let key = try await conn.row("""
                SELECT alert_key FROM alerts WHERE ack_token_hash = \(tokenHash) AND ack_expires_at >= \(now.timeIntervalSince1970)
                """, logger, as: (Int64).self) else { return nil }
            return try await PostgresAlerts.view(conn, logger, alertKey: key)
        }
    }

    public func acknowledge(tokenHash: String, now: Date) async throws -> AcknowledgementView? {
        let logger = self.logger
        return try await write { conn in
            guard let key = try await conn.row("""
                SELECT alert_key FROM alerts WHERE ack_token_hash = \(tokenHash) AND ack_expires_at >= \(now.timeIntervalSince1970)
                """, logger, as: (Int64).self) else { return nil }
            return try await PostgresAlerts.acknowledge(conn, logger, alertKey: key, by: "link", now: now)
        }
    }

    public func acknowledge(reference: String, now: Date) async throws -> AcknowledgementView? {
        let logger = self.logger
        return try await write { conn in
            guard let key = try await conn.row("""
                SELECT alert_key FROM alerts WHERE reference = \(reference) AND ack_token_hash IS NOT NULL
                """, logger, as: (Int64).self) else { return nil }
            return try await PostgresAlerts.acknowledge(conn, logger, alertKey: key, by: "webhook", now: now)
        }
    }

    public func recordCall(_ call: AlertCall) async throws {
        let logger = self.logger
        try await write { conn in
            guard let key = try await conn.row("SELECT alert_key FROM alerts WHERE reference = \(call.reference)", logger, as: (Int64).self) else {
                throw UnmatchedError.unknownAlert(call.reference)
            }
            try await conn.run("""
                INSERT INTO alert_calls (alert_key, called_by, called_at, note)
                VALUES (\(key), \(call.calledBy), \(call.calledAt.timeIntervalSince1970), \(call.note))
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
                SELECT a.reference, c.called_by, c.called_at, c.note FROM alert_calls c JOIN alerts a ON a.alert_key = c.alert_key
                WHERE a.reference = ANY(\(references)) ORDER BY c.called_at, c.call_key
                """, logger, as: (String, String, Double, String?).self).map {
                AlertCall(reference: $0.0, calledBy: $0.1, calledAt: Date(timeIntervalSince1970: $0.2), note: $0.3)
            }
        }
    }
}
