import Foundation
import GRDB
import PostgresNIO
@testable import PostgresStore
import RiskModel
import StoreContract
import Stores
import Testing
import TestSupport

/// The fast path of an ingest into an empty store against the plain path, on both databases:
/// PostgreSQL's first load (`PostgresFirstLoad`: the links' keys and indexes dropped and built again)
/// against the same ingest with it turned off, SQLite's rows encoded by the reader's thread against
/// a feed without an encoder; and each database's fast path against the other's.
@Suite("An ingest's fast path into an empty store against its plain path")
struct FirstLoadTests {
    let now = at("2026-11-22T08:00:00Z")

    /// Children recurring across incidents, some without a school or with words to escape, grades of
    /// all kinds, and perpetrators with one victim and with several (the serial-perpetrator candidates).
    var batch: [Incident] {
        (0..<400).map { n in
            // One time with a fraction of a second: COPY's text of a double that is not a whole number.
            Incident(id: "I-\(n)", reportedAt: at("2026-10-\(String(format: "%02d", 1 + n % 28))T10:00:00Z").addingTimeInterval(n == 5 ? 0.25 : 0),
                     officerGrade: [Grade.standard, .medium, .high][n % 3], dashYesCount: n % 20,
                     supervisorGrade: n % 11 == 0 ? .high : nil, victimId: "V-\(n % 7)", perpetratorId: n % 5 == 0 ? nil : "P-\(n % 13)",
                     children: (0..<(1 + n % 3)).map {
                         child("C-\(n % 60 + $0)", urn: $0 == 2 ? nil : "120501", voice: n % 7 == 0 ? "words\t\(n)\\" : nil)
                     })
        }
    }

    /// One ingest of `batch` into a new store, pushed from a thread of its own as ingest reads.
    /// `episodes`: ingested first, so the store holds children (and no incident) before the load.
    /// `writeBatch`: PostgreSQL's incidents per batch (several batches: a first load's are made
    /// ready while the one before is sent). `rowsOnly`: PostgreSQL, written by a role that was
    /// granted the rows of the tables the owner made, not the tables themselves.
    /// `heldOpen`: SQLite, with another connection holding the file open throughout (so the load
    /// stays in WAL mode; see `SQLiteFirstLoadJournal`).
    func load(_ kind: StoreKind, fast: Bool, abandon: Bool = false, episodes: [Episode]? = nil, batch: [Incident]? = nil,
              writeBatch: Int = PostgresStore.defaultWriteBatch, rowsOnly: Bool = false, heldOpen: Bool = false) async throws -> TempStore {
        var t = try await TempStore(kind)
        let holder = heldOpen ? try DatabaseQueue(path: t.path) : nil
        defer { withExtendedLifetime(holder) {} }
        _ = try await holder?.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master") }
        if kind == .postgres, !fast || writeBatch != PostgresStore.defaultWriteBatch, let pg = t.store as? PostgresStore {
            t = TempStore(t, store: PostgresStore(pg.database, bulkFirstLoad: fast, writeBatch: writeBatch))
        }
        if rowsOnly {
            let role = "encompass_rows"
            let granted = try await PostgresServer.shared().psql(String(t.url.split(separator: "/").last!), """
                DO $$ BEGIN CREATE ROLE \(role) LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
                GRANT USAGE ON SCHEMA public TO \(role);
                GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(role);
                GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO \(role);
                """)
            try #require(granted.exitCode == 0, "\(granted.output)")
            t = TempStore(t, store: try StoreFactory.open(t.url.replacingOccurrences(of: "//encompass@", with: "//\(role)@")))
        }
        if let episodes {
            _ = try await t.store.ingest(IncidentFeed(batch: [], episodes: episodes), actor: "test", at: now, planner: nil)
        }
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501")]))
        let feed = fast ? t.store.makeIncidentFeed(expectedRows: 800, episodes: nil) : IncidentFeed()
        let batch = batch ?? self.batch
        let writer = Task { [store = t.store, now] in
            try await store.ingest(feed, actor: "test", at: now, planner: SchoolDirectoryStoreTests.planner)
        }
        Self.read(batch, into: feed, abandon: abandon)
        if abandon {
            await #expect(throws: IngestAbandoned.self) { _ = try await writer.value }
        } else {
            _ = try await writer.value
        }
        return t
    }

    /// Pushes `batch` into `feed` in chunks of 64, as ingest's reader does, from a thread of its own.
    static func read(_ batch: [Incident], into feed: IncidentFeed, abandon: Bool = false) {
        Thread {
            for start in stride(from: 0, to: batch.count, by: 64) { feed.push(Array(batch[start..<min(start + 64, batch.count)])) }
            feed.finish(abandon ? .abandoned : .complete)
        }.start()
    }

    func tables(_ store: any FullStore) async throws -> [String: [String]] {
        var tables: [String: [String]] = [:]
        // directory_imports keeps when each store imported Config/'s key adults: not the feed's doing.
        for table in StoreTable.all where table.name != "directory_imports" {
            tables[table.name] = try await store.rows(of: table).map { "\($0)" }.sorted()
        }
        return tables
    }

    /// The tables a first load changes, for PostgreSQL's catalog.
    static let relations = "('incidents'::regclass, 'incident_children'::regclass, 'children'::regclass)"

    /// What PostgreSQL's catalog says of the tables the first load changes (their constraints and
    /// indexes by definition, and whether each trigger is enabled), and the serial-perpetrator
    /// candidates the trigger keeps.
    func catalog(_ t: TempStore) async throws -> (definitions: String, candidates: String) {
        let db = String(t.url.split(separator: "/").last!)
        let relations = Self.relations
        func run(_ sql: String) async throws -> String {
            let result = try await PostgresServer.shared().psql(db, sql)
            #expect(result.exitCode == 0, "\(result.output)")
            return result.output
        }
        return (try await run("""
                    SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint
                    WHERE conrelid IN \(relations) OR confrelid IN \(relations)
                    UNION ALL SELECT indexrelid::regclass || ' ' || pg_get_indexdef(indexrelid) || ' ' || indisvalid FROM pg_index WHERE indrelid IN \(relations)
                    UNION ALL SELECT tgname || ' ' || tgenabled::text FROM pg_trigger WHERE tgrelid IN \(relations) AND NOT tgisinternal
                    ORDER BY 1
                    """),
                try await run("SELECT string_agg(perpetrator_id, ',' ORDER BY perpetrator_id) FROM serial_candidates"))
    }

    @Test(arguments: StoreKind.allCases)
    func theFastPathWritesWhatThePlainPathWrites(kind: StoreKind) async throws {
        let fast = try await load(kind, fast: true)
        defer { fast.cleanUp() }
        let plain = try await load(kind, fast: false)
        defer { plain.cleanUp() }
        let written = try await tables(fast.store)
        #expect(written["incidents"]?.count == 400)
        #expect(written["alerts"]?.isEmpty == false, "the batch queues alerts")
        #expect(written == (try await tables(plain.store)))
        // Each database's fast path writes what the other's does, key for key.
        let other = try await load(kind == .sqlite ? .postgres : .sqlite, fast: true)
        defer { other.cleanUp() }
        #expect(written == (try await tables(other.store)))

        guard kind == .postgres else { return }
        let empty = try await TempStore(.postgres)
        defer { empty.cleanUp() }
        let before = try await catalog(empty).definitions
        let afterFast = try await catalog(fast)
        let afterPlain = try await catalog(plain)
        #expect(afterFast.definitions == before, "every key, index and trigger is back as it was")
        #expect(afterPlain.definitions == before)
        #expect(afterFast.candidates == "P-0,P-1,P-10,P-11,P-12,P-2,P-3,P-4,P-5,P-6,P-7,P-8,P-9\n")
        #expect(afterFast.candidates == afterPlain.candidates)
        // A later ingest into the loaded store takes the plain path and finds everything as stored.
        let again = try await fast.store.ingest(batch, actor: "test", at: now, planner: SchoolDirectoryStoreTests.planner)
        #expect((again.added, again.updated, again.unchanged) == (0, 0, 400))
    }

    /// SQLite's first load leaves WAL mode when nothing else has the file open, so its pages are
    /// written to the file once and never to the WAL, and comes back to WAL mode; with another
    /// connection holding the file it stays in WAL mode. Both write the same rows.
    @Test func aSQLiteFirstLoadWritesItsPagesOnceAndWhatAWALLoadWrites() async throws {
        let once = try await load(.sqlite, fast: true)
        defer { once.cleanUp() }
        let held = try await load(.sqlite, fast: true, heldOpen: true)
        defer { held.cleanUp() }
        func walBytes(_ t: TempStore) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: t.path + "-wal"))?[.size] as? Int) ?? 0
        }
        #expect(walBytes(once) == 0, "nothing of the load went through the WAL")
        #expect(walBytes(held) > 100_000, "held open, the load went through the WAL")
        for t in [once, held] {
            #expect(try await DatabaseQueue(path: t.path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        }
        let written = try await tables(once.store)
        #expect(written["incidents"]?.count == 400)
        #expect(written == (try await tables(held.store)))
    }

    /// A first load refused midway leaves SQLite's store empty and in WAL mode.
    @Test func aSQLiteFirstLoadRefusedMidwayLeavesTheStoreEmptyInWALMode() async throws {
        let t = try await load(.sqlite, fast: true, abandon: true)
        defer { t.cleanUp() }
        #expect(try await tables(t.store)["incidents"] == [])
        #expect(try await DatabaseQueue(path: t.path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }

    /// The constraints and indexes of the tables a first load changes that are newer than the last
    /// object the migrations made (pg13 makes the decisions' view again after every index it
    /// rebuilds): object ids are handed out in order, so these were made again.
    func rebuilt(_ t: TempStore) async throws -> [String] {
        let db = String(t.url.split(separator: "/").last!)
        let result = try await PostgresServer.shared().psql(db, """
            SELECT x.name FROM (
                SELECT conname::text AS name, oid FROM pg_constraint WHERE conrelid IN \(Self.relations) OR confrelid IN \(Self.relations)
                UNION ALL SELECT indexrelid::regclass::text, indexrelid FROM pg_index WHERE indrelid IN \(Self.relations)
            ) x WHERE x.oid > 'all_decisions'::regclass::oid
            ORDER BY 1
            """)
        #expect(result.exitCode == 0, "\(result.output)")
        return result.output.split(separator: "\n").map(String.init)
    }

    /// A first load into a store whose only children came from episodes looks those children up:
    /// each is stored once, with the batch's newest details, and both paths write the same. On
    /// PostgreSQL the children's unique ids stay in place for it (the look-ups use them).
    @Test(arguments: StoreKind.allCases)
    func aFirstLoadAfterEpisodesWritesWhatThePlainPathWrites(kind: StoreKind) async throws {
        let episodes = [EpisodeStoreTests.episode("E-1", child: "C-5", missing: "2026-09-01T20:00:00Z")]
        let fast = try await load(kind, fast: true, episodes: episodes)
        defer { fast.cleanUp() }
        let plain = try await load(kind, fast: false, episodes: episodes)
        defer { plain.cleanUp() }
        let written = try await tables(fast.store)
        #expect(written == (try await tables(plain.store)))
        let children = try #require(written["children"])
        #expect(children.count == Set(batch.flatMap { $0.children.map(\.childId) }).count)
        let c5 = children.filter { $0.contains("\"C-5\"") }
        #expect(c5.count == 1)
        #expect(c5.first?.contains("2015-05-05") == true, "the batch's date of birth replaces the episode's (2012-03-03)")
        guard kind == .postgres, let pg = fast.store as? PostgresStore else { return }
        // What a first load would set aside, asked inside a transaction that is then rolled back.
        struct RolledBack: Error { let restore: [String] }
        let empty = try await load(kind, fast: true, episodes: episodes, batch: [])
        defer { empty.cleanUp() }
        do {
            _ = try await (empty.store as? PostgresStore)?.database.transaction { conn in
                throw RolledBack(restore: try await PostgresFirstLoad.begin(conn, pg.logger)?.restore ?? [])
            }
        } catch let e as RolledBack {
            #expect(e.restore.contains { $0.contains("incidents_incident_id_key") })
            #expect(!e.restore.contains { $0.contains("children_child_id_key") }, "looked up by child id: kept")
            #expect(e.restore.contains { $0.contains("CONSTRAINT incidents_pkey") })
            #expect(!e.restore.contains { $0.contains("CONSTRAINT children_pkey") }, "children stored: their key kept")
        }
    }

    /// A first load of several batches on PostgreSQL: each batch's rows are made while the one
    /// before is sent, and the keys are counted by the writer. What it writes is what the plain path
    /// writes, batch for batch (children recurring across batches: their newer details held for the
    /// end), and the key sequences are left past every key taken, so the next ingest's new rows fit.
    @Test func aFirstLoadInSeveralBatchesWritesWhatThePlainPathWrites() async throws {
        let fast = try await load(.postgres, fast: true, writeBatch: 64)
        defer { fast.cleanUp() }
        let plain = try await load(.postgres, fast: false, writeBatch: 64)
        defer { plain.cleanUp() }
        let whole = try await load(.postgres, fast: false)
        defer { whole.cleanUp() }
        let written = try await tables(fast.store)
        #expect(written["incidents"]?.count == 400)
        #expect(written == (try await tables(plain.store)))
        #expect(written == (try await tables(whole.store)), "in one batch or seven, the same rows")
        // New incidents and a new child after the load: keys after the load's (a key taken again
        // would break the primary keys).
        let later = (400..<403).map { n in
            Incident(id: "I-\(n)", reportedAt: at("2026-11-01T10:00:00Z"), officerGrade: .standard, victimId: "V-1", perpetratorId: "P-1",
                     children: [child(n == 400 ? "C-NEW" : "C-1", urn: "120501")])
        }
        for t in [fast, plain] {
            let summary = try await t.store.ingest(later, actor: "test", at: now, planner: SchoolDirectoryStoreTests.planner)
            #expect((summary.added, summary.children) == (3, 2))
        }
        #expect(try await tables(fast.store) == (try await tables(plain.store)))
    }

    /// A correction feed on PostgreSQL's plain path: every incident changed (another grade, a child
    /// moved school, one child dropped), in seven batches of 64 and in one; what each writes (the
    /// incidents, the links, the audit's diffs, the alerts re-planned or withdrawn) is what SQLite
    /// writes. The batches' changed incidents are read, audited and updated a batch at once.
    @Test func aCorrectionFeedInSeveralBatchesWritesWhatSQLiteWrites() async throws {
        let corrected = batch.map { i in
            Incident(id: i.id, reportedAt: i.reportedAt, officerGrade: i.officerGrade == .high ? .standard : .high, dashYesCount: i.dashYesCount,
                     supervisorGrade: nil, victimId: i.victimId, perpetratorId: i.perpetratorId,
                     children: i.children.dropLast(i.children.count > 1 ? 1 : 0).map { child($0.childId, urn: $0.schoolURN == nil ? "120501" : nil) })
        }
        var written: [[String: [String]]] = []
        for (kind, writeBatch) in [(StoreKind.postgres, 64), (.postgres, PostgresStore.defaultWriteBatch), (.sqlite, 0)] {
            let t = try await load(kind, fast: false, writeBatch: kind == .postgres ? writeBatch : PostgresStore.defaultWriteBatch)
            defer { t.cleanUp() }
            let summary = try await t.store.ingest(corrected, actor: "test", at: now.addingTimeInterval(60), planner: SchoolDirectoryStoreTests.planner)
            #expect(summary.updated == 400)
            written.append(try await tables(t.store))
        }
        #expect(written[0]["audit"]?.filter { $0.contains("incident.updated") }.count == 400)
        #expect(written[0] == written[1], "in seven batches or one, the same rows")
        #expect(written[0] == written[2], "as SQLite writes them")
    }

    /// A batch the server refuses after earlier batches went in (a text PostgreSQL cannot keep, which
    /// only a feed that skipped validation could carry): the ingest fails and nothing of it stays,
    /// not the earlier batches, not the dropped keys; the next load goes in whole. (PostgreSQL aborts
    /// the transaction at the refusal, so even a writer that lost the send's error would fail at the
    /// end: what this pins is that nothing of the load stays.)
    @Test func aBatchRefusedMidwayInAFirstLoadLeavesNothing() async throws {
        var refused = batch
        refused[300] = Incident(id: "I-300", reportedAt: at("2026-10-01T10:00:00Z"), officerGrade: .standard, victimId: "V-\u{0}",
                                perpetratorId: nil, children: [child("C-0", urn: "120501")])
        let t = try await TempStore(.postgres)
        defer { t.cleanUp() }
        let fresh = try await catalog(t).definitions
        let pg = try #require(t.store as? PostgresStore)
        let store = PostgresStore(pg.database, bulkFirstLoad: true, writeBatch: 64)
        let feed = store.makeIncidentFeed(expectedRows: 800, episodes: nil)
        Self.read(refused, into: feed)
        await #expect(throws: (any Error).self) {
            _ = try await store.ingest(feed, actor: "test", at: now, planner: SchoolDirectoryStoreTests.planner)
        }
        #expect(try await store.counts().incidents == 0)
        #expect(try await tables(store)["children"]?.isEmpty == true)
        #expect(try await catalog(t).definitions == fresh, "every key and index as it was")
        let summary = try await store.ingest(batch, actor: "test", at: now, planner: SchoolDirectoryStoreTests.planner)
        #expect(summary.added == 400)
    }

    /// A reader that holds the links and then asks for the children, caught between the two by a
    /// first load that holds the children and waits for the links: PostgreSQL fails one of the two
    /// waits, the load's. The load takes its locks again once the reader is done, and goes in; the
    /// reader's read goes through. (Without the retry, the load fails: deadlock.)
    @Test func aFirstLoadCaughtInADeadlockWithAReaderTakesItsLocksAgain() async throws {
        let t = try await TempStore(.postgres)
        defer { t.cleanUp() }
        let pg = try #require(t.store as? PostgresStore)
        let (db, logger, now, batch) = (String(t.url.split(separator: "/").last!), pg.logger, now, batch)
        let waiting = "SELECT count(*) FROM pg_locks WHERE relation = 'incident_children'::regclass AND mode = 'AccessExclusiveLock' AND NOT granted"
        // Each waiter looks for a deadlock once its own deadlock_timeout has passed, and the first to
        // look is the one failed. The load waits first, so its look usually comes first, but under the
        // whole suite's load the reader's came first once: the reader was failed, and the test with
        // it. The reader is the tests' superuser (only a superuser may set deadlock_timeout) and
        // looks after an hour, so the load is always the one failed, as this test needs.
        let superuser = try PostgresDatabase(location: PostgresLocation(url: t.url.replacingOccurrences(of: "//encompass@", with: "//postgres@")),
                                             password: nil)
        let summary = try await superuser.session { reader in
            try await reader.run("SET deadlock_timeout = '1h'", logger)
            try await reader.run("BEGIN", logger)
            try await reader.run("LOCK TABLE incident_children IN ACCESS SHARE MODE", logger)
            let load = Task { try await pg.ingest(batch, actor: "test", at: now, planner: nil) }
            // Until the load waits for the links: it holds the alerts, incidents and children by then.
            while try await PostgresServer.shared().psql(db, waiting).output != "1\n" { try await Task.sleep(for: .milliseconds(5)) }
            try await reader.run("SELECT count(*) FROM children", logger)
            try await reader.run("COMMIT", logger)
            return try await load.value
        }
        #expect(summary.added == 400)
        #expect(try await rebuilt(t).contains("incidents_pkey"), "the fast path, not the plain one")
    }

    /// The fast path did run (its keys and indexes were made again: new object ids), and an
    /// abandoned first load leaves the schema exactly as it was: the drops are rolled back with it.
    @Test func aFirstLoadRebuildsTheLinksKeysAndAnAbandonedOneLeavesThemAlone() async throws {
        let fast = try await load(.postgres, fast: true)
        defer { fast.cleanUp() }
        let plain = try await load(.postgres, fast: false)
        defer { plain.cleanUp() }
        let abandoned = try await load(.postgres, fast: true, abandon: true)
        defer { abandoned.cleanUp() }
        let fresh = try await TempStore(.postgres)
        defer { fresh.cleanUp() }
        #expect(try await rebuilt(fast) == ["alerts_child_key_fkey", "alerts_incident_key_fkey", "children_child_id_key", "children_child_id_key",
                                      "children_pkey", "children_pkey", "incident_children_by_incident",
                                      "incident_children_child_key_fkey", "incident_children_incident_key_fkey", "incident_children_pkey",
                                      "incident_children_pkey", "incidents_by_perpetrator", "incidents_incident_id_key", "incidents_incident_id_key",
                                      "incidents_pkey", "incidents_pkey"])
        #expect(try await rebuilt(plain).isEmpty)
        #expect(try await rebuilt(abandoned).isEmpty)
        // A force may migrate as the owner and run every command as a role granted the rows alone:
        // dropping a key needs the owner, so that role's first load takes the plain path, and
        // writes what the owner's does.
        let rowsOnly = try await load(.postgres, fast: true, rowsOnly: true)
        defer { rowsOnly.cleanUp() }
        #expect(try await rebuilt(rowsOnly).isEmpty)
        #expect(try await tables(rowsOnly.store) == (try await tables(fast.store)))
        #expect(try await catalog(abandoned).definitions == (try catalog(fresh).definitions))
        #expect(try await abandoned.store.counts().incidents == 0)
    }
}

extension TempStore {
    /// The same database through another store value (one made with a test's own settings).
    init(_ t: TempStore, store: any FullStore) {
        kind = t.kind
        dir = t.dir
        url = t.url
        self.store = store
    }
}
