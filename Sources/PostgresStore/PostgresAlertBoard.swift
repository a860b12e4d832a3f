import Foundation
import Logging
import PostgresNIO
import StoreContract

extension PostgresAlerts {
    /// SQLite's v27-alerts-board-lists: the indexes the alerts board's lists are read by (the alerts
    /// whose links still open, by their end; the delivered ones by deadline and by delivery), so the
    /// page reads what it shows, not every alert of the store's history (audit 26, F1).
    static let alertsBoardLists = PostgresSchema.Migration(id: "pg24-alerts-board-lists", statements: [
        """
        CREATE INDEX alerts_links_open ON alerts (ack_expires_at)
            WHERE state = 'delivered' AND acknowledged_at IS NULL AND ack_expires_at IS NOT NULL
        """,
        "CREATE INDEX alerts_delivered_by_deadline ON alerts (deadline) WHERE state = 'delivered'",
        "CREATE INDEX alerts_delivered_by_time ON alerts (delivered_at) WHERE state = 'delivered'",
    ])

    /// `alerts`' order: overdue and failed before the rest, then by deadline (SQLite's, NULL first);
    /// by the state as read at `now` (`AlertStateSQL.urgency`), as stored when nil.
    static func urgentFirst(now: Date?) -> String {
        AlertStateSQL.urgency(now: now) + #", deadline NULLS FIRST, reference COLLATE "C""#
    }
}

extension PostgresStore {
    public func alert(reference: String) async throws -> AlertRow? {
        let logger = self.logger
        return try await read { conn in
            try await conn.row("\(unescaped: PostgresAlerts.rowColumns) WHERE reference = \(reference)", logger,
                               as: PostgresAlerts.RowTuple.self).map(PostgresAlerts.alertRow)
        }
    }

    public func alertsInRun(since: Date, now: Date) async throws -> [AlertRow] {
        let logger = self.logger
        let at = since.timeIntervalSince1970
        return try await read { conn in
            try await conn.rows("""
                \(unescaped: PostgresAlerts.rowColumns)
                WHERE state = ANY(\(PostgresAlerts.names(AlertLifecycle.mayStillGo + [.failed])))
                    OR (state = 'delivered' AND delivered_at >= \(at)) OR (state = 'delivered' AND deadline >= \(at))
                ORDER BY \(unescaped: PostgresAlerts.urgentFirst(now: now))
                """, logger, as: PostgresAlerts.RowTuple.self).map { PostgresAlerts.alertRow($0).asRead(at: now) }
        }
    }

    public func unacknowledgedAlerts(now: Date, closedLinks: Bool, passes: Int,
                                     _ visit: @escaping @Sendable (_ pass: Int, AlertRow) throws -> Void) async throws {
        let logger = self.logger
        let at = now.timeIntervalSince1970
        try await read { conn in
            // Every pass reads the same rows (as `alerts`).
            if passes > 1 { try await conn.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger) }
            for pass in 0..<passes {
                let order = pass < passes - 1 ? "" : #"ORDER BY deadline DESC NULLS LAST, reference COLLATE "C""#
                // The links' end picks the rows (`alerts_links_open`), unless every one is asked for.
                let open = closedLinks ? "" : "AND ack_expires_at >= \(at)"
                let rows = try await conn.query("""
                    \(unescaped: PostgresAlerts.rowColumns)
                    WHERE \(unescaped: AlertStateSQL.unacknowledged) AND deadline < \(at) \(unescaped: open)
                    \(unescaped: order)
                    """, logger: logger)
                for try await row in rows.decode(PostgresAlerts.RowTuple.self) { try visit(pass, PostgresAlerts.alertRow(row)) }
            }
        }
    }

    public func unacknowledgedCount(now: Date) async throws -> Int {
        let logger = self.logger
        return try await read { conn in
            try await conn.row("""
                SELECT count(*) FROM alerts WHERE \(unescaped: AlertStateSQL.unacknowledged) AND deadline < \(now.timeIntervalSince1970)
                """, logger, as: (Int).self) ?? 0
        }
    }

    public func unmatchedAlerts(reportedSince: Date?, older: Bool, offset: Int, limit: Int) async throws -> UnmatchedPage {
        let logger = self.logger
        let since = reportedSince?.timeIntervalSince1970
        return try await read { conn in
            let all = try await conn.row("SELECT count(*) FROM alerts WHERE state = 'unmatched'", logger, as: (Int).self) ?? 0
            var recent = all
            if let since {
                recent = try await conn.row("""
                    SELECT count(*) FROM alerts a JOIN incidents i ON i.incident_key = a.incident_key
                    WHERE a.state = 'unmatched' AND i.reported_at >= \(since)
                    """, logger, as: (Int).self) ?? 0
            } else if older {
                return UnmatchedPage(rows: [], recent: recent, older: 0)
            }
            // Before the limit or since it (the time bound, never NULL here, with no limit).
            let (from, to) = older ? (-Double.infinity, since ?? 0) : (since ?? -Double.infinity, Double.infinity)
            let references = try await conn.rows("""
                SELECT a.reference FROM alerts a JOIN incidents i ON i.incident_key = a.incident_key
                WHERE a.state = 'unmatched' AND i.reported_at >= \(from) AND i.reported_at < \(to)
                ORDER BY i.reported_at DESC, a.reference COLLATE "C" LIMIT \(max(0, limit)) OFFSET \(max(0, offset))
                """, logger, as: (String).self)
            var byReference: [String: AlertRow] = [:]
            for row in try await conn.rows("\(unescaped: PostgresAlerts.rowColumns) WHERE reference = ANY(\(references))", logger,
                                           as: PostgresAlerts.RowTuple.self).map(PostgresAlerts.alertRow) {
                byReference[row.reference] = row
            }
            let rows = references.compactMap { byReference[$0] }
            return UnmatchedPage(rows: rows, recent: recent, older: all - recent)
        }
    }
}
