import Foundation
@testable import PostgresStore
@testable import SQLiteStore
import StoreContract
import Stores
import TestSupport
import Synchronization
import Testing

/// The rule for a database's version, on its own: what each kind of command may run.
@Suite("The schema rule")
struct SchemaRuleTests {
    let known = ["v1-core", "v2-accounts", "v3-alerts"]

    @Test func aNewDatabaseIsSetUpByAWriterOrMigrateButNeverByAReader() throws {
        let new = MigrationStatus(known: known, applied: [])
        #expect(try SchemaRule.migrationsToRun(new, for: .write) == known)
        #expect(try SchemaRule.migrationsToRun(new, for: .migrate) == known)
        #expect { try SchemaRule.migrationsToRun(new, for: .read) } throws: { error in
            guard case StoreError.emptyDatabase = error else { return false }
            return true
        }
    }

    @Test func anOlderDatabaseIsMovedOnOnlyByMigrate() throws {
        let older = MigrationStatus(known: known, applied: ["v1-core", "v2-accounts"])
        #expect(try SchemaRule.migrationsToRun(older, for: .migrate) == ["v3-alerts"])
        for access in [SchemaAccess.read, .write] {
            #expect {
                try SchemaRule.migrationsToRun(older, for: access)
            } throws: { error in
                "\(error)" == "the database needs 1 migration(s) (v3-alerts): run `encompass migrate`"
            }
        }
    }

    @Test func aCurrentDatabaseRunsNothing() throws {
        let current = MigrationStatus(known: known, applied: Set(known))
        for access in [SchemaAccess.read, .write, .migrate] {
            #expect(try SchemaRule.migrationsToRun(current, for: access).isEmpty)
        }
    }

    @Test func aNewerDatabaseIsRefusedByEveryCommandNamingBothVersions() throws {
        // Numbered, not sorted as text: v10 is newer than v9.
        let newer = MigrationStatus(known: known, applied: Set(known + ["v9-later", "v10-latest"]))
        #expect(newer.unknown == ["v9-later", "v10-latest"])
        for access in [SchemaAccess.read, .write, .migrate] {
            #expect {
                try SchemaRule.migrationsToRun(newer, for: access)
            } throws: { error in
                "\(error)" == "the database is newer than this encompass: it has v10-latest (and 1 more) and this version knows up to v3-alerts: run the newer encompass that migrated it"
            }
        }
    }

    @Test func aNewerDatabaseMissingOneOfOurMigrationsIsStillNewer() throws {
        let branch = MigrationStatus(known: known, applied: ["v1-core", "v4-other"])
        #expect(throws: StoreError.self) { try SchemaRule.migrationsToRun(branch, for: .migrate) }
    }
}

/// Both stores report their lists and keep what the rule decides: a database written by the
/// version before this one, this version's, and one from a newer version.
@Suite("Schema versions, on SQLite and PostgreSQL")
struct SchemaVersionStoreTests {
    /// A store on `url` as the version whose newest migration was `knownUpTo` (nil: this version).
    static func store(_ kind: StoreKind, _ url: String, knownUpTo: String?) throws -> any FullStore {
        switch kind {
        case .sqlite:
            return try SQLiteStore(path: String(url.dropFirst("sqlite:".count)), knownUpTo: knownUpTo)
        case .postgres:
            return PostgresStore(try PostgresDatabase(location: try PostgresLocation(url: url), password: nil, knownUpTo: knownUpTo))
        }
    }

    /// The tables as a version before this one had them: without `bwv_used` on the incidents and the
    /// names on the links (v19, pg15), without the tokens' scope (v21, pg17), without the notices'
    /// rounds (v22, pg18), their schools (v24, pg21) and their settling (v26, pg23), and without the
    /// tables named in `missing`.
    static func tablesBefore(missing: Set<String> = []) -> [StoreTable] {
        let added = ["incidents": ["bwv_used"], "incident_children": ["given_name", "family_name", "dob"], "api_tokens": ["scope"],
                     "hub_notices": ["rerouted_at", "school_urn", "delivered_at", "settled_at"], "alerts": ["school_round"],
                     "alert_calls": ["school_round"]]
        return StoreTable.all.filter { !missing.contains($0.name) }.map { t in
            guard let columns = added[t.name] else { return t }
            return StoreTable(t.name, key: t.key, pageKey: t.pageKey, t.columns.filter { !columns.contains($0) })
        }
    }

    /// Fills `older` (an empty store of a version before) with `source`'s rows of `tables`: what that
    /// version would have written, without running this version's code on its schema.
    static func fill(_ older: any FullStore, from source: any FullStore, _ tables: [StoreTable]) async throws {
        let copied = Mutex<Set<String>>([])
        try await older.insert(tables) { table in
            guard copied.withLock({ $0.insert(table.name).inserted }) else { return nil }
            let rows = try await source.rows(of: table)
            return rows.isEmpty ? nil : rows
        }
    }

    static func newURL(_ kind: StoreKind, in dir: URL) throws -> String {
        kind == .sqlite ? "sqlite:" + dir.appendingPathComponent("store.sqlite").path : try PostgresServer.shared().makeDatabase()
    }

    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("encompass-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A new SQLite store, migrated, in a folder of its own (the caller removes `dir`).
    static func migratedStore() async throws -> (dir: URL, path: String, store: SQLiteStore) {
        let dir = try tempDir()
        let path = dir.appendingPathComponent("store.sqlite").path
        let store = try SQLiteStore(path: path)
        _ = try await store.migrate(for: .write)
        return (dir, path, store)
    }

    @Test(arguments: StoreKind.allCases)
    func aDatabaseOfThePreviousVersionIsMovedOnOnlyByMigrate(kind: StoreKind) async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.newURL(kind, in: dir)
        let current = try StoreFactory.open(url)
        let known = try await current.migrationStatus().known
        let previous = known[known.count - 2]
        // The previous version set it up.
        let ran = try await Self.store(kind, url, knownUpTo: previous).migrate(for: .write)
        #expect(ran == Array(known.dropLast()))

        await #expect(throws: StoreError.self) { try await current.migrate(for: .write) }
        await #expect(throws: StoreError.self) { try await current.checkSchema() }
        #expect(try await current.pendingMigrations() == [known.last!], "refused, nothing was run")
        #expect(try await current.migrate(for: .migrate) == [known.last!])
        #expect(try await current.migrate(for: .write).isEmpty)
        try await current.checkSchema()
    }

    @Test(arguments: StoreKind.allCases)
    func theVersionBeforeRefusesADatabaseThisVersionMigrated(kind: StoreKind) async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.newURL(kind, in: dir)
        let current = try StoreFactory.open(url)
        let known = try await current.migrate(for: .write)
        let previous = known[known.count - 2]
        let older = try Self.store(kind, url, knownUpTo: previous)
        let expected = "the database is newer than this encompass: it has \(known.last!) and this version knows up to \(previous): run the newer encompass that migrated it"
        for access in [SchemaAccess.write, .migrate] {
            await #expect { try await older.migrate(for: access) } throws: { "\($0)" == expected }
        }
        await #expect { try await older.checkSchema() } throws: { "\($0)" == expected }
        #expect(try await current.migrationStatus().applied == Set(known))
    }

    @Test(arguments: StoreKind.allCases)
    func eightWritersAtOnceOnANewDatabaseSetItUpOnce(kind: StoreKind) async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.newURL(kind, in: dir)
        // A store each, as separate processes have: only the migration lock keeps them apart.
        let stores = try (0..<8).map { _ in try StoreFactory.open(url) }
        let ran = try await withThrowingTaskGroup(of: [String].self) { group in
            for store in stores { group.addTask { try await store.migrate(for: .write) } }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        let known = try await stores[0].migrationStatus().known
        #expect(ran.filter { !$0.isEmpty } == [known], "one writer set it up, the rest found it done")
    }
}
