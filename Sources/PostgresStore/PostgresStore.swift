import Foundation
import InputRules
import Logging
import PostgresNIO
import RiskModel
import StoreContract

/// The shared database: PostgreSQL through PostgresNIO, for a force running several hub servers and
/// notify workers on one database. It keeps exactly what SQLiteStore keeps, in tables of the same
/// names and columns (times as epoch seconds in double precision), so every output is the same
/// byte for byte. Each method is one transaction.
public final class PostgresStore: Sendable {
    /// The newest migration this program knows: what a database it has migrated is at.
    public static var newestMigration: String { PostgresSchema.migrations.last?.id ?? "" }
    let database: PostgresDatabase
    var logger: Logger { database.logger }
    /// A first load into an empty store takes `PostgresFirstLoad`'s fast path; false only in the
    /// tests that check it against the plain path.
    let bulkFirstLoad: Bool
    /// Incidents written per round of look-ups and COPY during an ingest (`defaultWriteBatch`; tests
    /// write smaller batches, to have several).
    let writeBatch: Int

    public convenience init(_ database: PostgresDatabase) {
        self.init(database, bulkFirstLoad: true)
    }

    init(_ database: PostgresDatabase, bulkFirstLoad: Bool, writeBatch: Int = PostgresStore.defaultWriteBatch) {
        self.database = database
        self.bulkFirstLoad = bulkFirstLoad
        self.writeBatch = writeBatch
    }

    static let defaultWriteBatch = 8_192

    /// One transaction: committed if `body` returns, rolled back if it throws.
    func write<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await database.transaction(body)
    }

    /// One read, from one snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await database.transaction(body)
    }

    /// A read for the queue's scan, on the scan's own pool (`PostgresDatabase.scanClient`).
    func scanRead<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await database.scanTransaction(body)
    }
}

extension PostgresConnection {
    /// Runs a statement whose rows are not wanted.
    func run(_ query: PostgresQuery, _ logger: Logger) async throws {
        _ = try await self.query(query, logger: logger).collect()
    }

    /// The rows of a query, each decoded as `T`.
    func rows<each T: PostgresDecodable & Sendable>(_ query: PostgresQuery, _ logger: Logger, as type: (repeat each T).Type) async throws -> [(repeat each T)] {
        var out: [(repeat each T)] = []
        for try await row in try await self.query(query, logger: logger).decode(type) { out.append(row) }
        return out
    }

    /// The first row of a query, decoded as `T`; nil when there is none.
    func row<each T: PostgresDecodable & Sendable>(_ query: PostgresQuery, _ logger: Logger, as type: (repeat each T).Type) async throws -> (repeat each T)? {
        for try await row in try await self.query(query, logger: logger).decode(type) { return row }
        return nil
    }

    /// How many rows a statement (INSERT, UPDATE or DELETE) changed, counted by the server: a purge
    /// deletes tens of thousands, which need not cross the wire one by one.
    func changed(_ query: PostgresQuery, _ logger: Logger) async throws -> Int {
        var counted = query
        counted.sql = "WITH changed AS (" + query.sql + " RETURNING 1) SELECT count(*) FROM changed"
        return try await row(counted, logger, as: (Int).self) ?? 0
    }
}

extension PostgresQuery {
    static func + (query: PostgresQuery, suffix: String) -> PostgresQuery {
        var q = query
        q.sql += suffix
        return q
    }
}

/// The audit's rows, as SQLite writes them: `detail` any JSON-serialisable value, keys sorted.
enum PostgresAudit {
    static func append(_ conn: PostgresConnection, _ logger: Logger, at: Date, actor: String, action: String, subject: String,
                       detail: Any?) async throws {
        let text = try AuditDetail.text(detail)
        try await conn.run("""
            INSERT INTO audit (at, actor, action, subject, detail) VALUES (\(at.timeIntervalSince1970), \(actor), \(action), \(subject), \(text))
            """, logger)
    }

    /// The columns `row` writes, for a COPY of many.
    static let columns = ["at", "actor", "action", "subject", "detail"]

    /// One audit row, as `append` writes it, added to rows to be copied.
    static func row(at: Date, actor: String, action: String, subject: String, detail: Any?, into rows: inout CopyRows) throws {
        rows.double(at.timeIntervalSince1970); rows.text(actor); rows.text(action); rows.text(subject); rows.text(try AuditDetail.text(detail))
        rows.endRow()
    }
}

extension PostgresStore: Store {
    public func migrationStatus() async throws -> MigrationStatus {
        try await database.migrationStatus()
    }

    /// None that this program can see: the server checks its own pages (checksums, when the
    /// cluster has them) and reports damage as an error on the read that meets it, which every
    /// command then fails on (69), rather than answering short.
    public func damage() async throws -> String? { nil }
    public var damageCheck: String? { nil }

    public func whyNotWritable() async throws -> String? {
        try await database.whyNotWritable()
    }

    /// The TLS version as the server sees this session (`pg_stat_ssl`), not as the URL asked.
    public func transport() async throws -> StoreTransport {
        let logger = self.logger
        let tls = try await read { conn in
            try await conn.row("SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl", logger, as: (String).self)
        }
        let host = database.location.host
        return .server(host: host, loopback: LoopbackHost.contains(host), tls: tls)
    }

    public func migrate(for access: SchemaAccess) async throws -> [String] {
        try await database.migrate(for: access)
    }

    public func ingest(_ incidents: [Incident], actor: String, at now: Date, planner: AlertPlanner?) async throws -> IngestSummary {
        try await ingest(IncidentFeed(batch: incidents), actor: actor, at: now, planner: planner, directory: nil)
    }

    /// The reader may run up to two of the writer's batches ahead (the reader's chunks are of 1,024
    /// incidents): it reads the next batch while the server takes this one, instead of waiting.
    public func makeIncidentFeed(expectedRows: Int, episodes: [Episode]?) -> IncidentFeed {
        IncidentFeed(encoder: PostgresFeedEncoder(), maximumQueued: max(2 * writeBatch / 1_024, 1), episodes: episodes)
    }

    public func ingest(_ feed: IncidentFeed, actor: String, at now: Date, planner: AlertPlanner?,
                       directory: SchoolDirectory?) async throws -> IngestSummary {
        defer { feed.close() }
        let logger = self.logger
        let (bulk, writeBatch) = (bulkFirstLoad, writeBatch)
        do {
            return try await write { conn in
                // First, so the alerts are planned with the directory's key adults; in the batch's
                // transaction, so a batch refused late takes it back too.
                if let directory { try await Self.importDirectory(conn, logger, directory) }
                let writer = try await PostgresIngest(conn, logger, actor: actor, now: now, planner: planner, bulkFirstLoad: bulk)
                try await writer.write(feed, batchSize: writeBatch)
                switch feed.outcome {
                case .complete:
                    try await writer.finish()
                    let episodes = try await Self.writeEpisodes(feed, conn, logger, actor: actor, now: now)
                    // Last, just before the commit: the alerts it locks are held only from here on.
                    var summary = try await writer.settleAlerts()
                    summary.episodes = episodes
                    return summary
                case .abandoned: throw IngestAbandoned()
                // Thrown to roll back what was written; the whole batch is written next.
                case .redo(let batch): throw RedoBatch(incidents: batch)
                }
            }
        } catch let redo as RedoBatch {
            return try await write { conn in
                if let directory { try await Self.importDirectory(conn, logger, directory) }
                let writer = try await PostgresIngest(conn, logger, actor: actor, now: now, planner: planner, bulkFirstLoad: bulk)
                try await writer.write(redo.incidents, fingerprints: redo.incidents.map(Fingerprint.of))
                try await writer.finish()
                let episodes = try await Self.writeEpisodes(feed, conn, logger, actor: actor, now: now)
                var summary = try await writer.settleAlerts()
                summary.episodes = episodes
                return summary
            }
        }
    }

    private static func writeEpisodes(_ feed: IncidentFeed, _ conn: PostgresConnection, _ logger: Logger, actor: String,
                                      now: Date) async throws -> EpisodeCounts? {
        guard let episodes = feed.episodes else { return nil }
        return try await PostgresEpisodeWriter.write(episodes, conn, logger, actor: actor, now: now)
    }

    /// As SQLite's scan: the children split into `parts` ranges of keys (dense, so about equal
    /// work), each read on its own connection in its own transaction, at once. The parts' queries
    /// are sent before `start` has answered: its reads (the serial perpetrators' incidents, one
    /// server process, ~0.09 s at a million rows) left the other core idle, and meanwhile the server
    /// now fills the first chunks (the driver buffers a few hundred rows of each part's query).
    public func scanChildHistories<Context: Sendable>(
        windowStart: Date, asOf: Date, parts: Int, start: @escaping @Sendable () async throws -> ScanStart<Context>,
        _ visit: @escaping @Sendable (Int, ChildHistory, () throws -> ChildSummary, Context) throws -> Void
    ) async throws -> Context {
        let started = Task { () async throws -> ScanBegun<Context> in
            let s = try await start()
            return ScanBegun(floor: s.floor.map(ScanFloor.Check.init), context: s.context)
        }
        return try await withTaskCancellationHandler {
            do {
                try await scanParts(windowStart: windowStart, asOf: asOf, parts: parts, started: started, visit)
            } catch {
                started.cancel()
                throw error
            }
            return try await started.value.context
        } onCancel: {
            started.cancel()
        }
    }

    private func scanParts<Context: Sendable>(
        windowStart: Date, asOf: Date, parts: Int, started: Task<ScanBegun<Context>, any Error>,
        _ visit: @escaping @Sendable (Int, ChildHistory, () throws -> ChildSummary, Context) throws -> Void
    ) async throws {
        let logger = self.logger
        let (schoolNames, referrals, lastKey) = try await read { conn in
            var schoolNames: [String: String] = [:]
            for (urn, name) in try await conn.rows("SELECT urn, name FROM schools", logger, as: (String, String).self) {
                schoolNames[urn] = name
            }
            var referrals: [Int64: [LocalDate]] = [:]
            for (key, on) in try await conn.rows("""
                SELECT c.child_key, d.on_date FROM decisions d JOIN children c ON c.child_id = d.child_id WHERE d.marac = 'referred'
                """, logger, as: (Int64, String).self) {
                if let d = LocalDate(iso: on) { referrals[key, default: []].append(d) }
            }
            let lastKey: Int64 = try await conn.row("SELECT coalesce(max(child_key), 0) FROM children", logger, as: (Int64).self) ?? 0
            return (schoolNames, referrals, lastKey)
        }
        guard lastKey > 0 else { return }
        let parts = Int64(max(1, min(parts, Int(lastKey))))
        let step = (lastKey + parts - 1) / parts
        let scan = PostgresChildScan(windowStart: windowStart, asOf: asOf, schoolNames: schoolNames, referrals: referrals)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for part in 0..<parts {
                group.addTask {
                    try await self.scanRead { conn in
                        try await scan.run(conn, logger, keys: (part * step + 1)...((part + 1) * step),
                                           started: { try await started.value }) { h, summary, context in
                            try visit(Int(part), h, summary, context)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    public func childSummaries(_ childIds: [String]) async throws -> [String: ChildSummary] {
        let logger = self.logger
        return try await read { conn in
            var out: [String: ChildSummary] = [:]
            for (id, urn, name) in try await conn.rows("""
                SELECT c.child_id, c.school_urn, s.name FROM children c LEFT JOIN schools s ON s.urn = c.school_urn
                WHERE c.child_id = ANY(\(childIds))
                """, logger, as: (String, String?, String?).self) {
                out[id] = ChildSummary(childId: id, schoolURN: urn, schoolName: name)
            }
            return out
        }
    }

    public func changeVersion() async throws -> Int64 {
        let logger = self.logger
        return try await read { conn in
            try await conn.row("SELECT version FROM store_changes WHERE id = 1", logger, as: (Int64).self) ?? 0
        }
    }

    public func childExists(_ childId: String) async throws -> Bool {
        let logger = self.logger
        return try await read { conn in
            try await conn.row("SELECT 1 FROM children WHERE child_id = \(childId)", logger, as: (Int32).self) != nil
        }
    }

    public func record(_ decision: Decision) async throws {
        let logger = self.logger
        try await write { conn in
            try await PostgresDecisions.insert(conn, logger, decision)
            try await PostgresSchema.noteChange(conn, logger)
            // Who ran it is the actor; the name given stays beside it.
            var detail = ["on": decision.on.description]
            if decision.recordedBy != nil { detail["by"] = decision.by }
            try await PostgresAudit.append(conn, logger, at: decision.recordedAt, actor: decision.recordedBy ?? decision.by,
                                           action: decision.auditAction, subject: "child:\(decision.childId)",
                                           detail: detail)
        }
    }

    public func decisions(childId: String) async throws -> [Decision] {
        let logger = self.logger
        return try await read { conn in
            try await conn.rows("""
                SELECT \(unescaped: PostgresDecisions.columns) FROM all_decisions d WHERE d.child_id = \(childId)
                ORDER BY \(unescaped: PostgresDecisions.order)
                """, logger, as: PostgresDecisions.Columns.self).compactMap(PostgresDecisions.decision)
        }
    }

    public func replaceDirectory(_ directory: SchoolDirectory) async throws {
        let logger = self.logger
        try await write { conn in try await Self.importDirectory(conn, logger, directory) }
    }

    /// Config/'s directory, in the caller's transaction: `replaceDirectory`'s, or an ingest's.
    static func importDirectory(_ conn: PostgresConnection, _ logger: Logger, _ directory: SchoolDirectory) async throws {
        // Before anything is written, changed or not: a key adult at a school no directory knows is refused.
        try directory.checkNamedSchools(imported: try await PostgresSchools.held(conn, logger, directory.namedSchoolsNotInFile))
        // Every command that writes starts with this, so several start at once: one at a time, and
        // nothing written when Config/ says what the database already holds. The lock is taken only
        // when something would change: an ingest holds what it takes until its batch commits,
        // minutes for a large one, and other commands would wait that long for their own import.
        guard try await PostgresSchools.wouldChange(conn, logger, directory) else { return }
        try await conn.run("SELECT pg_advisory_xact_lock(\(PostgresSchema.directoryLockKey))", logger)
        // Schools are upserted, never cleared: those loaded by `encompass schools import` stay.
        try await PostgresSchools.upsert(conn, logger, directory.schools)
        // Key adults: Config/key-adults.csv replaces the list when the file changes; an admin's
        // changes in the app stand until then.
        try await importKeyAdults(conn, logger, directory.keyAdults, at: Date())
    }

    public func counts() async throws -> StoreCounts {
        let logger = self.logger
        return try await read { conn in
            let row = try await conn.row("""
                SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM children), (SELECT count(*) FROM incident_children),
                       (SELECT count(*) FROM decisions), (SELECT count(*) FROM audit)
                """, logger, as: (Int, Int, Int, Int, Int).self)!
            return StoreCounts(incidents: row.0, children: row.1, links: row.2, decisions: row.3, auditEntries: row.4)
        }
    }

    public func auditEntries(limit: Int) async throws -> [AuditEntry] {
        let logger = self.logger
        return try await read { conn in
            try await conn.rows("SELECT at, actor, action, subject, detail FROM audit ORDER BY audit_key DESC LIMIT \(limit)",
                                logger, as: (Double, String, String, String, String?).self).map {
                AuditEntry(at: Date(timeIntervalSince1970: $0.0), actor: $0.1, action: $0.2, subject: $0.3, detail: $0.4)
            }
        }
    }
}

/// Ends a streamed ingest's transaction so the whole batch can be written again (its rows were not
/// together in the files).
struct RedoBatch: Error {
    let incidents: [Incident]
}

enum PostgresDecisions {
    /// The `all_decisions` view's columns in the order `decision(_:)` reads them.
    typealias Columns = (String, String, String, String, String?, String, Double)
    static let columns = "d.kind, d.child_id, d.outcome, d.on_date, d.reason, d.decided_by, d.recorded_at"
    /// Oldest first, both kinds interleaved as they were made (as SQLite orders them).
    static let order = "d.recorded_at, d.kind COLLATE \"C\", d.decision_key"

    /// Appends the decision to its kind's table; the MARAC decision's key, nil for a strategy meeting.
    @discardableResult
    static func insert(_ conn: PostgresConnection, _ logger: Logger, _ d: Decision) async throws -> Int64? {
        switch d.kind {
        case .marac:
            return try await conn.row("""
                INSERT INTO decisions (child_id, marac, on_date, reason, decided_by, recorded_at)
                VALUES (\(d.childId), \(d.outcome.rawValue), \(d.on.description), \(d.reason), \(d.by), \(d.recordedAt.timeIntervalSince1970))
                RETURNING decision_key
                """, logger, as: (Int64).self)
        case .strategyMeeting:
            try await conn.run("""
                INSERT INTO strategy_meetings (child_id, outcome, on_date, reason, decided_by, recorded_at)
                VALUES (\(d.childId), \(d.outcome.rawValue), \(d.on.description), \(d.reason), \(d.by), \(d.recordedAt.timeIntervalSince1970))
                """, logger)
            return nil
        }
    }

    static func decision(_ r: Columns) -> Decision? {
        guard let kind = Decision.Kind(rawValue: r.0), let outcome = Decision.Outcome(rawValue: r.2), let on = LocalDate(iso: r.3) else {
            return nil
        }
        return Decision(childId: r.1, kind: kind, outcome: outcome, on: on, reason: r.4, by: r.5,
                        recordedAt: Date(timeIntervalSince1970: r.6))
    }
}
