import Foundation
import GRDB
import RiskModel
import StoreContract

/// One ingest batch inside one write transaction (the caller's), so a failure leaves nothing written.
/// Chunks of incidents are written as the feed hands them over, so a batch can be written while its
/// file is still being read; `finish()` writes what only the whole batch decides (the children's
/// rows, with their newest details).
///
/// The caller turns foreign key checks off for the transaction: rows go in many at a time, and a
/// child's row only at the end. Every key written is one this writer read from its table or handed
/// out itself, so the references hold by construction.
final class SQLiteIngest {
    private let db: Database
    private let actor: String
    private let now: Date
    @exclusivity(unchecked) private var summary = IngestSummary()

    /// What the writer knows of each child of the batch, by their number in the feed.
    private struct BatchChild {
        var key: Int64
        var existed: Bool
        /// A new or changed incident of the batch names the child, so their row may need writing.
        var touched = false
        var storedNewest = -Double.infinity
    }
    @exclusivity(unchecked) private var children: [BatchChild] = []

    private let findIncident: SQLiteRawStatement
    private let findChild: SQLiteRawStatement
    private let updateIncident: Statement
    private let deleteLinks: Statement
    private let incidentRows: SQLiteBulkInsert
    private let childRows: SQLiteBulkInsert
    private let linkRows: SQLiteBulkInsert
    private let alerts: SQLiteAlertQueue?
    private var nextIncidentKey: Int64
    private var nextChildKey: Int64
    private let nowSeconds: Double
    private let noIncidentsBefore: Bool
    private let noChildrenBefore: Bool
    /// Set aside for a first load, made again by `finish`.
    private let serialCandidates: SQLiteSerialCandidates?

    init(db: Database, actor: String, now: Date, planner: AlertPlanner?) throws {
        self.db = db
        self.actor = actor
        self.now = now
        nowSeconds = now.timeIntervalSince1970
        findIncident = try SQLiteRawStatement(db, "SELECT incident_key, fingerprint FROM incidents WHERE incident_id = ?")
        findChild = try SQLiteRawStatement(db, "SELECT child_key, latest_reported_at FROM children WHERE child_id = ?")
        updateIncident = try db.makeStatement(sql: """
            UPDATE incidents SET reported_at = ?, risk_tool = ?, officer_grade = ?, dash_yes_count = ?, supervisor_grade = ?,
                effective_grade = ?, flags = ?, victim_id = ?, perpetrator_id = ?, fingerprint = ?, updated_at = ?,
                child_keys = ?
            WHERE incident_key = ?
            """)
        deleteLinks = try db.makeStatement(sql: "DELETE FROM incident_children WHERE \(SQLiteSchema.linksOfIncident())")
        // Column order: the keys, then the feed's encoded values, then (incidents) the timestamps and
        // the child keys.
        incidentRows = SQLiteBulkInsert(db, """
            INSERT INTO incidents (incident_key, incident_id, reported_at, risk_tool, officer_grade, dash_yes_count,
                supervisor_grade, effective_grade, flags, victim_id, perpetrator_id, fingerprint, first_ingested_at, updated_at,
                child_keys)
            """, keys: 1, values: SQLiteFeedEncoder.incidentValues, trailing: [nowSeconds, nowSeconds], writerText: true)
        childRows = SQLiteBulkInsert(db, """
            INSERT INTO children (child_key, child_id, given_name, family_name, dob, school_urn, latest_reported_at)
            """, keys: 1, values: SQLiteFeedEncoder.childValues)
        linkRows = SQLiteBulkInsert(db, """
            INSERT INTO incident_children (child_key, incident_key, incident_id, reported_at, effective_grade, school_urn,
                present, spoken_to, child_voice, bwv_used)
            """, keys: 2, values: SQLiteFeedEncoder.linkValues)
        // Keys are handed out here rather than by SQLite, since rows go in many at a time. This
        // transaction is the only writer, so nothing else can take them meanwhile.
        nextIncidentKey = try (Int64.fetchOne(db, sql: "SELECT max(incident_key) FROM incidents") ?? 0) + 1
        nextChildKey = try (Int64.fetchOne(db, sql: "SELECT max(child_key) FROM children") ?? 0) + 1
        // Into an empty store (a first load), every incident and child is new: no need to look.
        noIncidentsBefore = try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM incidents)")!
        noChildrenBefore = try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM children)")!
        serialCandidates = noIncidentsBefore ? try SQLiteSerialCandidates.setAside(db) : nil
        alerts = try planner.map { try SQLiteAlertQueue(db: db, planner: $0, now: now) }
    }

    /// Writes a whole batch.
    func run(_ incidents: [Incident]) throws -> IngestSummary {
        let encoder = SQLiteFeedEncoder()
        try write(encoder.chunk(incidents))
        return try finish(encoder.wholeBatch())
    }

    /// Adds, updates or leaves each incident of a chunk. Each incident id comes once a batch.
    func write(_ chunk: SQLiteFeedEncoder.Chunk) throws {
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
        for j in links {
            let number = chunk.childNumbers[j]
            if number == children.count { try addChild(incident.children[j - links.lowerBound].childId) }
            if changed { children[number].touched = true }
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
            deleteLinks.setUncheckedArguments([existing.key])
            try deleteLinks.execute()
            updateIncident.setUncheckedArguments([
                incident.reportedAt.timeIntervalSince1970, incident.riskTool.rawValue, incident.officerGrade.rawValue,
                incident.dashYesCount, incident.supervisorGrade?.rawValue, incident.effectiveGrade.rawValue,
                incident.flagsText, incident.victimId, incident.perpetratorId, Data(fingerprint.bytes), nowSeconds,
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
            let childKey = children[chunk.childNumbers[j]].key
            linkRows.add(childKey, incidentKey, valuesRow: j)
            // Alerts go in the same transaction: an incident is never stored without them.
            if let alerts, try alerts.link(incidentKey: incidentKey, childKey: childKey, incidentId: incident.id,
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
            text += String(children[chunk.childNumbers[j]].key)
        }
        return text + "]"
    }

    /// The next child of the batch, found in the table or given a new key.
    private func addChild(_ id: String) throws {
        if !noChildrenBefore, let (key, newest) = try findChild.row(binding: id, { ($0.int64(0), $0.double(1)) }) {
            children.append(BatchChild(key: key, existed: true, storedNewest: newest))
        } else {
            children.append(BatchChild(key: nextChildKey, existed: false))
            nextChildKey += 1
        }
    }

    /// Writes the rows still gathered and each child's row, then the batch's audit row.
    func finish(_ batch: SQLiteFeedEncoder.Children) throws -> IngestSummary {
        let update = try SQLiteRawStatement(db, """
            UPDATE children SET given_name = ?1, family_name = ?2, dob = ?3, school_urn = ?4, latest_reported_at = ?5
            WHERE child_key = ?6 AND latest_reported_at <= ?5 AND NOT (given_name IS ?1 AND family_name IS ?2
                AND dob IS ?3 AND school_urn IS ?4 AND latest_reported_at IS ?5)
            """)
        // A child's row carries their newest details, so re-ingesting an old file does not move a
        // child back to a school they have left. New children go in key order, so their rows append.
        for (n, child) in children.enumerated() where child.touched {
            let c = batch.details[n]
            let newest = batch.newest[n]
            if !child.existed {
                childRows.add(child.key, valuesRow: n)
            } else if newest >= child.storedNewest {
                // A stored child takes the batch's newest details when those are at least as new
                // as what is stored and differ from it.
                update.bind(1, c.givenName); update.bind(2, c.familyName); update.bind(3, c.dateOfBirth.description)
                update.bind(4, c.schoolURN); update.bind(5, newest); update.bind(6, child.key)
                try update.run()
            }
        }
        try childRows.flush(batch.rows)
        try serialCandidates?.restore(db)
        summary.children = children.count
        // A batch that changed nothing leaves nothing behind, not even an audit row.
        if summary.added + summary.updated > 0 {
            try SQLiteSchema.noteChange(db)
            try SQLiteAudit.append(db, at: now, actor: actor, action: "ingest", subject: "batch",
                                   detail: ["added": summary.added, "updated": summary.updated, "unchanged": summary.unchanged])
        }
        return summary
    }
}

/// Reads one stored incident back as the model value (for the audit's old values).
struct SQLiteIncidentReader {
    let db: Database

    func incident(key: Int64) throws -> Incident? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT incident_id, reported_at, risk_tool, officer_grade, dash_yes_count, supervisor_grade, victim_id, perpetrator_id
            FROM incidents WHERE incident_key = ?
            """, arguments: [key]) else { return nil }
        let children = try Row.fetchAll(db, sql: """
            SELECT c.child_id, c.given_name, c.family_name, c.dob, l.school_urn, l.present, l.spoken_to, l.child_voice, l.bwv_used
            FROM incident_children l JOIN children c ON c.child_key = l.child_key WHERE \(SQLiteSchema.linksOfIncident("l"))
            """, arguments: [key]).map { r in
            ChildLink(childId: r[0], givenName: r[1], familyName: r[2], dateOfBirth: LocalDate(iso: r[3] as String) ?? LocalDate(year: 1970, month: 1, day: 1)!,
                      schoolURN: r[4], present: (r[5] as Int?).map { $0 != 0 }, spokenTo: (r[6] as Int?).map { $0 != 0 },
                      voice: r[7], bodyWornVideo: (r[8] as Int?).map { $0 != 0 })
        }
        return Incident(id: row[0], reportedAt: Date(timeIntervalSince1970: row[1]), riskTool: RiskTool(rawValue: row[2]) ?? .dash,
                        officerGrade: Grade(rawValue: row[3]) ?? .standard, dashYesCount: row[4],
                        supervisorGrade: (row[5] as Int?).flatMap(Grade.init(rawValue:)),
                        victimId: row[6], perpetratorId: row[7], children: children)
    }
}
