import Foundation
import GRDB
import RiskModel
import StoreContract

extension SQLiteStore: ChildRecordStore {
    public func childRecord(_ childId: String) async throws -> ChildRecord? {
        try await pool.read { db in
            guard let child = try Row.fetchOne(db, sql: """
                SELECT c.child_key, c.given_name, c.family_name, c.dob, c.school_urn, s.name
                FROM children c LEFT JOIN schools s ON s.urn = c.school_urn WHERE c.child_id = ?
                """, arguments: [childId]) else { return nil }
            let key: Int64 = child[0]
            let incidents = try Row.fetchAll(db, sql: """
                SELECT i.incident_id, i.reported_at, i.risk_tool, i.officer_grade, i.dash_yes_count, i.supervisor_grade,
                       i.effective_grade, i.flags, l.school_urn, l.present, l.spoken_to, l.child_voice, l.bwv_used, i.perpetrator_id
                FROM incident_children l JOIN incidents i ON i.incident_key = l.incident_key
                WHERE l.child_key = ? ORDER BY i.reported_at, i.incident_id
                """, arguments: [key]).map { r in
                ChildIncident(
                    incidentId: r[0], reportedAt: Date(timeIntervalSince1970: r[1]), riskTool: RiskTool(rawValue: r[2]) ?? .dash,
                    officerGrade: Grade(rawValue: r[3]) ?? .standard, dashYesCount: r[4],
                    supervisorGrade: (r[5] as Int?).flatMap(Grade.init(rawValue:)),
                    effectiveGrade: Grade(rawValue: r[6]) ?? .standard,
                    flags: (r[7] as String).split(separator: ",").map(String.init), schoolURN: r[8],
                    present: Self.flag(r[9]), spokenTo: Self.flag(r[10]), voice: r[11], bodyWornVideo: Self.flag(r[12]),
                    perpetratorId: r[13])
            }
            let decisions = try Row.fetchAll(db, sql: """
                SELECT \(SQLiteDecisions.columns), s.strategy_discussion
                FROM all_decisions d LEFT JOIN decision_strategy s ON d.kind = 'marac' AND s.decision_key = d.decision_key
                WHERE d.child_id = ? ORDER BY \(SQLiteDecisions.order)
                """, arguments: [childId]).compactMap { r -> DecisionEntry? in
                guard let decision = SQLiteDecisions.decision(r) else { return nil }
                return DecisionEntry(decision: decision, strategyDiscussion: Self.flag(r[7]))
            }
            let episodes = try Row.fetchAll(db, sql: """
                SELECT episode_id, missing_at, returned_at, risk, return_interview_at, school_urn FROM episodes
                WHERE child_id = ? ORDER BY missing_at, episode_id
                """, arguments: [childId]).map { r in
                ChildEpisode(episodeId: r[0], missingAt: Date(timeIntervalSince1970: r[1]),
                             returnedAt: (r[2] as Double?).map(Date.init(timeIntervalSince1970:)),
                             risk: (r[3] as String?).flatMap(EpisodeRisk.init(rawValue:)),
                             returnInterviewAt: (r[4] as Double?).map(Date.init(timeIntervalSince1970:)), schoolURN: r[5])
            }
            var regrades: [Regrade] = []
            for incident in incidents { regrades += try Self.regrades(db, incidentId: incident.incidentId) }
            regrades.sort { $0.at < $1.at }
            return ChildRecord(childId: childId, name: ChildName(given: child[1], family: child[2]), dateOfBirth: child[3],
                               schoolURN: child[4], schoolName: child[5], incidents: incidents, decisions: decisions,
                               regrades: regrades, alerts: try Self.alerts(db, childId: childId), episodes: episodes)
        }
    }

    public func childNames(_ childIds: [String]) async throws -> [String: ChildName] {
        try await pool.read { db in
            let statement = try db.makeStatement(sql: "SELECT given_name, family_name FROM children WHERE child_id = ?")
            var out: [String: ChildName] = [:]
            for id in childIds {
                if let r = try Row.fetchOne(statement, arguments: [id]) { out[id] = ChildName(given: r[0], family: r[1]) }
            }
            return out
        }
    }

    public func latestDecisions() async throws -> [String: Decision] {
        try await pool.read { db in
            var out: [String: Decision] = [:]
            // Read in entry order; the rule (dated latest, entry order breaking a tie) is Decision's.
            for r in try Row.fetchAll(db, sql: """
                SELECT \(SQLiteDecisions.columns) FROM all_decisions d ORDER BY \(SQLiteDecisions.order)
                """) {
                if let d = SQLiteDecisions.decision(r), out[d.childId].map({ d.supersedes(earlierEntry: $0) }) ?? true { out[d.childId] = d }
            }
            return out
        }
    }


    public func record(_ decisions: [Decision], strategyDiscussion: Bool, actor: String, seen: Int?) async throws {
        try await pool.write { db in
            // One press, one record: the one writer reads the child's decisions as they are before appending.
            if seen != nil, let childId = decisions.first?.childId {
                let current = try Row.fetchAll(db, sql: """
                    SELECT \(SQLiteDecisions.columns) FROM all_decisions d WHERE d.child_id = ? ORDER BY \(SQLiteDecisions.order)
                    """, arguments: [childId]).compactMap(SQLiteDecisions.decision)
                try OnePress.check(seen: seen, decisions: current, adding: decisions)
            }
            try Self.append(db, decisions, strategyDiscussion: strategyDiscussion, actor: actor)
        }
    }

    /// The decisions, each with its audit row, inside the caller's transaction.
    static func append(_ db: Database, _ decisions: [Decision], strategyDiscussion: Bool, actor: String) throws {
        for decision in decisions {
            if let key = try SQLiteDecisions.insert(db, decision) {
                try db.execute(sql: "INSERT INTO decision_strategy (decision_key, strategy_discussion) VALUES (?, ?)",
                               arguments: [key, strategyDiscussion ? 1 : 0])
            }
            try SQLiteAudit.append(db, at: decision.recordedAt, actor: actor,
                                   action: decision.auditAction, subject: "child:\(decision.childId)",
                                   detail: ["on": decision.on.description, "by": decision.by,
                                            "strategy_discussion": strategyDiscussion])
        }
        try SQLiteSchema.noteChange(db)
    }

    public func regrade(incidentId: String, to grade: Grade, reason: String, by: String, at: Date, seen: Int?) async throws -> Regrade {
        try await pool.write { db in
            guard let key = try Int64.fetchOne(db, sql: "SELECT incident_key FROM incidents WHERE incident_id = ?", arguments: [incidentId]),
                  let old = try SQLiteIncidentReader(db: db).incident(key: key) else {
                throw ChildRecordError.unknownIncident(incidentId)
            }
            let made = Regrade(incidentId: incidentId, oldGrade: old.supervisorGrade, newGrade: grade, reason: reason, by: by, at: at)
            // One press, one regrade: the one writer reads the incident's regrades as they are before appending.
            try Regrade.check(seen: seen, current: try Self.regrades(db, incidentId: incidentId), supervisorGrade: old.supervisorGrade,
                              adding: made)
            var new = old
            new.supervisorGrade = grade
            // The fingerprint stays that of the last ingested source: re-ingesting the same file leaves
            // this regrade alone, while a changed record from the force replaces it.
            try db.execute(sql: "UPDATE incidents SET supervisor_grade = ?, effective_grade = ?, updated_at = ? WHERE incident_key = ?",
                           arguments: [grade.rawValue, new.effectiveGrade.rawValue, at.timeIntervalSince1970, key])
            try db.execute(sql: "UPDATE incident_children SET effective_grade = ?2 WHERE \(SQLiteSchema.linksOfIncident())",
                           arguments: [key, new.effectiveGrade.rawValue])
            try db.execute(sql: """
                INSERT INTO regrades (incident_id, old_grade, new_grade, reason, regraded_by, at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [incidentId, old.supervisorGrade?.rawValue, grade.rawValue, reason, by, at.timeIntervalSince1970])
            try SQLiteSchema.noteChange(db)
            // The reason stays in `regrades`, beside the incident: like a decision's, it may name
            // people, and the audit is read by more people than the child's record.
            try SQLiteAudit.append(db, at: at, actor: "user:\(by)", action: "incident.regraded", subject: "incident:\(incidentId)",
                                   detail: IncidentDiff.changes(from: old, to: new))
            return made
        }
    }

    /// An incident's regrades, as recorded.
    private static func regrades(_ db: Database, incidentId: String) throws -> [Regrade] {
        try Row.fetchAll(db, sql: """
            SELECT incident_id, old_grade, new_grade, reason, regraded_by, at FROM regrades WHERE incident_id = ? ORDER BY regrade_key
            """, arguments: [incidentId]).map { r in
            Regrade(incidentId: r[0], oldGrade: (r[1] as Int?).flatMap(Grade.init(rawValue:)),
                    newGrade: Grade(rawValue: r[2]) ?? .standard, reason: r[3], by: r[4], at: Date(timeIntervalSince1970: r[5]))
        }
    }

    private static func flag(_ value: Int?) -> Bool? { value.map { $0 != 0 } }


    /// The child's alerts if the alerts table exists, read by column name so this page does not depend
    /// on that table's exact shape; nil when there is no such table.
    private static func alerts(_ db: Database, childId: String) throws -> [AlertSummary]? {
        guard try db.tableExists("alerts") else { return nil }
        let columns = Set(try db.columns(in: "alerts").map(\.name))
        guard columns.contains("child_id") else { return nil }
        return try Row.fetchAll(db, sql: "SELECT * FROM alerts WHERE child_id = ?", arguments: [childId]).map { r in
            func value(_ name: String) -> DatabaseValue.Storage? {
                columns.contains(name) ? (r[name] as DatabaseValue).storage : nil
            }
            func text(_ name: String) -> String? {
                switch value(name) {
                case .string(let s): s
                case .int64(let i): String(i)
                default: nil
                }
            }
            func instant(_ name: String) -> Date? {
                switch value(name) {
                case .double(let d): Date(timeIntervalSince1970: d)
                case .int64(let i): Date(timeIntervalSince1970: Double(i))
                case .string(let s): try? Date(s, strategy: .iso8601)
                default: nil
                }
            }
            return AlertSummary(reference: text("reference"), incidentId: text("incident_id"), schoolURN: text("school_urn"),
                                channel: text("channel"), state: text("state"), deadline: instant("deadline"),
                                attempts: text("attempts").flatMap { Int($0) }, deliveredAt: instant("delivered_at"),
                                acknowledgedAt: instant("acknowledged_at"), linksEnd: instant("ack_expires_at"))
        }
    }
}
