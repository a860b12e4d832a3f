import Foundation
import Logging
import NIOCore
import PostgresNIO
import RiskModel
import StoreContract

/// One ingest batch inside the caller's transaction, written as SQLiteIngest writes it (the same
/// rows, the same audit, the same alerts): new rows by COPY, changed incidents one by one.
///
/// Ingests are serialised by a transaction-scoped advisory lock, as SQLite's single writer is: a
/// child first seen by two batches at once must get one row, and the batch's summary counts must
/// be what it found.
final class PostgresIngest {
    private let conn: PostgresConnection
    private let logger: Logger
    private let actor: String
    private let now: Date
    private let alerts: PostgresAlertQueue?
    /// Set for a first load into an empty store (`PostgresFirstLoad`): nothing stored needs looking up.
    private let firstLoad: PostgresFirstLoad?
    private var summary = IngestSummary()

    /// The batch's children, numbered as first seen, with the newest time of each so far.
    private var batchChildren = BatchChildren()
    /// What the writer knows of each child, by number, kept small for a batch of millions: the key,
    /// the `latest_reported_at` a stored child's row had (new children: -infinity; none kept when the
    /// store had no children), and flags.
    /// Unchecked: only this writer's one task touches them, and the run-time check of every access
    /// to an element was about 6% of the ingest's CPU (perf).
    @exclusivity(unchecked) private var childKeys: [Int64] = []
    @exclusivity(unchecked) private var storedNewest: [Double] = []
    @exclusivity(unchecked) private var childFlags: [ChildFlags] = []
    /// Batches of the feed written so far: the order of the details held for the end.
    private var batches: Int64 = 0
    private var newestTableMade = false

    private struct ChildFlags: OptionSet {
        let rawValue: UInt8
        /// The child's row was in the store before this batch.
        static let existed = ChildFlags(rawValue: 1)
        /// A new or changed incident of the batch names the child, so their row may need writing.
        static let touched = ChildFlags(rawValue: 2)
        /// Newer details than their row has wait in `newest_children` for `finish`.
        static let pending = ChildFlags(rawValue: 4)
    }

    struct Details: Equatable {
        var givenName: String
        var familyName: String
        var dateOfBirth: String
        var schoolURN: String?

        init(_ c: ChildLink) {
            givenName = c.givenName
            familyName = c.familyName
            dateOfBirth = c.dateOfBirth.description
            schoolURN = c.schoolURN
        }

        init(givenName: String, familyName: String, dateOfBirth: String, schoolURN: String?) {
            self.givenName = givenName
            self.familyName = familyName
            self.dateOfBirth = dateOfBirth
            self.schoolURN = schoolURN
        }
    }

    static let childColumns = ["child_key", "child_id", "given_name", "family_name", "dob", "school_urn", "latest_reported_at"]
    static let incidentColumns = [
        "incident_key", "incident_id", "reported_at", "risk_tool", "officer_grade", "dash_yes_count", "supervisor_grade",
        "effective_grade", "flags", "victim_id", "perpetrator_id", "fingerprint", "first_ingested_at", "updated_at", "child_keys",
    ]
    static let linkColumns = [
        "child_key", "incident_key", "incident_id", "reported_at", "effective_grade", "school_urn", "present", "spoken_to",
        "child_voice", "bwv_used",
    ]
    static let heldColumns = ["batch", "child_key", "given_name", "family_name", "dob", "school_urn", "latest_reported_at"]

    /// The key of the lock every ingest takes (an arbitrary constant of this program's own).
    static let lockKey: Int64 = 0x456e_636f_6d70_0001

    /// `bulkFirstLoad`: a first load may take the fast path (false only for the tests that check it
    /// against this plain one).
    init(_ conn: PostgresConnection, _ logger: Logger, actor: String, now: Date, planner: AlertPlanner?, bulkFirstLoad: Bool = true) async throws {
        self.conn = conn
        self.logger = logger
        self.actor = actor
        self.now = now
        try await conn.run("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger)
        firstLoad = bulkFirstLoad ? try await PostgresFirstLoad.begin(conn, logger) : nil
        if let planner {
            alerts = try await PostgresAlertQueue(conn, logger, planner: planner, now: now)
        } else {
            alerts = nil
        }
    }

    /// Adds, updates or leaves each incident. Each incident id comes once a batch; `fingerprints`
    /// are theirs, in order.
    func write(_ incidents: [Incident], fingerprints: [Fingerprint.Digest]) async throws {
        guard !incidents.isEmpty else { return }
        var stored: [String: (key: Int64, fingerprint: [UInt8])] = [:]
        // A first load has none stored, and each incident id comes once a batch.
        if firstLoad == nil {
            for (id, key, fingerprint) in try await conn.rows("""
                SELECT incident_id, incident_key, fingerprint FROM incidents WHERE incident_id = ANY(\(incidents.map(\.id)))
                """, logger, as: (String, Int64, ByteBuffer).self) {
                stored[id] = (key, Array(fingerprint.readableBytesView))
            }
        }
        let numbered = batchChildren.chunk(incidents)
        try await addChildren(numbered, of: incidents)
        let newCount = incidents.indices.filter { stored[incidents[$0].id] == nil }.count
        var newKeys = try await Self.keys(conn, logger, table: "incidents", column: "incident_key", count: newCount).makeIterator()
        var planned: [(index: Int, incidentKey: Int64, newIncident: Bool, childNumbers: [Int])] = []
        let nowSeconds = now.timeIntervalSince1970
        var link = 0
        for (n, incident) in incidents.enumerated() {
            let digest = fingerprints[n]
            let existing = stored[incident.id]
            let changed = existing.map { $0.fingerprint != digest.bytes } ?? true
            // Each child's number worked out once (`BatchChildren`): hashing ids was about a tenth of the
            // ingest's CPU (perf).
            let numbers = numbered.numbers[link..<(link + incident.children.count)].map(Int.init)
            link += incident.children.count
            if changed {
                for number in numbers { childFlags[number].insert(.touched) }
            }
            guard changed else {
                summary.unchanged += 1
                continue
            }
            let incidentKey: Int64
            if let existing {
                let old = try await PostgresIncidentReader.incident(conn, logger, key: existing.key)
                try await PostgresAudit.append(conn, logger, at: now, actor: actor, action: "incident.updated", subject: "incident:\(incident.id)",
                                               detail: IncidentDiff.changes(from: old, to: incident))
                try await conn.run("DELETE FROM incident_children WHERE incident_key = \(existing.key)", logger)
                try await conn.run("""
                    UPDATE incidents SET reported_at = \(incident.reportedAt.timeIntervalSince1970), risk_tool = \(incident.riskTool.rawValue),
                        officer_grade = \(incident.officerGrade.rawValue), dash_yes_count = \(incident.dashYesCount),
                        supervisor_grade = \(incident.supervisorGrade?.rawValue), effective_grade = \(incident.effectiveGrade.rawValue),
                        flags = \(incident.flagsText), victim_id = \(incident.victimId), perpetrator_id = \(incident.perpetratorId),
                        fingerprint = \(ByteBuffer(bytes: digest.bytes)), updated_at = \(nowSeconds), child_keys = \(keysText(numbers))
                    WHERE incident_key = \(existing.key)
                    """, logger)
                incidentKey = existing.key
                try await withdraw(incidentKey: incidentKey, linked: Set(numbers.map { childKeys[$0] }))
                summary.updated += 1
            } else {
                incidentKey = newKeys.next()!
                summary.added += 1
            }
            planned.append((n, incidentKey, existing == nil, numbers))
        }
        // The new incidents' rows, and every changed incident's links, made as they are sent: the
        // server reads one piece while the next is made.
        try await PostgresCopy.stream(conn, logger, table: "incidents", columns: Self.incidentColumns,
                                      planned.lazy.filter(\.newIncident)) { p, rows in
            let incident = incidents[p.index]
            rows.int(p.incidentKey); rows.text(incident.id); rows.double(incident.reportedAt.timeIntervalSince1970)
            rows.text(incident.riskTool.rawValue); rows.int(incident.officerGrade.rawValue); rows.int(incident.dashYesCount)
            rows.int(incident.supervisorGrade?.rawValue); rows.int(incident.effectiveGrade.rawValue); rows.text(incident.flagsText)
            rows.text(incident.victimId); rows.text(incident.perpetratorId); rows.bytes(fingerprints[p.index].bytes)
            rows.double(nowSeconds); rows.double(nowSeconds); rows.text(keysText(p.childNumbers))
            rows.endRow()
        }
        try await PostgresCopy.stream(conn, logger, table: "incident_children", columns: Self.linkColumns, planned) { p, rows in
            let incident = incidents[p.index]
            for (c, number) in zip(incident.children, p.childNumbers) {
                rows.int(childKeys[number]); rows.int(p.incidentKey); rows.text(incident.id); rows.double(incident.reportedAt.timeIntervalSince1970)
                rows.int(incident.effectiveGrade.rawValue); rows.text(c.schoolURN); rows.flag(c.present); rows.flag(c.spokenTo)
                rows.text(c.voice); rows.flag(c.bodyWornVideo)
                rows.endRow()
            }
        }
        // Alerts go in the same transaction: an incident is never stored without them.
        if let alerts {
            for p in planned {
                let incident = incidents[p.index]
                for (c, number) in zip(incident.children, p.childNumbers) {
                    if try await alerts.link(incidentKey: p.incidentKey, childKey: childKeys[number],
                                             incidentId: incident.id, childId: c.childId, reportedAt: incident.reportedAt,
                                             urn: c.schoolURN, newIncident: p.newIncident) {
                        summary.alertsQueued += 1
                    }
                }
            }
            // Their children's rows are written (their foreign keys stay, even in a first load).
            try await alerts.flush()
        }
    }

    /// The stored form of an incident's children's keys: `[1,2]`.
    private func keysText(_ numbers: [Int]) -> String {
        "[" + numbers.map { String(childKeys[$0]) }.joined(separator: ",") + "]"
    }

    /// The children first seen in the batch get their keys (a stored child's, or a new one with a
    /// row, written now with these incidents' newest details of them), and newer details for a
    /// child whose row is already written wait for `finish`.
    private func addChildren(_ numbered: BatchChildren.Chunk, of incidents: [Incident]) async throws {
        batches += 1
        func link(_ place: BatchChildren.Newest) -> ChildLink { incidents[Int(place.incident)].children[Int(place.child)] }
        func time(_ place: BatchChildren.Newest) -> Double { incidents[Int(place.incident)].reportedAt.timeIntervalSince1970 }
        // Those first seen here come in number order.
        let unseen = numbered.newest.filter { Int($0.number) >= numbered.firstNew }
        var stored: [String: (key: Int64, details: Details, newest: Double)] = [:]
        // `unseen` are new to the batch: in a first load into an empty children table, to the store.
        let childrenBefore = firstLoad?.childrenEmpty != true
        if childrenBefore, !unseen.isEmpty {
            for (id, key, given, family, dob, urn, newest) in try await conn.rows("""
                SELECT child_id, child_key, given_name, family_name, dob, school_urn, latest_reported_at FROM children
                WHERE child_id = ANY(\(unseen.map { link($0).childId }))
                """, logger, as: (String, Int64, String, String, String, String?, Double).self) {
                stored[id] = (key, Details(givenName: given, familyName: family, dateOfBirth: dob, schoolURN: urn), newest)
            }
        }
        var keys = try await Self.keys(conn, logger, table: "children", column: "child_key", count: unseen.count - stored.count).makeIterator()
        var rows: [(key: Int64, place: BatchChildren.Newest)] = []
        var held = CopyRows(columns: Self.heldColumns.count)
        func hold(_ n: Int, _ place: BatchChildren.Newest) {
            childFlags[n].insert(.pending)
            let c = link(place)
            held.int(batches); held.int(childKeys[n]); held.text(c.givenName); held.text(c.familyName); held.text(c.dateOfBirth.description)
            held.text(c.schoolURN); held.double(time(place))
            held.endRow()
        }
        for place in unseen {
            let c = link(place), reported = time(place)
            let n = childKeys.count
            assert(n == Int(place.number), "new children come in number order")
            if let s = stored[c.childId] {
                childKeys.append(s.key)
                storedNewest.append(s.newest)
                childFlags.append(.existed)
                // Whether the stored row takes these details is known only at the end (a changed
                // incident must name the child), so they wait; unless they are what it holds already.
                if reported > s.newest || (reported == s.newest && Details(c) != s.details) { hold(n, place) }
            } else {
                let key = keys.next()!
                childKeys.append(key)
                if childrenBefore { storedNewest.append(-.infinity) }
                childFlags.append([])
                rows.append((key, place))
            }
        }
        for place in numbered.newest where Int(place.number) < numbered.firstNew {
            let n = Int(place.number)
            // Newer than the row written by this batch, or at least as new as the stored one.
            if !childFlags[n].contains(.existed) || time(place) >= storedNewest[n] { hold(n, place) }
        }
        try await PostgresCopy.stream(conn, logger, table: "children", columns: Self.childColumns, rows) { row, out in
            let c = link(row.place)
            out.int(row.key); out.text(c.childId); out.text(c.givenName); out.text(c.familyName); out.text(c.dateOfBirth.description)
            out.text(c.schoolURN); out.double(time(row.place))
            out.endRow()
        }
        guard held.count > 0 else { return }
        // Held in a table of this transaction's own, not in memory: a batch of millions may give
        // many children newer details after their row was written.
        if !newestTableMade {
            try await conn.run("""
                CREATE TEMPORARY TABLE newest_children (batch bigint, child_key bigint, given_name text, family_name text, dob text,
                    school_urn text, latest_reported_at double precision) ON COMMIT DROP
                """, logger)
            newestTableMade = true
        }
        try await PostgresCopy.send(conn, logger, table: "newest_children", columns: Self.heldColumns, held)
    }

    /// The incident's alerts not yet sent for children it no longer names must not go out: each is
    /// withdrawn as the state machine says.
    private func withdraw(incidentKey: Int64, linked: Set<Int64>) async throws {
        for (alertKey, state, childKey) in try await conn.rows("""
            SELECT alert_key, state, child_key FROM alerts WHERE incident_key = \(incidentKey)
            """, logger, as: (Int64, String, Int64).self) {
            guard let state = AlertState(rawValue: state),
                  AlertLifecycle.withdraws(state: state, childStillLinked: linked.contains(childKey)) else { continue }
            try await PostgresAlerts.apply(AlertLifecycle.failure(AlertLifecycle.withdrawnReason), conn, logger, alertKey: alertKey, now: now)
        }
    }

    /// Gives the children their newest details where their rows need them, then writes the
    /// batch's audit row.
    func finish() async throws -> IngestSummary {
        if newestTableMade {
            // A stored child's row takes the batch's newest details only when a new or changed
            // incident names them. (A child new to the store always has one: an unchanged incident's
            // children are stored, and a child's row goes only with their last link.)
            let untouched = childFlags.indices.filter { childFlags[$0].contains(.pending) && !childFlags[$0].contains(.touched) }
            if !untouched.isEmpty {
                try await conn.run("DELETE FROM newest_children WHERE child_key = ANY(\(untouched.map { childKeys[$0] }))", logger)
            }
            // A child's row carries their newest details (the last held of each), so re-ingesting an
            // old file does not move a child back to a school they have left: details at least as
            // new as what is stored, and different from it, in one statement for every child.
            try await conn.run("""
                UPDATE children c SET given_name = n.given_name, family_name = n.family_name, dob = n.dob,
                    school_urn = n.school_urn, latest_reported_at = n.latest_reported_at
                FROM (SELECT DISTINCT ON (child_key) * FROM newest_children ORDER BY child_key, batch DESC) n
                WHERE c.child_key = n.child_key AND c.latest_reported_at <= n.latest_reported_at
                    AND (c.given_name, c.family_name, c.dob, c.school_urn, c.latest_reported_at)
                        IS DISTINCT FROM (n.given_name, n.family_name, n.dob, n.school_urn, n.latest_reported_at)
                """, logger)
        }
        try await firstLoad?.finish(conn, logger)
        summary.children = batchChildren.count
        // A batch that changed nothing leaves nothing behind, not even an audit row.
        if summary.added + summary.updated > 0 {
            try await PostgresSchema.noteChange(conn, logger)
            try await PostgresAudit.append(conn, logger, at: now, actor: actor, action: "ingest", subject: "batch",
                                           detail: ["added": summary.added, "updated": summary.updated, "unchanged": summary.unchanged])
        }
        return summary
    }

    /// `count` new keys of a table's identity column: one range taken from its sequence at once (a
    /// `nextval` per key cost about a second a million).
    ///
    /// Only while holding the ingest lock: every other taker of these keys (an ingest, the episodes
    /// written in its transaction) holds it too, so no `nextval` can fall between ours and the
    /// `setval`. (copy-store writes keys of its own into an empty database, then moves the sequence.)
    static func keys(_ conn: PostgresConnection, _ logger: Logger, table: String, column: String, count: Int) async throws -> Range<Int64> {
        guard count > 0 else { return 0..<0 }
        let last = try await conn.row("""
            SELECT setval(pg_get_serial_sequence(\(table), \(column)), nextval(pg_get_serial_sequence(\(table), \(column))) + \(count - 1))
            """, logger, as: (Int64).self)!
        return (last - Int64(count) + 1)..<(last + 1)
    }
}

/// Reads one stored incident back as the model value (for the audit's old values).
enum PostgresIncidentReader {
    static func incident(_ conn: PostgresConnection, _ logger: Logger, key: Int64) async throws -> Incident? {
        guard let row = try await conn.row("""
            SELECT incident_id, reported_at, risk_tool, officer_grade, dash_yes_count, supervisor_grade, victim_id, perpetrator_id
            FROM incidents WHERE incident_key = \(key)
            """, logger, as: (String, Double, String, Int, Int?, Int?, String, String?).self) else { return nil }
        let children = try await conn.rows("""
            SELECT c.child_id, c.given_name, c.family_name, c.dob, l.school_urn, l.present, l.spoken_to, l.child_voice, l.bwv_used
            FROM incident_children l JOIN children c ON c.child_key = l.child_key WHERE l.incident_key = \(key)
            ORDER BY l.child_key
            """, logger, as: (String, String, String, String, String?, Int?, Int?, String?, Int?).self).map { r in
            ChildLink(childId: r.0, givenName: r.1, familyName: r.2, dateOfBirth: LocalDate(iso: r.3) ?? LocalDate(year: 1970, month: 1, day: 1)!,
                      schoolURN: r.4, present: r.5.map { $0 != 0 }, spokenTo: r.6.map { $0 != 0 }, voice: r.7,
                      bodyWornVideo: r.8.map { $0 != 0 })
        }
        return Incident(id: row.0, reportedAt: Date(timeIntervalSince1970: row.1), riskTool: RiskTool(rawValue: row.2) ?? .dash,
                        officerGrade: Grade(rawValue: row.3) ?? .standard, dashYesCount: row.4,
                        supervisorGrade: row.5.flatMap(Grade.init(rawValue:)),
                        victimId: row.6, perpetratorId: row.7, children: children)
    }
}
