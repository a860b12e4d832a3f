import Foundation
import GRDB
import RiskModel
import StoreContract

extension SQLiteSchema {
    static func registerEpisodes(_ m: inout DatabaseMigrator) {
        m.registerMigration("v10-episodes") { db in
            try db.execute(sql: """
                -- Missing-from-home episodes (SPEC §10), one row each; the fingerprint makes a re-ingest
                -- of the same content change nothing, as for incidents.
                CREATE TABLE episodes (
                    episode_key INTEGER PRIMARY KEY,
                    episode_id TEXT NOT NULL UNIQUE,
                    child_id TEXT NOT NULL,
                    school_urn TEXT,
                    missing_at REAL NOT NULL,
                    returned_at REAL,
                    risk TEXT CHECK (risk IN ('no-apparent-risk', 'low', 'medium', 'high')),
                    return_interview_at REAL,
                    fingerprint BLOB NOT NULL,
                    first_ingested_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE INDEX episodes_by_child ON episodes(child_id, missing_at);
                CREATE INDEX episodes_by_time ON episodes(missing_at);

                -- Strategy-meeting decisions (SPEC §5), append-only as MARAC decisions are.
                CREATE TABLE strategy_meetings (
                    meeting_key INTEGER PRIMARY KEY,
                    child_id TEXT NOT NULL,
                    outcome TEXT NOT NULL CHECK (outcome IN ('held', 'declined')),
                    on_date TEXT NOT NULL,
                    reason TEXT,
                    decided_by TEXT NOT NULL,
                    recorded_at REAL NOT NULL,
                    CHECK (outcome = 'held' OR length(trim(coalesce(reason, ''))) > 0)
                );
                CREATE INDEX strategy_meetings_by_child ON strategy_meetings(child_id, meeting_key);
                CREATE TRIGGER strategy_meetings_never_change BEFORE UPDATE ON strategy_meetings
                    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
                CREATE TRIGGER strategy_meetings_never_deleted BEFORE DELETE ON strategy_meetings
                    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
                -- Both kinds of decision, for the pages that list them together.
                CREATE VIEW all_decisions AS
                    SELECT 'marac' AS kind, decision_key AS decision_key, child_id, marac AS outcome, on_date, reason,
                           decided_by, recorded_at FROM decisions
                    UNION ALL
                    SELECT 'strategy-meeting', meeting_key, child_id, outcome, on_date, reason, decided_by, recorded_at
                    FROM strategy_meetings;

                -- Perpetrators ever named against two or more victims: a superset of the serial ones at
                -- any as-of, kept by the database as incidents arrive, so the queue reads only their
                -- incidents (the rule itself is RiskRules.serialPerpetrators). Never shrinks: a
                -- perpetrator left here who no longer qualifies costs one lookup, nothing else. The
                -- index covers what the queue reads, so their incidents come from it alone.
                CREATE INDEX incidents_by_perpetrator ON incidents(perpetrator_id, reported_at, victim_id, incident_id)
                    WHERE perpetrator_id IS NOT NULL;
                CREATE TABLE serial_candidates (perpetrator_id TEXT PRIMARY KEY) WITHOUT ROWID;
                \(SQLiteSerialCandidates.fill);
                CREATE TRIGGER incidents_serial_candidate_added AFTER INSERT ON incidents
                    WHEN NEW.perpetrator_id IS NOT NULL
                    BEGIN
                        INSERT OR IGNORE INTO serial_candidates (perpetrator_id)
                        SELECT NEW.perpetrator_id WHERE EXISTS (
                            SELECT 1 FROM incidents WHERE perpetrator_id = NEW.perpetrator_id AND victim_id <> NEW.victim_id);
                    END;
                CREATE TRIGGER incidents_serial_candidate_changed AFTER UPDATE OF perpetrator_id, victim_id ON incidents
                    WHEN NEW.perpetrator_id IS NOT NULL
                    BEGIN
                        INSERT OR IGNORE INTO serial_candidates (perpetrator_id)
                        SELECT NEW.perpetrator_id WHERE EXISTS (
                            SELECT 1 FROM incidents WHERE perpetrator_id = NEW.perpetrator_id AND victim_id <> NEW.victim_id);
                    END;
                """)
        }
    }
}

/// Writes a batch's missing episodes inside the ingest's transaction, as `EpisodeWrite` decides.
enum SQLiteEpisodeWriter {
    static func write(_ episodes: [Episode], db: Database, actor: String, now: Date) throws -> EpisodeCounts {
        var counts = EpisodeCounts()
        let read = try db.makeStatement(sql: """
            SELECT episode_key, fingerprint, child_id, school_urn, missing_at, returned_at, risk, return_interview_at
            FROM episodes WHERE episode_id = ?
            """)
        let nowSeconds = now.timeIntervalSince1970
        // Statements cached, not compiled an episode each (100,000 episodes: GRDB's authorizer ran
        // over each one's columns every time).
        for e in episodes {
            let stored = try Row.fetchOne(read, arguments: [e.id]).map { r in
                StoredEpisode(key: r[0], fingerprint: [UInt8](r[1] as Data), childId: r[2], schoolURN: r[3], missingAt: r[4],
                              returnedAt: r[5], risk: r[6], returnInterviewAt: r[7])
            }
            let values: [(any DatabaseValueConvertible)?] = [
                e.childId, e.schoolURN, e.missingAt.timeIntervalSince1970, e.returnedAt?.timeIntervalSince1970, e.risk?.rawValue,
                e.returnInterviewAt?.timeIntervalSince1970, Data(Fingerprint.of(e).bytes), nowSeconds,
            ]
            switch EpisodeWrite.decide(e, stored: stored) {
            case .unchanged:
                counts.unchanged += 1
                continue
            case .add:
                counts.added += 1
                try db.cachedStatement(sql: """
                    INSERT INTO episodes (child_id, school_urn, missing_at, returned_at, risk, return_interview_at, fingerprint,
                                          updated_at, episode_id, first_ingested_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: StatementArguments(values + [e.id, nowSeconds]))
            case .update(let key, let detail):
                counts.updated += 1
                try db.cachedStatement(sql: """
                    UPDATE episodes SET child_id = ?, school_urn = ?, missing_at = ?, returned_at = ?, risk = ?,
                                        return_interview_at = ?, fingerprint = ?, updated_at = ? WHERE episode_key = ?
                    """).execute(arguments: StatementArguments(values + [key]))
                try SQLiteAudit.append(db, at: now, actor: actor, action: "episode.updated", subject: "episode:\(e.id)", detail: detail)
            }
            // A child known only by episodes still has a record, with their newest episode's
            // details (EpisodeWrite.childRank); any incident (newer or not) replaces them, as
            // incidents are the force's record.
            try db.cachedStatement(sql: """
                INSERT INTO children (child_id, given_name, family_name, dob, school_urn, latest_reported_at)
                VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (child_id) DO UPDATE SET
                    given_name = excluded.given_name, family_name = excluded.family_name, dob = excluded.dob,
                    school_urn = excluded.school_urn, latest_reported_at = excluded.latest_reported_at
                WHERE children.latest_reported_at < excluded.latest_reported_at
                """).execute(arguments: [e.childId, e.givenName, e.familyName, e.dateOfBirth.description, e.schoolURN,
                                         EpisodeWrite.childRank(e)])
        }
        if counts.added + counts.updated > 0 {
            try SQLiteSchema.noteChange(db)
            try SQLiteAudit.append(db, at: now, actor: actor, action: "ingest", subject: "episodes",
                                   detail: ["added": counts.added, "updated": counts.updated, "unchanged": counts.unchanged])
        }
        return counts
    }
}

extension SQLiteStore {
    public func riskContext(missingFrom: Date, asOf: Date, minimumEpisodes: Int) async throws -> RiskContext {
        try await pool.read { db in
            var context = RiskContext()
            // Counted in the child index, which holds both columns (the time index would fetch each
            // row for its child: 78 ms against 9 ms at 100,000 episodes), then only those children's
            // episodes read whole: most children's one or two episodes cannot fire the rule.
            let children = """
                SELECT child_id FROM episodes INDEXED BY episodes_by_child WHERE missing_at BETWEEN ?1 AND ?2
                GROUP BY child_id HAVING count(*) >= ?3
                """
            let span: StatementArguments = [missingFrom.timeIntervalSince1970, asOf.timeIntervalSince1970, minimumEpisodes]
            for r in try Row.fetchAll(db, sql: """
                SELECT child_id, episode_id, missing_at, returned_at, return_interview_at FROM episodes
                WHERE missing_at BETWEEN ?1 AND ?2 AND child_id IN (\(children)) ORDER BY child_id, missing_at, episode_id
                """, arguments: span) {
                context.episodes[r[0], default: []].append(EpisodeFact(
                    episodeId: r[1], missingAt: Date(timeIntervalSince1970: r[2]),
                    returnedAt: (r[3] as Double?).map(Date.init(timeIntervalSince1970:)),
                    returnInterviewAt: (r[4] as Double?).map(Date.init(timeIntervalSince1970:))))
            }
            // Those children's meetings, by their ids (a few hundred): counting the episodes again
            // would cost as much as the read above.
            let found = Array(context.episodes.keys)
            for start in stride(from: 0, to: found.count, by: 500) {
                let ids = found[start..<min(start + 500, found.count)]
                for r in try Row.fetchAll(db, sql: "SELECT child_id, on_date FROM strategy_meetings WHERE child_id IN (\(databaseQuestionMarks(count: ids.count)))",
                                          arguments: StatementArguments(Array(ids))) {
                    if let d = LocalDate(iso: r[1] as String) { context.strategyMeetings[r[0], default: []].append(d) }
                }
            }
            return context
        }
    }

    /// Perpetrator by perpetrator, as the rule reads them quickest.
    public func serialCandidateIncidents(from: Date, to: Date, minimumVictims: Int) async throws -> [PerpetratorIncident] {
        try await pool.read { db in
            // Only the candidates' incidents, one seek of the perpetrator index each: CROSS JOIN keeps
            // the candidates outside (left to itself SQLite walked the whole index, eight times slower).
            let candidates = minimumVictims <= 1
                ? "SELECT DISTINCT perpetrator_id FROM incidents WHERE perpetrator_id IS NOT NULL"
                : "SELECT perpetrator_id FROM serial_candidates"
            let rows = try SQLiteRawStatement(db, """
                SELECT i.perpetrator_id, i.victim_id, i.incident_id, i.reported_at, i.incident_key
                FROM (\(candidates)) c CROSS JOIN incidents i INDEXED BY incidents_by_perpetrator ON i.perpetrator_id = c.perpetrator_id
                WHERE i.reported_at BETWEEN ?1 AND ?2
                """)
            rows.bind(1, from.timeIntervalSince1970)
            rows.bind(2, to.timeIntervalSince1970)
            var found: [PerpetratorIncident] = []
            try rows.rows { r in
                found.append(PerpetratorIncident(
                    perpetratorId: r.text(0), victimId: r.text(1), incidentId: r.text(2), reportedAt: Date(timeIntervalSince1970: r.double(3)),
                    storeKey: IncidentFact.storeKey(r.int64(4))))
            }
            return found
        }
    }
}

extension SQLiteStore {
    public func perpetratorIncidents(_ perpetrators: [String], from: Date, to: Date) async throws -> [PerpetratorIncident] {
        guard !perpetrators.isEmpty else { return [] }
        return try await pool.read { db in
            let query = try db.makeStatement(sql: """
                SELECT perpetrator_id, victim_id, incident_id, reported_at FROM incidents INDEXED BY incidents_by_perpetrator
                WHERE perpetrator_id = ? AND reported_at BETWEEN ? AND ?
                """)
            return try perpetrators.flatMap { p in
                try Row.fetchAll(query, arguments: [p, from.timeIntervalSince1970, to.timeIntervalSince1970]).map { r in
                    PerpetratorIncident(perpetratorId: r[0], victimId: r[1], incidentId: r[2], reportedAt: Date(timeIntervalSince1970: r[3]))
                }
            }
        }
    }
}
