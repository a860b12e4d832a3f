import Foundation
import GRDB
import StoreContract

extension SQLiteSchema {
    static func registerAcknowledgement(_ m: inout DatabaseMigrator) {
        m.registerMigration("v8-acknowledgement") { db in
            // SPEC §7, acknowledgement: the hash of each alert's link token (never the token), when
            // the link ends, and when and how the school acknowledged; the hub's calls to schools
            // that did not (append-only, as decisions are); and each school's telephone from GIAS.
            try db.execute(sql: """
                ALTER TABLE alerts ADD COLUMN ack_token_hash TEXT;
                ALTER TABLE alerts ADD COLUMN ack_expires_at REAL;
                ALTER TABLE alerts ADD COLUMN acknowledged_at REAL;
                ALTER TABLE alerts ADD COLUMN acknowledged_by TEXT;
                CREATE UNIQUE INDEX alerts_by_ack_token ON alerts(ack_token_hash) WHERE ack_token_hash IS NOT NULL;
                CREATE INDEX alerts_awaiting_ack ON alerts(deadline)
                    WHERE state = 'delivered' AND acknowledged_at IS NULL AND ack_token_hash IS NOT NULL;
                CREATE TABLE alert_calls (
                    call_key INTEGER PRIMARY KEY,
                    alert_key INTEGER NOT NULL REFERENCES alerts(alert_key),
                    called_by TEXT NOT NULL,
                    called_at REAL NOT NULL,
                    note TEXT
                );
                CREATE INDEX alert_calls_by_alert ON alert_calls(alert_key, call_key);
                CREATE TRIGGER alert_calls_never_change BEFORE UPDATE ON alert_calls
                    BEGIN SELECT RAISE(ABORT, 'alert_calls are append-only'); END;
                CREATE TRIGGER alert_calls_never_deleted BEFORE DELETE ON alert_calls
                    BEGIN SELECT RAISE(ABORT, 'alert_calls are append-only'); END;
                ALTER TABLE schools ADD COLUMN telephone TEXT;
                """)
        }
    }

    /// `v18-ack-tokens`: each send's acknowledgement token, drawn at random, kept by its hash in a
    /// table of its own (SPEC §7), so every link an alert was sent with opens it. The tokens made
    /// before (one an alert, `alerts.ack_token_hash`) move there with their end, so the links
    /// already sent keep working; the column goes (the indexes naming it first). An alert carried a
    /// link when it has a link's end, `ack_expires_at`, set when its first token is issued (and
    /// moved by later ones: `AlertLifecycle.linksEnd`).
    static func registerAcknowledgementTokens(_ m: inout DatabaseMigrator) {
        m.registerMigration("v18-ack-tokens") { db in
            try db.execute(sql: """
                CREATE TABLE alert_ack_tokens (
                    token_hash TEXT PRIMARY KEY,
                    alert_key INTEGER NOT NULL REFERENCES alerts(alert_key),
                    issued_at REAL,
                    expires_at REAL NOT NULL
                );
                CREATE INDEX alert_ack_tokens_by_alert ON alert_ack_tokens(alert_key);
                INSERT INTO alert_ack_tokens (token_hash, alert_key, issued_at, expires_at)
                    SELECT ack_token_hash, alert_key, NULL, ack_expires_at FROM alerts
                    WHERE ack_token_hash IS NOT NULL AND ack_expires_at IS NOT NULL;
                DROP INDEX alerts_by_ack_token;
                DROP INDEX alerts_awaiting_ack;
                ALTER TABLE alerts DROP COLUMN ack_token_hash;
                CREATE INDEX alerts_awaiting_ack ON alerts(deadline)
                    WHERE state = 'delivered' AND acknowledged_at IS NULL AND ack_expires_at IS NOT NULL;
                """)
        }
    }

    /// `v25-alert-school-rounds`: how many times an alert has moved away from a school that may have
    /// it (`AlertLifecycle.schoolRoundAfterMove`), and the round each call to a school was made in,
    /// so a webhook acknowledgement by reference is taken only in the first round and a call to the
    /// school the alert went to before is not counted as to the school it goes to now (audit 23,
    /// F7 and F11). Alerts and calls from before start at 0: one re-routed before this version is
    /// judged as it was (no record says when it moved).
    static func registerSchoolRounds(_ m: inout DatabaseMigrator) {
        m.registerMigration("v25-alert-school-rounds") { db in
            try db.execute(sql: """
                ALTER TABLE alerts ADD COLUMN school_round INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE alert_calls ADD COLUMN school_round INTEGER NOT NULL DEFAULT 0;
                """)
        }
    }
}

extension SQLiteStore {
    public func issueAcknowledgementTokens(_ tokens: [(alertKey: Int64, tokenHash: String, expiresAt: Date)], at now: Date) async throws {
        guard !tokens.isEmpty else { return }
        try await pool.write { db in
            let kept = try db.makeStatement(sql: "SELECT ack_expires_at FROM alerts WHERE alert_key = ?")
            let end = try db.makeStatement(sql: "UPDATE alerts SET ack_expires_at = ? WHERE alert_key = ?")
            let earlier = try db.makeStatement(sql: "UPDATE alert_ack_tokens SET expires_at = ? WHERE alert_key = ?")
            let keep = try db.makeStatement(sql: """
                INSERT INTO alert_ack_tokens (token_hash, alert_key, issued_at, expires_at)
                    SELECT ?, alert_key, ?, ack_expires_at FROM alerts WHERE alert_key = ?
                """)
            for t in tokens {
                let stored = try Double.fetchOne(kept, arguments: [t.alertKey]).map(Date.init(timeIntervalSince1970:))
                let linksEnd = AlertLifecycle.linksEnd(kept: stored, issued: t.expiresAt).timeIntervalSince1970
                try end.execute(arguments: [linksEnd, t.alertKey])
                try earlier.execute(arguments: [linksEnd, t.alertKey])
                try keep.execute(arguments: [t.tokenHash, now.timeIntervalSince1970, t.alertKey])
            }
        }
    }

    public func acknowledgement(tokenHash: String, now: Date) async throws -> AcknowledgementView? {
        try await pool.read { db in
            try Self.alertKey(db, tokenHash: tokenHash, now: now).flatMap { try Self.acknowledgementView(db, where: "a.alert_key = ?", [$0]) }
        }
    }

    public func acknowledge(tokenHash: String, now: Date) async throws -> AcknowledgementView? {
        try await pool.write { db in
            try Self.alertKey(db, tokenHash: tokenHash, now: now).flatMap { try Self.acknowledge(db, alertKey: $0, by: "link", now: now) }
        }
    }

    /// The alert a token opens: any token issued for it, until its end, unless it was withdrawn
    /// (`AlertLifecycle.opensForSchool`).
    static func alertKey(_ db: Database, tokenHash: String, now: Date) throws -> Int64? {
        guard let row = try Row.fetchOne(db, sql: """
                SELECT t.alert_key, t.expires_at, a.last_error FROM alert_ack_tokens t JOIN alerts a ON a.alert_key = t.alert_key
                WHERE t.token_hash = ?
                """, arguments: [tokenHash]),
              AlertLifecycle.opensForSchool(linksEnd: Date(timeIntervalSince1970: row[1]), lastError: row[2], now: now) else { return nil }
        return row[0]
    }

    public func acknowledge(reference: String, now: Date) async throws -> AcknowledgementView? {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                    SELECT alert_key, channel, ack_expires_at, last_error, school_round FROM alerts WHERE reference = ?
                    """, arguments: [reference]),
                  AlertLifecycle.acceptsWebhookAcknowledgement(channel: row[1], linksEnd: (row[2] as Double?).map(Date.init(timeIntervalSince1970:)),
                                                               lastError: row[3], schoolRound: row[4], now: now) else { return nil }
            return try Self.acknowledge(db, alertKey: row[0], by: "webhook", now: now)
        }
    }

    /// The first acknowledgement is kept; the state follows the state machine's rule.
    static func acknowledge(_ db: Database, alertKey: Int64, by: String, now: Date) throws -> AcknowledgementView? {
        guard let row = try Row.fetchOne(db, sql: "SELECT state, acknowledged_at, reference FROM alerts WHERE alert_key = ?",
                                         arguments: [alertKey]) else { return nil }
        let first = (row[1] as Double?) == nil
        if first {
            let state = AlertState(rawValue: row[0]) ?? .queued
            let next = AlertLifecycle.stateAfterAcknowledgement(state)
            try db.execute(sql: """
                UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ?, state = coalesce(?, state),
                    delivered_at = CASE WHEN ? IS NULL THEN delivered_at ELSE ? END
                WHERE alert_key = ?
                """, arguments: [now.timeIntervalSince1970, by, next?.rawValue, next?.rawValue, now.timeIntervalSince1970, alertKey])
            let reference: String = row[2]
            try SQLiteAudit.append(db, at: now, actor: "school:\(by)", action: "alert.acknowledged", subject: "alert:\(reference)", detail: nil)
        }
        var view = try acknowledgementView(db, where: "a.alert_key = ?", [alertKey])
        view?.justAcknowledged = first
        return view
    }

    static func acknowledgementView(_ db: Database, where clause: String, _ arguments: StatementArguments) throws -> AcknowledgementView? {
        guard let key = try Int64.fetchOne(db, sql: "SELECT a.alert_key FROM alerts a WHERE \(clause)", arguments: arguments),
              let row = try Row.fetchOne(db, sql: "SELECT acknowledged_at, acknowledged_by FROM alerts WHERE alert_key = ?", arguments: [key]),
              let alert = try due(db, where: "a.alert_key = \(key)").alerts.first
        else { return nil }
        return AcknowledgementView(alert: alert, acknowledgedAt: (row[0] as Double?).map(Date.init(timeIntervalSince1970:)),
                                   acknowledgedBy: row[1])
    }

    public func recordCall(_ call: AlertCall, seen: Int?) async throws {
        try await pool.write { db in
            guard let key = try Int64.fetchOne(db, sql: "SELECT alert_key FROM alerts WHERE reference = ?", arguments: [call.reference]) else {
                throw UnmatchedError.unknownAlert(call.reference)
            }
            // One press, one call: the one writer reads the alert's calls as they are before appending.
            if seen != nil {
                let calls = try Row.fetchAll(db, sql: """
                    SELECT called_by, called_at, note FROM alert_calls WHERE alert_key = ? ORDER BY called_at, call_key
                    """, arguments: [key]).map {
                    AlertCall(reference: call.reference, calledBy: $0[0], calledAt: Date(timeIntervalSince1970: $0[1]), note: $0[2])
                }
                try OnePress.check(seen: seen, calls: calls, adding: call)
            }
            // Made in the alert's school round as it is now: to the school it is for now.
            try db.execute(sql: """
                INSERT INTO alert_calls (alert_key, called_by, called_at, note, school_round)
                    SELECT alert_key, ?, ?, ?, school_round FROM alerts WHERE alert_key = ?
                """, arguments: [call.calledBy, call.calledAt.timeIntervalSince1970, call.note, key])
            // The note may hold what the school said about a child: the audit keeps that a note was made.
            try SQLiteAudit.append(db, at: call.calledAt, actor: "user:\(call.calledBy)", action: "alert.school-phoned", subject: "alert:\(call.reference)",
                                   detail: ["note": call.note == nil ? "no" : "yes"])
        }
    }

    public func calls(references: [String]) async throws -> [AlertCall] {
        guard !references.isEmpty else { return [] }
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT a.reference, c.called_by, c.called_at, c.note, c.school_round, a.school_round
                FROM alert_calls c JOIN alerts a ON a.alert_key = c.alert_key
                WHERE a.reference IN (\(references.map { _ in "?" }.joined(separator: ",")))
                ORDER BY c.called_at, c.call_key
                """, arguments: StatementArguments(references)).map {
                AlertCall(reference: $0[0], calledBy: $0[1], calledAt: Date(timeIntervalSince1970: $0[2]), note: $0[3],
                          toEarlierSchool: !AlertLifecycle.callIsToItsSchool(callRound: $0[4], alertRound: $0[5]))
            }
        }
    }

    /// Delivered alerts with a link that nobody acknowledged by the deadline: the hub hears once each
    /// round (a re-routed alert's new school may be silent too).
    static func markUnacknowledged(_ db: Database, now: Date) throws {
        let rows = try Row.fetchAll(db, sql: """
            SELECT a.alert_key, a.deadline FROM alerts a
            WHERE a.state = 'delivered' AND a.acknowledged_at IS NULL AND a.ack_expires_at IS NOT NULL AND a.deadline < ?
              AND NOT EXISTS (SELECT 1 FROM hub_notices n WHERE n.alert_key = a.alert_key AND n.kind = ? AND n.rerouted_at IS NULL)
            """, arguments: [now.timeIntervalSince1970, AlertLifecycle.unacknowledgedKind])
        for r in rows where AlertLifecycle.isUnacknowledged(state: .delivered, linkIssued: true, acknowledgedAt: nil,
                                                             deadline: (r[1] as Double?).map(Date.init(timeIntervalSince1970:)), now: now) {
            try notices([.alert(kind: AlertLifecycle.unacknowledgedKind, detail: AlertLifecycle.unacknowledgedDetail)], db,
                        alertKey: r[0], now: now)
        }
    }
}
