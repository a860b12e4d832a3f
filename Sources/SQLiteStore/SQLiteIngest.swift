import Foundation
import GRDB
import RiskModel
import StoreContract

/// One ingest batch inside one write transaction (the caller's), so a failure leaves nothing written.
/// Chunks of incidents are written as the feed hands them over, so a batch can be written while its
/// file is still being read; `finish()` writes what only the whole batch decides (the children whose
/// newest details came after their row was written, or who were stored before).
///
/// The caller turns foreign key checks off for the transaction: rows go in many at a time. Every key
/// written is one this writer read from its table or handed out itself, so the references hold by
/// construction.
final class SQLiteIngest {
    private let db: Database
    private let actor: String
    private let now: Date
    @exclusivity(unchecked) private var summary = IngestSummary()

    /// What the writer knows of the batch's children, by their number in the feed (`BatchChildren`),
    /// kept small for a batch of millions: into a store without children (a first load) every
    /// child is new and their keys run from `firstChildKey` in number order, so no key is kept.
    private var childCount = 0
    /// Keys by number, when the store had children before.
    @exclusivity(unchecked) private var keysByNumber: [Int64] = []
    /// The `latest_reported_at` a stored child's row had, by number (new children: -infinity),
    /// when the store had children before.
    @exclusivity(unchecked) private var storedNewest: [Double] = []
    @exclusivity(unchecked) private var childFlags: [ChildFlags] = []
    private let firstChildKey: Int64

    private struct ChildFlags: OptionSet {
        let rawValue: UInt8
        /// The child's row was in the store before this batch.
        static let existed = ChildFlags(rawValue: 1)
        /// A new or changed incident of the batch names the child, so their row may need writing.
        static let touched = ChildFlags(rawValue: 2)
        /// Newer details than their row has wait in `BatchNewest.table` for `finish`.
        static let pending = ChildFlags(rawValue: 4)
    }

    private let findIncident: SQLiteRawStatement
    private let findChild: SQLiteRawStatement
    private let updateIncident: Statement
    private let deleteLinks: Statement
    private let linkedChildren: SQLiteRawStatement
    /// The children a changed incident named before this batch: their newest incident may have
    /// moved back in time or stopped naming them, so `finish` checks their rows (`ChildNewest`).
    private var corrected: Set<Int64> = []
    private let incidentRows: SQLiteBulkInsert
    private let childRows: SQLiteBulkInsert
    private let linkRows: SQLiteBulkInsert
    /// Children's newest details that came after their row was written (or that a stored child's
    /// row may take), one row a child (a later one replaces it), applied by `finish`.
    private let newestRows: SQLiteBulkInsert
    private var newestTableMade = false
    private let alerts: SQLiteAlertQueue?
    private var nextIncidentKey: Int64
    private var nextChildKey: Int64
    private let nowSeconds: Double
    private let noIncidentsBefore: Bool
    private let noChildrenBefore: Bool
    /// Set aside for a first load, made again by `finish`.
    private let setAside: SQLiteFirstLoad?

    init(db: Database, actor: String, now: Date, planner: AlertPlanner?) throws {
        self.db = db
        self.actor = actor
        self.now = now
        nowSeconds = now.timeIntervalSince1970
        findIncident = try SQLiteRawStatement(db, "SELECT incident_key, fingerprint FROM incidents WHERE incident_id = ?")
        findChild = try SQLiteRawStatement(db, """
            SELECT child_key, latest_reported_at, given_name, family_name, dob, school_urn FROM children WHERE child_id = ?
            """)
        updateIncident = try db.makeStatement(sql: """
            UPDATE incidents SET reported_at = ?, risk_tool = ?, officer_grade = ?, dash_yes_count = ?, supervisor_grade = ?,
                effective_grade = ?, flags = ?, victim_id = ?, perpetrator_id = ?, fingerprint = ?, bwv_used = ?, updated_at = ?,
                child_keys = ?
            WHERE incident_key = ?
            """)
        deleteLinks = try db.makeStatement(sql: "DELETE FROM incident_children WHERE \(SQLiteSchema.linksOfIncident())")
        linkedChildren = try SQLiteRawStatement(db, "SELECT value FROM json_each((SELECT child_keys FROM incidents WHERE incident_key = ?))")
        // Into an empty store (a first load), every incident and child is new: no need to look.
        noIncidentsBefore = try SQLiteFirstLoad.isFirstLoad(db)
        noChildrenBefore = try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM children)")!
        setAside = noIncidentsBefore ? try SQLiteFirstLoad.setAside(db) : nil
        // Column order: the keys, then the feed's encoded values, then (incidents) the timestamps and
        // the child keys.
        //
        // OR FAIL, not the default ABORT: a multi-row statement that may abort half-way makes SQLite
        // copy every page it is about to change into a statement journal first, so that it can undo
        // just that statement; past 64 KiB (four of our pages) that journal is a file. A failure here
        // rolls the whole ingest back anyway, so nothing needs undoing by statement, and the journal
        // was most of a ten-million-row ingest's writes (25 GB written for a 2 GB store). Incidents
        // only while their serial-perpetrator trigger is set aside: an outer OR FAIL would override
        // the trigger's own OR IGNORE.
        incidentRows = SQLiteBulkInsert(db, """
            INSERT \(setAside == nil ? "" : "OR FAIL ")INTO incidents (incident_key, incident_id, reported_at, risk_tool, officer_grade, dash_yes_count,
                supervisor_grade, effective_grade, flags, victim_id, perpetrator_id, fingerprint, bwv_used, first_ingested_at, updated_at,
                child_keys)
            """, keys: 1, values: SQLiteFeedEncoder.incidentValues, trailing: [nowSeconds, nowSeconds], writerText: true)
        childRows = SQLiteBulkInsert(db, """
            INSERT OR FAIL INTO children (child_key, child_id, given_name, family_name, dob, school_urn, latest_reported_at)
            """, keys: 1, values: SQLiteFeedEncoder.childValues)
        linkRows = SQLiteBulkInsert(db, """
            INSERT OR FAIL INTO incident_children (child_key, incident_key, incident_id, reported_at, effective_grade, school_urn,
                present, spoken_to, child_voice, bwv_used, given_name, family_name, dob)
            """, keys: 2, values: SQLiteFeedEncoder.linkValues)
        newestRows = SQLiteBulkInsert(db, """
            INSERT OR REPLACE INTO \(BatchNewest.table) (child_key, child_id, given_name, family_name, dob, school_urn, latest_reported_at)
            """, keys: 1, values: SQLiteFeedEncoder.childValues)
        // Keys are handed out here rather than by SQLite, since rows go in many at a time. This
        // transaction is the only writer, so nothing else can take them meanwhile.
        nextIncidentKey = try (Int64.fetchOne(db, sql: "SELECT max(incident_key) FROM incidents") ?? 0) + 1
        nextChildKey = try (Int64.fetchOne(db, sql: "SELECT max(child_key) FROM children") ?? 0) + 1
        firstChildKey = nextChildKey
        alerts = try planner.map { try SQLiteAlertQueue(db: db, planner: $0, now: now) }
    }

    /// Writes a whole batch.
    func run(_ incidents: [Incident]) throws -> IngestSummary {
        try write(SQLiteFeedEncoder().chunk(incidents))
        return try finish()
    }

    /// Adds, updates or leaves each incident of a chunk. Each incident id comes once a batch.
    func write(_ chunk: SQLiteFeedEncoder.Chunk) throws {
        try number(chunk)
        var link = 0
        // By index: copying an incident (or a child) out of the chunk costs a retain and a release
        // of each of its strings, which a million rows notice.
        for n in chunk.incidents.indices {
            let links = link..<(link + chunk.incidents[n].children.count)
            link = links.upperBound
            try write(chunk.incidents[n], n, links, chunk)
        }
        // The rows are bound from the chunk's buffers, so they go before the chunk does.
        try incidentRows.flush(chunk.incidentRows)
        try linkRows.flush(chunk.linkRows)
        try childRows.flush(chunk.childRows)
        try newestRows.flush(chunk.childRows)
    }

    /// The key of the child numbered `n`.
    @inline(__always)
    private func childKey(_ n: Int) -> Int64 {
        noChildrenBefore ? firstChildKey + Int64(n) : keysByNumber[n]
    }

    /// The chunk's children first seen in the batch get their keys (a stored child's, or a new one
    /// with their row, written with the chunk), and newer details for a child whose row is already
    /// written wait for `finish`.
    private func number(_ chunk: SQLiteFeedEncoder.Chunk) throws {
        for (row, place) in chunk.children.newest.enumerated() {
            let n = Int(place.number)
            let incident = Int(place.incident), child = Int(place.child)
            let reported = chunk.incidents[incident].reportedAt.timeIntervalSince1970
            if n == childCount {
                try addChild(chunk.incidents[incident].children[child], reported: reported, valuesRow: row)
            } else if !childFlags[n].contains(.existed) || reported >= storedNewest[n] {
                // Newer than the row written by this batch, or at least as new as the stored one.
                try holdNewest(n, valuesRow: row)
            }
        }
    }

    /// The next child of the batch (numbered `childCount`), found in the table or given a new key
    /// and a row with the chunk's newest details of them (`valuesRow` of its child rows).
    private func addChild(_ c: ChildLink, reported: Double, valuesRow: Int) throws {
        let n = childCount
        childCount += 1
        if !noChildrenBefore, let stored = try findChild.row(binding: c.childId, { s in
            (key: s.int64(0), newest: s.double(1),
             same: s.text(2) == c.givenName && s.text(3) == c.familyName && s.text(4) == c.dateOfBirth.description
                && s.optionalText(5) == c.schoolURN)
        }) {
            keysByNumber.append(stored.key)
            storedNewest.append(stored.newest)
            childFlags.append(.existed)
            // Whether the stored row takes these details is known only at the end (a changed
            // incident must name the child), so they wait; unless they are what it holds already.
            if reported > stored.newest || (reported == stored.newest && !stored.same) {
                try holdNewest(n, valuesRow: valuesRow)
            }
            return
        }
        let key = nextChildKey
        nextChildKey += 1
        if !noChildrenBefore {
            keysByNumber.append(key)
            storedNewest.append(-.infinity)
        }
        childFlags.append([])
        // New children are numbered, so keyed, in the order first seen: their rows append.
        childRows.add(key, valuesRow: valuesRow)
    }

    /// Keeps a child's newest details so far (`valuesRow` of the chunk's child rows) for `finish`,
    /// in a table of this connection's own: a later chunk's replace an earlier one's.
    private func holdNewest(_ n: Int, valuesRow: Int) throws {
        if !newestTableMade {
            try BatchNewest.make(db)
            newestTableMade = true
        }
        childFlags[n].insert(.pending)
        newestRows.add(childKey(n), valuesRow: valuesRow)
    }

    private func write(_ incident: Incident, _ n: Int, _ links: Range<Int>, _ chunk: SQLiteFeedEncoder.Chunk) throws {
        let fingerprint = chunk.fingerprints[n]
        var existing: (key: Int64, fingerprint: Fingerprint.Stored)?
        if !noIncidentsBefore {
            existing = try findIncident.row(binding: incident.id) { c in
                let stored = c.isBlob(1) ? Fingerprint.Digest(bytes: c.blob(1)).map(Fingerprint.Stored.digest) : nil
                return (key: c.int64(0), fingerprint: stored ?? .legacyHex(c.text(1)))
            }
        }
        let changed = existing.map { !$0.fingerprint.matches(incident, digest: fingerprint) } ?? true
        if changed {
            for j in links { childFlags[Int(chunk.children.numbers[j])].insert(.touched) }
        }
        guard changed else {
            summary.unchanged += 1
            return
        }
        let incidentKey: Int64
        if let existing {
            let old = try SQLiteIncidentReader(db: db).incident(key: existing.key)
            try SQLiteAudit.append(db, at: now, actor: actor, action: "incident.updated", subject: "incident:\(incident.id)",
                                   detail: IncidentDiff.changes(from: old, to: incident))
            // The old links go first: they are found through the child keys the update replaces.
            linkedChildren.bind(1, existing.key)
            try linkedChildren.rows { corrected.insert($0.int64(0)) }
            deleteLinks.setUncheckedArguments([existing.key])
            try deleteLinks.execute()
            updateIncident.setUncheckedArguments([
                incident.reportedAt.timeIntervalSince1970, incident.riskTool.rawValue, incident.officerGrade.rawValue,
                incident.dashYesCount, incident.supervisorGrade?.rawValue, incident.effectiveGrade.rawValue,
                incident.flagsText, incident.victimId, incident.perpetratorId, Data(fingerprint.bytes),
                incident.usedBodyWornVideo.map { $0 ? 1 : 0 }, nowSeconds,
                childKeys(links, chunk), existing.key,
            ])
            try updateIncident.execute()
            try SQLiteAlertQueue.withdraw(db, incidentKey: existing.key, now: now)
            incidentKey = existing.key
            summary.updated += 1
        } else {
            incidentKey = nextIncidentKey
            nextIncidentKey += 1
            incidentRows.add(incidentKey, valuesRow: n, text: childKeys(links, chunk))
            summary.added += 1
        }
        for j in links {
            let key = childKey(Int(chunk.children.numbers[j]))
            linkRows.add(key, incidentKey, valuesRow: j)
            // Alerts go in the same transaction: an incident is never stored without them.
            if let alerts, try alerts.link(incidentKey: incidentKey, childKey: key, incidentId: incident.id,
                                           childId: incident.children[j - links.lowerBound].childId,
                                           reportedAt: incident.reportedAt, urn: incident.children[j - links.lowerBound].schoolURN,
                                           newIncident: existing == nil) {
                summary.alertsQueued += 1
            }
        }
    }

    /// The incident's `child_keys`: a JSON array of its children's keys.
    private func childKeys(_ links: Range<Int>, _ chunk: SQLiteFeedEncoder.Chunk) -> String {
        var text = "["
        for j in links {
            if j > links.lowerBound { text += "," }
            text += String(childKey(Int(chunk.children.numbers[j])))
        }
        return text + "]"
    }

    /// Gives the children their newest details where their rows need them, then writes the
    /// batch's audit row.
    func finish() throws -> IngestSummary {
        if newestTableMade {
            // A stored child's row takes the batch's newest details only when a new or changed
            // incident names them. (A child new to the store always has one: an unchanged incident's
            // children are stored, and a child's row goes only with their last link.)
            let untouched = try SQLiteRawStatement(db, "DELETE FROM \(BatchNewest.table) WHERE child_key = ?")
            for n in 0..<childCount where childFlags[n].contains(.pending) && !childFlags[n].contains(.touched) {
                untouched.bind(1, childKey(n))
                try untouched.run()
            }
            // A child's row carries their newest details, so re-ingesting an old file does not move
            // a child back to a school they have left: details at least as new as what is stored,
            // and different from it, in one statement for every child.
            try db.execute(sql: """
                UPDATE OR FAIL children SET given_name = n.given_name, family_name = n.family_name, dob = n.dob,
                    school_urn = n.school_urn, latest_reported_at = n.latest_reported_at
                FROM \(BatchNewest.table) n
                WHERE children.child_key = n.child_key AND children.latest_reported_at <= n.latest_reported_at
                    AND NOT (children.given_name IS n.given_name AND children.family_name IS n.family_name
                        AND children.dob IS n.dob AND children.school_urn IS n.school_urn
                        AND children.latest_reported_at IS n.latest_reported_at)
                """)
            try BatchNewest.drop(db)
        }
        if !corrected.isEmpty {
            try db.execute(sql: ChildNewest.recompute(keys: "SELECT value FROM json_each(?)", same: "IS"),
                           arguments: ["[" + corrected.map(String.init).joined(separator: ",") + "]"])
        }
        try setAside?.restore(db)
        summary.children = childCount
        if let tooOld = alerts?.tooOld {
            summary.tooOld(tooOld)
            try SQLiteStore.tooOldNotice(tooOld, db, now: now)
        }
        // A batch that changed nothing leaves nothing behind, not even an audit row.
        // A corrected incident may move an alert a run is sending (`AlertLifecycle.follow`): the
        // run gives back what it has not sent of its batch and claims it again (audit 29, F1).
        if summary.updated > 0 { try SQLiteSchema.noteRoutingChange(db) }
        if summary.added + summary.updated > 0 {
            try SQLiteSchema.noteChange(db)
            try SQLiteAudit.append(db, at: now, actor: actor, action: "ingest", subject: "batch",
                                   detail: ["added": summary.added, "updated": summary.updated, "unchanged": summary.unchanged])
        }
        return summary
    }
}

/// The children's newest details a batch holds for its end, in a TEMP table: on disk past a small
/// cache rather than in memory, however many children a batch of millions gives newer details after
/// their row was written. Made inside the ingest's transaction, so a rollback takes it away too.
enum BatchNewest {
    static let table = "temp.ingest_newest_children"

    static func make(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE \(table) (child_key INTEGER PRIMARY KEY, child_id TEXT, given_name TEXT, family_name TEXT, dob TEXT,
                school_urn TEXT, latest_reported_at REAL)
            """)
    }

    static func drop(_ db: Database) throws {
        try db.execute(sql: "DROP TABLE \(table)")
    }
}

/// Reads one stored incident back as the model value (for the audit's old values).
struct SQLiteIncidentReader {
    let db: Database

    func incident(key: Int64) throws -> Incident? {
        // Cached: a correcting feed reads one incident an update, and compiling a statement runs
        // GRDB's authorizer over every column it reads (most of a correction's time, audit 27 F2).
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT incident_id, reported_at, risk_tool, officer_grade, dash_yes_count, supervisor_grade, victim_id, perpetrator_id, bwv_used
            FROM incidents WHERE incident_key = ?
            """), arguments: [key]) else { return nil }
        let children = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT c.child_id, coalesce(l.given_name, c.given_name), coalesce(l.family_name, c.family_name), coalesce(l.dob, c.dob),
                l.school_urn, l.present, l.spoken_to, l.child_voice, l.bwv_used
            FROM incident_children l JOIN children c ON c.child_key = l.child_key WHERE \(SQLiteSchema.linksOfIncident("l"))
            """), arguments: [key]).map { r in
            ChildLink(childId: r[0], givenName: r[1], familyName: r[2], dateOfBirth: LocalDate(iso: r[3] as String) ?? LocalDate(year: 1970, month: 1, day: 1)!,
                      schoolURN: r[4], present: (r[5] as Int?).map { $0 != 0 }, spokenTo: (r[6] as Int?).map { $0 != 0 },
                      voice: r[7], bodyWornVideo: (r[8] as Int?).map { $0 != 0 })
        }
        return Incident(id: row[0], reportedAt: Date(timeIntervalSince1970: row[1]), riskTool: RiskTool(rawValue: row[2]) ?? .dash,
                        officerGrade: Grade(rawValue: row[3]) ?? .standard, dashYesCount: row[4],
                        supervisorGrade: (row[5] as Int?).flatMap(Grade.init(rawValue:)),
                        victimId: row[6], perpetratorId: row[7], children: children,
                        // An incident with children keeps theirs on its links (`Incident.bodyWornVideo`).
                        bodyWornVideo: children.isEmpty ? (row[8] as Int?).map { $0 != 0 } : nil)
    }
}
