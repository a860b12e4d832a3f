import Foundation
import GRDB
import RiskModel
import StoreContract

extension SQLiteSchema {
    static func registerAlerts(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-alerts") { db in
            try db.execute(sql: """
                CREATE TABLE alerts (
                    alert_key INTEGER PRIMARY KEY,
                    reference TEXT NOT NULL UNIQUE,
                    incident_key INTEGER NOT NULL REFERENCES incidents(incident_key),
                    child_key INTEGER NOT NULL REFERENCES children(child_key),
                    incident_id TEXT NOT NULL,
                    child_id TEXT NOT NULL,
                    school_urn TEXT,
                    channel TEXT,
                    recipient TEXT,
                    state TEXT NOT NULL CHECK (state IN ('unmatched', 'queued', 'sending', 'delivered', 'retrying', 'failed', 'overdue')),
                    unmatched_reason TEXT,
                    deadline REAL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    next_attempt_at REAL NOT NULL DEFAULT 0,
                    lease_owner TEXT,
                    lease_until REAL,
                    created_at REAL NOT NULL,
                    delivered_at REAL,
                    UNIQUE (incident_key, child_key)
                );
                CREATE INDEX alerts_by_state ON alerts(state, next_attempt_at);
                -- One notice per alert per state it reached (failed, overdue); configuration notices
                -- have no alert.
                CREATE TABLE hub_notices (
                    notice_key INTEGER PRIMARY KEY,
                    alert_key INTEGER REFERENCES alerts(alert_key),
                    kind TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    sent_at REAL
                );
                CREATE UNIQUE INDEX hub_notices_once ON hub_notices(alert_key, kind) WHERE alert_key IS NOT NULL;
                """)
        }
        m.registerMigration("v4-configuration-notices") { db in
            // A configuration notice names its channel and the alerts it holds back. Those made
            // before this have neither, and say so.
            try db.execute(sql: """
                ALTER TABLE hub_notices ADD COLUMN channel TEXT;
                CREATE TABLE hub_notice_alerts (
                    notice_key INTEGER NOT NULL REFERENCES hub_notices(notice_key),
                    alert_key INTEGER NOT NULL REFERENCES alerts(alert_key),
                    PRIMARY KEY (notice_key, alert_key)
                ) WITHOUT ROWID;
                CREATE INDEX hub_notices_configuration ON hub_notices(channel, created_at) WHERE kind = 'configuration';
                """)
        }
    }

    /// `v20-hub-notice-claims`: a run claims the hub notices it sends, with a lease as for alerts
    /// (`AlertStore.claimHubNotices`), so two runs at once never name one item twice.
    static func registerHubNoticeClaims(_ m: inout DatabaseMigrator) {
        m.registerMigration("v20-hub-notice-claims") { db in
            try db.execute(sql: """
                ALTER TABLE hub_notices ADD COLUMN claim_owner TEXT;
                ALTER TABLE hub_notices ADD COLUMN claim_until REAL;
                """)
        }
    }

    /// `v22-hub-notice-rounds`: a notice about an alert is once per alert and kind in a round of
    /// sending (`AlertLifecycle.startsNewRound`). A re-route closes the round's notices
    /// (`rerouted_at`), and the index that keeps each kind once holds only the open ones, so the
    /// new round's failure, lateness or silence is told again.
    static func registerHubNoticeRounds(_ m: inout DatabaseMigrator) {
        m.registerMigration("v22-hub-notice-rounds") { db in
            try db.execute(sql: """
                ALTER TABLE hub_notices ADD COLUMN rerouted_at REAL;
                DROP INDEX hub_notices_once;
                CREATE UNIQUE INDEX hub_notices_once_a_round ON hub_notices(alert_key, kind)
                    WHERE alert_key IS NOT NULL AND rerouted_at IS NULL;
                """)
        }
    }

    /// `v24-hub-notice-schools`: a `rerouted` notice (`AlertLifecycle.reroutedNotices`) keeps the
    /// school the alert had been delivered to and when: the alert's own row names the school it
    /// goes to now, and its delivery time is the next school's once that school has it.
    static func registerHubNoticeSchools(_ m: inout DatabaseMigrator) {
        m.registerMigration("v24-hub-notice-schools") { db in
            try db.execute(sql: """
                ALTER TABLE hub_notices ADD COLUMN school_urn TEXT;
                ALTER TABLE hub_notices ADD COLUMN delivered_at REAL;
                """)
        }
    }

    /// `v26-hub-notice-settled`: a notice a run settled untold (`AlertStore.markHubNoticesSettled`)
    /// keeps when, apart from `sent_at`: it was marked sent, and the board showed the hub e-mailed
    /// what it never was. Notices kept before keep their meaning (those settled then stay sent: which
    /// they were is not known).
    static func registerHubNoticeSettled(_ m: inout DatabaseMigrator) {
        m.registerMigration("v26-hub-notice-settled") { db in
            try db.execute(sql: "ALTER TABLE hub_notices ADD COLUMN settled_at REAL")
        }
    }
}

/// Decides, inside the ingest transaction, what becomes of each newly linked child: a queued alert,
/// an unmatched entry, or nothing for an incident too old to send.
final class SQLiteAlertQueue {
    let db: Database
    let planner: AlertPlanner
    let now: Date
    private var contacts: [String: AlertContact] = [:]
    private var laCodes: [String: String] = [:]
    private let find: SQLiteRawStatement
    private let insert: SQLiteRawStatement
    private let replan: SQLiteRawStatement
    /// The new links this queue made no alert for, their incident too old (`AlertPlanner.planNew`).
    private(set) var tooOld = TooOldLinks()

    init(db: Database, planner: AlertPlanner, now: Date) throws {
        self.db = db
        self.planner = planner
        self.now = now
        contacts = AlertContact.byURN(try SQLiteStore.keyAdults(db, urn: nil))
        for row in try Row.fetchAll(db, sql: "SELECT urn, la_code FROM schools WHERE la_code IS NOT NULL") {
            laCodes[row[0]] = row[1]
        }
        find = try SQLiteRawStatement(db, """
            SELECT state, school_urn, deadline, channel, recipient, unmatched_reason, last_error, delivered_at, alert_key,
                acknowledged_at IS NOT NULL
            FROM alerts WHERE incident_key = ? AND child_key = ?
            """)
        insert = try SQLiteRawStatement(db, """
            INSERT INTO alerts (reference, incident_key, child_key, incident_id, child_id, school_urn, channel, recipient,
                state, unmatched_reason, deadline, next_attempt_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
            """)
        replan = try SQLiteRawStatement(db, """
            UPDATE alerts SET school_urn = ?, channel = ?, recipient = ?, state = ?, unmatched_reason = ?, deadline = ?,
                next_attempt_at = 0, last_error = ?
            WHERE incident_key = ? AND child_key = ? AND state IN \(Self.replannable)
            """)
    }

    /// A new link's alert; nil, the link counted in `tooOld`, when the incident is too old to alert a school about.
    func planNew(reportedAt: Date, urn: String?, incidentId: String, ignoringAge: Bool = false) -> AlertPlan? {
        planner.planNew(reportedAt: reportedAt, urn: urn, contact: urn.flatMap { contacts[$0] }, laCode: urn.flatMap { laCodes[$0] },
                        now: now, ignoringAge: ignoringAge, incidentId: incidentId, tooOld: &tooOld)
    }

    /// Whether `matchUnmatched` must plan an unmatched alert again (`AlertLifecycle.unmatchedMayChange`),
    /// with the school's key adults as this queue read them.
    func mayChange(_ stored: AlertPlan, urn: String?) -> Bool {
        AlertLifecycle.unmatchedMayChange(stored: stored, urn: urn, contact: urn.flatMap { contacts[$0] })
    }

    /// Whether `matchUnmatched` must ask `replan` whether a failed alert is sent again
    /// (`AlertLifecycle.failedMayBeResent`), with the school's key adults as this queue read them.
    func mayResend(_ stored: AlertPlan, urn: String?, lastError: String?, acknowledged: Bool) -> Bool {
        AlertLifecycle.failedMayBeResent(stored: stored, lastError: lastError, acknowledged: acknowledged, sentURN: urn, urn: urn,
                                         contact: urn.flatMap { contacts[$0] })
    }

    /// False when an incident reported then is too old to alert a school about.
    func considers(reportedAt: Date) -> Bool { planner.considers(reportedAt: reportedAt, now: now) }

    /// The states `AlertLifecycle.replan` may move, as an SQL list: never `sending` (its run holds it).
    static let replannable = SQLiteSchema.list(AlertLifecycle.notYetSent + AlertLifecycle.reroutable)

    /// Queues the alert for one link, or re-plans its alert not yet sent; true when an alert is newly
    /// queued. `newIncident`: the incident was inserted by this batch, so it can have no alert yet.
    ///
    /// A changed incident moves its alerts with it: a corrected school or time re-plans a queued,
    /// retrying or overdue alert (new recipient, new deadline, sent at the next run), so a child's
    /// details never go to the school the record no longer names.
    func link(incidentKey: Int64, childKey: Int64, incidentId: String, childId: String, reportedAt: Date, urn: String?,
              ignoringAge: Bool = false, newIncident: Bool = false) throws -> Bool {
        var existing: (state: AlertState?, urn: String?, deadline: Double?, channel: String?, recipient: String?, reason: String?,
                       lastError: String?, deliveredAt: Double?, alertKey: Int64, acknowledged: Bool)?
        if !newIncident {
            find.bind(1, incidentKey)
            find.bind(2, childKey)
            existing = try find.row {
                (AlertState(rawValue: $0.text(0)), $0.optionalText(1), $0.optionalDouble(2), $0.optionalText(3), $0.optionalText(4),
                 $0.optionalText(5), $0.optionalText(6), $0.optionalDouble(7), $0.int64(8), $0.int64(9) != 0)
            }
        }
        guard let existing else {
            // Most of a back-loaded history is too old to alert: answer that before planning.
            guard let p = planNew(reportedAt: reportedAt, urn: urn, incidentId: incidentId, ignoringAge: ignoringAge) else { return false }
            let s = insert
            s.bind(1, planner.reference(incidentId, childId)); s.bind(2, incidentKey); s.bind(3, childKey)
            s.bind(4, incidentId); s.bind(5, childId); s.bind(6, urn); s.bind(7, p.channel); s.bind(8, p.recipient)
            s.bind(9, p.state.rawValue); s.bind(10, p.reason); s.bind(11, p.deadline?.timeIntervalSince1970)
            s.bind(12, now.timeIntervalSince1970)
            try s.run()
            return p.state == .queued
        }
        guard let state = existing.state else { return false }
        let stored = AlertPlan(state: state, channel: existing.channel, recipient: existing.recipient, reason: existing.reason,
                               deadline: existing.deadline.map(Date.init(timeIntervalSince1970:)))
        let decision = AlertLifecycle.replan(stored: stored, lastError: existing.lastError, acknowledged: existing.acknowledged,
                                             urn: existing.urn, planner: planner, reportedAt: reportedAt, urn: urn,
                                             contact: urn.flatMap { contacts[$0] },
                                             laCode: urn.flatMap { laCodes[$0] }, now: now, ignoringAge: ignoringAge)
        if decision == .tooOld {
            let key = existing.alertKey
            let referenced = try Bool.fetchOne(db, sql: AlertSQL.namedTooLateReferenced(alertKey: key)) ?? true
            switch AlertLifecycle.namedTooLate(referenced: referenced, incidentId: incidentId, planner: planner, tooOld: &tooOld) {
            case .removed: for sql in AlertSQL.removeNamedTooLate(alertKey: key) { try db.execute(sql: sql) }
            case .kept(let lastError):
                try db.cachedStatement(sql: "UPDATE alerts SET last_error = ? WHERE alert_key = ?").execute(arguments: [lastError, key])
            }
            return false
        }
        guard case .update(let p) = decision else {
            // Kept as it went: delivered, the school it went to may no longer be the one named.
            try SQLiteStore.noLongerNamed(db, alertKey: existing.alertKey, state: state, sentURN: existing.urn,
                                          deliveredAt: existing.deliveredAt.map(Date.init(timeIntervalSince1970:)), namedURN: urn, now: now)
            return false
        }
        let s = replan
        s.bind(1, urn); s.bind(2, p.channel); s.bind(3, p.recipient); s.bind(4, p.state.rawValue); s.bind(5, p.reason)
        s.bind(6, p.deadline?.timeIntervalSince1970); s.bind(7, AlertLifecycle.lastErrorAfterReplan(existing.lastError))
        s.bind(8, incidentKey); s.bind(9, childKey)
        try s.run()
        let newRound = AlertLifecycle.startsNewRound(from: state)
        if existing.urn != urn || newRound,
           let key = try Int64.fetchOne(db.cachedStatement(sql: "SELECT alert_key FROM alerts WHERE incident_key = ? AND child_key = ?"),
                                        arguments: [incidentKey, childKey]) {
            if existing.urn != urn { try SQLiteStore.forgetAcknowledgement(db, alertKey: key) }
            if newRound {
                let heldTold = try SQLiteStore.closeRound(db, alertKey: key, now: now)
                // After the round is closed: the notice is the new round's, once in it.
                try SQLiteStore.notices(AlertLifecycle.reroutedNotices(from: state, sentURN: existing.urn,
                                                                       deliveredAt: existing.deliveredAt.map(Date.init(timeIntervalSince1970:)),
                                                                       urn: urn, heldTold: heldTold), db, alertKey: key, now: now)
            }
        }
        return (existing.state == .unmatched || AlertLifecycle.reroutable.contains(state)) && p.state == .queued
    }

    /// The incident's alerts not yet sent for children it no longer names (a later ingest corrected
    /// the links, and the incident's `child_keys` already say so): they must not go out. Each
    /// becomes what `AlertLifecycle.withdrawal` says: `failed` with the reason, the hub told, or,
    /// an unmatched entry nothing refers to, removed. One delivered to a school for a child it no
    /// longer names tells the hub that school has the child's details
    /// (`AlertLifecycle.noLongerNamedNotices`).
    static func withdraw(_ db: Database, incidentKey: Int64, now: Date) throws {
        // Cached, as are the statements below: a correcting feed withdraws once an updated
        // incident, and compiling each time was a third of its time (audit 27 F2).
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT alert_key, state,
                   child_key IN (SELECT value FROM json_each((SELECT child_keys FROM incidents WHERE incident_key = ?1))),
                   EXISTS (SELECT 1 FROM hub_notices n WHERE n.alert_key = alerts.alert_key)
                   OR EXISTS (SELECT 1 FROM hub_notice_alerts h WHERE h.alert_key = alerts.alert_key)
                   OR EXISTS (SELECT 1 FROM alert_calls c WHERE c.alert_key = alerts.alert_key)
                   OR EXISTS (SELECT 1 FROM alert_ack_tokens t WHERE t.alert_key = alerts.alert_key),
                   school_urn, delivered_at
            FROM alerts WHERE incident_key = ?1 ORDER BY alert_key
            """), arguments: [incidentKey])
        let unlinked = rows.filter { !($0[2] as Bool) }
        for r in unlinked {
            let key: Int64 = r[0]
            guard let state = AlertState(rawValue: r[1]) else { continue }
            switch AlertLifecycle.withdrawal(state: state, childStillLinked: false, referenced: r[3]) {
            case .stays: continue
            case .withdrawn: try SQLiteStore.apply(AlertLifecycle.failure(AlertLifecycle.withdrawnReason), to: db, alertKey: key, now: now)
            case .removed: try db.cachedStatement(sql: "DELETE FROM alerts WHERE alert_key = ?").execute(arguments: [key])
            }
        }
        // After the withdrawals, as PostgreSQL's ingest tells them: the hub's notices in one order.
        for r in unlinked {
            guard let state = AlertState(rawValue: r[1]) else { continue }
            try SQLiteStore.noLongerNamed(db, alertKey: r[0], state: state, sentURN: r[4],
                                          deliveredAt: (r[5] as Double?).map(Date.init(timeIntervalSince1970:)), namedURN: nil, now: now)
        }
    }
}

extension SQLiteStore: AlertStore {
    public func alerts(state: AlertState?, now: Date?, passes: Int, _ visit: @escaping @Sendable (_ pass: Int, AlertRow) throws -> Void) async throws {
        // One read transaction: every pass reads the same snapshot.
        try await pool.read { db in
            for pass in 0..<passes {
                // Most urgent first: overdue and failed before the rest, then by deadline.
                try Self.forEachAlert(db, where: state.map { AlertStateSQL.inState($0, now: now) } ?? "1",
                                      order: pass < passes - 1 ? nil : Self.urgentFirst(now: now)) { row in
                    try visit(pass, now.map { row.asRead(at: $0) } ?? row)
                }
            }
        }
    }

    static func alertRows(_ db: Database, where clause: String) throws -> [AlertRow] {
        var rows: [AlertRow] = []
        try forEachAlert(db, where: clause, order: "alert_key") { rows.append($0) }
        return rows
    }

    /// The alerts as the rows are read, through a cursor: none is kept here. In no particular order
    /// when `order` is nil.
    static func forEachAlert(_ db: Database, where clause: String, order: String?, arguments: StatementArguments = [],
                             _ body: (AlertRow) throws -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT reference, incident_id, child_id, school_urn, channel, state, deadline, attempts, last_error,
                   next_attempt_at, delivered_at, unmatched_reason, acknowledged_at, ack_expires_at,
                   CASE WHEN state = 'failed' THEN
                       (SELECT n.created_at FROM hub_notices n
                        WHERE n.alert_key = alerts.alert_key AND n.kind = 'failed' AND n.rerouted_at IS NULL) END
            FROM alerts WHERE \(clause)\(order.map { " ORDER BY " + $0 } ?? "")
            """, arguments: arguments)
        while let r = try rows.next() {
            let state = AlertState(rawValue: r[5]) ?? .queued
            let linksEnd = (r[13] as Double?).map(Date.init(timeIntervalSince1970:))
            try body(AlertRow(reference: r[0], incidentId: r[1], childId: r[2], schoolURN: r[3], channel: r[4], state: state,
                              deadline: (r[6] as Double?).map(Date.init(timeIntervalSince1970:)), attempts: r[7],
                              lastError: state == .unmatched ? r[11] : r[8],
                              nextAttemptAt: (r[9] as Double?).map(Date.init(timeIntervalSince1970:)),
                              deliveredAt: (r[10] as Double?).map(Date.init(timeIntervalSince1970:)),
                              acknowledgedAt: (r[12] as Double?).map(Date.init(timeIntervalSince1970:)), linkIssued: linksEnd != nil,
                              failedAt: (r[14] as Double?).map(Date.init(timeIntervalSince1970:)), linksEnd: linksEnd))
        }
    }

    public func matchUnmatched(planner: AlertPlanner, now: Date) async throws -> Int {
        try await pool.write { db in
            let queue = try SQLiteAlertQueue(db: db, planner: planner, now: now)
            var queued = 0
            // The alerts alone first: only those that may change are read with their incident and link.
            var keys: [Int64] = []
            let unmatched = try Row.fetchCursor(db, sql: """
                SELECT alert_key, school_urn, channel, recipient, unmatched_reason, deadline FROM alerts WHERE state = 'unmatched'
                """)
            while let r = try unmatched.next() {
                let stored = AlertPlan(state: .unmatched, channel: r[2], recipient: r[3], reason: r[4],
                                       deadline: (r[5] as Double?).map(Date.init(timeIntervalSince1970:)))
                if queue.mayChange(stored, urn: r[1]) { keys.append(r[0]) }
            }
            // Failed alerts whose school's key adults were corrected since they were refused.
            let failed = try Row.fetchCursor(db, sql: """
                SELECT alert_key, school_urn, channel, recipient, deadline, last_error, acknowledged_at IS NOT NULL FROM alerts WHERE state = 'failed'
                """)
            while let r = try failed.next() {
                let stored = AlertPlan(state: .failed, channel: r[2], recipient: r[3],
                                       deadline: (r[4] as Double?).map(Date.init(timeIntervalSince1970:)))
                if queue.mayResend(stored, urn: r[1], lastError: r[5], acknowledged: r[6]) { keys.append(r[0]) }
            }
            guard !keys.isEmpty else { return 0 }
            // Unmatched entries keep their place even if old: the hub chose to fix the school. A
            // failed one is planned as ingest would (its incident's age counts).
            let rows = try Row.fetchAll(db, sql: """
                SELECT a.incident_key, a.child_key, a.incident_id, a.child_id, i.reported_at, l.school_urn, a.state = 'unmatched'
                FROM alerts a JOIN incidents i ON i.incident_key = a.incident_key
                LEFT JOIN incident_children l ON l.incident_key = a.incident_key AND l.child_key = a.child_key
                WHERE a.alert_key IN (\(keys.map(String.init).joined(separator: ","))) AND l.school_urn IS NOT NULL
                """)
            for r in rows where try queue.link(incidentKey: r[0], childKey: r[1], incidentId: r[2], childId: r[3],
                                                reportedAt: Date(timeIntervalSince1970: r[4]), urn: r[5], ignoringAge: r[6]) {
                queued += 1
            }
            return queued
        }
    }

    public func followCalendar(planner: AlertPlanner, actor: String, now: Date) async throws -> CalendarFollowed? {
        guard let fingerprint = planner.calendarFingerprint else { return nil }
        return try await pool.write { db in
            let kind = CalendarFollowed.importKind
            guard try String.fetchOne(db, sql: "SELECT content FROM directory_imports WHERE kind = ?", arguments: [kind]) != fingerprint
            else { return nil }
            var followed = CalendarFollowed(redated: 0, waitingAgain: 0,
                                            held: try Int.fetchOne(db, sql: "SELECT count(*) FROM alerts WHERE state = 'sending'") ?? 0)
            // The deadline from the school the alert goes to, as ingest plans it.
            let rows = try Row.fetchCursor(db, sql: """
                SELECT a.alert_key, a.state, a.deadline, a.attempts, a.school_urn, s.la_code, i.reported_at
                FROM alerts a JOIN incidents i ON i.incident_key = a.incident_key LEFT JOIN schools s ON s.urn = a.school_urn
                WHERE a.state IN \(SQLiteSchema.list(AlertLifecycle.redatable)) AND a.deadline IS NOT NULL AND a.school_urn IS NOT NULL
                """)
            var changes: [(key: Int64, state: AlertState, deadline: Date)] = []
            while let r = try rows.next() {
                guard let state = AlertState(rawValue: r[1]) else { continue }
                let decision = AlertLifecycle.redate(state: state, deadline: Date(timeIntervalSince1970: r[2]), attempts: r[3],
                                                     calendarDeadline: planner.deadline(Date(timeIntervalSince1970: r[6]), r[4], r[5]),
                                                     now: now)
                followed.count(decision, from: state)
                if case .update(let newState, let deadline) = decision { changes.append((r[0], newState, deadline)) }
            }
            let update = try db.makeStatement(sql: "UPDATE alerts SET state = ?, deadline = ? WHERE alert_key = ?")
            for c in changes { try update.execute(arguments: [c.state.rawValue, c.deadline.timeIntervalSince1970, c.key]) }
            if followed.settled {
                try db.execute(sql: """
                    INSERT INTO directory_imports (kind, content, imported_at) VALUES (?, ?, ?)
                    ON CONFLICT (kind) DO UPDATE SET content = excluded.content, imported_at = excluded.imported_at
                    """, arguments: [kind, fingerprint, now.timeIntervalSince1970])
            }
            if followed.settled || followed.redated > 0 {
                try SQLiteAudit.append(db, at: now, actor: actor, action: CalendarFollowed.auditAction, subject: CalendarFollowed.auditSubject,
                                       detail: followed.auditDetail)
            }
            return followed
        }
    }

    public func claimDue(now: Date, owner: String, lease: TimeInterval, limit: Int, skippingChannels: [String], planner: AlertPlanner?,
                         isDead: @escaping @Sendable (String) -> Bool) async throws -> ClaimedAlerts {
        try await pool.write { db in
            let t = now.timeIntervalSince1970
            let owners = try String.fetchAll(db, sql: "SELECT DISTINCT lease_owner FROM alerts WHERE state = 'sending' AND lease_until >= ?", arguments: [t])
            let dead = owners.filter(isDead)
            var deadList = ""
            if !dead.isEmpty { deadList = " OR lease_owner IN (" + dead.map { _ in "?" }.joined(separator: ",") + ")" }
            // Alerts whose run is gone follow their incident and school first: a correction made
            // while that run held one must not be sent to the school the record no longer names.
            let abandoned = try Int64.fetchAll(db, sql: "SELECT alert_key FROM alerts WHERE state = 'sending' AND (lease_until < ?\(deadList))",
                                               arguments: StatementArguments([t] + dead.map { $0 as any DatabaseValueConvertible }))
            for key in abandoned {
                try Self.follow(db, alertKey: key, transition: nil, planner: planner, now: now)
                // Where the record left it: waiting again (`AlertLifecycle.takenBack`).
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT attempts, deadline, acknowledged_at FROM alerts WHERE alert_key = ? AND state = 'sending'
                    """, arguments: [key]) else { continue }
                let (deadline, acknowledged): (Double?, Double?) = (row[1], row[2])
                try Self.apply(AlertLifecycle.takenBack(attempts: row[0], deadline: deadline.map(Date.init(timeIntervalSince1970:)),
                                                        acknowledgedAt: acknowledged.map(Date.init(timeIntervalSince1970:)), now: now),
                               to: db, alertKey: key, now: now)
            }
            try Self.markOverdue(db, now: now)
            try Self.markUnacknowledged(db, now: now)
            let skip = skippingChannels.isEmpty ? "" : " AND coalesce(channel, '') NOT IN (" + skippingChannels.map { _ in "?" }.joined(separator: ",") + ")"
            let keys = try Int64.fetchAll(db, sql: """
                SELECT alert_key FROM alerts
                WHERE ((state IN \(SQLiteSchema.list(AlertLifecycle.waiting)) AND next_attempt_at <= ?)
                   OR (state = 'sending' AND (lease_until < ?\(deadList))))\(skip)
                ORDER BY deadline, alert_key LIMIT ?
                """, arguments: StatementArguments([t, t] + dead.map { $0 as any DatabaseValueConvertible }
                                                   + skippingChannels.map { $0 as any DatabaseValueConvertible } + [limit]))
            let version = try Self.routingVersion(db)
            guard !keys.isEmpty else { return ClaimedAlerts(alerts: [], failedUnreadable: 0, routingVersion: version) }
            let list = keys.map(String.init).joined(separator: ",")
            try db.execute(sql: """
                UPDATE alerts SET state = 'sending', lease_owner = ?, lease_until = ?, attempts = attempts + 1
                WHERE alert_key IN (\(list))
                """, arguments: [owner, t + lease])
            let due = try Self.due(db, where: "a.alert_key IN (\(list))")
            // No run could ever send these: left `sending`, each would come back at every lease's end.
            for (key, reason) in due.unreadable {
                try Self.apply(AlertLifecycle.failure(reason), to: db, alertKey: key, now: now)
            }
            return ClaimedAlerts(alerts: due.alerts, failedUnreadable: due.unreadable.count, routingVersion: version)
        }
    }

    public func dueKeys(now: Date, limit: Int) async throws -> [Int64] {
        try await pool.read { db in
            let t = now.timeIntervalSince1970
            return try Int64.fetchAll(db, sql: """
                SELECT alert_key FROM alerts
                WHERE (state IN \(SQLiteSchema.list(AlertLifecycle.waiting)) AND next_attempt_at <= ?)
                   OR (state = 'sending' AND lease_until < ?)
                ORDER BY deadline, alert_key LIMIT ?
                """, arguments: [t, t, limit])
        }
    }

    public func peekDue(keys: [Int64]) async throws -> [DueAlert] {
        guard !keys.isEmpty else { return [] }
        return try await pool.read { db in
            // Unreadable rows are left out here: the real run fails them and the hub hears.
            try Self.due(db, where: "a.alert_key IN (\(keys.map(String.init).joined(separator: ","))) ORDER BY a.deadline, a.alert_key").alerts
        }
    }

    @discardableResult
    public func record(_ result: AlertResult, for alertKey: Int64, owner: String, now: Date, planner: AlertPlanner?) async throws -> OutcomeRecorded {
        try await pool.write { db in
            let version = try Self.routingVersion(db)
            // Only the run that holds the lease may record: a run whose lease ran out and was
            // claimed again by another must not overwrite that run's outcome.
            guard let row = try Row.fetchOne(db, sql: """
                SELECT deadline, acknowledged_at FROM alerts WHERE alert_key = ? AND state = 'sending' AND lease_owner = ?
                """, arguments: [alertKey, owner]) else { return OutcomeRecorded(kept: false, routingVersion: version) }
            let due = (row[0] as Double?).map(Date.init(timeIntervalSince1970:))
            let acknowledged = (row[1] as Double?).map(Date.init(timeIntervalSince1970:))
            try Self.follow(db, alertKey: alertKey, transition: AlertLifecycle.after(result, deadline: due, now: now, acknowledgedAt: acknowledged),
                            planner: planner, now: now)
            return OutcomeRecorded(kept: true, routingVersion: version)
        }
    }

    public func routingVersion() async throws -> Int64 {
        try await pool.read { db in try Self.routingVersion(db) }
    }

    public func giveBack(_ alertKeys: [Int64], owner: String, now: Date, planner: AlertPlanner?) async throws {
        guard !alertKeys.isEmpty else { return }
        try await pool.write { db in
            for key in alertKeys {
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT attempts, deadline, acknowledged_at FROM alerts WHERE alert_key = ? AND state = 'sending' AND lease_owner = ?
                    """, arguments: [key, owner]) else { continue }
                let (deadline, acknowledged): (Double?, Double?) = (row[1], row[2])
                try Self.follow(db, alertKey: key, transition: AlertLifecycle.givenBack(attempts: row[0], deadline: deadline.map(Date.init(timeIntervalSince1970:)),
                                                                                         acknowledgedAt: acknowledged.map(Date.init(timeIntervalSince1970:)), now: now),
                                planner: planner, now: now)
            }
        }
    }

    /// Keeps what the state machine makes of a `sending` alert given back (`AlertLifecycle.follow`):
    /// `transition` the outcome its run recorded (nil: taken back after its lease), kept unless the
    /// alert is withdrawn, and then the alert planned afresh where its incident, its link and the
    /// key adults now say.
    static func follow(_ db: Database, alertKey: Int64, transition: AlertLifecycle.Transition?, planner: AlertPlanner?, now: Date) throws {
        let r = try Row.fetchOne(db, sql: """
            SELECT a.school_urn, a.channel, a.recipient, a.deadline, l.child_key IS NOT NULL, l.school_urn, s.la_code, i.reported_at
            FROM alerts a
            LEFT JOIN incidents i ON i.incident_key = a.incident_key
            LEFT JOIN incident_children l ON l.incident_key = a.incident_key AND l.child_key = a.child_key
            LEFT JOIN schools s ON s.urn = l.school_urn
            WHERE a.alert_key = ?
            """, arguments: [alertKey])
        var decision = AlertLifecycle.Follow.stays
        if let r, let reportedAt = Double.fromDatabaseValue(r[7]) {
            let urn: String? = r[5]
            let contact = try urn.flatMap { AlertContact.byURN(try keyAdults(db, urn: $0))[$0] }
            decision = AlertLifecycle.follow(state: transition?.state ?? .sending,
                                             sent: AlertPlan(state: .sending, channel: r[1], recipient: r[2],
                                                             deadline: (r[3] as Double?).map(Date.init(timeIntervalSince1970:))),
                                             sentURN: r[0], childStillLinked: r[4], urn: urn, contact: contact, laCode: r[6],
                                             reportedAt: Date(timeIntervalSince1970: reportedAt), planner: planner, now: now)
        }
        if decision == .withdrawn {
            try apply(AlertLifecycle.failure(AlertLifecycle.withdrawnReason), to: db, alertKey: alertKey, now: now)
            return
        }
        if let transition { try apply(transition, to: db, alertKey: alertKey, now: now) }
        guard case .replanned(let p) = decision, let r else {
            // Delivered by this run while the record stopped naming that school for the child.
            if let transition, let r {
                try noLongerNamed(db, alertKey: alertKey, state: transition.state, sentURN: r[0], deliveredAt: transition.deliveredAt,
                                  namedURN: r[4] ? r[5] : nil, now: now)
            }
            return
        }
        let urn: String? = r[5]
        if AlertLifecycle.startsNewRound(from: transition?.state ?? .sending) {
            let heldTold = try closeRound(db, alertKey: alertKey, now: now)
            try notices(AlertLifecycle.reroutedNotices(from: transition?.state ?? .sending, sentURN: r[0],
                                                       deliveredAt: transition?.deliveredAt, urn: urn, heldTold: heldTold),
                        db, alertKey: alertKey, now: now)
        }
        try db.execute(sql: """
            UPDATE alerts SET school_urn = ?, channel = ?, recipient = ?, state = ?, unmatched_reason = ?, deadline = ?,
                next_attempt_at = 0, lease_owner = NULL, lease_until = NULL
            WHERE alert_key = ?
            """, arguments: [urn, p.channel, p.recipient, p.state.rawValue, p.reason, p.deadline?.timeIntervalSince1970, alertKey])
        let sentURN: String? = r[0]
        if urn != sentURN { try forgetAcknowledgement(db, alertKey: alertKey) }
    }

    /// A finished alert re-routed (`AlertLifecycle.startsNewRound`): its notices so far are the
    /// round before's, kept as sent (or still to be sent), and each kind may be told again. Returns
    /// the school the round's `no-longer-named` notice named, if it had one (`heldTold` of
    /// `AlertLifecycle.reroutedNotices`).
    static func closeRound(_ db: Database, alertKey: Int64, now: Date) throws -> String? {
        let heldTold = try String.fetchOne(db.cachedStatement(sql: """
            SELECT school_urn FROM hub_notices WHERE alert_key = ? AND kind = ? AND rerouted_at IS NULL
            """), arguments: [alertKey, AlertLifecycle.noLongerNamedKind])
        try db.cachedStatement(sql: "UPDATE hub_notices SET rerouted_at = ? WHERE alert_key = ? AND rerouted_at IS NULL")
            .execute(arguments: [now.timeIntervalSince1970, alertKey])
        return heldTold
    }

    /// A delivered alert kept where it went while the record no longer names that school for its
    /// child and incident: the hub is told (`AlertLifecycle.noLongerNamedNotices`), once in the
    /// round, and the school's links stop opening it (`AlertLifecycle.closesLinks`).
    static func noLongerNamed(_ db: Database, alertKey: Int64, state: AlertState, sentURN: String?, deliveredAt: Date?,
                              namedURN: String?, now: Date) throws {
        let told = AlertLifecycle.noLongerNamedNotices(state: state, sentURN: sentURN, deliveredAt: deliveredAt, namedURN: namedURN)
        try notices(told, db, alertKey: alertKey, now: now)
        guard AlertLifecycle.closesLinks(told) else { return }
        try db.cachedStatement(sql: "UPDATE alerts SET ack_expires_at = NULL WHERE alert_key = ?").execute(arguments: [alertKey])
        try db.cachedStatement(sql: "DELETE FROM alert_ack_tokens WHERE alert_key = ?").execute(arguments: [alertKey])
    }

    /// An alert moved to another school: the links the school it went to was sent no longer open
    /// it, and only the school it goes to now can acknowledge it.
    /// A new school round when the school it leaves may have it (`AlertLifecycle.schoolRoundAfterMove`).
    static func forgetAcknowledgement(_ db: Database, alertKey: Int64) throws {
        let round = try Row.fetchOne(db.cachedStatement(sql: "SELECT school_round, attempts FROM alerts WHERE alert_key = ?"),
                                     arguments: [alertKey])
            .map { AlertLifecycle.schoolRoundAfterMove($0[0], attempts: $0[1]) } ?? 0
        try db.cachedStatement(sql: """
            UPDATE alerts SET acknowledged_at = NULL, acknowledged_by = NULL, ack_expires_at = NULL, school_round = ? WHERE alert_key = ?
            """).execute(arguments: [round, alertKey])
        try db.cachedStatement(sql: "DELETE FROM alert_ack_tokens WHERE alert_key = ?").execute(arguments: [alertKey])
    }

    public func unsentHubNotices() async throws -> [HubNoticeRow] {
        try await pool.read { db in
            try Self.noticeRows(db, where: AlertSQL.untoldNotice, order: "notice_key").map(\.notice)
        }
    }

    public func claimHubNotices(now: Date, owner: String, lease: TimeInterval,
                                isDead: @escaping @Sendable (String) -> Bool) async throws -> [HubNoticeRow] {
        try await pool.write { db in
            let t = now.timeIntervalSince1970
            let dead = try String.fetchAll(db, sql: """
                SELECT DISTINCT claim_owner FROM hub_notices WHERE \(AlertSQL.untoldNotice) AND claim_until >= ?
                """, arguments: [t]).filter(isDead)
            let deadList = dead.isEmpty ? "" : " OR claim_owner IN (" + dead.map { _ in "?" }.joined(separator: ",") + ")"
            let keys = try Int64.fetchAll(db, sql: """
                SELECT notice_key FROM hub_notices WHERE \(AlertSQL.untoldNotice) AND (claim_until IS NULL OR claim_until < ?\(deadList))
                """, arguments: StatementArguments([t] + dead.map { $0 as any DatabaseValueConvertible }))
            guard !keys.isEmpty else { return [] }
            let list = keys.map(String.init).joined(separator: ",")
            try db.execute(sql: "UPDATE hub_notices SET claim_owner = ?, claim_until = ? WHERE notice_key IN (\(list))",
                           arguments: [owner, t + lease])
            return try Self.noticeRows(db, where: "notice_key IN (\(list))", order: "notice_key").map(\.notice)
        }
    }

    public func releaseHubNotices(_ noticeKeys: [Int64], owner: String) async throws {
        guard !noticeKeys.isEmpty else { return }
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE hub_notices SET claim_owner = NULL, claim_until = NULL
                WHERE claim_owner = ? AND \(AlertSQL.untoldNotice) AND notice_key IN (\(noticeKeys.map(String.init).joined(separator: ",")))
                """, arguments: [owner])
        }
    }

    public func waitingAlertKeys(channel: String) async throws -> [Int64] {
        try await pool.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT alert_key FROM alerts WHERE state IN \(SQLiteSchema.list(AlertLifecycle.waiting)) AND channel = ? ORDER BY alert_key
                """, arguments: [channel])
        }
    }

    /// Hub notices with their alert, or, for a configuration notice, the alerts it still holds back.
    static func noticeRows(_ db: Database, where clause: String, order: String,
                           arguments: StatementArguments = []) throws -> [HubNoticeEntry] {
        try Row.fetchAll(db, sql: """
            SELECT notice_key, kind, detail, created_at, alert_key, sent_at, channel, school_urn, delivered_at, settled_at,
                \(AlertSQL.namedSchoolOfNotice) FROM hub_notices
            WHERE \(clause) ORDER BY \(order)
            """, arguments: arguments).map { r in
            let noticeKey: Int64 = r[0]
            let alertKey: Int64? = r[4]
            let held = alertKey != nil ? [] : try String.fetchAll(db, sql: """
                SELECT a.reference FROM hub_notice_alerts h JOIN alerts a ON a.alert_key = h.alert_key
                WHERE h.notice_key = ? AND a.state NOT IN ('delivered', 'failed') ORDER BY a.alert_key
                """, arguments: [noticeKey])
            let notice = HubNoticeRow(noticeKey: noticeKey, kind: r[1], detail: r[2], createdAt: Date(timeIntervalSince1970: r[3]),
                                      alert: try alertKey.flatMap { try Self.alertRows(db, where: "alert_key = \($0)").first },
                                      channel: r[6], heldReferences: held, schoolURN: r[7],
                                      deliveredAt: (r[8] as Double?).map(Date.init(timeIntervalSince1970:)), namedSchoolURN: r[10])
            return HubNoticeEntry(notice: notice, sentAt: (r[5] as Double?).map(Date.init(timeIntervalSince1970:)),
                                  settledAt: (r[9] as Double?).map(Date.init(timeIntervalSince1970:)))
        }
    }

    public func markHubNoticesSent(_ noticeKeys: [Int64], at: Date) async throws {
        try await markHubNotices(noticeKeys, column: "sent_at", at: at)
    }

    public func markHubNoticesSettled(_ noticeKeys: [Int64], at: Date) async throws {
        try await markHubNotices(noticeKeys, column: "settled_at", at: at)
    }

    /// Sets `column` (`sent_at` or `settled_at`) and lets go of the claim, for every key at once.
    private func markHubNotices(_ noticeKeys: [Int64], column: String, at: Date) async throws {
        guard !noticeKeys.isEmpty else { return }
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE hub_notices SET \(column) = ?, claim_owner = NULL, claim_until = NULL
                WHERE notice_key IN (\(noticeKeys.map(String.init).joined(separator: ",")))
                """, arguments: [at.timeIntervalSince1970])
        }
    }

    /// The hub's one notice of the links an ingest made no alert for (`TooOldLinks.notice`), held
    /// by no alert: none was made.
    static func tooOldNotice(_ links: TooOldLinks, _ db: Database, now: Date) throws {
        guard let detail = links.notice else { return }
        try db.execute(sql: "INSERT INTO hub_notices (alert_key, kind, detail, created_at) VALUES (NULL, ?, ?, ?)",
                       arguments: [TooOldLinks.noticeKind, detail, now.timeIntervalSince1970])
    }

    public func recordChannelNotice(kind: String, channel: String, detail: String, holding alertKeys: [Int64], now: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO hub_notices (alert_key, kind, detail, created_at, channel) VALUES (NULL, ?, ?, ?, ?)",
                           arguments: [kind, detail, now.timeIntervalSince1970, channel])
            let noticeKey = db.lastInsertedRowID
            for key in alertKeys {
                try db.execute(sql: "INSERT OR IGNORE INTO hub_notice_alerts (notice_key, alert_key) VALUES (?, ?)", arguments: [noticeKey, key])
            }
        }
    }

    public func alertCounts(now: Date?) async throws -> [AlertState: Int] {
        try await pool.read { db in
            func counts(_ sql: String) throws -> [AlertState: Int] {
                var counts: [AlertState: Int] = [:]
                for row in try Row.fetchAll(db, sql: sql) {
                    if let state = AlertState(rawValue: row[0]) { counts[state] = row[1] }
                }
                return counts
            }
            let stored = try counts("SELECT state, count(*) FROM alerts GROUP BY state")
            guard let now else { return stored }
            return AlertLifecycle.countsAsRead(stored: stored, late: try counts(AlertStateSQL.lateCounts(now: now)))
        }
    }

    public func recordNotifyRun(_ run: NotifyRunRecord) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO notify_runs (started_at, finished_at, outcome, delivered, retrying, failed, held_back, overdue,
                    hub_notices_sent, hub_notices_unsent, detail, relay_waiting)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [run.startedAt.timeIntervalSince1970, run.finishedAt.timeIntervalSince1970, run.outcome.rawValue,
                                 run.delivered, run.retrying, run.failed, run.heldBack, run.overdue,
                                 run.hubNoticesSent, run.hubNoticesUnsent, run.detail, run.relayWaiting])
        }
    }

    /// A file on this machine: every run on it shares this host's clock.
    public func databaseClock() async throws -> Date? { nil }

    /// The last recorded (`AlertStore`): `run_key` is the rowid, one past the largest at each insert.
    public func latestNotifyRun() async throws -> NotifyRunRecord? {
        try await pool.read { db in
            guard let r = try Row.fetchOne(db, sql: """
                SELECT started_at, finished_at, outcome, delivered, retrying, failed, held_back, overdue,
                       hub_notices_sent, hub_notices_unsent, detail, relay_waiting
                FROM notify_runs ORDER BY run_key DESC LIMIT 1
                """) else { return nil }
            return NotifyRunRecord(startedAt: Date(timeIntervalSince1970: r[0]), finishedAt: Date(timeIntervalSince1970: r[1]),
                                   outcome: NotifyRunRecord.Outcome(rawValue: r[2]) ?? .error,
                                   delivered: r[3], retrying: r[4], failed: r[5], heldBack: r[6], overdue: r[7],
                                   hubNoticesSent: r[8], hubNoticesUnsent: r[9], detail: r[10], relayWaiting: r[11])
        }
    }

    /// Every undelivered alert past its deadline is overdue (still retried), and the hub hears once.
    static func markOverdue(_ db: Database, now: Date) throws {
        let rows = try Row.fetchAll(db, sql: """
            SELECT alert_key, state, deadline FROM alerts WHERE state IN \(SQLiteSchema.list(AlertLifecycle.canTurnOverdue)) AND deadline < ?
            """, arguments: [now.timeIntervalSince1970])
        for r in rows {
            guard let state = AlertState(rawValue: r[1]),
                  AlertLifecycle.turnsOverdue(state: state, deadline: (r[2] as Double?).map(Date.init(timeIntervalSince1970:)), now: now)
            else { continue }
            let overdue = AlertLifecycle.overdue
            try db.cachedStatement(sql: "UPDATE alerts SET state = ? WHERE alert_key = ?").execute(arguments: [overdue.state.rawValue, r[0] as Int64])
            try notices(overdue.notices, db, alertKey: r[0], now: now)
        }
    }

    /// Keeps what the state machine decided for one alert, and releases its lease.
    /// Statements cached: a morning run applies one outcome an alert (compiling each time ran
    /// GRDB's authorizer over the alerts' columns, 4% of a large run's CPU).
    static func apply(_ t: AlertLifecycle.Transition, to db: Database, alertKey: Int64, now: Date) throws {
        try db.cachedStatement(sql: """
            UPDATE alerts SET state = ?, last_error = ?, next_attempt_at = coalesce(?, next_attempt_at),
                attempts = max(attempts + ?, 0), delivered_at = coalesce(?, delivered_at), lease_owner = NULL, lease_until = NULL
            WHERE alert_key = ?
            """).execute(arguments: [t.state.rawValue, t.lastError, t.nextAttemptAt?.timeIntervalSince1970, t.attemptsChange,
                                     t.deliveredAt?.timeIntervalSince1970, alertKey])
        try notices(t.notices, db, alertKey: alertKey, now: now)
    }

    static func notices(_ notices: [AlertLifecycle.Notice], _ db: Database, alertKey: Int64, now: Date) throws {
        let t = now.timeIntervalSince1970
        for notice in notices {
            switch notice {
            case .alert(let kind, let detail):
                try db.cachedStatement(sql: """
                    INSERT INTO hub_notices (alert_key, kind, detail, created_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (alert_key, kind) WHERE alert_key IS NOT NULL AND rerouted_at IS NULL DO NOTHING
                    """).execute(arguments: [alertKey, kind, detail, t])
            case .configuration(let channel, let detail):
                // Once per channel a day, however many alerts it holds. Not keyed on the wording:
                // the alerts skipped after the first failure word it differently, and one problem
                // must not be counted out over several notices.
                var noticeKey = try Int64.fetchOne(db.cachedStatement(sql: """
                    SELECT notice_key FROM hub_notices WHERE alert_key IS NULL AND kind = 'configuration'
                        AND channel = ? AND created_at > ? ORDER BY notice_key DESC LIMIT 1
                    """), arguments: [channel, t - AlertLifecycle.configurationNoticeInterval])
                if noticeKey == nil {
                    try db.cachedStatement(sql: """
                        INSERT INTO hub_notices (alert_key, kind, detail, created_at, channel) VALUES (NULL, 'configuration', ?, ?, ?)
                        """).execute(arguments: [detail, t, channel])
                    noticeKey = db.lastInsertedRowID
                }
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO hub_notice_alerts (notice_key, alert_key) VALUES (?, ?)")
                    .execute(arguments: [noticeKey, alertKey])
            case .rerouted(let school, let deliveredAt, let detail), .noLongerNamed(let school, let deliveredAt, let detail):
                // Once per alert in a round, as `.alert`'s kinds are: two writers at once write one.
                try db.cachedStatement(sql: """
                    INSERT INTO hub_notices (alert_key, kind, detail, created_at, school_urn, delivered_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (alert_key, kind) WHERE alert_key IS NOT NULL AND rerouted_at IS NULL DO NOTHING
                    """).execute(arguments: [alertKey, notice.kind, detail, t, school, deliveredAt.timeIntervalSince1970])
            case .refusedAddress(let channel, let detail):
                // Once a day for each school and address (the detail names both), holding no alert.
                try db.cachedStatement(sql: """
                    INSERT INTO hub_notices (alert_key, kind, detail, created_at, channel)
                    SELECT NULL, ?, ?, ?, ? WHERE NOT EXISTS (
                        SELECT 1 FROM hub_notices WHERE alert_key IS NULL AND kind = ? AND channel = ? AND detail = ? AND created_at > ?)
                    """).execute(arguments: [AlertLifecycle.refusedAddressKind, detail, t, channel,
                                             AlertLifecycle.refusedAddressKind, channel, detail, t - AlertLifecycle.configurationNoticeInterval])
            }
        }
    }

    /// The alerts the rows make, and the rows that cannot make one, each with why (ids only:
    /// never the stored value, which may be a date of birth).
    static func due(_ db: Database, where clause: String) throws -> (alerts: [DueAlert], unreadable: [(Int64, String)]) {
        var alerts: [DueAlert] = []
        var unreadable: [(Int64, String)] = []
        let rows = try Row.fetchAll(db, sql: """
            SELECT a.alert_key, a.reference, a.incident_id, a.child_id, i.reported_at, c.given_name, c.family_name, c.dob,
                   l.present, l.spoken_to, a.school_urn, coalesce(s.name, 'URN ' || a.school_urn), a.channel, a.recipient,
                   a.deadline, a.attempts
            FROM alerts a
            LEFT JOIN incidents i ON i.incident_key = a.incident_key
            LEFT JOIN children c ON c.child_key = a.child_key
            LEFT JOIN incident_children l ON l.incident_key = a.incident_key AND l.child_key = a.child_key
            LEFT JOIN schools s ON s.urn = a.school_urn
            WHERE \(clause)
            """)
        for r in rows {
            // Read leniently: a value of the wrong type must fail this alert, not stop the run.
            func text(_ i: Int) -> String? { String.fromDatabaseValue(r[i]) }
            let stored = StoredDueAlert(alertKey: r[0], reference: r[1], incidentId: r[2], childId: r[3], reportedAt: Double.fromDatabaseValue(r[4]),
                                        givenName: text(5), familyName: text(6), dateOfBirth: text(7), present: (r[8] as Int?).map { $0 != 0 },
                                        spokenTo: (r[9] as Int?).map { $0 != 0 }, schoolURN: text(10), schoolName: text(11), channel: text(12),
                                        recipient: text(13), deadline: Double.fromDatabaseValue(r[14]), attempts: r[15])
            switch stored.due {
            case .success(let alert): alerts.append(alert)
            case .failure(let e): unreadable.append((stored.alertKey, e.reason))
            }
        }
        return (alerts, unreadable)
    }
}
