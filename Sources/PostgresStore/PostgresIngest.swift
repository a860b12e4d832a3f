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
    /// The children a changed incident named before this batch: their newest incident may have
    /// moved back in time or stopped naming them, so `finish` checks their rows (`ChildNewest`).
    private var corrected: Set<Int64> = []
    /// The changed incidents with stored alerts, batch by batch, for `settleAlerts`.
    private var laterAlerts: [[Correction]] = []
    /// The next keys for new incidents and children, and the first this ingest took: counted here,
    /// not taken from their sequences a batch at a time, so a first load can make a batch's rows
    /// without asking the store (see `keyStart`).
    private var nextKey: (incident: Int64, child: Int64)
    private let firstKey: (incident: Int64, child: Int64)

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
        "effective_grade", "flags", "victim_id", "perpetrator_id", "fingerprint", "bwv_used", "first_ingested_at", "updated_at",
        "child_keys",
    ]
    static let linkColumns = [
        "child_key", "incident_key", "incident_id", "reported_at", "effective_grade", "school_urn", "present", "spoken_to",
        "child_voice", "bwv_used", "given_name", "family_name", "dob",
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
        // The directory first, then the ingests' own lock: every transaction takes them in that
        // order (a changed Config/ is imported under the directory lock before the ingest's).
        if planner != nil { try await PostgresSchema.planWithCurrentKeyAdults(conn, logger) }
        try await conn.run("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger)
        firstLoad = bulkFirstLoad ? try await PostgresFirstLoad.begin(conn, logger) : nil
        firstKey = try await Self.keyStart(conn, logger)
        nextKey = firstKey
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
        var children = ChildRows()
        numberChildren(numbered, of: incidents, stored: try await storedChildren(numbered, of: incidents), into: &children)
        try await Self.send(children, conn, logger)
        var planned: [Planned] = []
        // The changed incidents' stored versions and alerts, read at once: a query each was a round
        // trip each (a correction feed spent most of its time waiting on them).
        let changedKeys = incidents.indices.compactMap { n in
            stored[incidents[n].id].flatMap { $0.fingerprint != fingerprints[n].bytes ? $0.key : nil }
        }
        let olds = try await PostgresIncidentReader.incidents(conn, logger, keys: changedKeys)
        // Which of their links have an alert: the rest are planned now, as new; those that have one
        // are planned at the end (`settleAlerts`), from what their rows hold then.
        let withAlerts = try await PostgresAlertQueue.marked(conn, logger, incidentKeys: changedKeys)
        var corrections: [Correction] = []
        // And the changed incidents' audit rows, new columns and old links, written for the batch at
        // once after the loop.
        var audits = CopyRows(columns: PostgresAudit.columns.count)
        var updates = CopyRows(columns: Self.updateColumns.count)
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
                try PostgresAudit.row(at: now, actor: actor, action: "incident.updated", subject: "incident:\(incident.id)",
                                      detail: IncidentDiff.changes(from: olds[existing.key], to: incident), into: &audits)
                updates.int(existing.key); updates.double(incident.reportedAt.timeIntervalSince1970); updates.text(incident.riskTool.rawValue)
                updates.int(incident.officerGrade.rawValue); updates.int(incident.dashYesCount); updates.int(incident.supervisorGrade?.rawValue)
                updates.int(incident.effectiveGrade.rawValue); updates.text(incident.flagsText); updates.text(incident.victimId)
                updates.text(incident.perpetratorId); updates.bytes(digest.bytes); updates.flag(incident.usedBodyWornVideo)
                updates.text(keysText(numbers))
                updates.endRow()
                incidentKey = existing.key
                if let children = withAlerts[incidentKey] {
                    corrections.append(Correction(incidentKey: incidentKey, linked: Set(numbers.map { childKeys[$0] }),
                                                  children: zip(incident.children, numbers).compactMap { c, number in
                        children.contains(childKeys[number])
                            ? LaterLink(childKey: childKeys[number], incidentId: incident.id, childId: c.childId,
                                        reportedAt: incident.reportedAt, urn: c.schoolURN) : nil
                    }))
                }
                summary.updated += 1
            } else {
                incidentKey = takeKey(\.incident)
                summary.added += 1
            }
            planned.append(Planned(index: n, incidentKey: incidentKey, newIncident: existing == nil, childNumbers: numbers))
        }
        try await update(changedKeys, updates, audits: audits)
        // The new incidents' rows, and every changed incident's links, made as they are sent: the
        // server reads one piece while the next is made.
        try await PostgresCopy.stream(conn, logger, table: "incidents", columns: Self.incidentColumns,
                                      planned.lazy.filter(\.newIncident)) { p, rows in
            incidentRow(p, incidents, fingerprints, &rows)
        }
        try await PostgresCopy.stream(conn, logger, table: "incident_children", columns: Self.linkColumns, planned) { p, rows in
            linkRows(p, incidents, &rows)
        }
        // Alerts go in the same transaction: an incident is never stored without them. A link with
        // none stored gets its new one now, in the batch's order (the alerts' keys as SQLite gives
        // them); one with an alert is left for `settleAlerts`.
        if let alerts {
            for p in planned {
                let incident = incidents[p.index]
                for (c, number) in zip(incident.children, p.childNumbers) where withAlerts[p.incidentKey]?.contains(childKeys[number]) != true {
                    if alerts.queueNew(incidentKey: p.incidentKey, childKey: childKeys[number], incidentId: incident.id, childId: c.childId,
                                       reportedAt: incident.reportedAt, urn: c.schoolURN) {
                        summary.alertsQueued += 1
                    }
                }
            }
        }
        if !corrections.isEmpty { laterAlerts.append(corrections) }
        // Their children's rows are written (their foreign keys stay, even in a first load).
        try await alerts?.flush()
    }

    /// A changed incident that has stored alerts, for `settleAlerts`: the children it names now (by
    /// key), and those of its links with an alert, as this batch has them.
    private struct Correction {
        var incidentKey: Int64
        var linked: Set<Int64>
        var children: [LaterLink]
    }

    private struct LaterLink {
        var childKey: Int64
        var incidentId: String
        var childId: String
        var reportedAt: Date
        var urn: String?
    }

    /// The changed incidents' alert work, decided and written at the end of the ingest, just before
    /// it commits (after the episodes): what becomes of an alert is decided from its row as it is
    /// then, `FOR UPDATE` only from then on. Locked so from its batch on (as it was), a run that had
    /// sent it could not record what became of it, nor a school acknowledge it, until the whole feed
    /// was written (88 s for the 1M feed re-ingested with 21,220 rows re-schooled, on a loaded
    /// machine). Until the end the rows are held `FOR KEY SHARE` (`PostgresAlertQueue.marked`): a
    /// run's claim skips them, an outcome or an acknowledgement does not wait, and what they did is
    /// what this then follows. Batch by batch, in order, as it was done in the batches: the hub's
    /// notices in SQLite's order. The end is as long as this work: each batch's alerts are decided
    /// in turn and written together (`AlertWrites`). Four statements a re-planned alert made it most
    /// of a correction-only feed's ingest (33 of 37.7 s for 15,000 incidents re-schooled); written a
    /// kind at a time, it was 3.9 s of 10 s (docs/benchmarks.md, loaded machine).
    func settleAlerts() async throws -> IngestSummary {
        if !laterAlerts.isEmpty {
            // Every row locked at once, in the alerts' order, as other takers of several lock them.
            try await conn.run("""
                SELECT alert_key FROM alerts WHERE incident_key = ANY(\(laterAlerts.flatMap { $0.map(\.incidentKey) }))
                ORDER BY alert_key FOR UPDATE
                """, logger)
        }
        for batch in laterAlerts {
            // Read once for both of their uses: a withdrawal touches only the alerts of children an
            // incident no longer names, the re-planning below only those of children it still names.
            let storedAlerts = try await PostgresAlertQueue.stored(conn, logger, incidentKeys: batch.map(\.incidentKey))
            // What refers to an alert is asked only of an unmatched entry its incident no longer names.
            let referenced = try await PostgresAlerts.referenced(conn, logger, alertKeys: batch.flatMap { c in
                (storedAlerts[c.incidentKey] ?? [:]).filter { !c.linked.contains($0.key) && $0.value.state == AlertState.unmatched.rawValue }
                    .map(\.value.alertKey)
            })
            // The batch's alerts decided in turn and written at once (`AlertWrites`).
            var writes = AlertWrites()
            for c in batch {
                // Incident by incident, its withdrawals and then its links, as SQLite tells them: the
                // hub's notices in one order on both stores. The batch's withdrawals made first, before
                // any incident's links, numbered a withdrawn child's notice before an earlier incident's
                // re-route, and the board listed them in another order than SQLite's.
                if let stored = storedAlerts[c.incidentKey] {
                    withdraw(stored, linked: c.linked, referenced: referenced, into: &writes)
                    noLongerLinked(stored, linked: c.linked, into: &writes)
                }
                guard let alerts else { continue }
                for l in c.children {
                    // Its alert is there still (its row is held from its batch on, and only an ingest
                    // removes one); were it not, it would be planned as a new one.
                    if try await alerts.link(storedAlerts[c.incidentKey]?[l.childKey], incidentKey: c.incidentKey, childKey: l.childKey,
                                             incidentId: l.incidentId, childId: l.childId, reportedAt: l.reportedAt, urn: l.urn,
                                             into: &writes) {
                        summary.alertsQueued += 1
                    }
                }
            }
            try await writes.write(conn, logger, now: now)
        }
        try await alerts?.flush()
        if let tooOld = alerts?.tooOld {
            summary.tooOld(tooOld)
            try await PostgresAlerts.tooOldNotice(tooOld, conn, logger, now: now)
        }
        // A corrected incident may move an alert a run is sending (`AlertLifecycle.follow`): the
        // run gives back what it has not sent of its batch and claims it again (audit 29, F1).
        // Last, as the alerts' locks: held only to the commit.
        if summary.updated > 0 { try await PostgresSchema.noteRoutingChange(conn, logger) }
        return summary
    }

    /// The columns of a changed incident's new version (`incident_updates`, this transaction's own).
    static let updateColumns: PostgresCopy.Columns = [
        ("incident_key", "bigint"), ("reported_at", "double precision"), ("risk_tool", "text"), ("officer_grade", "bigint"),
        ("dash_yes_count", "bigint"), ("supervisor_grade", "bigint"), ("effective_grade", "bigint"), ("flags", "text"),
        ("victim_id", "text"), ("perpetrator_id", "text"), ("fingerprint", "bytea"), ("bwv_used", "bigint"), ("child_keys", "text"),
    ]

    /// Writes a batch's changed incidents: their audit rows (in the batch's order), their new
    /// columns (one UPDATE from a table copied in), and their old links gone (the new ones are
    /// copied with the new incidents'). A statement an incident was three round trips each.
    private func update(_ keys: [Int64], _ updates: CopyRows, audits: CopyRows) async throws {
        guard !keys.isEmpty else { return }
        try await PostgresCopy.send(conn, logger, table: "audit", columns: PostgresAudit.columns, audits)
        for key in try await conn.rows("DELETE FROM incident_children WHERE incident_key = ANY(\(keys)) RETURNING child_key", logger,
                                       as: (Int64).self) {
            corrected.insert(key)
        }
        try await PostgresCopy.through(conn, logger, table: "incident_updates", columns: Self.updateColumns, updates, """
            UPDATE incidents i SET reported_at = u.reported_at, risk_tool = u.risk_tool, officer_grade = u.officer_grade,
                dash_yes_count = u.dash_yes_count, supervisor_grade = u.supervisor_grade, effective_grade = u.effective_grade,
                flags = u.flags, victim_id = u.victim_id, perpetrator_id = u.perpetrator_id, fingerprint = u.fingerprint,
                bwv_used = u.bwv_used, updated_at = \(now.timeIntervalSince1970), child_keys = u.child_keys
            FROM incident_updates u WHERE i.incident_key = u.incident_key
            """)
    }

    /// The stored form of an incident's children's keys: `[1,2]` (as `CopyRows.intList` writes it).
    private func keysText(_ numbers: [Int]) -> String {
        "[" + numbers.map { String(childKeys[$0]) }.joined(separator: ",") + "]"
    }

    /// An incident of the batch to write: where it is in the batch, its key, whether it is new to
    /// the store, and its children's numbers.
    private struct Planned {
        var index: Int
        var incidentKey: Int64
        var newIncident: Bool
        var childNumbers: [Int]
    }

    /// A new incident's row for `incidents`.
    private func incidentRow(_ p: Planned, _ incidents: [Incident], _ fingerprints: [Fingerprint.Digest], _ rows: inout CopyRows) {
        let incident = incidents[p.index]
        let nowSeconds = now.timeIntervalSince1970
        rows.int(p.incidentKey); rows.text(incident.id); rows.double(incident.reportedAt.timeIntervalSince1970)
        rows.text(incident.riskTool.rawValue); rows.int(incident.officerGrade.rawValue); rows.int(incident.dashYesCount)
        rows.int(incident.supervisorGrade?.rawValue); rows.int(incident.effectiveGrade.rawValue); rows.text(incident.flagsText)
        rows.text(incident.victimId); rows.text(incident.perpetratorId); rows.bytes(fingerprints[p.index].bytes)
        rows.flag(incident.usedBodyWornVideo); rows.double(nowSeconds); rows.double(nowSeconds); rows.intList(p.childNumbers.lazy.map { self.childKeys[$0] })
        rows.endRow()
    }

    /// An incident's rows for `incident_children`, one a child.
    private func linkRows(_ p: Planned, _ incidents: [Incident], _ rows: inout CopyRows) {
        let incident = incidents[p.index]
        for (c, number) in zip(incident.children, p.childNumbers) {
            rows.int(childKeys[number]); rows.int(p.incidentKey); rows.text(incident.id); rows.double(incident.reportedAt.timeIntervalSince1970)
            rows.int(incident.effectiveGrade.rawValue); rows.text(c.schoolURN); rows.flag(c.present); rows.flag(c.spokenTo)
            rows.text(c.voice); rows.flag(c.bodyWornVideo)
            rows.text(c.givenName); rows.text(c.familyName); rows.text(c.dateOfBirth.description)
            rows.endRow()
        }
    }

    /// A batch made ready without asking the store anything, in the order it is sent (each table's
    /// rows refer only to rows before them).
    struct PreparedBatch: Sendable {
        var children = ChildRows()
        var incidents = CopyRows(columns: PostgresIngest.incidentColumns.count)
        var links = CopyRows(columns: PostgresIngest.linkColumns.count)
        var alerts: CopyRows?
    }

    /// Whether a batch can be made ready without asking the store anything: a first load into empty
    /// tables has nothing stored to look up, and every incident and child is new.
    var preparesAlone: Bool { firstLoad?.childrenEmpty == true }

    /// What `write` does for a chunk of a first load into empty tables, added to a batch to be sent
    /// (by `send`) while the batch before it is still being sent: no incident is stored, so none is
    /// changed, none has alerts, and no child has a stored row. Chunk by chunk, as the reader hands
    /// them over: gathering chunks into one array first copied every incident (about 4% of the
    /// client's CPU, perf).
    func prepare(_ incidents: [Incident], fingerprints: [Fingerprint.Digest], into batch: inout PreparedBatch) {
        precondition(preparesAlone, "a batch is made ready alone only for a first load into empty tables")
        let numbered = batchChildren.chunk(incidents)
        numberChildren(numbered, of: incidents, stored: [:], into: &batch.children)
        var link = 0
        for (n, incident) in incidents.enumerated() {
            let numbers = numbered.numbers[link..<(link + incident.children.count)].map(Int.init)
            link += incident.children.count
            for number in numbers { childFlags[number].insert(.touched) }
            let p = Planned(index: n, incidentKey: takeKey(\.incident), newIncident: true, childNumbers: numbers)
            summary.added += 1
            incidentRow(p, incidents, fingerprints, &batch.incidents)
            linkRows(p, incidents, &batch.links)
            if let alerts {
                for (c, number) in zip(incident.children, numbers)
                where alerts.queueNew(incidentKey: p.incidentKey, childKey: childKeys[number], incidentId: incident.id, childId: c.childId,
                                      reportedAt: incident.reportedAt, urn: c.schoolURN) {
                    summary.alertsQueued += 1
                }
            }
        }
    }

    /// Sends a batch `prepare` made, in its order.
    static func send(_ batch: PreparedBatch, _ conn: PostgresConnection, _ logger: Logger) async throws {
        try await send(batch.children, conn, logger)
        try await PostgresCopy.send(conn, logger, table: "incidents", columns: incidentColumns, batch.incidents)
        try await PostgresCopy.send(conn, logger, table: "incident_children", columns: linkColumns, batch.links)
        if let alerts = batch.alerts { try await PostgresCopy.send(conn, logger, table: "alerts", columns: PostgresAlertQueue.columns, alerts) }
    }

    /// A chunk's fingerprints: worked out by the reader's thread when the feed is ours
    /// (`makeIncidentFeed`).
    private static func fingerprints(of chunk: IncidentFeed.Chunk) -> [Fingerprint.Digest] {
        chunk.encoded as? [Fingerprint.Digest] ?? chunk.incidents.map(Fingerprint.of)
    }

    /// Writes the feed's incidents in batches of `batchSize`. In a first load into empty tables each
    /// batch is made ready (`prepare`) while the one before it is sent: the server took each batch
    /// while this writer sat waiting, and then waited itself while the next was made.
    func write(_ feed: IncidentFeed, batchSize: Int) async throws {
        var gathered: [Incident] = []
        var fingerprints: [Fingerprint.Digest] = []
        // Waited for without holding a thread: the reader may be using the other one. The reader's
        // small chunks are gathered into batches of thousands, so each costs the server a few round
        // trips (look-ups, COPY) rather than a few per chunk. False when the feed has no more.
        func gather() async -> Bool {
            gathered.removeAll(keepingCapacity: true)
            fingerprints.removeAll(keepingCapacity: true)
            while gathered.count < batchSize, await feed.hasWork(), let chunk = feed.next() {
                gathered += chunk.incidents
                fingerprints += Self.fingerprints(of: chunk)
            }
            return !gathered.isEmpty
        }
        guard preparesAlone else {
            while await gather() { try await write(gathered, fingerprints: fingerprints) }
            return
        }
        let (conn, logger) = (conn, logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var (batch, sending, more) = (PreparedBatch(), false, true)
            while more {
                if await feed.hasWork(), let chunk = feed.next() {
                    prepare(chunk.incidents, fingerprints: Self.fingerprints(of: chunk), into: &batch)
                } else {
                    more = false
                }
                guard batch.incidents.count >= batchSize || (!more && batch.incidents.count > 0) else { continue }
                batch.alerts = alerts?.takeNewRows()
                let ready = batch
                batch = PreparedBatch()
                // One batch sent at a time, in order: the last must be in before the next goes.
                if sending { try await group.next() }
                group.addTask { try await Self.send(ready, conn, logger) }
                sending = true
            }
            try await group.waitForAll()
        }
    }

    /// A stored child first seen by this batch: their key, details and newest time.
    private typealias StoredChild = (key: Int64, details: Details, newest: Double)

    /// A batch's rows for `children`: those new to the store, and newer details of children whose
    /// rows are written already, held in a table of the transaction's own until `finish` (made with
    /// the first of them).
    struct ChildRows: Sendable {
        var rows = CopyRows(columns: PostgresIngest.childColumns.count)
        var held = CopyRows(columns: PostgresIngest.heldColumns.count)
        var makeHeldTable = false
    }

    /// The link holding a child's newest details in the chunk, and its incident's time.
    private static func link(_ place: BatchChildren.Newest, _ incidents: [Incident]) -> ChildLink {
        incidents[Int(place.incident)].children[Int(place.child)]
    }

    private static func time(_ place: BatchChildren.Newest, _ incidents: [Incident]) -> Double {
        incidents[Int(place.incident)].reportedAt.timeIntervalSince1970
    }

    /// The stored rows of the children this chunk names for the first time in the batch (none to
    /// look for in a first load into an empty children table).
    private func storedChildren(_ numbered: BatchChildren.Chunk, of incidents: [Incident]) async throws -> [String: StoredChild] {
        guard firstLoad?.childrenEmpty != true else { return [:] }
        let unseen = numbered.newest.filter { Int($0.number) >= numbered.firstNew }.map { Self.link($0, incidents).childId }
        guard !unseen.isEmpty else { return [:] }
        var stored: [String: StoredChild] = [:]
        for (id, key, given, family, dob, urn, newest) in try await conn.rows("""
            SELECT child_id, child_key, given_name, family_name, dob, school_urn, latest_reported_at FROM children
            WHERE child_id = ANY(\(unseen))
            """, logger, as: (String, Int64, String, String, String, String?, Double).self) {
            stored[id] = (key, Details(givenName: given, familyName: family, dateOfBirth: dob, schoolURN: urn), newest)
        }
        return stored
    }

    /// The children first seen in the batch get their keys (a stored child's, or a new one with a
    /// row, written with these incidents' newest details of them), and newer details for a child
    /// whose row is already written wait for `finish`.
    private func numberChildren(_ numbered: BatchChildren.Chunk, of incidents: [Incident], stored: [String: StoredChild],
                                into out: inout ChildRows) {
        batches += 1
        // `unseen` are new to the batch: in a first load into an empty children table, to the store.
        let childrenBefore = firstLoad?.childrenEmpty != true
        func hold(_ n: Int, _ place: BatchChildren.Newest) {
            childFlags[n].insert(.pending)
            let c = Self.link(place, incidents)
            out.held.int(batches); out.held.int(childKeys[n]); out.held.text(c.givenName); out.held.text(c.familyName)
            out.held.text(c.dateOfBirth.description); out.held.text(c.schoolURN); out.held.double(Self.time(place, incidents))
            out.held.endRow()
        }
        // Those first seen here come in number order.
        for place in numbered.newest where Int(place.number) >= numbered.firstNew {
            let c = Self.link(place, incidents), reported = Self.time(place, incidents)
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
                let key = takeKey(\.child)
                childKeys.append(key)
                if childrenBefore { storedNewest.append(-.infinity) }
                childFlags.append([])
                out.rows.int(key); out.rows.text(c.childId); out.rows.text(c.givenName); out.rows.text(c.familyName)
                out.rows.text(c.dateOfBirth.description); out.rows.text(c.schoolURN); out.rows.double(reported)
                out.rows.endRow()
            }
        }
        for place in numbered.newest where Int(place.number) < numbered.firstNew {
            let n = Int(place.number)
            // Newer than the row written by this batch, or at least as new as the stored one.
            if !childFlags[n].contains(.existed) || Self.time(place, incidents) >= storedNewest[n] { hold(n, place) }
        }
        // Held in a table of this transaction's own, not in memory: a batch of millions may give
        // many children newer details after their row was written.
        if out.held.count > 0, !newestTableMade {
            out.makeHeldTable = true
            newestTableMade = true
        }
    }

    private static func send(_ children: ChildRows, _ conn: PostgresConnection, _ logger: Logger) async throws {
        try await PostgresCopy.send(conn, logger, table: "children", columns: childColumns, children.rows)
        if children.makeHeldTable {
            try await conn.run("""
                CREATE TEMPORARY TABLE newest_children (batch bigint, child_key bigint, given_name text, family_name text, dob text,
                    school_urn text, latest_reported_at double precision) ON COMMIT DROP
                """, logger)
        }
        try await PostgresCopy.send(conn, logger, table: "newest_children", columns: heldColumns, children.held)
    }

    /// The incident's alerts (`alerts`, as stored, by child key) not yet sent for children it no
    /// longer names must not go out: each is withdrawn (or removed, when not `referenced`) as the
    /// state machine says, in the order they were made.
    private func withdraw(_ alerts: [Int64: PostgresAlertQueue.Stored], linked: Set<Int64>, referenced: Set<Int64>,
                          into writes: inout AlertWrites) {
        for (childKey, alert) in alerts.sorted(by: { $0.value.alertKey < $1.value.alertKey }) {
            guard let state = AlertState(rawValue: alert.state) else { continue }
            switch AlertLifecycle.withdrawal(state: state, childStillLinked: linked.contains(childKey),
                                             referenced: referenced.contains(alert.alertKey)) {
            case .stays: continue
            case .withdrawn: writes.withdraw(alertKey: alert.alertKey)
            case .removed: writes.remove(alertKey: alert.alertKey)
            }
        }
    }

    /// The incident's alerts delivered for children it no longer names tell the hub that school has
    /// the child's details (see SQLiteAlertQueue.withdraw), in the order they were made.
    private func noLongerLinked(_ alerts: [Int64: PostgresAlertQueue.Stored], linked: Set<Int64>, into writes: inout AlertWrites) {
        for (childKey, alert) in alerts.sorted(by: { $0.value.alertKey < $1.value.alertKey }) where !linked.contains(childKey) {
            guard let state = AlertState(rawValue: alert.state) else { continue }
            writes.noLongerNamed(alertKey: alert.alertKey, state: state, sentURN: alert.urn,
                                 deliveredAt: alert.deliveredAt.map(Date.init(timeIntervalSince1970:)), namedURN: nil)
        }
    }

    /// Gives the children their newest details where their rows need them, then writes the
    /// batch's audit row. The changed incidents' alerts come after the episodes (`settleAlerts`).
    func finish() async throws {
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
        if !corrected.isEmpty {
            var binds = PostgresBindings()
            binds.append(Array(corrected))
            try await conn.run(PostgresQuery(unsafeSQL: ChildNewest.recompute(keys: "SELECT unnest($1::bigint[])", same: "IS NOT DISTINCT FROM"),
                                             binds: binds), logger)
        }
        try await keysTaken()
        try await firstLoad?.finish(conn, logger)
        summary.children = batchChildren.count
        // A batch that changed nothing leaves nothing behind, not even an audit row.
        if summary.added + summary.updated > 0 {
            try await PostgresSchema.noteChange(conn, logger)
            try await PostgresAudit.append(conn, logger, at: now, actor: actor, action: "ingest", subject: "batch",
                                           detail: ["added": summary.added, "updated": summary.updated, "unchanged": summary.unchanged])
        }
    }

    /// The first keys for new incidents and children: one of each taken from their sequences now;
    /// the rest are counted here (`takeKey`) and the sequences moved past them at the end
    /// (`keysTaken`). (A `nextval` per key cost about a second a million.)
    ///
    /// Only while holding the ingest lock: every other taker of these keys (an ingest, the episodes
    /// written in its transaction after `finish`) holds it too, so no `nextval` can fall between.
    /// (copy-store writes keys of its own into an empty database, then moves the sequences.)
    private static func keyStart(_ conn: PostgresConnection, _ logger: Logger) async throws -> (incident: Int64, child: Int64) {
        guard let (incident, child) = try await conn.row("""
            SELECT nextval(pg_get_serial_sequence('incidents', 'incident_key')), nextval(pg_get_serial_sequence('children', 'child_key'))
            """, logger, as: (Int64, Int64).self) else { throw StoreError.unavailable("the key sequences gave no value") }
        return (incident, child)
    }

    /// A new key for an incident or a child.
    private func takeKey(_ table: WritableKeyPath<(incident: Int64, child: Int64), Int64>) -> Int64 {
        defer { nextKey[keyPath: table] += 1 }
        return nextKey[keyPath: table]
    }

    /// Moves each sequence to the last key this ingest took, when it took more than the first.
    private func keysTaken() async throws {
        for (table, column, first, next) in [("incidents", "incident_key", firstKey.incident, nextKey.incident),
                                             ("children", "child_key", firstKey.child, nextKey.child)] where next > first + 1 {
            try await conn.run("SELECT setval(pg_get_serial_sequence(\(table), \(column)), \(next - 1))", logger)
        }
    }
}

/// Reads one stored incident back as the model value (for the audit's old values).
enum PostgresIncidentReader {
    /// One stored incident with its children, as it was ingested.
    static func incident(_ conn: PostgresConnection, _ logger: Logger, key: Int64) async throws -> Incident? {
        try await incidents(conn, logger, keys: [key])[key]
    }

    /// Stored incidents with their children, by key (a batch's changed incidents, read at once).
    static func incidents(_ conn: PostgresConnection, _ logger: Logger, keys: [Int64]) async throws -> [Int64: Incident] {
        var found: [Int64: Incident] = [:]
        guard !keys.isEmpty else { return found }
        var children: [Int64: [ChildLink]] = [:]
        for r in try await conn.rows("""
            SELECT l.incident_key, c.child_id, coalesce(l.given_name, c.given_name), coalesce(l.family_name, c.family_name),
                coalesce(l.dob, c.dob), l.school_urn, l.present, l.spoken_to, l.child_voice, l.bwv_used
            FROM incident_children l JOIN children c ON c.child_key = l.child_key WHERE l.incident_key = ANY(\(keys))
            ORDER BY l.incident_key, l.child_key
            """, logger, as: (Int64, String, String, String, String, String?, Int?, Int?, String?, Int?).self) {
            children[r.0, default: []].append(
                ChildLink(childId: r.1, givenName: r.2, familyName: r.3, dateOfBirth: LocalDate(iso: r.4) ?? LocalDate(year: 1970, month: 1, day: 1)!,
                          schoolURN: r.5, present: r.6.map { $0 != 0 }, spokenTo: r.7.map { $0 != 0 }, voice: r.8,
                          bodyWornVideo: r.9.map { $0 != 0 }))
        }
        for row in try await conn.rows("""
            SELECT incident_key, incident_id, reported_at, risk_tool, officer_grade, dash_yes_count, supervisor_grade, victim_id, perpetrator_id,
                bwv_used
            FROM incidents WHERE incident_key = ANY(\(keys))
            """, logger, as: (Int64, String, Double, String, Int, Int?, Int?, String, String?, Int?).self) {
            found[row.0] = Incident(id: row.1, reportedAt: Date(timeIntervalSince1970: row.2), riskTool: RiskTool(rawValue: row.3) ?? .dash,
                                    officerGrade: Grade(rawValue: row.4) ?? .standard, dashYesCount: row.5,
                                    supervisorGrade: row.6.flatMap(Grade.init(rawValue:)),
                                    victimId: row.7, perpetratorId: row.8, children: children[row.0] ?? [],
                                    // An incident with children keeps theirs on its links (`Incident.bodyWornVideo`).
                                    bodyWornVideo: children[row.0] == nil ? row.9.map { $0 != 0 } : nil)
        }
        return found
    }
}
