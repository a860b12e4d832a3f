import Foundation
import Logging
import PostgresNIO
import RiskModel
import StoreContract

/// Decides, inside the ingest transaction, what becomes of each newly linked child: the state
/// machine's plan, kept as SQLiteAlertQueue keeps it. New alerts are gathered and sent by COPY.
final class PostgresAlertQueue {
    let conn: PostgresConnection
    let logger: Logger
    let planner: AlertPlanner
    let now: Date
    private var contacts: [String: AlertContact] = [:]
    private var laCodes: [String: String] = [:]
    private var newRows = CopyRows(columns: PostgresAlertQueue.columns.count)
    /// The new links this queue made no alert for, their incident too old (`AlertPlanner.planNew`).
    private(set) var tooOld = TooOldLinks()
    static let columns = [
        "reference", "incident_key", "child_key", "incident_id", "child_id", "school_urn", "channel", "recipient", "state",
        "unmatched_reason", "deadline", "next_attempt_at", "created_at",
    ]

    init(_ conn: PostgresConnection, _ logger: Logger, planner: AlertPlanner, now: Date) async throws {
        self.conn = conn
        self.logger = logger
        self.planner = planner
        self.now = now
        contacts = AlertContact.byURN(try await PostgresStore.keyAdults(conn, logger, urn: nil))
        for (urn, la) in try await conn.rows("SELECT urn, la_code FROM schools WHERE la_code IS NOT NULL", logger, as: (String, String).self) {
            laCodes[urn] = la
        }
    }

    /// What is read of a link's stored alert to plan it again, or to withdraw it.
    struct Stored {
        let alertKey: Int64
        let state: String
        let urn: String?
        let deadline: Double?
        let channel: String?
        let recipient: String?
        let reason: String?
        let lastError: String?
        /// When it was delivered (a delivered alert re-routed tells the hub: `AlertLifecycle.reroutedNotices`).
        let deliveredAt: Double?
        /// Whether its school acknowledged it (`AlertLifecycle.failedMayBeResent`).
        let acknowledged: Bool

        /// A row of `storedColumns`.
        typealias Row = (Int64, String, String?, Double?, String?, String?, String?, String?, Double?, Bool)
        init(_ r: Row) {
            (alertKey, state, urn, deadline, channel, recipient, reason, lastError, deliveredAt, acknowledged) = r
        }

        /// What the row holds as the state machine reads it; nil for a state it does not know.
        var plan: AlertPlan? {
            AlertState(rawValue: state).map {
                AlertPlan(state: $0, channel: channel, recipient: recipient, reason: reason, deadline: deadline.map(Date.init(timeIntervalSince1970:)))
            }
        }
    }

    /// The stored alert's columns, in `Stored`'s order, for a query that reads them itself (`a.`).
    static let storedColumns = """
        a.alert_key, a.state, a.school_urn, a.deadline, a.channel, a.recipient, a.unmatched_reason, a.last_error, a.delivered_at,
        a.acknowledged_at IS NOT NULL
        """

    /// Queues the alert for one link, or re-plans its alert not yet sent; true when an alert is newly
    /// queued.
    func link(incidentKey: Int64, childKey: Int64, incidentId: String, childId: String, reportedAt: Date, urn: String?,
              ignoringAge: Bool = false) async throws -> Bool {
        let existing = try await Self.stored(conn, logger, incidentKeys: [incidentKey])[incidentKey]?[childKey]
        return try await link(existing, incidentKey: incidentKey, childKey: childKey, incidentId: incidentId, childId: childId,
                              reportedAt: reportedAt, urn: urn, ignoringAge: ignoringAge)
    }

    /// Whether `matchUnmatched` must plan an unmatched alert again (`AlertLifecycle.unmatchedMayChange`),
    /// with the school's key adults as this queue read them.
    func mayChange(_ stored: Stored) -> Bool {
        guard let plan = stored.plan else { return false }
        return AlertLifecycle.unmatchedMayChange(stored: plan, urn: stored.urn, contact: stored.urn.flatMap { contacts[$0] })
    }

    /// Whether `matchUnmatched` must ask `replan` whether a failed alert is sent again
    /// (`AlertLifecycle.failedMayBeResent`), with the school's key adults as this queue read them.
    func mayResend(_ stored: Stored) -> Bool {
        guard let plan = stored.plan else { return false }
        return AlertLifecycle.failedMayBeResent(stored: plan, lastError: stored.lastError, acknowledged: stored.acknowledged,
                                                sentURN: stored.urn, urn: stored.urn, contact: stored.urn.flatMap { contacts[$0] })
    }

    /// The same, with the link's stored alert (nil: none) already read by `stored`.
    func link(_ existing: Stored?, incidentKey: Int64, childKey: Int64, incidentId: String, childId: String, reportedAt: Date,
              urn: String?, ignoringAge: Bool = false) async throws -> Bool {
        var writes = AlertWrites()
        let queued = try await link(existing, incidentKey: incidentKey, childKey: childKey, incidentId: incidentId, childId: childId,
                                    reportedAt: reportedAt, urn: urn, ignoringAge: ignoringAge, into: &writes)
        try await writes.write(conn, logger, now: now)
        return queued
    }

    /// The same, what a stored alert's re-planning writes gathered into `writes`.
    func link(_ existing: Stored?, incidentKey: Int64, childKey: Int64, incidentId: String, childId: String, reportedAt: Date,
              urn: String?, ignoringAge: Bool = false, into writes: inout AlertWrites) async throws -> Bool {
        guard let existing else {
            return queueNew(incidentKey: incidentKey, childKey: childKey, incidentId: incidentId, childId: childId, reportedAt: reportedAt,
                            urn: urn, ignoringAge: ignoringAge)
        }
        return try await replan(existing, incidentId: incidentId, reportedAt: reportedAt, urn: urn, ignoringAge: ignoringAge, into: &writes)
    }

    /// Which links of these incidents have an alert (child keys by incident key), each alert's row
    /// held `FOR KEY SHARE` until the caller's transaction ends: an ingest's changed incidents, whose
    /// alerts it decides on only at its end (`PostgresIngest.settleAlerts`). A run's claim (`FOR
    /// UPDATE SKIP LOCKED`) skips them meanwhile, rather than sending a withdrawn child's alert, or a
    /// corrected one to the school the record no longer names (audit 23, review F5); the lock does
    /// not stop a run recording an outcome or a school acknowledging (`FOR NO KEY UPDATE`, and
    /// updates of columns no unique index has), which waited for the whole feed under `FOR UPDATE`.
    static func marked(_ conn: PostgresConnection, _ logger: Logger, incidentKeys: [Int64]) async throws -> [Int64: Set<Int64>] {
        var found: [Int64: Set<Int64>] = [:]
        guard !incidentKeys.isEmpty else { return found }
        for (incidentKey, childKey) in try await conn.rows("""
            SELECT incident_key, child_key FROM alerts WHERE incident_key = ANY(\(incidentKeys)) ORDER BY alert_key FOR KEY SHARE
            """, logger, as: (Int64, Int64).self) {
            found[incidentKey, default: []].insert(childKey)
        }
        return found
    }

    /// The stored alerts of these incidents, by incident key and then child key: a batch's changed
    /// incidents' read at once (a query a link was a round trip each: 2,790 of them for 1,810
    /// corrected incidents). Locked until the caller's transaction ends: what it decides from them
    /// (withdrawn, re-planned) must not be undone by a run claiming one meanwhile, which then sent a
    /// withdrawn child's alert, or a corrected one to the school the record no longer names, while
    /// the store said otherwise (audit 23, review F5). A run skips them (`SKIP LOCKED`).
    static func stored(_ conn: PostgresConnection, _ logger: Logger, incidentKeys: [Int64]) async throws -> [Int64: [Int64: Stored]] {
        var found: [Int64: [Int64: Stored]] = [:]
        guard !incidentKeys.isEmpty else { return found }
        for r in try await conn.rows("""
            SELECT a.incident_key, a.child_key, \(unescaped: storedColumns) FROM alerts a WHERE a.incident_key = ANY(\(incidentKeys))
            ORDER BY a.alert_key FOR UPDATE
            """, logger, as: (Int64, Int64, Int64, String, String?, Double?, String?, String?, String?, String?, Double?, Bool).self) {
            found[r.0, default: [:]][r.1] = Stored((r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11))
        }
        return found
    }

    /// Plans a link's stored alert again (read by the caller, with its row locked) and gathers what
    /// the state machine decides into `writes`, for the caller to write (`AlertWrites.write`); true
    /// when an unmatched alert is now queued. A caller that reads many alerts reads them in one query
    /// with their rows, and writes them at once: a query or a statement each was a round trip each
    /// (`matchUnmatched` on every writing command: 2,168 unmatched alerts in a million-row store).
    func replan(_ existing: Stored, incidentId: String, reportedAt: Date, urn: String?, ignoringAge: Bool,
                into writes: inout AlertWrites) async throws -> Bool {
        guard let stored = existing.plan else { return false }
        let decision = AlertLifecycle.replan(stored: stored, lastError: existing.lastError, acknowledged: existing.acknowledged,
                                             urn: existing.urn, planner: planner, reportedAt: reportedAt, urn: urn,
                                             contact: urn.flatMap { contacts[$0] }, laCode: urn.flatMap { laCodes[$0] }, now: now,
                                             ignoringAge: ignoringAge)
        let deliveredAt = existing.deliveredAt.map(Date.init(timeIntervalSince1970:))
        if decision == .tooOld {
            let key = existing.alertKey
            let referenced = try await conn.row(PostgresQuery(unsafeSQL: AlertSQL.namedTooLateReferenced(alertKey: key)), logger,
                                                as: (Bool).self) ?? true
            switch AlertLifecycle.namedTooLate(referenced: referenced, incidentId: incidentId, planner: planner, tooOld: &tooOld) {
            case .removed: for sql in AlertSQL.removeNamedTooLate(alertKey: key) { try await conn.run(PostgresQuery(unsafeSQL: sql), logger) }
            case .kept(let lastError): try await conn.run("UPDATE alerts SET last_error = \(lastError) WHERE alert_key = \(key)", logger)
            }
            return false
        }
        guard case .update(let p) = decision else {
            // Kept as it went: delivered, the school it went to may no longer be the one named.
            writes.noLongerNamed(alertKey: existing.alertKey, state: stored.state, sentURN: existing.urn, deliveredAt: deliveredAt, namedURN: urn)
            return false
        }
        writes.replanned(alertKey: existing.alertKey, urn: urn, plan: p, lastError: AlertLifecycle.lastErrorAfterReplan(existing.lastError),
                         from: stored.state, sentURN: existing.urn, deliveredAt: deliveredAt)
        return (stored.state == .unmatched || AlertLifecycle.reroutable.contains(stored.state)) && p.state == .queued
    }

    /// The alert for a link that can have none stored yet (its incident is new): planned, and its
    /// row kept for `flush`; true when it is queued. Asks the store nothing, so a first load can
    /// make a batch's rows while the last batch is being sent.
    func queueNew(incidentKey: Int64, childKey: Int64, incidentId: String, childId: String, reportedAt: Date, urn: String?,
                  ignoringAge: Bool = false) -> Bool {
        guard let p = planner.planNew(reportedAt: reportedAt, urn: urn, contact: urn.flatMap { contacts[$0] },
                                      laCode: urn.flatMap { laCodes[$0] }, now: now, ignoringAge: ignoringAge,
                                      incidentId: incidentId, tooOld: &tooOld) else {
            return false
        }
        newRows.text(planner.reference(incidentId, childId)); newRows.int(incidentKey); newRows.int(childKey)
        newRows.text(incidentId); newRows.text(childId); newRows.text(urn); newRows.text(p.channel); newRows.text(p.recipient)
        newRows.text(p.state.rawValue); newRows.text(p.reason); newRows.double(p.deadline?.timeIntervalSince1970)
        newRows.double(0); newRows.double(now.timeIntervalSince1970)
        newRows.endRow()
        return p.state == .queued
    }

    /// The new alerts' rows gathered so far, handed over to be sent (and no longer kept here).
    func takeNewRows() -> CopyRows {
        let rows = newRows
        newRows = CopyRows(columns: Self.columns.count)
        return rows
    }

    /// Writes the new alerts gathered so far.
    func flush() async throws {
        try await PostgresCopy.send(conn, logger, table: "alerts", columns: Self.columns, takeNewRows())
    }
}

enum PostgresAlerts {
    static func names(_ states: [AlertState]) -> [String] { states.map(\.rawValue) }

    /// SQLite's v20-hub-notice-claims: a run claims the hub notices it sends, with a lease. A claim
    /// is a run's, not the store's: `copy-store` does not carry it (StoreTable leaves it out).
    static let hubNoticeClaims = PostgresSchema.Migration(id: "pg16-hub-notice-claims", statements: [
        #"ALTER TABLE hub_notices ADD COLUMN claim_owner text COLLATE "C", ADD COLUMN claim_until double precision"#,
    ])

    /// SQLite's v22-hub-notice-rounds: a re-route closes the alert's notices (`rerouted_at`), and
    /// each kind is once per alert among the open ones only (`AlertLifecycle.startsNewRound`).
    static let hubNoticeRounds = PostgresSchema.Migration(id: "pg19-hub-notice-rounds", statements: [
        "ALTER TABLE hub_notices ADD COLUMN rerouted_at double precision",
        "DROP INDEX hub_notices_once",
        """
        CREATE UNIQUE INDEX hub_notices_once_a_round ON hub_notices (alert_key, kind)
            WHERE alert_key IS NOT NULL AND rerouted_at IS NULL
        """,
    ])

    /// SQLite's v24-hub-notice-schools: a `rerouted` notice keeps the school the alert had been
    /// delivered to, and when (`AlertLifecycle.reroutedNotices`).
    static let hubNoticeSchools = PostgresSchema.Migration(id: "pg21-hub-notice-schools", statements: [
        #"ALTER TABLE hub_notices ADD COLUMN school_urn text COLLATE "C", ADD COLUMN delivered_at double precision"#,
    ])

    /// SQLite's v26-hub-notice-settled: when a run settled a notice untold, apart from `sent_at`
    /// (`AlertStore.markHubNoticesSettled`).
    static let hubNoticeSettled = PostgresSchema.Migration(id: "pg23-hub-notice-settled", statements: [
        "ALTER TABLE hub_notices ADD COLUMN settled_at double precision",
    ])

    /// The hub's one notice of the links an ingest made no alert for (see SQLiteStore.tooOldNotice).
    static func tooOldNotice(_ links: TooOldLinks, _ conn: PostgresConnection, _ logger: Logger, now: Date) async throws {
        guard let detail = links.notice else { return }
        try await conn.run("""
            INSERT INTO hub_notices (alert_key, kind, detail, created_at)
            VALUES (NULL, \(TooOldLinks.noticeKind), \(detail), \(now.timeIntervalSince1970))
            """, logger)
    }

    /// Keeps what the state machine makes of a `sending` alert given back (see SQLiteStore.follow).
    static func follow(_ conn: PostgresConnection, _ logger: Logger, alertKey: Int64, transition: AlertLifecycle.Transition?,
                       planner: AlertPlanner?, now: Date) async throws {
        let r = try await conn.row("""
            SELECT a.school_urn, a.channel, a.recipient, a.deadline, l.child_key IS NOT NULL, l.school_urn, s.la_code, i.reported_at
            FROM alerts a
            LEFT JOIN incidents i ON i.incident_key = a.incident_key
            LEFT JOIN incident_children l ON l.incident_key = a.incident_key AND l.child_key = a.child_key
            LEFT JOIN schools s ON s.urn = l.school_urn
            WHERE a.alert_key = \(alertKey)
            """, logger, as: (String?, String?, String?, Double?, Bool, String?, String?, Double?).self)
        var decision = AlertLifecycle.Follow.stays
        if let r, let reportedAt = r.7 {
            let urn = r.5
            var contact: AlertContact?
            if let urn { contact = AlertContact.byURN(try await PostgresStore.keyAdults(conn, logger, urn: urn))[urn] }
            decision = AlertLifecycle.follow(state: transition?.state ?? .sending,
                                             sent: AlertPlan(state: .sending, channel: r.1, recipient: r.2, deadline: r.3.map(Date.init(timeIntervalSince1970:))),
                                             sentURN: r.0, childStillLinked: r.4, urn: urn, contact: contact, laCode: r.6,
                                             reportedAt: Date(timeIntervalSince1970: reportedAt), planner: planner, now: now)
        }
        if decision == .withdrawn {
            try await apply(AlertLifecycle.failure(AlertLifecycle.withdrawnReason), conn, logger, alertKey: alertKey, now: now)
            return
        }
        if let transition { try await apply(transition, conn, logger, alertKey: alertKey, now: now) }
        guard case .replanned(let p) = decision, let r else {
            // Delivered by this run while the record stopped naming that school for the child.
            if let transition, let r {
                try await noLongerNamed(conn, logger, alertKey: alertKey, state: transition.state, sentURN: r.0,
                                        deliveredAt: transition.deliveredAt, namedURN: r.4 ? r.5 : nil, now: now)
            }
            return
        }
        if AlertLifecycle.startsNewRound(from: transition?.state ?? .sending) {
            let heldTold = try await closeRound(conn, logger, alertKey: alertKey, now: now)
            try await notices(AlertLifecycle.reroutedNotices(from: transition?.state ?? .sending, sentURN: r.0,
                                                             deliveredAt: transition?.deliveredAt, urn: r.5, heldTold: heldTold),
                              conn, logger, alertKey: alertKey, now: now)
        }
        try await conn.run("""
            UPDATE alerts SET school_urn = \(r.5), channel = \(p.channel), recipient = \(p.recipient), state = \(p.state.rawValue),
                unmatched_reason = \(p.reason), deadline = \(p.deadline?.timeIntervalSince1970), next_attempt_at = 0,
                lease_owner = NULL, lease_until = NULL
            WHERE alert_key = \(alertKey)
            """, logger)
        if r.5 != r.0 { try await forgetAcknowledgement(conn, logger, alertKey: alertKey) }
    }

    /// A finished alert re-routed (see SQLiteStore.closeRound): its notices so far are the round
    /// before's, and each kind may be told again. Returns the school the round's `no-longer-named`
    /// notice named, if it had one.
    static func closeRound(_ conn: PostgresConnection, _ logger: Logger, alertKey: Int64, now: Date) async throws -> String? {
        try await closeRounds(conn, logger, alertKeys: [alertKey], now: now)[alertKey]
    }

    /// `closeRound` for each of these alerts at once: the schools by alert.
    static func closeRounds(_ conn: PostgresConnection, _ logger: Logger, alertKeys: [Int64], now: Date) async throws -> [Int64: String] {
        guard !alertKeys.isEmpty else { return [:] }
        var heldTold: [Int64: String] = [:]
        for (key, school) in try await conn.rows("""
            SELECT alert_key, school_urn FROM hub_notices
            WHERE alert_key = ANY(\(alertKeys)) AND kind = \(AlertLifecycle.noLongerNamedKind) AND rerouted_at IS NULL
            """, logger, as: (Int64, String?).self) {
            heldTold[key] = school
        }
        try await conn.run("""
            UPDATE hub_notices SET rerouted_at = \(now.timeIntervalSince1970) WHERE alert_key = ANY(\(alertKeys)) AND rerouted_at IS NULL
            """, logger)
        return heldTold
    }

    /// A delivered alert kept where it went while the record no longer names that school for its
    /// child and incident (see SQLiteStore.noLongerNamed).
    static func noLongerNamed(_ conn: PostgresConnection, _ logger: Logger, alertKey: Int64, state: AlertState, sentURN: String?,
                              deliveredAt: Date?, namedURN: String?, now: Date) async throws {
        var writes = AlertWrites()
        writes.noLongerNamed(alertKey: alertKey, state: state, sentURN: sentURN, deliveredAt: deliveredAt, namedURN: namedURN)
        try await writes.write(conn, logger, now: now)
    }

    /// Those of these alerts that something refers to (a notice, a call, an acknowledgement link):
    /// `AlertLifecycle.withdrawal`'s `referenced`, asked of a batch's alerts at once.
    static func referenced(_ conn: PostgresConnection, _ logger: Logger, alertKeys: [Int64]) async throws -> Set<Int64> {
        guard !alertKeys.isEmpty else { return [] }
        return Set(try await conn.rows("""
            SELECT k FROM unnest(\(alertKeys)::bigint[]) AS k
            WHERE EXISTS (SELECT 1 FROM hub_notices WHERE alert_key = k) OR EXISTS (SELECT 1 FROM hub_notice_alerts WHERE alert_key = k)
                OR EXISTS (SELECT 1 FROM alert_calls WHERE alert_key = k) OR EXISTS (SELECT 1 FROM alert_ack_tokens WHERE alert_key = k)
            """, logger, as: (Int64).self))
    }

    /// The acknowledgement links of these alerts no longer open them (`AlertLifecycle.closesLinks`).
    static func closeLinks(_ conn: PostgresConnection, _ logger: Logger, alertKeys: [Int64]) async throws {
        guard !alertKeys.isEmpty else { return }
        try await conn.run("UPDATE alerts SET ack_expires_at = NULL WHERE alert_key = ANY(\(alertKeys))", logger)
        try await conn.run("DELETE FROM alert_ack_tokens WHERE alert_key = ANY(\(alertKeys))", logger)
    }

    /// An alert moved to another school: the links the school it went to was sent no longer open
    /// it, and only the school it goes to now can acknowledge it.
    /// A new school round when the school it leaves may have it (`AlertLifecycle.schoolRoundAfterMove`).
    static func forgetAcknowledgement(_ conn: PostgresConnection, _ logger: Logger, alertKey: Int64) async throws {
        try await forgetAcknowledgements(conn, logger, alertKeys: [alertKey])
    }

    /// `forgetAcknowledgement` for each of these alerts, in three statements however many they are.
    static func forgetAcknowledgements(_ conn: PostgresConnection, _ logger: Logger, alertKeys: [Int64]) async throws {
        guard !alertKeys.isEmpty else { return }
        var keys: [Int64] = [], rounds: [Int64] = []
        for (key, round, attempts) in try await conn.rows("""
            SELECT alert_key, school_round, attempts FROM alerts WHERE alert_key = ANY(\(alertKeys))
            """, logger, as: (Int64, Int, Int).self) {
            keys.append(key)
            rounds.append(Int64(AlertLifecycle.schoolRoundAfterMove(round, attempts: attempts)))
        }
        try await conn.run("""
            UPDATE alerts a SET acknowledged_at = NULL, acknowledged_by = NULL, ack_expires_at = NULL, school_round = r.round
            FROM unnest(\(keys)::bigint[], \(rounds)::bigint[]) AS r(key, round) WHERE a.alert_key = r.key
            """, logger)
        try await conn.run("DELETE FROM alert_ack_tokens WHERE alert_key = ANY(\(alertKeys))", logger)
    }

    /// Keeps what the state machine decided for one alert, and releases its lease.
    static func apply(_ t: AlertLifecycle.Transition, _ conn: PostgresConnection, _ logger: Logger, alertKey: Int64, now: Date) async throws {
        try await apply(t, conn, logger, alertKeys: [alertKey])
        try await notices(t.notices, conn, logger, alertKey: alertKey, now: now)
    }

    /// The same transition kept for each of these alerts, their leases released; its notices are
    /// the caller's to tell.
    static func apply(_ t: AlertLifecycle.Transition, _ conn: PostgresConnection, _ logger: Logger, alertKeys: [Int64]) async throws {
        guard !alertKeys.isEmpty else { return }
        try await conn.run("""
            UPDATE alerts SET state = \(t.state.rawValue), last_error = \(t.lastError),
                next_attempt_at = coalesce(\(t.nextAttemptAt?.timeIntervalSince1970)::double precision, next_attempt_at),
                attempts = greatest(attempts + \(t.attemptsChange), 0),
                delivered_at = coalesce(\(t.deliveredAt?.timeIntervalSince1970)::double precision, delivered_at),
                lease_owner = NULL, lease_until = NULL
            WHERE alert_key = ANY(\(alertKeys))
            """, logger)
    }

    static func notices(_ notices: [AlertLifecycle.Notice], _ conn: PostgresConnection, _ logger: Logger, alertKey: Int64, now: Date) async throws {
        try await self.notices(notices.map { (alertKey, $0) }, conn, logger, now: now)
    }

    /// Tells the hub each notice, in the order given (their keys number the hub's digest), an
    /// alert's own kinds in a statement for all of them up to the next notice of another kind.
    static func notices(_ told: [(alertKey: Int64, notice: AlertLifecycle.Notice)], _ conn: PostgresConnection, _ logger: Logger,
                        now: Date) async throws {
        let t = now.timeIntervalSince1970
        var once = BoundRows(columns: onceColumns)
        // Only a notice not yet kept is inserted (`insertOnce`): one told twice here is kept once.
        var gathered: Set<AlertNoticeKind> = []
        func insertOnce() async throws {
            try await insertOnceNotices(once, conn, logger, now: now)
            once = BoundRows(columns: onceColumns)
            gathered = []
        }
        for (alertKey, notice) in told {
            switch notice {
            case .alert(let kind, let detail):
                if gathered.insert(AlertNoticeKind(alertKey: alertKey, kind: kind)).inserted {
                    once.append([.int(alertKey), .text(kind), .text(detail), .text(nil), .double(nil)])
                }
            case .rerouted(let school, let deliveredAt, let detail), .noLongerNamed(let school, let deliveredAt, let detail):
                // Once per alert in a round (see SQLiteStore), inserted only when new as above.
                if gathered.insert(AlertNoticeKind(alertKey: alertKey, kind: notice.kind)).inserted {
                    once.append([.int(alertKey), .text(notice.kind), .text(detail), .text(school), .double(deliveredAt.timeIntervalSince1970)])
                }
            case .configuration(let channel, let detail):
                try await insertOnce()
                // Once per channel a day, however many alerts it holds (see SQLiteStore).
                try await PostgresOnePress.lock(conn, logger, .dailyNotices, of: "configuration " + channel)
                var noticeKey = try await conn.row("""
                    SELECT notice_key FROM hub_notices WHERE alert_key IS NULL AND kind = 'configuration'
                        AND channel = \(channel) AND created_at > \(t - AlertLifecycle.configurationNoticeInterval)
                    ORDER BY notice_key DESC LIMIT 1
                    """, logger, as: (Int64).self)
                if noticeKey == nil {
                    noticeKey = try await conn.row("""
                        INSERT INTO hub_notices (alert_key, kind, detail, created_at, channel)
                        VALUES (NULL, 'configuration', \(detail), \(t), \(channel)) RETURNING notice_key
                        """, logger, as: (Int64).self)
                }
                try await conn.run("""
                    INSERT INTO hub_notice_alerts (notice_key, alert_key) VALUES (\(noticeKey), \(alertKey)) ON CONFLICT DO NOTHING
                    """, logger)
            case .refusedAddress(let channel, let detail):
                try await insertOnce()
                // Once a day for each school and address (see SQLiteStore).
                let kind = AlertLifecycle.refusedAddressKind
                try await PostgresOnePress.lock(conn, logger, .dailyNotices, of: kind + " " + channel)
                try await conn.run("""
                    INSERT INTO hub_notices (alert_key, kind, detail, created_at, channel)
                    SELECT NULL::bigint, \(kind), \(detail), \(t), \(channel) WHERE NOT EXISTS (
                        SELECT 1 FROM hub_notices WHERE alert_key IS NULL AND kind = \(kind) AND channel = \(channel)
                            AND detail = \(detail) AND created_at > \(t - AlertLifecycle.configurationNoticeInterval))
                    """, logger)
            }
        }
        try await insertOnce()
    }

    private struct AlertNoticeKind: Hashable {
        let alertKey: Int64
        let kind: String
    }

    private static let onceColumns: PostgresCopy.Columns = [
        ("alert_key", "bigint"), ("kind", "text"), ("detail", "text"), ("school_urn", "text"), ("delivered_at", "double precision"),
    ]

    /// An alert's notices of the kinds told once a round, in their order. Only a notice not yet kept
    /// is inserted: one ON CONFLICT turns away still takes a value of the identity, and the keys,
    /// which name the hub's digest (`ENC-HUB-<first>-<last>`), went on differing from SQLite's (SPEC
    /// §12; audit 23, review F9). The ON CONFLICT stays for a run at once that inserts it between.
    private static func insertOnceNotices(_ rows: BoundRows, _ conn: PostgresConnection, _ logger: Logger, now: Date) async throws {
        try await rows.run(conn, logger, as: "n", binds: [.double(now.timeIntervalSince1970)]) { values in
            """
            INSERT INTO hub_notices (alert_key, kind, detail, created_at, school_urn, delivered_at)
            SELECT n.alert_key, n.kind, n.detail, $1, n.school_urn, n.delivered_at FROM \(values)
            WHERE NOT EXISTS (SELECT 1 FROM hub_notices o WHERE o.alert_key = n.alert_key AND o.kind = n.kind AND o.rerouted_at IS NULL)
            ORDER BY n.ord
            ON CONFLICT (alert_key, kind) WHERE alert_key IS NOT NULL AND rerouted_at IS NULL DO NOTHING
            """
        }
    }

    /// Every undelivered alert past its deadline is overdue (still retried), and the hub hears once.
    static func markOverdue(_ conn: PostgresConnection, _ logger: Logger, now: Date) async throws {
        for (key, state, deadline) in try await conn.rows("""
            SELECT alert_key, state, deadline FROM alerts
            WHERE state = ANY(\(names(AlertLifecycle.canTurnOverdue))) AND deadline < \(now.timeIntervalSince1970)
            FOR UPDATE SKIP LOCKED
            """, logger, as: (Int64, String, Double?).self) {
            guard let state = AlertState(rawValue: state),
                  AlertLifecycle.turnsOverdue(state: state, deadline: deadline.map(Date.init(timeIntervalSince1970:)), now: now) else { continue }
            let overdue = AlertLifecycle.overdue
            try await conn.run("UPDATE alerts SET state = \(overdue.state.rawValue) WHERE alert_key = \(key)", logger)
            try await notices(overdue.notices, conn, logger, alertKey: key, now: now)
        }
    }

    static let rowColumns = """
        SELECT reference, incident_id, child_id, school_urn, channel, state, deadline, attempts, last_error,
               next_attempt_at, delivered_at, unmatched_reason, acknowledged_at, ack_expires_at,
               CASE WHEN state = 'failed' THEN
                   (SELECT n.created_at FROM hub_notices n
                    WHERE n.alert_key = alerts.alert_key AND n.kind = 'failed' AND n.rerouted_at IS NULL) END
        FROM alerts
        """

    typealias RowTuple = (String, String, String, String?, String?, String, Double?, Int, String?, Double?, Double?, String?, Double?, Double?, Double?)

    static func alertRow(_ r: RowTuple) -> AlertRow {
        let state = AlertState(rawValue: r.5) ?? .queued
        return AlertRow(reference: r.0, incidentId: r.1, childId: r.2, schoolURN: r.3, channel: r.4, state: state,
                        deadline: r.6.map(Date.init(timeIntervalSince1970:)), attempts: r.7,
                        lastError: state == .unmatched ? r.11 : r.8,
                        nextAttemptAt: r.9.map(Date.init(timeIntervalSince1970:)), deliveredAt: r.10.map(Date.init(timeIntervalSince1970:)),
                        acknowledgedAt: r.12.map(Date.init(timeIntervalSince1970:)), linkIssued: r.13 != nil,
                        failedAt: r.14.map(Date.init(timeIntervalSince1970:)), linksEnd: r.13.map(Date.init(timeIntervalSince1970:)))
    }

    /// The alerts the keys make, and those that cannot make one, each with why (ids only).
    static func due(_ conn: PostgresConnection, _ logger: Logger, keys: [Int64]) async throws -> (alerts: [DueAlert], unreadable: [(Int64, String)]) {
        var alerts: [DueAlert] = []
        var unreadable: [(Int64, String)] = []
        let rows = try await conn.rows("""
            SELECT a.alert_key, a.reference, a.incident_id, a.child_id, i.reported_at, c.given_name, c.family_name, c.dob,
                   l.present, l.spoken_to, a.school_urn, coalesce(s.name, 'URN ' || a.school_urn), a.channel, a.recipient,
                   a.deadline, a.attempts
            FROM alerts a
            LEFT JOIN incidents i ON i.incident_key = a.incident_key
            LEFT JOIN children c ON c.child_key = a.child_key
            LEFT JOIN incident_children l ON l.incident_key = a.incident_key AND l.child_key = a.child_key
            LEFT JOIN schools s ON s.urn = a.school_urn
            WHERE a.alert_key = ANY(\(keys))
            ORDER BY a.deadline, a.alert_key
            """, logger, as: (Int64, String, String, String, Double?, String?, String?, String?, Int?, Int?, String?, String?,
                              String?, String?, Double?, Int).self)
        for r in rows {
            let stored = StoredDueAlert(alertKey: r.0, reference: r.1, incidentId: r.2, childId: r.3, reportedAt: r.4, givenName: r.5,
                                        familyName: r.6, dateOfBirth: r.7, present: r.8.map { $0 != 0 }, spokenTo: r.9.map { $0 != 0 },
                                        schoolURN: r.10, schoolName: r.11, channel: r.12, recipient: r.13, deadline: r.14, attempts: r.15)
            switch stored.due {
            case .success(let alert): alerts.append(alert)
            case .failure(let e): unreadable.append((stored.alertKey, e.reason))
            }
        }
        return (alerts, unreadable)
    }

    /// The columns `noticeRows` reads, before its query's WHERE.
    static let noticeColumns = """
        SELECT notice_key, kind, detail, created_at, alert_key, sent_at, channel, school_urn, delivered_at, settled_at,
            \(AlertSQL.namedSchoolOfNotice) FROM hub_notices
        """

    /// The notices `query` (`noticeColumns`, then its WHERE) reads, as SQLiteStore.noticeRows.
    static func noticeRows(_ conn: PostgresConnection, _ logger: Logger, _ query: PostgresQuery) async throws -> [HubNoticeEntry] {
        var out: [HubNoticeEntry] = []
        for (noticeKey, kind, detail, createdAt, alertKey, sentAt, channel, schoolURN, deliveredAt, settledAt, namedSchool) in try await conn.rows(
            query, logger, as: (Int64, String, String, Double, Int64?, Double?, String?, String?, Double?, Double?, String?).self) {
            var held: [String] = []
            var alert: AlertRow?
            if let alertKey {
                alert = try await conn.rows(PostgresQuery(unsafeSQL: rowColumns) + " WHERE alert_key = \(alertKey)", logger, as: RowTuple.self).first.map(alertRow)
            } else {
                held = try await conn.rows("""
                    SELECT a.reference FROM hub_notice_alerts h JOIN alerts a ON a.alert_key = h.alert_key
                    WHERE h.notice_key = \(noticeKey) AND a.state <> ALL(\(names(AlertLifecycle.finished))) ORDER BY a.alert_key
                    """, logger, as: (String).self)
            }
            out.append(HubNoticeEntry(notice: HubNoticeRow(noticeKey: noticeKey, kind: kind, detail: detail,
                                                           createdAt: Date(timeIntervalSince1970: createdAt), alert: alert, channel: channel,
                                                           heldReferences: held, schoolURN: schoolURN,
                                                           deliveredAt: deliveredAt.map(Date.init(timeIntervalSince1970:)),
                                                           namedSchoolURN: namedSchool),
                                      sentAt: sentAt.map(Date.init(timeIntervalSince1970:)),
                                      settledAt: settledAt.map(Date.init(timeIntervalSince1970:))))
        }
        return out
    }
}

extension PostgresStore: AlertStore {
    public func alerts(state: AlertState?, now: Date?, passes: Int, _ visit: @escaping @Sendable (_ pass: Int, AlertRow) throws -> Void) async throws {
        let logger = self.logger
        try await read { conn in
            // Every pass must read the same rows: one snapshot for the whole transaction, where read
            // committed takes one per statement. Set before the first query, as it must be.
            if passes > 1 { try await conn.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger) }
            for pass in 0..<passes {
                // Most urgent first: overdue and failed before the rest, then by deadline. The rows
                // are decoded as they arrive, none kept.
                let order = pass < passes - 1 ? "" : "ORDER BY " + PostgresAlerts.urgentFirst(now: now)
                let rows = try await conn.query("""
                    \(unescaped: PostgresAlerts.rowColumns)
                    WHERE \(unescaped: state.map { AlertStateSQL.inState($0, now: now) } ?? "true")
                    \(unescaped: order)
                    """, logger: logger)
                for try await row in rows.decode(PostgresAlerts.RowTuple.self) {
                    let alert = PostgresAlerts.alertRow(row)
                    try visit(pass, now.map { alert.asRead(at: $0) } ?? alert)
                }
            }
        }
    }

    public func matchUnmatched(planner: AlertPlanner, now: Date) async throws -> Int {
        let logger = self.logger
        return try await write { conn in
            try await PostgresSchema.planWithCurrentKeyAdults(conn, logger)
            let queue = try await PostgresAlertQueue(conn, logger, planner: planner, now: now)
            var queued = 0
            // The alerts alone first: only those that may change are read with their incident and link.
            let keys = try await conn.rows("""
                SELECT \(unescaped: PostgresAlertQueue.storedColumns) FROM alerts a WHERE a.state = 'unmatched'
                """, logger, as: PostgresAlertQueue.Stored.Row.self).map(PostgresAlertQueue.Stored.init).filter(queue.mayChange).map(\.alertKey)
            // Failed alerts whose school's key adults were corrected since they were refused.
            let resend = try await conn.rows("""
                SELECT \(unescaped: PostgresAlertQueue.storedColumns) FROM alerts a WHERE a.state = 'failed'
                """, logger, as: PostgresAlertQueue.Stored.Row.self).map(PostgresAlertQueue.Stored.init).filter(queue.mayResend).map(\.alertKey)
            guard !keys.isEmpty || !resend.isEmpty else { return 0 }
            // Unmatched entries keep their place even if old: the hub chose to fix the school. A
            // failed one is planned as ingest would (its incident's age counts).
            // Each alert's stored plan read again with it (locked), not asked for one at a time.
            let rows = try await conn.rows("""
                SELECT a.incident_key, a.child_key, a.incident_id, i.reported_at, l.school_urn, \(unescaped: PostgresAlertQueue.storedColumns)
                FROM alerts a JOIN incidents i ON i.incident_key = a.incident_key
                LEFT JOIN incident_children l ON l.incident_key = a.incident_key AND l.child_key = a.child_key
                WHERE ((a.alert_key = ANY(\(keys)) AND a.state = 'unmatched') OR (a.alert_key = ANY(\(resend)) AND a.state = 'failed'))
                    AND l.school_urn IS NOT NULL
                FOR UPDATE OF a SKIP LOCKED
                """, logger, as: (Int64, Int64, String, Double, String, Int64, String, String?, Double?, String?, String?, String?, String?, Double?,
                                  Bool).self)
            var writes = AlertWrites()
            for r in rows {
                let stored = PostgresAlertQueue.Stored((r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12, r.13, r.14))
                if try await queue.replan(stored, incidentId: r.2, reportedAt: Date(timeIntervalSince1970: r.3), urn: r.4,
                                          ignoringAge: stored.state == AlertState.unmatched.rawValue, into: &writes) {
                    queued += 1
                }
            }
            try await writes.write(conn, logger, now: now)
            return queued
        }
    }

    public func followCalendar(planner: AlertPlanner, actor: String, now: Date) async throws -> CalendarFollowed? {
        guard let fingerprint = planner.calendarFingerprint else { return nil }
        let logger = self.logger
        return try await write { conn in
            let kind = CalendarFollowed.importKind
            func stored() async throws -> String? {
                try await conn.row("SELECT content FROM directory_imports WHERE kind = \(kind)", logger, as: (String).self)
            }
            // Looked at before the lock, as `importDirectory` does: every writing command starts here,
            // and an ingest holds the lock shared until it commits (minutes for a large feed), so an
            // exclusive request for nothing to change kept `notify` and `decide` waiting that long and,
            // queued ahead of them, stopped a run in progress at its next claim (audit 24, diff F4).
            guard try await stored() != fingerprint else { return nil }
            // One command at a time follows it, as one imports Config/'s directory; looked at again
            // under the lock, since another may have followed it meanwhile.
            try await conn.run("SELECT pg_advisory_xact_lock(\(PostgresSchema.directoryLockKey))", logger)
            guard try await stored() != fingerprint else { return nil }
            var followed = CalendarFollowed(redated: 0, waitingAgain: 0,
                                            held: try await conn.row("SELECT count(*) FROM alerts WHERE state = 'sending'", logger,
                                                                     as: (Int).self) ?? 0)
            // The deadline from the school the alert goes to, as ingest plans it. Locked: a run
            // claiming one at the same time takes it once this is done, with its new deadline.
            var changed = CopyRows(columns: 3)
            for (key, state, deadline, attempts, urn, laCode, reportedAt) in try await conn.rows("""
                SELECT a.alert_key, a.state, a.deadline, a.attempts, a.school_urn, s.la_code, i.reported_at
                FROM alerts a JOIN incidents i ON i.incident_key = a.incident_key LEFT JOIN schools s ON s.urn = a.school_urn
                WHERE a.state = ANY(\(PostgresAlerts.names(AlertLifecycle.redatable))) AND a.deadline IS NOT NULL
                  AND a.school_urn IS NOT NULL
                FOR UPDATE OF a
                """, logger, as: (Int64, String, Double, Int, String, String?, Double).self) {
                guard let state = AlertState(rawValue: state) else { continue }
                let decision = AlertLifecycle.redate(state: state, deadline: Date(timeIntervalSince1970: deadline), attempts: attempts,
                                                     calendarDeadline: planner.deadline(Date(timeIntervalSince1970: reportedAt), urn, laCode),
                                                     now: now)
                followed.count(decision, from: state)
                guard case .update(let newState, let newDeadline) = decision else { continue }
                changed.int(key); changed.text(newState.rawValue); changed.double(newDeadline.timeIntervalSince1970)
                changed.endRow()
            }
            let columns: PostgresCopy.Columns = [("alert_key", "bigint"), ("state", "text"), ("deadline", "double precision")]
            try await PostgresCopy.through(conn, logger, table: "redated", columns: columns, changed, """
                UPDATE alerts SET state = r.state, deadline = r.deadline FROM redated r WHERE alerts.alert_key = r.alert_key
                """)
            if followed.settled {
                try await conn.run("""
                    INSERT INTO directory_imports (kind, content, imported_at) VALUES (\(kind), \(fingerprint), \(now.timeIntervalSince1970))
                    ON CONFLICT (kind) DO UPDATE SET content = excluded.content, imported_at = excluded.imported_at
                    """, logger)
            }
            if followed.settled || followed.redated > 0 {
                try await PostgresAudit.append(conn, logger, at: now, actor: actor, action: CalendarFollowed.auditAction,
                                               subject: CalendarFollowed.auditSubject, detail: followed.auditDetail)
            }
            return followed
        }
    }

    public func claimDue(now: Date, owner: String, lease: TimeInterval, limit: Int, skippingChannels: [String], planner: AlertPlanner?,
                         isDead: @escaping @Sendable (String) -> Bool) async throws -> ClaimedAlerts {
        let logger = self.logger
        return try await write { conn in
            try await PostgresSchema.planWithCurrentKeyAdults(conn, logger)
            let t = now.timeIntervalSince1970
            let owners = try await conn.rows("""
                SELECT DISTINCT lease_owner FROM alerts WHERE state = 'sending' AND lease_until >= \(t) AND lease_owner IS NOT NULL
                """, logger, as: (String).self)
            let dead = owners.filter(isDead)
            // Alerts whose run is gone follow their incident and school first (see SQLiteStore).
            for key in try await conn.rows("""
                SELECT alert_key FROM alerts WHERE state = 'sending' AND (lease_until < \(t) OR lease_owner = ANY(\(dead)))
                FOR UPDATE SKIP LOCKED
                """, logger, as: (Int64).self) {
                try await PostgresAlerts.follow(conn, logger, alertKey: key, transition: nil, planner: planner, now: now)
                // Where the record left it: waiting again (`AlertLifecycle.takenBack`).
                guard let (attempts, deadline, acknowledged) = try await conn.row("""
                    SELECT attempts, deadline, acknowledged_at FROM alerts WHERE alert_key = \(key) AND state = 'sending'
                    """, logger, as: (Int, Double?, Double?).self) else { continue }
                try await PostgresAlerts.apply(AlertLifecycle.takenBack(attempts: attempts, deadline: deadline.map(Date.init(timeIntervalSince1970:)),
                                                                        acknowledgedAt: acknowledged.map(Date.init(timeIntervalSince1970:)), now: now),
                                               conn, logger, alertKey: key, now: now)
            }
            try await PostgresAlerts.markOverdue(conn, logger, now: now)
            try await PostgresAlerts.markUnacknowledged(conn, logger, now: now)
            // Rows another run is claiming are skipped, not waited for: two runs at once on several
            // hosts each take alerts of their own.
            let keys = try await conn.rows("""
                SELECT alert_key FROM alerts
                WHERE ((state = ANY(\(PostgresAlerts.names(AlertLifecycle.waiting))) AND next_attempt_at <= \(t))
                   OR (state = 'sending' AND (lease_until < \(t) OR lease_owner = ANY(\(dead)))))
                  AND NOT (coalesce(channel, '') = ANY(\(skippingChannels)))
                ORDER BY deadline, alert_key LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
                """, logger, as: (Int64).self)
            // Read under the directory lock `planWithCurrentKeyAdults` took: the recipients below are
            // those of this version.
            let version = try await PostgresStore.routingVersion(conn, logger)
            guard !keys.isEmpty else { return ClaimedAlerts(alerts: [], failedUnreadable: 0, routingVersion: version) }
            try await conn.run("""
                UPDATE alerts SET state = 'sending', lease_owner = \(owner), lease_until = \(t + lease), attempts = attempts + 1
                WHERE alert_key = ANY(\(keys))
                """, logger)
            let due = try await PostgresAlerts.due(conn, logger, keys: keys)
            // No run could ever send these: left `sending`, each would come back at every lease's end.
            for (key, reason) in due.unreadable {
                try await PostgresAlerts.apply(AlertLifecycle.failure(reason), conn, logger, alertKey: key, now: now)
            }
            return ClaimedAlerts(alerts: due.alerts, failedUnreadable: due.unreadable.count, routingVersion: version)
        }
    }

    public func dueKeys(now: Date, limit: Int) async throws -> [Int64] {
        let logger = self.logger
        return try await read { conn in
            let t = now.timeIntervalSince1970
            return try await conn.rows("""
                SELECT alert_key FROM alerts
                WHERE (state = ANY(\(PostgresAlerts.names(AlertLifecycle.waiting))) AND next_attempt_at <= \(t))
                   OR (state = 'sending' AND lease_until < \(t))
                ORDER BY deadline, alert_key LIMIT \(limit)
                """, logger, as: (Int64).self)
        }
    }

    public func peekDue(keys: [Int64]) async throws -> [DueAlert] {
        guard !keys.isEmpty else { return [] }
        let logger = self.logger
        // Unreadable rows are left out here: the real run fails them and the hub hears.
        return try await read { conn in try await PostgresAlerts.due(conn, logger, keys: keys).alerts }
    }

    @discardableResult
    public func record(_ result: AlertResult, for alertKey: Int64, owner: String, now: Date, planner: AlertPlanner?) async throws -> OutcomeRecorded {
        let logger = self.logger
        return try await write { conn in
            try await PostgresSchema.planWithCurrentKeyAdults(conn, logger)
            let version = try await PostgresStore.routingVersion(conn, logger)
            // Only the run that holds the lease may record. Not `FOR UPDATE`: an ingest correcting
            // the alert's incident holds it `FOR KEY SHARE` until its end (`PostgresAlertQueue.marked`),
            // and the outcome must not wait for the rest of its feed.
            guard let row = try await conn.row("""
                SELECT deadline, acknowledged_at FROM alerts
                WHERE alert_key = \(alertKey) AND state = 'sending' AND lease_owner = \(owner) FOR NO KEY UPDATE
                """, logger, as: (Double?, Double?).self) else { return OutcomeRecorded(kept: false, routingVersion: version) }
            let transition = AlertLifecycle.after(result, deadline: row.0.map(Date.init(timeIntervalSince1970:)), now: now,
                                                  acknowledgedAt: row.1.map(Date.init(timeIntervalSince1970:)))
            try await PostgresAlerts.follow(conn, logger, alertKey: alertKey, transition: transition, planner: planner, now: now)
            return OutcomeRecorded(kept: true, routingVersion: version)
        }
    }

    public func routingVersion() async throws -> Int64 {
        let logger = self.logger
        return try await read { conn in try await PostgresStore.routingVersion(conn, logger) }
    }

    public func giveBack(_ alertKeys: [Int64], owner: String, now: Date, planner: AlertPlanner?) async throws {
        guard !alertKeys.isEmpty else { return }
        let logger = self.logger
        try await write { conn in
            try await PostgresSchema.planWithCurrentKeyAdults(conn, logger)
            for (key, attempts, deadline, acknowledged) in try await conn.rows("""
                SELECT alert_key, attempts, deadline, acknowledged_at FROM alerts
                WHERE alert_key = ANY(\(alertKeys)) AND state = 'sending' AND lease_owner = \(owner)
                ORDER BY alert_key FOR NO KEY UPDATE
                """, logger, as: (Int64, Int, Double?, Double?).self) {
                let transition = AlertLifecycle.givenBack(attempts: attempts, deadline: deadline.map(Date.init(timeIntervalSince1970:)),
                                                          acknowledgedAt: acknowledged.map(Date.init(timeIntervalSince1970:)), now: now)
                try await PostgresAlerts.follow(conn, logger, alertKey: key, transition: transition, planner: planner, now: now)
            }
        }
    }

    public func claimHubNotices(now: Date, owner: String, lease: TimeInterval,
                                isDead: @escaping @Sendable (String) -> Bool) async throws -> [HubNoticeRow] {
        let logger = self.logger
        return try await write { conn in
            let t = now.timeIntervalSince1970
            let dead = try await conn.rows("""
                SELECT DISTINCT claim_owner FROM hub_notices
                WHERE \(unescaped: AlertSQL.untoldNotice) AND claim_until >= \(t) AND claim_owner IS NOT NULL
                """, logger, as: (String).self).filter(isDead)
            // Rows another run is claiming are skipped, not waited for: it names them.
            let keys = try await conn.rows("""
                UPDATE hub_notices SET claim_owner = \(owner), claim_until = \(t + lease)
                WHERE notice_key IN (
                    SELECT notice_key FROM hub_notices
                    WHERE \(unescaped: AlertSQL.untoldNotice) AND (claim_until IS NULL OR claim_until < \(t) OR claim_owner = ANY(\(dead)))
                    FOR UPDATE SKIP LOCKED)
                RETURNING notice_key
                """, logger, as: (Int64).self)
            guard !keys.isEmpty else { return [] }
            return try await PostgresAlerts.noticeRows(conn, logger, """
                \(unescaped: PostgresAlerts.noticeColumns) WHERE notice_key = ANY(\(keys)) ORDER BY notice_key
                """).map(\.notice)
        }
    }

    public func releaseHubNotices(_ noticeKeys: [Int64], owner: String) async throws {
        guard !noticeKeys.isEmpty else { return }
        let logger = self.logger
        try await write { conn in
            try await conn.run("""
                UPDATE hub_notices SET claim_owner = NULL, claim_until = NULL
                WHERE claim_owner = \(owner) AND \(unescaped: AlertSQL.untoldNotice) AND notice_key = ANY(\(noticeKeys))
                """, logger)
        }
    }

    public func waitingAlertKeys(channel: String) async throws -> [Int64] {
        let logger = self.logger
        return try await read { conn in
            try await conn.rows("""
                SELECT alert_key FROM alerts WHERE state = ANY(\(PostgresAlerts.names(AlertLifecycle.waiting))) AND channel = \(channel)
                ORDER BY alert_key
                """, logger, as: (Int64).self)
        }
    }

    public func unsentHubNotices() async throws -> [HubNoticeRow] {
        let logger = self.logger
        return try await read { conn in
            try await PostgresAlerts.noticeRows(conn, logger, """
                \(unescaped: PostgresAlerts.noticeColumns) WHERE \(unescaped: AlertSQL.untoldNotice) ORDER BY notice_key
                """).map(\.notice)
        }
    }

    public func markHubNoticesSent(_ noticeKeys: [Int64], at: Date) async throws {
        guard !noticeKeys.isEmpty else { return }
        let logger = self.logger
        try await write { conn in
            try await conn.run("""
                UPDATE hub_notices SET sent_at = \(at.timeIntervalSince1970), claim_owner = NULL, claim_until = NULL
                WHERE notice_key = ANY(\(noticeKeys))
                """, logger)
        }
    }

    public func markHubNoticesSettled(_ noticeKeys: [Int64], at: Date) async throws {
        guard !noticeKeys.isEmpty else { return }
        let logger = self.logger
        try await write { conn in
            try await conn.run("""
                UPDATE hub_notices SET settled_at = \(at.timeIntervalSince1970), claim_owner = NULL, claim_until = NULL
                WHERE notice_key = ANY(\(noticeKeys))
                """, logger)
        }
    }

    public func recordChannelNotice(kind: String, channel: String, detail: String, holding alertKeys: [Int64], now: Date) async throws {
        let logger = self.logger
        try await write { conn in
            let noticeKey = try await conn.row("""
                INSERT INTO hub_notices (alert_key, kind, detail, created_at, channel)
                VALUES (NULL, \(kind), \(detail), \(now.timeIntervalSince1970), \(channel)) RETURNING notice_key
                """, logger, as: (Int64).self)
            try await conn.run("""
                INSERT INTO hub_notice_alerts (notice_key, alert_key) SELECT \(noticeKey), k FROM unnest(\(alertKeys)) AS k
                ON CONFLICT DO NOTHING
                """, logger)
        }
    }

    public func alertCounts(now: Date?) async throws -> [AlertState: Int] {
        let logger = self.logger
        return try await read { conn in
            // Both counts from one snapshot.
            if now != nil { try await conn.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger) }
            func counts(_ sql: String) async throws -> [AlertState: Int] {
                var counts: [AlertState: Int] = [:]
                for (state, count) in try await conn.rows("\(unescaped: sql)", logger, as: (String, Int).self) {
                    if let state = AlertState(rawValue: state) { counts[state] = count }
                }
                return counts
            }
            let stored = try await counts("SELECT state, count(*) FROM alerts GROUP BY state")
            guard let now else { return stored }
            return AlertLifecycle.countsAsRead(stored: stored, late: try await counts(AlertStateSQL.lateCounts(now: now)))
        }
    }

    public func recordNotifyRun(_ run: NotifyRunRecord) async throws {
        let logger = self.logger
        try await write { conn in
            try await conn.run("""
                INSERT INTO notify_runs (started_at, finished_at, outcome, delivered, retrying, failed, held_back, overdue,
                    hub_notices_sent, hub_notices_unsent, detail, relay_waiting)
                VALUES (\(run.startedAt.timeIntervalSince1970), \(run.finishedAt.timeIntervalSince1970), \(run.outcome.rawValue),
                    \(run.delivered), \(run.retrying), \(run.failed), \(run.heldBack), \(run.overdue),
                    \(run.hubNoticesSent), \(run.hubNoticesUnsent), \(run.detail), \(run.relayWaiting))
                """, logger)
        }
    }

    public func databaseClock() async throws -> Date? {
        let logger = self.logger
        return try await read { conn in
            try await conn.row("SELECT extract(epoch FROM clock_timestamp())::double precision", logger, as: Double.self)
                .map(Date.init(timeIntervalSince1970:))
        }
    }

    public func latestNotifyRun() async throws -> NotifyRunRecord? {
        let logger = self.logger
        return try await read { conn in
            guard let r = try await conn.row("""
                SELECT started_at, finished_at, outcome, delivered, retrying, failed, held_back, overdue,
                       hub_notices_sent, hub_notices_unsent, detail, relay_waiting
                FROM notify_runs ORDER BY run_key DESC LIMIT 1
                """, logger, as: (Double, Double, String, Int, Int, Int, Int, Int, Int, Int, String?, Int?).self) else { return nil }
            return NotifyRunRecord(startedAt: Date(timeIntervalSince1970: r.0), finishedAt: Date(timeIntervalSince1970: r.1),
                                   outcome: NotifyRunRecord.Outcome(rawValue: r.2) ?? .error,
                                   delivered: r.3, retrying: r.4, failed: r.5, heldBack: r.6, overdue: r.7,
                                   hubNoticesSent: r.8, hubNoticesUnsent: r.9, detail: r.10, relayWaiting: r.11)
        }
    }
}

extension PostgresStore: UnmatchedStore {
    public func recordSchool(urn: String, forAlert reference: String, actor: String, at now: Date,
                             planner: AlertPlanner?) async throws -> SchoolRecorded {
        let logger = self.logger
        return try await write { conn in
            try await PostgresSchema.planWithCurrentKeyAdults(conn, logger)
            // `FOR UPDATE`, unlike a run's outcome or an acknowledgement: it waits for an ingest
            // correcting the alert's incident, which holds the row `FOR KEY SHARE` until it commits
            // (`PostgresAlertQueue.marked`). That ingest has replaced the incident's links, the one
            // written below among them, so this waits for its commit whatever the lock here; held
            // weaker, the alert was held by this while it waited, the ingest's end then waited for
            // the alert, and PostgreSQL ended one of the two as a deadlock. Waiting here, it reads
            // the alert as the correction left it and records the school on the corrected link.
            guard let row = try await conn.row("""
                SELECT a.alert_key, a.state, a.incident_key, a.child_key, a.incident_id, a.child_id, i.reported_at
                FROM alerts a JOIN incidents i ON i.incident_key = a.incident_key WHERE a.reference = \(reference) FOR UPDATE OF a
                """, logger, as: (Int64, String, Int64, Int64, String, String, Double).self) else {
                throw UnmatchedError.unknownAlert(reference)
            }
            let (alertKey, stateText, incidentKey, childKey, incidentId, childId, reportedAt) = row
            let state = AlertState(rawValue: stateText) ?? .queued
            guard state == .unmatched else { throw UnmatchedError.notUnmatched(reference: reference, state: state) }
            guard try await conn.changed("""
                UPDATE incident_children SET school_urn = \(urn) WHERE incident_key = \(incidentKey) AND child_key = \(childKey)
                """, logger) > 0 else { throw UnmatchedError.linkGone(reference) }
            // The child's own school follows their newest incident only, as ingest does.
            try await conn.run("""
                UPDATE children SET school_urn = \(urn) WHERE child_key = \(childKey) AND latest_reported_at <= \(reportedAt)
                """, logger)
            try await PostgresSchema.noteChange(conn, logger)
            try await PostgresAudit.append(conn, logger, at: now, actor: actor, action: "alert.school-recorded", subject: "alert:\(reference)",
                                           detail: ["urn": urn])
            if let planner {
                let queue = try await PostgresAlertQueue(conn, logger, planner: planner, now: now)
                if try await queue.link(incidentKey: incidentKey, childKey: childKey, incidentId: incidentId, childId: childId,
                                        reportedAt: Date(timeIntervalSince1970: reportedAt), urn: urn, ignoringAge: true) {
                    return .queued
                }
            } else {
                let hasContact = try await conn.row("SELECT 1 FROM key_adults WHERE urn = \(urn)", logger, as: (Int32).self) != nil
                let reason = AlertPlanner.schoolRecorded(urn, hasKeyAdult: hasContact)
                try await conn.run("UPDATE alerts SET school_urn = \(urn), unmatched_reason = \(reason) WHERE alert_key = \(alertKey)", logger)
            }
            let fetched: String?? = try await conn.row("SELECT unmatched_reason FROM alerts WHERE alert_key = \(alertKey)", logger, as: (String?).self)
            return .unmatched(reason: fetched.flatMap { $0 } ?? AlertPlanner.noKeyAdult(urn))
        }
    }

    public func hubNotices(since: Date, limit: Int) async throws -> [HubNoticeEntry] {
        let logger = self.logger
        return try await read { conn in
            try await PostgresAlerts.noticeRows(conn, logger, """
                \(unescaped: PostgresAlerts.noticeColumns)
                WHERE created_at >= \(since.timeIntervalSince1970) ORDER BY created_at DESC, notice_key DESC LIMIT \(limit)
                """)
        }
    }
}
