import Foundation
import GRDB
import RiskModel

/// One ingest batch inside one write transaction (the caller's), so a failure leaves nothing written.
/// Incidents are written as they are handed over, so a batch can be written while its file is still
/// being read; `finish()` writes what only the whole batch decides (the children's rows).
///
/// The caller turns foreign key checks off for the transaction: rows go in many at a time, and a
/// child's row only at the end, once their newest details are known. Every key written is one this
/// writer read from its table or handed out itself, so the references hold by construction.
final class SQLiteIngest {
    private let db: Database
    private let actor: String
    private let now: Date
    @exclusivity(unchecked) private var summary = IngestSummary()

    /// One child of the batch: their key once known, and their newest appearance in the batch.
    private struct BatchChild {
        let id: String
        var key: Int64 = 0
        var existed = false
        /// A new or changed incident of the batch names the child, so their row may need writing.
        var touched = false
        var storedNewest = -Double.infinity
        var newest = -Double.infinity
        var details: ChildLink?
    }
    /// The batch's children, in the order first seen, and where each id is in that list.
    @exclusivity(unchecked) private var children: [BatchChild] = []
    @exclusivity(unchecked) private var childIndex: [String: Int] = [:]
    @exclusivity(unchecked) private var linkChildren: [Int] = []

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

    init(db: Database, actor: String, now: Date, planner: AlertPlanner?) throws {
        self.db = db
        self.actor = actor
        self.now = now
        nowSeconds = now.timeIntervalSince1970
        findIncident = try SQLiteRawStatement(db, "SELECT incident_key, fingerprint FROM incidents WHERE incident_id = ?")
        findChild = try SQLiteRawStatement(db, "SELECT child_key, latest_reported_at FROM children WHERE child_id = ?")
        updateIncident = try db.makeStatement(sql: """
            UPDATE incidents SET reported_at = ?, risk_tool = ?, officer_grade = ?, dash_yes_count = ?, supervisor_grade = ?,
                effective_grade = ?, flags = ?, victim_id = ?, perpetrator_id = ?, fingerprint = ?, updated_at = ?
            WHERE incident_key = ?
            """)
        deleteLinks = try db.makeStatement(sql: "DELETE FROM incident_children WHERE incident_key = ?")
        incidentRows = SQLiteBulkInsert(db, """
            INSERT INTO incidents (incident_key, incident_id, reported_at, risk_tool, officer_grade, dash_yes_count,
                supervisor_grade, effective_grade, flags, victim_id, perpetrator_id, fingerprint, first_ingested_at, updated_at)
            """, columns: 14)
        childRows = SQLiteBulkInsert(db, """
            INSERT INTO children (child_key, child_id, given_name, family_name, dob, school_urn, latest_reported_at)
            """, columns: 7)
        linkRows = SQLiteBulkInsert(db, """
            INSERT INTO incident_children (child_key, incident_key, incident_id, reported_at, effective_grade, school_urn,
                present, spoken_to, child_voice, bwv_used)
            """, columns: 10)
        // Keys are handed out here rather than by SQLite, since rows go in many at a time. This
        // transaction is the only writer, so nothing else can take them meanwhile.
        nextIncidentKey = try (Int64.fetchOne(db, sql: "SELECT max(incident_key) FROM incidents") ?? 0) + 1
        nextChildKey = try (Int64.fetchOne(db, sql: "SELECT max(child_key) FROM children") ?? 0) + 1
        // Into an empty store (a first load), every incident and child is new: no need to look.
        noIncidentsBefore = try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM incidents)")!
        noChildrenBefore = try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM children)")!
        alerts = try planner.map { try SQLiteAlertQueue(db: db, planner: $0, now: now) }
    }

    /// Writes a whole batch.
    func run(_ incidents: [Incident]) throws -> IngestSummary {
        for incident in incidents { try write(incident, fingerprint: Fingerprint.of(incident)) }
        return try finish()
    }

    /// Adds, updates or leaves one incident. Each incident id comes once a batch.
    func write(_ incident: Incident, fingerprint: String) throws {
        var existing: (key: Int64, fingerprint: String)?
        if !noIncidentsBefore {
            findIncident.bind(1, incident.id)
            existing = try findIncident.row { (key: $0.int64(0), fingerprint: $0.text(1)) }
        }
        let reported = incident.reportedAt.timeIntervalSince1970
        let changed = existing.map { $0.fingerprint != fingerprint } ?? true
        linkChildren.removeAll(keepingCapacity: true)
        for c in incident.children {
            let i = try batchChild(c.childId)
            linkChildren.append(i)
            // A child's row carries their newest details, so re-ingesting an old file does not
            // move a child back to a school they have left. Ties go to the later incident.
            if reported >= children[i].newest {
                children[i].newest = reported
                children[i].details = c
            }
            if changed { children[i].touched = true }
        }
        guard changed else {
            summary.unchanged += 1
            return
        }
        let grade = incident.effectiveGrade.rawValue
        let flags = incident.flags.isEmpty ? "" : incident.flags.map(\.rawValue).joined(separator: ",")
        let incidentKey: Int64
        if let existing {
            let old = try SQLiteIncidentReader(db: db).incident(key: existing.key)
            try SQLiteAudit.append(db, at: now, actor: actor, action: "incident.updated", subject: "incident:\(incident.id)",
                                   detail: IncidentDiff.changes(from: old, to: incident))
            updateIncident.setUncheckedArguments([
                reported, incident.riskTool.rawValue, incident.officerGrade.rawValue, incident.dashYesCount,
                incident.supervisorGrade?.rawValue, grade, flags, incident.victimId, incident.perpetratorId,
                fingerprint, nowSeconds, existing.key,
            ])
            try updateIncident.execute()
            // The incident's links, gathered or written, all go before its new ones.
            try linkRows.flush()
            deleteLinks.setUncheckedArguments([existing.key])
            try deleteLinks.execute()
            incidentKey = existing.key
            summary.updated += 1
        } else {
            incidentKey = nextIncidentKey
            nextIncidentKey += 1
            let r = incidentRows
            r.add(incidentKey); r.add(incident.id); r.add(reported); r.add(incident.riskTool.rawValue)
            r.add(incident.officerGrade.rawValue); r.add(incident.dashYesCount); r.add(incident.supervisorGrade?.rawValue)
            r.add(grade); r.add(flags); r.add(incident.victimId); r.add(incident.perpetratorId); r.add(fingerprint)
            r.add(nowSeconds); r.add(nowSeconds)
            try r.endRow()
            summary.added += 1
        }
        for (c, i) in zip(incident.children, linkChildren) {
            let childKey = children[i].key
            let r = linkRows
            r.add(childKey); r.add(incidentKey); r.add(incident.id); r.add(reported); r.add(grade); r.add(c.schoolURN)
            r.add(c.present); r.add(c.spokenTo); r.add(c.voice); r.add(c.bodyWornVideo)
            try r.endRow()
            // Alerts go in the same transaction: an incident is never stored without them.
            if let alerts, try alerts.link(incidentKey: incidentKey, childKey: childKey, incidentId: incident.id,
                                           childId: c.childId, reportedAt: incident.reportedAt, urn: c.schoolURN,
                                           newIncident: existing == nil) {
                summary.alertsQueued += 1
            }
        }
    }

    /// Writes the rows still gathered and each child's row, then the batch's audit row.
    func finish() throws -> IngestSummary {
        try incidentRows.flush()
        try linkRows.flush()
        let update = try SQLiteRawStatement(db, """
            UPDATE children SET given_name = ?1, family_name = ?2, dob = ?3, school_urn = ?4, latest_reported_at = ?5
            WHERE child_key = ?6 AND latest_reported_at <= ?5 AND NOT (given_name IS ?1 AND family_name IS ?2
                AND dob IS ?3 AND school_urn IS ?4 AND latest_reported_at IS ?5)
            """)
        // New children in key order (the order first seen), so their rows append.
        for child in children where child.touched {
            guard let c = child.details else { continue }
            if !child.existed {
                let r = childRows
                r.add(child.key); r.add(child.id); r.add(c.givenName); r.add(c.familyName)
                r.add(c.dateOfBirth.description); r.add(c.schoolURN); r.add(child.newest)
                try r.endRow()
            } else if child.newest >= child.storedNewest {
                // A stored child takes the batch's newest details when those are at least as new
                // as what is stored and differ from it.
                update.bind(1, c.givenName); update.bind(2, c.familyName); update.bind(3, c.dateOfBirth.description)
                update.bind(4, c.schoolURN); update.bind(5, child.newest); update.bind(6, child.key)
                try update.run()
            }
        }
        try childRows.flush()
        summary.children = children.count
        // A batch that changed nothing leaves nothing behind, not even an audit row.
        if summary.added + summary.updated > 0 {
            try SQLiteAudit.append(db, at: now, actor: actor, action: "ingest", subject: "batch",
                                   detail: ["added": summary.added, "updated": summary.updated, "unchanged": summary.unchanged])
        }
        return summary
    }

    /// Where the batch's entry for a child is, found in the table or given a new key at first sight.
    private func batchChild(_ id: String) throws -> Int {
        if let i = childIndex[id] { return i }
        var child = BatchChild(id: id)
        if !noChildrenBefore, let (key, newest) = try findChild.row(binding: id, { ($0.int64(0), $0.double(1)) }) {
            child.key = key
            child.existed = true
            child.storedNewest = newest
        } else {
            child.key = nextChildKey
            nextChildKey += 1
        }
        children.append(child)
        childIndex[id] = children.count - 1
        return children.count - 1
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
            FROM incident_children l JOIN children c ON c.child_key = l.child_key WHERE l.incident_key = ?
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
