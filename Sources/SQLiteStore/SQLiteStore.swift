import Foundation
import GRDB
import GRDBSQLite
import RiskModel
import StoreContract
#if canImport(Glibc)
import Glibc
#endif

/// The embedded default: one SQLite file in WAL mode with foreign keys on.
public final class SQLiteStore: Store {
    /// The newest migration this program knows: what a database it has migrated is at.
    public static var newestMigration: String { SQLiteSchema.migrator.migrations.last ?? "" }
    let pool: DatabasePool
    let path: String
    /// The migrations this store knows, oldest first: all of SQLiteSchema's, or (for tests that
    /// play an older version of the program) those up to one of them.
    let knownMigrations: [String]
    /// The writer's page cache: a large one keeps a big ingest's B-tree inserts in memory until commit.
    static let writerCacheBytes = 256 << 20
    /// A reader's: readers read through the map below, and past its end a small cache will do (a
    /// scan reads each page once; a quarter-GiB cache per reader was memory held for nothing).
    static let readerCacheBytes = 16 << 20

    /// The page cache in pages of the size this connection's file has, or will be created with.
    /// Given in KiB, SQLite turns the size into pages with the page size of the moment, and a new
    /// file's was 4 KiB until the `page_size` pragma: 256 MiB asked for became 1 GiB of 16 KiB
    /// pages (most of a ten-million-row ingest's memory). In pages, `PRAGMA cache_size` also says
    /// what is held, which the tests check.
    static func setPageCache(_ db: Database, bytes: Int) throws {
        let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
        try db.execute(sql: "PRAGMA cache_size = \(max(1, bytes / max(pageSize, 512)))")
    }

    public convenience init(path: String) throws {
        try self.init(path: path, knownUpTo: nil)
    }

    /// How long opening a file waits for another connection's lock, as every statement does
    /// (`busyMode` below).
    static let busySeconds: TimeInterval = 30

    /// `knownUpTo`: act as the version whose newest migration that was (tests). `whenBusy`: called
    /// each time opening found the file locked and is about to try again; `openingWait`: how long
    /// it tries (tests).
    init(path: String, knownUpTo: String?, openingWait: TimeInterval = busySeconds, whenBusy: (() -> Void)? = nil) throws {
        self.path = path
        let all = SQLiteSchema.migrator.migrations
        knownMigrations = knownUpTo.flatMap { last in all.firstIndex(of: last).map { Array(all[...$0]) } } ?? all
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(Self.busySeconds)
        config.prepareDatabase { db in
            // WAL is DatabasePool's own; NORMAL sync is durable across process crashes in WAL mode.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Larger pages than the 4 KiB default: a big ingest writes (and the queue reads) a quarter
            // as many. Takes effect only when the file is created.
            try db.execute(sql: "PRAGMA page_size = 16384")
            try SQLiteStore.setPageCache(db, bytes: db.configuration.readonly ? SQLiteStore.readerCacheBytes : SQLiteStore.writerCacheBytes)
            // Readers map the file's first 256 MiB instead of copying each page into the cache: the
            // queue reads every link of every child. Mapped pages count in the process's resident
            // memory, so the map is bounded; past it, pages are read into the cache. (A disk error
            // while reading mapped pages is a crash rather than an error.) The writer maps nothing:
            // its pages go through its own cache, and a map beside it counted the same store twice
            // (re-ingesting ten million unchanged rows peaked at 1.06 GiB).
            try db.execute(sql: "PRAGMA mmap_size = \(db.configuration.readonly ? 268_435_456 : 0)")
        }
        // The database holds children's names: a new one is the owner's alone (0600). SQLite gives
        // its WAL and shared-memory files the database file's mode.
        if path != ":memory:" {
            // O_EXCL: an existing database is left as it is. open(2) takes the mode itself.
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 { try? FileHandle(fileDescriptor: fd, closeOnDealloc: false).close() }
        }
        do {
            pool = try Self.openPool(path: path, configuration: config, waiting: openingWait, whenBusy: whenBusy)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            throw StoreError.unavailable("cannot open \(path): another program has held it locked for \(Int(openingWait.rounded(.up))) s "
                                         + "(a first load by `encompass ingest`, an sqlite3 shell, or a process in the middle of a transaction?); "
                                         + "wait for it or end it, and try again")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CANTOPEN || error.resultCode == .SQLITE_READONLY {
            throw StoreError.unavailable("cannot open \(path): \(Self.whyNotOpened(path) ?? error.problem)")
        } catch {
            throw StoreError.unavailable("cannot open \(path): \((error as? any StoreFailure)?.problem ?? "\(error)")")
        }
    }

    /// What the operator can fix when SQLite says only "unable to open database file" or "attempt
    /// to write a readonly database": the folder is missing, or this user may not write it (a new
    /// store, and every store's WAL and shared-memory files, are made beside the file), or may not
    /// write the file itself (a restore copied in by root). Nil when none is so. `doctor` asks it
    /// too, before the first writer meets it.
    public static func whyNotOpened(_ path: String) -> String? {
        let folder = SQLiteStore.folder(of: path)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            return "its folder \(folder) does not exist: create it, or check --database"
        }
        // Before the user's rights: on a read-only file system access(2) refuses root too.
        if let why = whyNotWritable(path) { return why }
        if access(folder, W_OK) != 0 {
            return "this user (uid \(getuid())) cannot write its folder \(folder), where SQLite keeps the store's -wal and -shm files: "
                + "give the service's user the folder"
        }
        if FileManager.default.fileExists(atPath: path), access(path, W_OK) != 0 {
            return "this user (uid \(getuid())) cannot write the file (copied in by another user, as a restore by root is?): "
                + "give the service's user the file"
        }
        return nil
    }

    /// The folder a file is in, "." for a bare name: where SQLite keeps the store's -wal and -shm, and
    /// the disk a file is written to (`whyNotOpened`, `whyNotWritable`, a backup's full disk).
    static func folder(of path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// Why no write to the store at `path` can succeed though it opens and reads: its file system
    /// is mounted read-only. Nil when it is not, or cannot be asked. Every writer asks it before
    /// writing and `doctor` asks it too: SQLite's own "attempt to write a readonly database" named
    /// no file and no cause, and doctor said all was well (audit 25, F3).
    public static func whyNotWritable(_ path: String) -> String? {
        let folder = SQLiteStore.folder(of: path)
        var fs = statvfs()
        guard statvfs(folder, &fs) == 0 else { return nil }
        return readOnlyFileSystem(flags: UInt(fs.f_flag))
    }

    /// The words for a file system whose mount `flags` (statvfs's `f_flag`) say read-only, else nil.
    static func readOnlyFileSystem(flags: UInt) -> String? {
        guard flags & UInt(ST_RDONLY) != 0 else { return nil }
        return "its file system is read-only (a path outside /var/lib/encompass, the only one the units' ProtectSystem=strict "
            + "lets them write, or a disk remounted read-only after an error: see `dmesg`): keep the store under "
            + "/var/lib/encompass, or remount its disk read-write"
    }

    /// Opens the pool, trying again while the file is locked. Opening switches a new file to WAL,
    /// and SQLite makes that switch inside a read transaction it already holds, so a lock held by
    /// another connection fails it at once ("database is locked"), without the busy timeout's
    /// wait: two processes opening a new file at the same moment (ten `ingest`s started at once),
    /// or an `sqlite3` shell holding a transaction, failed the open. Tries again for as long as a
    /// statement would wait.
    private static func openPool(path: String, configuration: Configuration, waiting: TimeInterval,
                                 whenBusy: (() -> Void)?) throws -> DatabasePool {
        try retryingWhileBusy(for: waiting, whenBusy: whenBusy) { try DatabasePool(path: path, configuration: configuration) }
    }

    /// Runs `attempt` again while it fails with SQLITE_BUSY, for up to `waiting`, pausing a little
    /// longer each time; then its failure is thrown. For what SQLite refuses at once while another
    /// connection holds the file instead of waiting as a statement does (a journal mode's switch).
    static func retryingWhileBusy<T>(for waiting: TimeInterval, whenBusy: (() -> Void)? = nil, _ attempt: () throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(waiting)
        var pause: TimeInterval = 0.001
        while true {
            do {
                return try attempt()
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                whenBusy?()
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 0.1)
            }
        }
    }

    public func migrationStatus() async throws -> MigrationStatus {
        try status()
    }

    public func transport() async throws -> StoreTransport { .localFile }

    public var damageCheck: String? { "its pages checked (SQLite's quick_check)" }

    public func whyNotWritable() async throws -> String? {
        Self.whyNotWritable(path).map { "cannot write \(path): \($0)" }
    }

    /// `PRAGMA quick_check`: every page and record well formed, without matching indexes to their
    /// tables (`integrity_check`'s costly part); its first problem, in one line, when not "ok".
    public func damage() async throws -> String? {
        try await pool.read { db in
            let first = try String.fetchOne(db, sql: "PRAGMA quick_check(1)") ?? "no answer from quick_check"
            guard first != "ok" else { return nil }
            // "*** in database main ***" then the problem, on lines of their own.
            return first.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("***") }.joined(separator: "; ")
        }
    }

    public func migrate(for access: SchemaAccess) async throws -> [String] {
        // Every writer comes here first: refused now, by name, rather than at its first write.
        if access != .read, let why = try await whyNotWritable() { throw StoreError.unavailable(why) }
        return try migrateUnderLock(for: access)
    }

    /// Synchronous throughout: the lock is held on this thread and nothing awaits while it is.
    private func status() throws -> MigrationStatus {
        let migrator = SQLiteSchema.migrator
        let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
        return MigrationStatus(known: knownMigrations, applied: applied)
    }

    private func migrateUnderLock(for access: SchemaAccess) throws -> [String] {
        // The rule is asked under a lock every process of this program takes (the folder's, see
        // `FolderLock`), so several processes starting at once on a new file set it up once: the
        // rest wait, then find it up to date. GRDB runs each migration in a transaction of its own.
        let lock = FolderLock(containing: path)
        defer { lock.release() }
        let run = try SchemaRule.migrationsToRun(try status(), for: access)
        guard let last = run.last else { return [] }
        // A process of an older version (no lock) may still race on a new file: every failure is
        // a migration it applied, so a few more tries than there are migrations always suffice.
        let migrator = SQLiteSchema.migrator
        var tries = migrator.migrations.count + 2
        while true {
            do {
                try migrator.migrate(pool, upTo: last)
                return run
            } catch let error as DatabaseError {
                tries -= 1
                if tries == 0 { throw error }
            }
        }
    }

    // MARK: ingest

    public func ingest(_ incidents: [Incident], actor: String, at now: Date, planner: AlertPlanner?) async throws -> IngestSummary {
        try await ingest(IncidentFeed(batch: incidents), actor: actor, at: now, planner: planner, directory: nil)
    }

    public func makeIncidentFeed(expectedRows: Int, episodes: [Episode]?) -> IncidentFeed {
        IncidentFeed(encoder: SQLiteFeedEncoder(expectedRows: expectedRows), episodes: episodes)
    }

    public func ingest(_ feed: IncidentFeed, actor: String, at now: Date, planner: AlertPlanner?,
                       directory: SchoolDirectory?) async throws -> IngestSummary {
        defer { feed.close() }
        // A first load can be larger than the page cache: its pages go to disk as they are made.
        let writeBehind = path == ":memory:" ? nil : SQLiteWriteBehind(databasePath: path)
        defer { writeBehind?.stop() }
        // A first load writes its pages once, out of WAL mode (`SQLiteFirstLoadJournal`), which
        // SQLite allows only when no other connection has the file open: this process's idle
        // readers are closed first (they open again when next needed).
        let firstLoad = path == ":memory:" ? false : try await pool.read { try SQLiteFirstLoad.isFirstLoad($0) }
        if firstLoad { pool.releaseMemory() }
        return try await pool.writeWithoutTransaction { db in
            let journal = firstLoad ? try SQLiteFirstLoadJournal.leaveWAL(db) : nil
            defer { journal?.returnToWAL(db) }
            // Off for this transaction only: SQLiteIngest keeps the references itself (see there).
            // The pragma cannot change inside a transaction, so it is set around it.
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            defer { try? db.execute(sql: "PRAGMA foreign_keys = ON") }
            var summary = IngestSummary()
            var redo: [Incident]?
            try db.inTransaction {
                // First, so the alerts are planned with the directory's key adults; in the batch's
                // transaction, so a batch refused late takes it back too.
                if let directory { try Self.importDirectory(db, directory) }
                let writer = try SQLiteIngest(db: db, actor: actor, now: now, planner: planner)
                // A feed made by `makeIncidentFeed` arrives encoded (the fast path); any other is
                // encoded here, by the same encoder, on the writer's thread (the plain path).
                let local = feed.encoder is SQLiteFeedEncoder ? nil : SQLiteFeedEncoder()
                while let chunk = feed.next() {
                    guard let rows = local?.chunk(chunk.incidents) ?? chunk.encoded as? SQLiteFeedEncoder.Chunk else {
                        throw StoreError.unavailable("an ingest chunk was not encoded for SQLite")
                    }
                    try writer.write(rows)
                }
                switch feed.outcome {
                case .complete:
                    summary = try writer.finish()
                    summary.episodes = try feed.episodes.map { try SQLiteEpisodeWriter.write($0, db: db, actor: actor, now: now) }
                    return .commit
                case .abandoned:
                    throw IngestAbandoned()
                case .redo(let batch):
                    redo = batch
                    return .rollback
                }
            }
            if let redo {
                try db.inTransaction {
                    if let directory { try Self.importDirectory(db, directory) }
                    summary = try SQLiteIngest(db: db, actor: actor, now: now, planner: planner).run(redo)
                    summary.episodes = try feed.episodes.map { try SQLiteEpisodeWriter.write($0, db: db, actor: actor, now: now) }
                    return .commit
                }
            }
            return summary
        }
    }

    // MARK: risk

    /// The floor is not applied here: SQLite's scan reads the links in place, and the queue's own
    /// quick skip drops those children for less than a GROUP BY would cost.
    /// `start` is awaited first: the scan runs in this process, on the cores `start`'s own work needs.
    public func scanChildHistories<Context: Sendable>(
        windowStart: Date, asOf: Date, parts: Int, start: @escaping @Sendable () async throws -> ScanStart<Context>,
        _ visit: @escaping @Sendable (Int, ChildHistory, () throws -> ChildSummary, Context) throws -> Void
    ) async throws -> Context {
        let context = try await start().context
        let (schoolNames, referrals, lastKey) = try await pool.read { db in
            let names = try Dictionary(Row.fetchAll(db, sql: "SELECT urn, name FROM schools").map { ($0[0] as String, $0[1] as String) },
                                       uniquingKeysWith: { a, _ in a })
            var referrals: [Int64: [LocalDate]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT c.child_key, d.on_date FROM decisions d JOIN children c ON c.child_id = d.child_id
                WHERE d.marac = 'referred'
                """) {
                if let d = LocalDate(iso: row[1] as String) { referrals[row[0], default: []].append(d) }
            }
            return (names, referrals, try Int64.fetchOne(db, sql: "SELECT max(child_key) FROM children") ?? 0)
        }
        // Child keys are dense, so equal key ranges are about equal work. Each part is its own read
        // transaction: a child's incidents are always read together, from one snapshot.
        guard lastKey > 0 else { return context }
        let parts = Int64(max(1, min(parts, Int(lastKey))))
        let step = (lastKey + parts - 1) / parts
        let scan = ChildHistoryScan(windowStart: windowStart, asOf: asOf, schoolNames: schoolNames, referrals: referrals)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for part in 0..<parts {
                group.addTask {
                    try await self.pool.read { db in
                        try scan.run(db, keys: (part * step + 1)...((part + 1) * step)) { h, summary in
                            try visit(Int(part), h, summary, context)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        return context
    }

    public func childSummaries(_ childIds: [String]) async throws -> [String: ChildSummary] {
        try await pool.read { db in
            var out: [String: ChildSummary] = [:]
            if childIds.count > 500 {
                // A long queue: one scan beats a lookup per child.
                let wanted = Set(childIds)
                let names = try Dictionary(Row.fetchAll(db, sql: "SELECT urn, name FROM schools").map { ($0[0] as String, $0[1] as String) },
                                           uniquingKeysWith: { a, _ in a })
                let cursor = try Row.fetchCursor(db, sql: "SELECT child_id, school_urn FROM children")
                while let row = try cursor.next() {
                    let id: String = row[0]
                    guard wanted.contains(id) else { continue }
                    let urn: String? = row[1]
                    out[id] = ChildSummary(childId: id, schoolURN: urn, schoolName: urn.flatMap { names[$0] })
                }
                return out
            }
            let statement = try db.makeStatement(sql: """
                SELECT c.child_id, c.school_urn, s.name FROM children c
                LEFT JOIN schools s ON s.urn = c.school_urn WHERE c.child_id = ?
                """)
            for id in childIds {
                if let row = try Row.fetchOne(statement, arguments: [id]) {
                    out[id] = ChildSummary(childId: row[0], schoolURN: row[1], schoolName: row[2])
                }
            }
            return out
        }
    }

    // MARK: decisions

    public func changeVersion() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT version FROM store_changes WHERE id = 1") ?? 0 }
    }

    public func childExists(_ childId: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM children WHERE child_id = ?)", arguments: [childId]) ?? false
        }
    }

    public func record(_ decision: Decision) async throws {
        try await pool.write { db in
            try SQLiteDecisions.insert(db, decision)
            try SQLiteSchema.noteChange(db)
            // Who ran it is the actor; the name given stays beside it.
            var detail = ["on": decision.on.description]
            if decision.recordedBy != nil { detail["by"] = decision.by }
            try SQLiteAudit.append(db, at: decision.recordedAt, actor: decision.recordedBy ?? decision.by,
                                   action: decision.auditAction, subject: "child:\(decision.childId)",
                                   detail: detail)
        }
    }

    public func decisions(childId: String) async throws -> [Decision] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(SQLiteDecisions.columns) FROM all_decisions d WHERE d.child_id = ? ORDER BY \(SQLiteDecisions.order)
                """, arguments: [childId]).compactMap(SQLiteDecisions.decision)
        }
    }

    // MARK: directory

    public func replaceDirectory(_ directory: SchoolDirectory) async throws {
        try await pool.write { db in try Self.importDirectory(db, directory) }
    }

    /// Config/'s directory, in the caller's transaction: `replaceDirectory`'s, or an ingest's.
    static func importDirectory(_ db: Database, _ directory: SchoolDirectory) throws {
        // Before anything is written: a key adult at a school no directory knows is refused.
        try directory.checkNamedSchools(imported: SQLiteSchools.held(db, directory.namedSchoolsNotInFile))
        // Schools are upserted, never cleared: those loaded by `encompass schools import` stay.
        let school = try db.makeStatement(sql: SQLiteSchools.upsert)
        for s in directory.schools {
            try school.execute(arguments: [s.urn, s.name, s.laCode, s.telephone])
        }
        // Key adults: Config/key-adults.csv replaces the list when the file changes; an admin's
        // changes in the app stand until then.
        try importKeyAdults(db, directory.keyAdults, at: Date())
    }

    public func counts() async throws -> StoreCounts {
        try await pool.read { db in
            func count(_ table: String) throws -> Int { try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
            return StoreCounts(incidents: try count("incidents"), children: try count("children"),
                               links: try count("incident_children"), decisions: try count("decisions"),
                               auditEntries: try count("audit"))
        }
    }

    public func auditEntries(limit: Int) async throws -> [AuditEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT at, actor, action, subject, detail FROM audit ORDER BY audit_key DESC LIMIT ?",
                             arguments: [limit]).map { row in
                AuditEntry(at: Date(timeIntervalSince1970: row[0]), actor: row[1], action: row[2], subject: row[3], detail: row[4])
            }
        }
    }
}

enum SQLiteAudit {
    /// `detail` is any JSON-serialisable value (for an update: each changed field, old and new).
    static func append(_ db: Database, at: Date, actor: String, action: String, subject: String, detail: Any?) throws {
        let text = try AuditDetail.text(detail)
        // Cached: compiling a statement runs GRDB's authorizer over every column it touches, and
        // some commands write an audit row a record (a purge of 30,955 incidents).
        try db.cachedStatement(sql: "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [at.timeIntervalSince1970, actor, action, subject, text])
    }
}

/// One line for a database failure (busy, full, corrupt): SQLite's own words, which name tables
/// and constraints, never the values.
extension DatabaseError: StoreFailure {
    /// The result code's words when the message is missing or is SQLite's "not an error" (what a
    /// failed backup step leaves on the connection, a full disk included).
    public var problem: String {
        guard let message, message != "not an error" else { return "\(resultCode)" }
        // SQLite's words name no disk: say which to free (audit 22, resilience F5).
        if resultCode.primaryResultCode == .SQLITE_FULL {
            return message + ": free space on the disk that holds the store (its folder, with the -wal file) "
                + "or, for a large sort, the temporary folder (TMPDIR)"
        }
        // SQLite's words say nothing of who holds the store or what to do: the morning run gave up
        // "database is locked" while a correcting feed's ingest held the write lock (audit 27, chaos F2).
        if resultCode.primaryResultCode == .SQLITE_BUSY {
            return message + ": another program held the store's write lock for over \(Int(SQLiteStore.busySeconds)) s "
                + "(a large or correcting `encompass ingest`, a `retention --purge`, an sqlite3 shell?) and this command's "
                + "change was not written: run it again once that one has finished (the notify timer's next run takes what is due)"
        }
        return message
    }

    /// A full disk, a store made read-only, a damaged file: none mends itself while a run waits.
    public var mayClearItself: Bool {
        switch resultCode.primaryResultCode {
        case .SQLITE_FULL, .SQLITE_READONLY, .SQLITE_CORRUPT, .SQLITE_NOTADB: false
        default: true
        }
    }
}
