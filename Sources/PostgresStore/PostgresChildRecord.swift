import Foundation
import Logging
import PostgresNIO
import RiskModel
import Schools
import StoreContract

extension PostgresStore: ChildRecordStore {
    public func childRecord(_ childId: String) async throws -> ChildRecord? {
        let logger = self.logger
        return try await read { conn -> ChildRecord? in
            guard let child = try await conn.row("""
                SELECT c.child_key, c.given_name, c.family_name, c.dob, c.school_urn, s.name
                FROM children c LEFT JOIN schools s ON s.urn = c.school_urn WHERE c.child_id = \(childId)
                """, logger, as: (Int64, String, String, String, String?, String?).self) else { return nil }
            typealias IncidentTuple = (String, Double, String, Int, Int?, Int?, Int, String, String?, Int?, Int?, String?, Int?, String?)
            let incidentRows: [IncidentTuple] = try await conn.rows("""
                SELECT i.incident_id, i.reported_at, i.risk_tool, i.officer_grade, i.dash_yes_count, i.supervisor_grade,
                       i.effective_grade, i.flags, l.school_urn, l.present, l.spoken_to, l.child_voice, l.bwv_used, i.perpetrator_id
                FROM incident_children l JOIN incidents i ON i.incident_key = l.incident_key
                WHERE l.child_key = \(child.0) ORDER BY i.reported_at, i.incident_id COLLATE "C"
                """, logger, as: IncidentTuple.self)
            let incidents = incidentRows.map { (r: IncidentTuple) -> ChildIncident in
                ChildIncident(
                    incidentId: r.0, reportedAt: Date(timeIntervalSince1970: r.1), riskTool: RiskTool(rawValue: r.2) ?? .dash,
                    officerGrade: Grade(rawValue: r.3) ?? .standard, dashYesCount: r.4, supervisorGrade: r.5.flatMap(Grade.init(rawValue:)),
                    effectiveGrade: Grade(rawValue: r.6) ?? .standard, flags: r.7.split(separator: ",").map(String.init), schoolURN: r.8,
                    present: r.9.map { $0 != 0 }, spokenTo: r.10.map { $0 != 0 }, voice: r.11, bodyWornVideo: r.12.map { $0 != 0 },
                    perpetratorId: r.13)
            }
            let decisions = try await conn.rows("""
                SELECT \(unescaped: PostgresDecisions.columns), s.strategy_discussion
                FROM all_decisions d LEFT JOIN decision_strategy s ON d.kind = 'marac' AND s.decision_key = d.decision_key
                WHERE d.child_id = \(childId) ORDER BY \(unescaped: PostgresDecisions.order)
                """, logger, as: (String, String, String, String, String?, String, Double, Int?).self).compactMap { r -> DecisionEntry? in
                guard let decision = PostgresDecisions.decision((r.0, r.1, r.2, r.3, r.4, r.5, r.6)) else { return nil }
                return DecisionEntry(decision: decision, strategyDiscussion: r.7.map { $0 != 0 })
            }
            let episodes = try await conn.rows("""
                SELECT episode_id, missing_at, returned_at, risk, return_interview_at, school_urn FROM episodes
                WHERE child_id = \(childId) ORDER BY missing_at, episode_id COLLATE "C"
                """, logger, as: (String, Double, Double?, String?, Double?, String?).self).map { r in
                ChildEpisode(episodeId: r.0, missingAt: Date(timeIntervalSince1970: r.1), returnedAt: r.2.map(Date.init(timeIntervalSince1970:)),
                             risk: r.3.flatMap(EpisodeRisk.init(rawValue:)), returnInterviewAt: r.4.map(Date.init(timeIntervalSince1970:)),
                             schoolURN: r.5)
            }
            var regrades = try await Self.regrades(conn, logger, incidentIds: incidents.map(\.incidentId))
            // As SQLite orders them: by incident (the child's order), then as recorded; then by time.
            let order = Dictionary(incidents.enumerated().map { ($1.incidentId, $0) }, uniquingKeysWith: { a, _ in a })
            regrades = regrades.enumerated().sorted { a, b in
                let (x, y) = (order[a.element.incidentId] ?? 0, order[b.element.incidentId] ?? 0)
                return x != y ? x < y : a.offset < b.offset
            }.map(\.element)
            regrades.sort { $0.at < $1.at }
            typealias AlertTuple = (String, String, String?, String?, String, Double?, Int, Double?, Double?, Double?)
            let alertRows: [AlertTuple] = try await conn.rows("""
                SELECT reference, incident_id, school_urn, channel, state, deadline, attempts,
                       delivered_at, acknowledged_at, ack_expires_at FROM alerts
                WHERE child_id = \(childId) ORDER BY alert_key
                """, logger, as: AlertTuple.self)
            let alerts = alertRows.map { (r: AlertTuple) -> AlertSummary in
                AlertSummary(reference: r.0, incidentId: r.1, schoolURN: r.2, channel: r.3, state: r.4,
                             deadline: r.5.map(Date.init(timeIntervalSince1970:)), attempts: r.6,
                             deliveredAt: r.7.map(Date.init(timeIntervalSince1970:)),
                             acknowledgedAt: r.8.map(Date.init(timeIntervalSince1970:)),
                             linksEnd: r.9.map(Date.init(timeIntervalSince1970:)))
            }
            return ChildRecord(childId: childId, name: ChildName(given: child.1, family: child.2), dateOfBirth: child.3,
                               schoolURN: child.4, schoolName: child.5, incidents: incidents, decisions: decisions,
                               regrades: regrades, alerts: alerts, episodes: episodes)
        }
    }

    public func childNames(_ childIds: [String]) async throws -> [String: ChildName] {
        let logger = self.logger
        return try await read { conn in
            var out: [String: ChildName] = [:]
            for (id, given, family) in try await conn.rows("""
                SELECT child_id, given_name, family_name FROM children WHERE child_id = ANY(\(childIds))
                """, logger, as: (String, String, String).self) {
                out[id] = ChildName(given: given, family: family)
            }
            return out
        }
    }

    public func latestDecisions() async throws -> [String: Decision] {
        let logger = self.logger
        return try await read { conn in
            var out: [String: Decision] = [:]
            // Read in entry order; the rule (dated latest, entry order breaking a tie) is Decision's.
            for r in try await conn.rows("""
                SELECT \(unescaped: PostgresDecisions.columns) FROM all_decisions d ORDER BY \(unescaped: PostgresDecisions.order)
                """, logger, as: PostgresDecisions.Columns.self) {
                if let d = PostgresDecisions.decision(r), out[d.childId].map({ d.supersedes(earlierEntry: $0) }) ?? true { out[d.childId] = d }
            }
            return out
        }
    }


    public func record(_ decisions: [Decision], strategyDiscussion: Bool, actor: String, seen: Int?) async throws {
        let logger = self.logger
        try await write { conn in
            if seen != nil, let childId = decisions.first?.childId {
                try await PostgresOnePress.lock(conn, logger, .decisions, of: childId)
                let current = try await conn.rows("""
                    SELECT \(unescaped: PostgresDecisions.columns) FROM all_decisions d WHERE d.child_id = \(childId)
                    ORDER BY \(unescaped: PostgresDecisions.order)
                    """, logger, as: PostgresDecisions.Columns.self).compactMap(PostgresDecisions.decision)
                try OnePress.check(seen: seen, decisions: current, adding: decisions)
            }
            try await Self.append(conn, logger, decisions, strategyDiscussion: strategyDiscussion, actor: actor)
        }
    }

    /// The decisions, each with its audit row, inside the caller's transaction.
    static func append(_ conn: PostgresConnection, _ logger: Logger, _ decisions: [Decision], strategyDiscussion: Bool,
                       actor: String) async throws {
        for decision in decisions {
            if let key = try await PostgresDecisions.insert(conn, logger, decision) {
                try await conn.run("""
                    INSERT INTO decision_strategy (decision_key, strategy_discussion) VALUES (\(key), \(strategyDiscussion ? 1 : 0))
                    """, logger)
            }
            try await PostgresAudit.append(conn, logger, at: decision.recordedAt, actor: actor,
                                           action: decision.auditAction, subject: "child:\(decision.childId)",
                                           detail: ["on": decision.on.description, "by": decision.by, "strategy_discussion": strategyDiscussion])
        }
        try await PostgresSchema.noteChange(conn, logger)
    }

    public func regrade(incidentId: String, to grade: Grade, reason: String, by: String, at: Date, seen: Int?) async throws -> Regrade {
        let logger = self.logger
        return try await write { conn in
            guard let key = try await conn.row("SELECT incident_key FROM incidents WHERE incident_id = \(incidentId) FOR UPDATE", logger,
                                               as: (Int64).self),
                  let old = try await PostgresIncidentReader.incident(conn, logger, key: key) else {
                throw ChildRecordError.unknownIncident(incidentId)
            }
            let made = Regrade(incidentId: incidentId, oldGrade: old.supervisorGrade, newGrade: grade, reason: reason, by: by, at: at)
            // One press, one regrade: the incident's row, locked above, makes a second press wait for
            // this one's transaction, then read the regrade it wrote.
            try Regrade.check(seen: seen, current: try await Self.regrades(conn, logger, incidentIds: [incidentId]),
                              supervisorGrade: old.supervisorGrade, adding: made)
            var new = old
            new.supervisorGrade = grade
            // The fingerprint stays that of the last ingested source (see SQLiteStore).
            try await conn.run("""
                UPDATE incidents SET supervisor_grade = \(grade.rawValue), effective_grade = \(new.effectiveGrade.rawValue),
                    updated_at = \(at.timeIntervalSince1970) WHERE incident_key = \(key)
                """, logger)
            try await conn.run("UPDATE incident_children SET effective_grade = \(new.effectiveGrade.rawValue) WHERE incident_key = \(key)", logger)
            try await conn.run("""
                INSERT INTO regrades (incident_id, old_grade, new_grade, reason, regraded_by, at)
                VALUES (\(incidentId), \(old.supervisorGrade?.rawValue), \(grade.rawValue), \(reason), \(by), \(at.timeIntervalSince1970))
                """, logger)
            try await PostgresSchema.noteChange(conn, logger)
            // The reason stays in `regrades`, beside the incident: like a decision's, it may name
            // people, and the audit is read by more people than the child's record.
            try await PostgresAudit.append(conn, logger, at: at, actor: "user:\(by)", action: "incident.regraded", subject: "incident:\(incidentId)",
                                           detail: IncidentDiff.changes(from: old, to: new))
            return made
        }
    }

    /// The incidents' regrades, in the order recorded.
    private static func regrades(_ conn: PostgresConnection, _ logger: Logger, incidentIds: [String]) async throws -> [Regrade] {
        try await conn.rows("""
            SELECT incident_id, old_grade, new_grade, reason, regraded_by, at FROM regrades
            WHERE incident_id = ANY(\(incidentIds)) ORDER BY regrade_key
            """, logger, as: (String, Int?, Int, String, String, Double).self).map { r in
            Regrade(incidentId: r.0, oldGrade: r.1.flatMap(Grade.init(rawValue:)), newGrade: Grade(rawValue: r.2) ?? .standard,
                    reason: r.3, by: r.4, at: Date(timeIntervalSince1970: r.5))
        }
    }
}

enum PostgresSchools {
    /// Adds the schools, or gives stored ones their new name and local authority, and a telephone
    /// when the new row has one. In one statement from a table copied in: every writing command
    /// upserts Config/'s schools, and one statement a school was a round trip each (a directory of
    /// 20,010 schools: 3.95 s a command, against 0.28 s on SQLite).
    static func upsert(_ conn: PostgresConnection, _ logger: Logger, _ schools: [School]) async throws {
        var rows = CopyRows(columns: 4)
        for s in folded(schools) {
            rows.text(s.urn); rows.text(s.name); rows.text(s.laCode); rows.text(s.telephone)
            rows.endRow()
        }
        let columns: PostgresCopy.Columns = [("urn", "text"), ("name", "text"), ("la_code", "text"), ("telephone", "text")]
        try await PostgresCopy.through(conn, logger, table: "school_rows", columns: columns, rows, """
            INSERT INTO schools (urn, name, la_code, telephone) SELECT urn, name, la_code, telephone FROM school_rows
            ON CONFLICT (urn) DO UPDATE SET name = excluded.name, la_code = excluded.la_code,
                telephone = coalesce(excluded.telephone, schools.telephone)
            WHERE (schools.name, schools.la_code, coalesce(excluded.telephone, schools.telephone))
                IS DISTINCT FROM (excluded.name, excluded.la_code, schools.telephone)
            """)
    }

    /// Those of `urns` the database holds a school for.
    static func held(_ conn: PostgresConnection, _ logger: Logger, _ urns: [String]) async throws -> Set<String> {
        guard !urns.isEmpty else { return [] }
        return Set(try await conn.rows("SELECT urn FROM schools WHERE urn = ANY(\(urns))", logger, as: (String).self))
    }

    /// Whether importing `directory` would write anything: a school added or changed (`School.upserted`),
    /// or key-adults.csv other than at its last import. Reads only.
    static func wouldChange(_ conn: PostgresConnection, _ logger: Logger, _ directory: SchoolDirectory) async throws -> Bool {
        let content = KeyAdult.canonicalText(directory.keyAdults)
        let imported = try await conn.row("SELECT content FROM directory_imports WHERE kind = 'key-adults'", logger, as: (String).self)
        if imported != content { return true }
        let schools = folded(directory.schools)
        guard !schools.isEmpty else { return false }
        var stored: [String: School] = [:]
        for (urn, name, la, phone) in try await conn.rows("""
            SELECT urn, name, la_code, telephone FROM schools WHERE urn = ANY(\(schools.map(\.urn)))
            """, logger, as: (String, String, String?, String?).self) {
            stored[urn] = School(urn: urn, name: name, laCode: la, telephone: phone)
        }
        return schools.contains { school in
            guard let old = stored[school.urn] else { return true }
            return school.upserted(over: old) != old
        }
    }

    /// A URN given twice comes out once, as upserting the rows one after another leaves it: the
    /// later name and local authority, the later telephone when it has one (one statement may
    /// not change a row twice).
    static func folded(_ schools: [School]) -> [School] {
        var order: [String] = []
        var byURN: [String: School] = [:]
        for s in schools {
            if let earlier = byURN[s.urn] {
                byURN[s.urn] = School(urn: s.urn, name: s.name, laCode: s.laCode, telephone: s.telephone ?? earlier.telephone)
            } else {
                order.append(s.urn)
                byURN[s.urn] = s
            }
        }
        return order.compactMap { byURN[$0] }
    }
}

extension PostgresStore: SchoolDirectoryStore {
    public func importSchools(_ schools: [School]) async throws -> Int {
        let logger = self.logger
        return try await write { conn in
            try await PostgresSchools.upsert(conn, logger, schools)
            return schools.count
        }
    }

    public func school(urn: String) async throws -> School? {
        let logger = self.logger
        return try await read { conn in
            try await conn.row("SELECT urn, name, la_code, telephone FROM schools WHERE urn = \(urn)", logger,
                               as: (String, String, String?, String?).self).map {
                School(urn: $0.0, name: $0.1, laCode: $0.2, telephone: $0.3)
            }
        }
    }
}
