import Foundation
import Logging
import PostgresNIO
import RiskModel
import StoreContract

/// Writes a batch's missing episodes inside the ingest's transaction, as `EpisodeWrite` decides
/// (SQLite's SQLiteEpisodeWriter, in this database's terms).
enum PostgresEpisodeWriter {
    static let addColumns = [
        "episode_id", "child_id", "school_urn", "missing_at", "returned_at", "risk", "return_interview_at", "fingerprint",
        "first_ingested_at", "updated_at",
    ]
    static let updateColumns: PostgresCopy.Columns = [
        ("episode_key", "bigint"), ("child_id", "text"), ("school_urn", "text"), ("missing_at", "double precision"),
        ("returned_at", "double precision"), ("risk", "text"), ("return_interview_at", "double precision"), ("fingerprint", "bytea"),
    ]
    static let childColumns: PostgresCopy.Columns = [
        ("n", "bigint"), ("child_id", "text"), ("given_name", "text"), ("family_name", "text"), ("dob", "text"), ("school_urn", "text"),
        ("latest_reported_at", "double precision"),
    ]

    static func write(_ episodes: [Episode], _ conn: PostgresConnection, _ logger: Logger, actor: String,
                      now: Date) async throws -> EpisodeCounts {
        var counts = EpisodeCounts()
        var stored: [String: StoredEpisode] = [:]
        typealias Row = (Int64, String, ByteBuffer, String, String?, Double, Double?, String?, Double?)
        for r in try await conn.rows("""
            SELECT episode_key, episode_id, fingerprint, child_id, school_urn, missing_at, returned_at, risk, return_interview_at
            FROM episodes WHERE episode_id = ANY(\(episodes.map(\.id)))
            """, logger, as: Row.self) {
            stored[r.1] = StoredEpisode(key: r.0, fingerprint: Array(buffer: r.2), childId: r.3, schoolURN: r.4, missingAt: r.5,
                                        returnedAt: r.6, risk: r.7, returnInterviewAt: r.8)
        }
        // The feed's rows gathered, then written a table at a time (COPY, and one statement from a
        // table copied in): two statements an episode were two round trips each (100,000 new
        // episodes into a 1M store: 40.6 s).
        let nowSeconds = now.timeIntervalSince1970
        var added = CopyRows(columns: addColumns.count)
        var updated = CopyRows(columns: updateColumns.count)
        var audits = CopyRows(columns: PostgresAudit.columns.count)
        var children = CopyRows(columns: childColumns.count)
        for (n, e) in episodes.enumerated() {
            let fingerprint = Fingerprint.of(e).bytes
            switch EpisodeWrite.decide(e, stored: stored[e.id]) {
            case .unchanged:
                counts.unchanged += 1
                continue
            case .add:
                counts.added += 1
                added.text(e.id); added.text(e.childId); added.text(e.schoolURN); added.double(e.missingAt.timeIntervalSince1970)
                added.double(e.returnedAt?.timeIntervalSince1970); added.text(e.risk?.rawValue)
                added.double(e.returnInterviewAt?.timeIntervalSince1970); added.bytes(fingerprint); added.double(nowSeconds)
                added.double(nowSeconds)
                added.endRow()
            case .update(let key, let detail):
                counts.updated += 1
                updated.int(key); updated.text(e.childId); updated.text(e.schoolURN); updated.double(e.missingAt.timeIntervalSince1970)
                updated.double(e.returnedAt?.timeIntervalSince1970); updated.text(e.risk?.rawValue)
                updated.double(e.returnInterviewAt?.timeIntervalSince1970); updated.bytes(fingerprint)
                updated.endRow()
                try PostgresAudit.row(at: now, actor: actor, action: "episode.updated", subject: "episode:\(e.id)", detail: detail, into: &audits)
            }
            // A child known only by episodes still has a record, with their newest episode's
            // details (EpisodeWrite.childRank); any incident replaces them.
            children.int(n); children.text(e.childId); children.text(e.givenName); children.text(e.familyName)
            children.text(e.dateOfBirth.description); children.text(e.schoolURN); children.double(EpisodeWrite.childRank(e))
            children.endRow()
        }
        try await PostgresCopy.send(conn, logger, table: "episodes", columns: addColumns, added)
        try await PostgresCopy.through(conn, logger, table: "episode_updates", columns: updateColumns, updated, """
            UPDATE episodes e SET child_id = u.child_id, school_urn = u.school_urn, missing_at = u.missing_at,
                returned_at = u.returned_at, risk = u.risk, return_interview_at = u.return_interview_at,
                fingerprint = u.fingerprint, updated_at = \(nowSeconds)
            FROM episode_updates u WHERE e.episode_key = u.episode_key
            """)
        try await PostgresCopy.send(conn, logger, table: "audit", columns: PostgresAudit.columns, audits)
        // Each child's newest episode of the batch (the first of equals, as SQLite's row after row
        // keeps it): the children not stored added, numbered in the order they first appear (as
        // SQLite's rows are; a conflict would still take a number from the sequence), then the
        // stored ones known only by older episodes given the newer details.
        try await PostgresCopy.through(conn, logger, table: "episode_children", columns: childColumns, children, """
            WITH newest AS (
                SELECT DISTINCT ON (child_id) *, min(n) OVER (PARTITION BY child_id) AS first_n FROM episode_children
                ORDER BY child_id, latest_reported_at DESC, n),
            added AS (
                INSERT INTO children (child_id, given_name, family_name, dob, school_urn, latest_reported_at)
                SELECT child_id, given_name, family_name, dob, school_urn, latest_reported_at FROM newest f
                WHERE NOT EXISTS (SELECT 1 FROM children c WHERE c.child_id = f.child_id)
                ORDER BY first_n
                ON CONFLICT (child_id) DO NOTHING)
            UPDATE children c SET given_name = f.given_name, family_name = f.family_name, dob = f.dob,
                school_urn = f.school_urn, latest_reported_at = f.latest_reported_at
            FROM newest f WHERE c.child_id = f.child_id AND c.latest_reported_at < f.latest_reported_at
            """)
        if counts.added + counts.updated > 0 {
            try await PostgresSchema.noteChange(conn, logger)
            try await PostgresAudit.append(conn, logger, at: now, actor: actor, action: "ingest", subject: "episodes",
                                           detail: ["added": counts.added, "updated": counts.updated, "unchanged": counts.unchanged])
        }
        return counts
    }
}

extension PostgresStore {
    public func riskContext(missingFrom: Date, asOf: Date, minimumEpisodes: Int) async throws -> RiskContext {
        let logger = self.logger
        return try await read { conn in
            var context = RiskContext()
            let from = missingFrom.timeIntervalSince1970, to = asOf.timeIntervalSince1970
            // Only the children with enough episodes to fire the rule (see `Store.riskContext`).
            // Written in as literals: two of our own times and a count from the settings.
            let children = "SELECT child_id FROM episodes WHERE missing_at BETWEEN \(from) AND \(to) GROUP BY child_id HAVING count(*) >= \(minimumEpisodes)"
            for r in try await conn.rows("""
                SELECT child_id, episode_id, missing_at, returned_at, return_interview_at FROM episodes
                WHERE missing_at BETWEEN \(from) AND \(to) AND child_id IN (\(unescaped: children))
                ORDER BY child_id COLLATE "C", missing_at, episode_id COLLATE "C"
                """, logger, as: (String, String, Double, Double?, Double?).self) {
                context.episodes[r.0, default: []].append(EpisodeFact(
                    episodeId: r.1, missingAt: Date(timeIntervalSince1970: r.2), returnedAt: r.3.map(Date.init(timeIntervalSince1970:)),
                    returnInterviewAt: r.4.map(Date.init(timeIntervalSince1970:))))
            }
            for (child, on) in try await conn.rows("SELECT child_id, on_date FROM strategy_meetings WHERE child_id IN (\(unescaped: children))",
                                                  logger, as: (String, String).self) {
                if let d = LocalDate(iso: on) { context.strategyMeetings[child, default: []].append(d) }
            }
            return context
        }
    }

    /// Perpetrator by perpetrator, as the rule reads them quickest.
    public func serialCandidateIncidents(from: Date, to: Date, minimumVictims: Int) async throws -> [PerpetratorIncident] {
        let logger = self.logger
        return try await read { conn in
            let (from, to) = (from.timeIntervalSince1970, to.timeIntervalSince1970)
            // Written in as literals: two of our own times. With one victim enough, every incident
            // naming a perpetrator is a candidate's. Otherwise candidate by candidate, each one's
            // incidents through the perpetrators' index, as SQLite's INDEXED BY asks: the planner's
            // own choice was a parallel hash join over every incident (0.11-0.18 s at a million rows,
            // and three processes of the two cores the queue's scan is about to need), 0.04-0.06 s
            // this way. OFFSET 0 keeps the subquery from being merged into a join the planner may turn
            // round: without statistics (a store just loaded) it drove from the incidents and probed
            // the candidates 586,091 times (0.9 s).
            let source = minimumVictims <= 1
                ? """
                  SELECT perpetrator_id, victim_id, incident_id, reported_at, incident_key FROM incidents
                  WHERE perpetrator_id IS NOT NULL AND reported_at BETWEEN \(from) AND \(to)
                  """
                : """
                  SELECT i.* FROM serial_candidates c CROSS JOIN LATERAL (
                      SELECT i.perpetrator_id, i.victim_id, i.incident_id, i.reported_at, i.incident_key FROM incidents i
                      WHERE i.perpetrator_id = c.perpetrator_id AND i.reported_at BETWEEN \(from) AND \(to)
                      OFFSET 0) i
                  """
            // One row of arrays, read by `BinaryArray` as the queue's scan reads its chunks: tens of
            // thousands of rows decoded one by one (41,539 at a million rows) were about 4% of the queue's time.
            let rows = try await conn.query("""
                SELECT array_agg(s.perpetrator_id), array_agg(s.victim_id), array_agg(s.incident_id), array_agg(s.reported_at),
                       array_agg(s.incident_key)
                FROM (\(unescaped: source)) s
                """, logger: logger)
            var out: [PerpetratorIncident] = []
            for try await row in rows {
                var arrays = BinaryArray.Columns(row, what: "the serial candidates' incidents")
                // No incident: every array NULL.
                guard let perpetrators = try arrays.next() else { continue }
                var (p, v, i, t, k) = ([String](), [String](), [String](), [Double](), [Int64]())
                try perpetrators.read(into: &p, .text)
                try arrays.required().read(into: &v, .text)
                try arrays.required().read(into: &i, .text)
                try arrays.required().read(into: &t, .float8)
                try arrays.required().read(into: &k, .int8)
                guard [v.count, i.count, t.count, k.count].allSatisfy({ $0 == p.count }) else {
                    throw StoreError.unavailable("the serial candidates' incidents' columns differ in length")
                }
                out.reserveCapacity(p.count)
                for n in p.indices {
                    out.append(PerpetratorIncident(perpetratorId: p[n], victimId: v[n], incidentId: i[n],
                                                   reportedAt: Date(timeIntervalSince1970: t[n]), storeKey: IncidentFact.storeKey(k[n])))
                }
            }
            return out
        }
    }
}

extension PostgresStore {
    public func perpetratorIncidents(_ perpetrators: [String], from: Date, to: Date) async throws -> [PerpetratorIncident] {
        guard !perpetrators.isEmpty else { return [] }
        let logger = self.logger
        return try await read { conn in
            try await conn.rows("""
                SELECT perpetrator_id, victim_id, incident_id, reported_at FROM incidents
                WHERE perpetrator_id = ANY(\(perpetrators)) AND reported_at BETWEEN \(from.timeIntervalSince1970) AND \(to.timeIntervalSince1970)
                """, logger, as: (String, String, String, Double).self).map { r in
                PerpetratorIncident(perpetratorId: r.0, victimId: r.1, incidentId: r.2, reportedAt: Date(timeIntervalSince1970: r.3))
            }
        }
    }
}
