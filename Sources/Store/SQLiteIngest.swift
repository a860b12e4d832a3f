import Foundation
import GRDB
import RiskModel

/// One ingest batch inside one write transaction (the caller's), so a failure leaves nothing written.
struct SQLiteIngest {
    let db: Database
    let actor: String
    let now: Date
    let planner: AlertPlanner?

    /// Past this size the existing ids are read in one scan rather than looked up one by one.
    private static let bulkThreshold = 2_000

    func run(_ incidents: [Incident]) throws -> IngestSummary {
        var summary = IngestSummary()
        let bulk = incidents.count > Self.bulkThreshold
        // A batch holds each incident id once (the builder merges rows), so this map is only read.
        let known = bulk ? try allIncidents() : [:]
        var childKeys = bulk ? try allChildren() : [:]
        let findIncident = try db.makeStatement(sql: "SELECT incident_key, fingerprint FROM incidents WHERE incident_id = ?")
        let findChild = try db.makeStatement(sql: "SELECT child_key FROM children WHERE child_id = ?")
        let insertIncident = try SQLiteRawStatement(db, """
            INSERT INTO incidents (incident_id, reported_at, risk_tool, officer_grade, dash_yes_count, supervisor_grade,
                effective_grade, flags, victim_id, perpetrator_id, fingerprint, first_ingested_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let updateIncident = try db.makeStatement(sql: """
            UPDATE incidents SET reported_at = ?, risk_tool = ?, officer_grade = ?, dash_yes_count = ?, supervisor_grade = ?,
                effective_grade = ?, flags = ?, victim_id = ?, perpetrator_id = ?, fingerprint = ?, updated_at = ?
            WHERE incident_key = ?
            """)
        let deleteLinks = try db.makeStatement(sql: "DELETE FROM incident_children WHERE incident_key = ?")
        let insertLink = try SQLiteRawStatement(db, """
            INSERT INTO incident_children (child_key, incident_key, incident_id, reported_at, effective_grade, school_urn,
                present, spoken_to, child_voice, bwv_used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let insertChild = try SQLiteRawStatement(db, """
            INSERT INTO children (child_id, given_name, family_name, dob, school_urn, latest_reported_at) VALUES (?, ?, ?, ?, ?, ?)
            """)
        // A child's details follow their newest incident, so re-ingesting an old file does not
        // move a child back to a school they have left.
        let updateChild = try db.makeStatement(sql: """
            UPDATE children SET given_name = ?, family_name = ?, dob = ?, school_urn = ?, latest_reported_at = ?
            WHERE child_key = ? AND latest_reported_at <= ?
            """)

        let alerts = try planner.map { try SQLiteAlertQueue(db: db, planner: $0, now: now) }
        var seenChildren = Set<String>()
        // Each child's newest details in this batch, and what was written on insert: a household's
        // tenth incident does not rewrite the same row ten times.
        var pending: [Int64: (reported: Double, details: ChildDetails, written: (Double, ChildDetails)?)] = [:]
        for incident in incidents {
            for c in incident.children { seenChildren.insert(c.childId) }
            let fingerprint = Fingerprint.of(incident)
            var existing = known[incident.id]
            if existing == nil, !bulk, let row = try Row.fetchOne(findIncident, arguments: [incident.id]) {
                existing = (row[0], row[1])
            }
            let reported = incident.reportedAt.timeIntervalSince1970
            let grade = incident.effectiveGrade.rawValue
            let flags = incident.flags.map(\.rawValue).joined(separator: ",")
            let incidentKey: Int64
            if let existing {
                if existing.fingerprint == fingerprint {
                    summary.unchanged += 1
                    continue
                }
                let old = try SQLiteIncidentReader(db: db).incident(key: existing.key)
                try SQLiteAudit.append(db, at: now, actor: actor, action: "incident.updated", subject: "incident:\(incident.id)",
                                       detail: IncidentDiff.changes(from: old, to: incident))
                updateIncident.setUncheckedArguments([
                    reported, incident.riskTool.rawValue, incident.officerGrade.rawValue, incident.dashYesCount,
                    incident.supervisorGrade?.rawValue, grade, flags, incident.victimId, incident.perpetratorId,
                    fingerprint, now.timeIntervalSince1970, existing.key,
                ])
                try updateIncident.execute()
                deleteLinks.setUncheckedArguments([existing.key])
                try deleteLinks.execute()
                incidentKey = existing.key
                summary.updated += 1
            } else {
                let s = insertIncident
                s.bind(1, incident.id); s.bind(2, reported); s.bind(3, incident.riskTool.rawValue)
                s.bind(4, incident.officerGrade.rawValue); s.bind(5, incident.dashYesCount)
                s.bind(6, incident.supervisorGrade?.rawValue); s.bind(7, grade); s.bind(8, flags)
                s.bind(9, incident.victimId); s.bind(10, incident.perpetratorId); s.bind(11, fingerprint)
                s.bind(12, now.timeIntervalSince1970); s.bind(13, now.timeIntervalSince1970)
                try s.run()
                incidentKey = db.lastInsertedRowID
                summary.added += 1
            }
            for c in incident.children {
                var childKey = childKeys[c.childId]
                if childKey == nil, !bulk {
                    childKey = try Int64.fetchOne(findChild, arguments: [c.childId])
                    if let childKey { childKeys[c.childId] = childKey }
                }
                let details = ChildDetails(c)
                if let key = childKey {
                    // Existing children are updated once, at the end, with the batch's newest details.
                    if pending[key].map({ $0.reported <= reported }) ?? true {
                        pending[key] = (reported, details, pending[key]?.written ?? nil)
                    }
                } else {
                    let s = insertChild
                    s.bind(1, c.childId); s.bind(2, c.givenName); s.bind(3, c.familyName)
                    s.bind(4, c.dateOfBirth.description); s.bind(5, c.schoolURN); s.bind(6, reported)
                    try s.run()
                    let key = db.lastInsertedRowID
                    childKey = key
                    childKeys[c.childId] = key
                    pending[key] = (reported, details, (reported, details))
                }
                let s = insertLink
                s.bind(1, childKey!); s.bind(2, incidentKey); s.bind(3, incident.id); s.bind(4, reported)
                s.bind(5, grade); s.bind(6, c.schoolURN); s.bind(7, c.present); s.bind(8, c.spokenTo)
                s.bind(9, c.voice); s.bind(10, c.bodyWornVideo)
                try s.run()
                // Alerts go in the same transaction: an incident is never stored without them.
                if let alerts, try alerts.link(incidentKey: incidentKey, childKey: childKey!, incidentId: incident.id,
                                               childId: c.childId, reportedAt: incident.reportedAt, urn: c.schoolURN,
                                               newIncident: existing == nil) {
                    summary.alertsQueued += 1
                }
            }
        }
        for (key, p) in pending {
            if let w = p.written, w.0 == p.reported, w.1 == p.details { continue }
            updateChild.setUncheckedArguments([
                p.details.givenName, p.details.familyName, p.details.dob.description, p.details.schoolURN, p.reported, key, p.reported,
            ])
            try updateChild.execute()
        }
        summary.children = seenChildren.count
        // A batch that changed nothing leaves nothing behind, not even an audit row.
        if summary.added + summary.updated > 0 {
            try SQLiteAudit.append(db, at: now, actor: actor, action: "ingest", subject: "batch",
                                   detail: ["added": summary.added, "updated": summary.updated, "unchanged": summary.unchanged])
        }
        return summary
    }

    private func allIncidents() throws -> [String: (key: Int64, fingerprint: String)] {
        var out: [String: (key: Int64, fingerprint: String)] = [:]
        let cursor = try Row.fetchCursor(db, sql: "SELECT incident_id, incident_key, fingerprint FROM incidents")
        while let row = try cursor.next() { out[row[0]] = (row[1], row[2]) }
        return out
    }

    private func allChildren() throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        let cursor = try Row.fetchCursor(db, sql: "SELECT child_id, child_key FROM children")
        while let row = try cursor.next() { out[row[0]] = row[1] }
        return out
    }
}

/// The columns of a child kept on the child's own row (their newest incident's).
struct ChildDetails: Equatable {
    let givenName: String
    let familyName: String
    let dob: LocalDate
    let schoolURN: String?

    init(_ c: ChildLink) {
        givenName = c.givenName
        familyName = c.familyName
        dob = c.dateOfBirth
        schoolURN = c.schoolURN
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
