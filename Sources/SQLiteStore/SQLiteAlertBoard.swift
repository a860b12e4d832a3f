import Foundation
import GRDB
import StoreContract

extension SQLiteSchema {
    /// `v27-alerts-board-lists`: the indexes the alerts board's lists are read by, so that the page
    /// reads what it shows and not every alert of the store's history (audit 26, F1): the alerts
    /// whose links still open, by their end (the schools to phone: `AlertLifecycle.isToPhone`), and
    /// the delivered ones by deadline and by delivery (today's run). The unmatched list is read by
    /// `alerts_by_state`, joined to its incidents.
    static func registerAlertsBoardLists(_ m: inout DatabaseMigrator) {
        m.registerMigration("v27-alerts-board-lists") { db in
            try db.execute(sql: """
                CREATE INDEX alerts_links_open ON alerts(ack_expires_at)
                    WHERE state = 'delivered' AND acknowledged_at IS NULL AND ack_expires_at IS NOT NULL;
                CREATE INDEX alerts_delivered_by_deadline ON alerts(deadline) WHERE state = 'delivered';
                CREATE INDEX alerts_delivered_by_time ON alerts(delivered_at) WHERE state = 'delivered';
                """)
        }
    }
}

extension SQLiteStore {
    /// `alerts`' order: overdue and failed before the rest, then by deadline; by the state as read
    /// at `now` (`AlertStateSQL.urgency`), as stored when nil.
    static func urgentFirst(now: Date?) -> String {
        AlertStateSQL.urgency(now: now) + ", deadline, reference"
    }

    public func alert(reference: String) async throws -> AlertRow? {
        try await pool.read { db in
            var found: AlertRow?
            try Self.forEachAlert(db, where: "reference = ?", order: nil, arguments: [reference]) { found = $0 }
            return found
        }
    }

    public func alertsInRun(since: Date, now: Date) async throws -> [AlertRow] {
        try await pool.read { db in
            var rows: [AlertRow] = []
            // Each part by its index, named: with no statistics SQLite reads every delivered alert by
            // `alerts_by_state` for a range of one of them (10 ms against 0.1 ms at 100,000 rows).
            try Self.forEachAlert(db, where: """
                alert_key IN (SELECT alert_key FROM alerts WHERE state IN \(SQLiteSchema.list(AlertLifecycle.mayStillGo + [.failed]))
                              UNION ALL SELECT alert_key FROM alerts INDEXED BY alerts_delivered_by_time
                                  WHERE state = 'delivered' AND delivered_at >= ?
                              UNION ALL SELECT alert_key FROM alerts INDEXED BY alerts_delivered_by_deadline
                                  WHERE state = 'delivered' AND deadline >= ?)
                """, order: Self.urgentFirst(now: now), arguments: [since.timeIntervalSince1970, since.timeIntervalSince1970]) {
                rows.append($0.asRead(at: now))
            }
            return rows
        }
    }

    public func unacknowledgedAlerts(now: Date, closedLinks: Bool, passes: Int,
                                     _ visit: @escaping @Sendable (_ pass: Int, AlertRow) throws -> Void) async throws {
        let at = now.timeIntervalSince1970
        // The links' end picks the rows, by its index, named: with no statistics SQLite reads every
        // delivered alert by `alerts_by_state` instead (all of them: `--all`, by deadline).
        let clause = closedLinks
            ? "alert_key IN (SELECT alert_key FROM alerts INDEXED BY alerts_awaiting_ack WHERE \(AlertStateSQL.unacknowledged) AND deadline < ?)"
            : "alert_key IN (SELECT alert_key FROM alerts INDEXED BY alerts_links_open WHERE \(AlertStateSQL.unacknowledged) AND ack_expires_at >= ?) AND deadline < ?"
        try await pool.read { db in
            for pass in 0..<passes {
                try Self.forEachAlert(db, where: clause, order: pass < passes - 1 ? nil : "deadline DESC, reference",
                                      arguments: closedLinks ? [at] : [at, at]) { try visit(pass, $0) }
            }
        }
    }

    public func unacknowledgedCount(now: Date) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM alerts INDEXED BY alerts_awaiting_ack WHERE \(AlertStateSQL.unacknowledged) AND deadline < ?",
                             arguments: [now.timeIntervalSince1970]) ?? 0
        }
    }

    public func unmatchedAlerts(reportedSince: Date?, older: Bool, offset: Int, limit: Int) async throws -> UnmatchedPage {
        try await pool.read { db in
            let all = try Int.fetchOne(db, sql: "SELECT count(*) FROM alerts WHERE state = 'unmatched'") ?? 0
            let since = reportedSince?.timeIntervalSince1970
            let join = "FROM alerts a JOIN incidents i ON i.incident_key = a.incident_key WHERE a.state = 'unmatched'"
            let recent = try since.map { try Int.fetchOne(db, sql: "SELECT count(*) \(join) AND i.reported_at >= ?", arguments: [$0]) ?? 0 } ?? all
            guard since != nil || !older else { return UnmatchedPage(rows: [], recent: recent, older: 0) }
            let part = since == nil ? "" : older ? " AND i.reported_at < ?" : " AND i.reported_at >= ?"
            let references = try String.fetchAll(db, sql: "SELECT a.reference \(join)\(part) ORDER BY i.reported_at DESC, a.reference LIMIT ? OFFSET ?",
                                                 arguments: StatementArguments(since.map { [$0] } ?? [Double]()) + [max(0, limit), max(0, offset)])
            var rows: [String: AlertRow] = [:]
            if !references.isEmpty {
                try Self.forEachAlert(db, where: "reference IN (\(references.map { _ in "?" }.joined(separator: ",")))", order: nil,
                                      arguments: StatementArguments(references)) { rows[$0.reference] = $0 }
            }
            return UnmatchedPage(rows: references.compactMap { rows[$0] }, recent: recent, older: all - recent)
        }
    }
}
