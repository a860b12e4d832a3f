import Foundation
import GRDB
import RiskModel
import StoreContract
import Stores
import Testing
import TestSupport

/// `copy-store`: everything from one database into an empty one, SQLite to PostgreSQL and back,
/// every table compared row for row.
@Suite("Copying a store between databases")
struct CopyStoreTests {
    let now = at("2026-11-22T08:00:00Z")

    /// A store with something in every table copy-store carries.
    func filled() async throws -> TempStore {
        let t = try await TempStore(.sqlite)
        try await t.store.replaceDirectory(SchoolDirectory(
            schools: [School(urn: "120501", name: "Boston Pioneers Primary Academy", laCode: "925", telephone: "01632 960100")],
            keyAdults: [SchoolDirectoryStoreTests.adult("120501")]))
        _ = try await t.store.ingest(IncidentFeed(batch: [
            incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", voice: "tab\there, line\nthere, back\\slash"), child("C-2", urn: nil)]),
            incident("I-2", "2026-11-20T20:00:00Z", grade: .high, yes: 15, children: [child("C-1")]),
        ], episodes: [EpisodeStoreTests.episode("E-1", child: "C-3", missing: "2026-11-01T20:00:00Z", returned: "2026-11-02T08:00:00Z")]),
            actor: "test", at: now, planner: SchoolDirectoryStoreTests.planner)
        try await t.store.record(Decision(childId: "C-3", kind: .strategyMeeting, outcome: .held, on: LocalDate(iso: "2026-11-21")!,
                                          reason: nil, by: "hub.lead", recordedAt: now))
        try await t.store.record(Decision(childId: "C-1", outcome: .declined, on: LocalDate(iso: "2026-11-21")!, reason: "Known to MARAC",
                                          by: "hub.lead", recordedAt: now), strategyDiscussion: true, actor: "user:hub.lead")
        _ = try await t.store.regrade(incidentId: "I-1", to: .medium, reason: "Reviewed", by: "sam", at: now)
        try await t.store.addUser(name: "Hana", role: .hub, passwordHash: "$2b$04$hash", by: "test", at: now)
        try await t.store.resetPassword(name: "Hana", passwordHash: "$2b$04$temporary", by: "cli:root", at: now)
        try await t.store.addAPIToken(name: "records", tokenHash: "abc", scope: .api, expiresAt: nil, by: "test", at: now)
        // Not the column's default: a copy that left the scope behind would widen it to api.
        try await t.store.addAPIToken(name: "prometheus", tokenHash: "def", scope: .metrics, expiresAt: nil, by: "test", at: now)
        let claimed = try await t.store.claimDue(now: now, owner: "test:1", lease: 600, limit: 10, isDead: { _ in false })
        let first = try #require(claimed.alerts.first)
        try await t.store.issueAcknowledgementTokens([(first.alertKey, "hash-of-a-token", now.addingTimeInterval(86_400))], at: now)
        try await t.store.record(.permanent(error: "550 no such mailbox"), for: first.alertKey, owner: "test:1", now: now)
        _ = try await t.store.acknowledge(tokenHash: "hash-of-a-token", now: now)
        // Settled untold (not the column's default): a copy that left the mark behind would tell them again.
        for n in try await t.store.claimHubNotices(now: now, owner: "test:1", lease: 600, isDead: { _ in false }) {
            try await t.store.markHubNoticesSettled([n.noticeKey], at: now)
        }
        try await t.store.recordCall(AlertCall(reference: first.reference, calledBy: "hana", calledAt: now, note: "spoke to the head"))
        try await t.store.recordNotifyRun(NotifyRunRecord(startedAt: now, finishedAt: now.addingTimeInterval(3), outcome: .ok, failed: 1))
        let action = try await t.store.addPlanAction(NewPlanAction(childId: "C-1", action: "Weekly visit\nby the social worker", agency: "Children's Social Care",
                                                                   due: LocalDate(iso: "2026-12-01"), by: "hub.lead", recordedAt: now, actor: "user:hub.lead"))
        _ = try await t.store.addPlanAction(NewPlanAction(childId: "C-1", action: "Refer to the IDVA", agency: "Police", due: nil, by: "hub.lead",
                                                          recordedAt: now, actor: "user:hub.lead"))
        _ = try await t.store.markPlanActionDone(id: action.id, on: LocalDate(iso: "2026-11-21")!, by: "sam", at: now, actor: "user:sam")
        return t
    }

    /// Every table's rows, in one order whatever the database's.
    func contents(_ store: any FullStore) async throws -> [String: [String]] {
        try await StoreCopy.contents(of: store)
    }

    /// Read a page at a time: of one row (every key compared, the links' three columns too), of
    /// two, and of the default (each table in one page).
    @Test(arguments: [1, 2, 10_000])
    func everythingGoesToPostgreSQLAndBackRowForRow(pageRows: Int) async throws {
        let source = try await filled()
        defer { source.cleanUp() }
        let original = try await contents(source.store)
        for table in StoreTable.all where !["hub_notice_alerts"].contains(table.name) {
            #expect(original[table.name]?.isEmpty == false, "the test fills \(table.name)")
        }
        let postgres = try await TempStore(.postgres)
        let there = try await StoreCopy.run(from: source.store, to: postgres.store, pageRows: pageRows)
        #expect(try await contents(postgres.store) == original)
        let counted: [String: Int] = Dictionary(uniqueKeysWithValues: there)
        let expected: [String: Int] = original.mapValues(\.count)
        #expect(counted == expected, "each table's rows counted once")
        let back = try await TempStore(.sqlite)
        defer { back.cleanUp() }
        _ = try await StoreCopy.run(from: postgres.store, to: back.store, pageRows: pageRows)
        #expect(try await contents(back.store) == original)
        for copy in [postgres.store, back.store] {
            #expect(try await copy.liveAPIToken(tokenHash: "def", at: now) == LiveAPIToken(name: "prometheus", scope: .metrics), "the scope comes too")
        }
        // The copy works as the original: new keys follow the copied ones.
        try await postgres.store.record(Decision(childId: "C-2", outcome: .referred, on: LocalDate(iso: "2026-11-22")!, reason: nil,
                                                 by: "hub.lead", recordedAt: now))
        #expect(try await postgres.store.decisions(childId: "C-2").count == 1)
        #expect(try await postgres.store.user(named: "hana")?.role == .hub)
        let next = try await postgres.store.addPlanAction(NewPlanAction(childId: "C-2", action: "Visit", agency: "Police", due: nil, by: "x",
                                                                        recordedAt: now, actor: "user:x"))
        #expect(try await postgres.store.planActions(childId: "C-1").allSatisfy { $0.id < next.id })
    }

    @Test(arguments: StoreKind.allCases)
    func aTargetHoldingRecordsIsRefusedAndLeftAsItWas(kind: StoreKind) async throws {
        let source = try await filled()
        defer { source.cleanUp() }
        let target = try await TempStore(kind)
        defer { target.cleanUp() }
        // Config's directory, as any command writes it, does not count; a record does.
        try await target.store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120502")]))
        _ = try await StoreCopy.run(from: source.store, to: target.store)
        let copied = try await contents(target.store)
        await #expect(throws: TargetNotEmpty.self) { _ = try await StoreCopy.run(from: source.store, to: target.store) }
        #expect(try await contents(target.store) == copied)
    }

    /// A database this program never set up that holds another program's table is the wrong
    /// database (a mistyped name on a shared server): refused before anything is made in it, and
    /// taken once it is empty.
    @Test(arguments: StoreKind.allCases)
    func aDatabaseHoldingAnotherProgramsTableIsRefusedAndLeftAsItWas(kind: StoreKind) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("encompass-foreign-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url: String
        let run: (String) async throws -> Void
        switch kind {
        case .sqlite:
            let path = dir.appendingPathComponent("other.sqlite").path
            url = "sqlite:" + path
            run = { sql in try await DatabaseQueue(path: path).write { try $0.execute(sql: sql) } }
        case .postgres:
            url = try PostgresServer.shared().makeDatabase()
            let name = String(url.split(separator: "/").last!)
            run = { sql in
                let result = try await PostgresServer.shared().psql(name, sql)
                #expect(result.exitCode == 0, "\(result.output)")
            }
        }
        try await run("CREATE TABLE patients (id integer); INSERT INTO patients VALUES (1)")
        let target = try StoreFactory.open(url)
        await #expect(throws: TargetNotEmpty.self) { try await StoreCopy.prepare(target) }
        #expect(try await target.tableNames() == [kind == .sqlite ? "patients" : "public.patients"])
        try await run("DROP TABLE patients")
        try await StoreCopy.prepare(target)
        #expect(try await target.pendingMigrations().isEmpty)
    }

    /// A first migration that stops half way (here: one of its functions is there already; a kill
    /// or ^C of the first copy-store did the same) leaves nothing behind, not even the book of
    /// migrations, so the next copy-store takes the database (audit 21, crash F1: it was refused
    /// as holding "tables this program did not make").
    @Test func onSQLiteTheMigratorsEmptyBookIsNotAnotherProgramsTable() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("encompass-book-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("new.sqlite").path
        // What GRDB's migrator makes first, outside the first migration's transaction.
        try await DatabaseQueue(path: path).write { try $0.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)") }
        let target = try StoreFactory.open("sqlite:" + path)
        #expect(try await target.tableNames().isEmpty)
        try await StoreCopy.prepare(target)
        #expect(try await target.pendingMigrations().isEmpty)
        #expect(try await target.tableNames().contains("grdb_migrations"), "once it holds migrations, it is listed")
    }

    @Test func aFirstMigrationStoppedHalfWayLeavesNothingForCopyStoreToRefuse() async throws {
        let url = try PostgresServer.shared().makeDatabase()
        let name = String(url.split(separator: "/").last!)
        func run(_ sql: String) async throws -> String {
            let result = try await PostgresServer.shared().psql(name, sql)
            #expect(result.exitCode == 0, "\(result.output)")
            return result.output
        }
        _ = try await run("CREATE FUNCTION encompass_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$")
        let target = try StoreFactory.open(url)
        await #expect(throws: (any Error).self) { try await StoreCopy.prepare(target) }
        #expect(try await run("SELECT to_regclass('schema_migrations') IS NULL") == "t\n")
        #expect(try await target.tableNames().isEmpty)
        _ = try await run("DROP FUNCTION encompass_append_only()")
        try await StoreCopy.prepare(target)
        #expect(try await target.pendingMigrations().isEmpty)
    }
}

/// SQLite's fast path (rows encoded by the reader's thread, `makeIncidentFeed`) against its plain
/// path (a feed without an encoder, encoded by the writer): the same database, row for row.
@Suite("SQLite's ingest fast path against its plain path")
struct FeedPathTests {
    @Test func theEncodedFeedWritesWhatThePlainFeedWrites() async throws {
        let now = at("2026-11-22T08:00:00Z")
        let batch = (0..<300).map { n in
            incident("I-\(n)", "2026-10-\(String(format: "%02d", 1 + n % 28))T10:00:00Z", grade: [Grade.standard, .medium, .high][n % 3],
                     children: (0..<(n % 4)).map { child("C-\(n % 50 + $0)", urn: $0 == 2 ? nil : "120501", voice: n % 7 == 0 ? "words \(n)" : nil) })
        }
        var contents: [[String: [String]]] = []
        for fast in [true, false] {
            let t = try await TempStore(.sqlite)
            defer { t.cleanUp() }
            try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501")]))
            let feed = fast ? t.store.makeIncidentFeed(expectedRows: 600, episodes: nil) : IncidentFeed()
            #expect((feed.encoder != nil) == fast)
            let writer = Task { try await t.store.ingest(feed, actor: "test", at: now, planner: SchoolDirectoryStoreTests.planner) }
            // Pushed from a thread of its own, as ingest reads: a full feed makes `push` wait, and
            // it must not hold one of the few threads the writer's task needs.
            let reader = Thread {
                for start in stride(from: 0, to: batch.count, by: 64) { feed.push(Array(batch[start..<min(start + 64, batch.count)])) }
                feed.finish(.complete)
            }
            reader.start()
            _ = try await writer.value
            var tables: [String: [String]] = [:]
            // directory_imports keeps when each store imported Config/'s key adults: not the feed's doing.
            for table in StoreTable.all where table.name != "directory_imports" {
                tables[table.name] = try await t.store.rows(of: table).map { "\($0)" }.sorted()
            }
            contents.append(tables)
        }
        #expect(contents[0]["incidents"]?.count == 300)
        #expect(contents[0] == contents[1])
    }
}
