import Foundation
import GRDB
@testable import PostgresStore
@testable import SQLiteStore
import StoreContract
import Stores
import Testing
import TestSupport

/// An upgrade from the command line: `--version`, a database written by the version before this
/// one (only `migrate` moves it on), and one written by a newer version (every command refuses it).
@Suite("Upgrades from the command line")
struct UpgradeCLITests {
    @Test func versionPrintsTheProgramAndItsVersion() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let out = try await h.run(["--version"])
        #expect(out.status == 0)
        #expect(out.stdout.range(of: #"^encompass [0-9]+\.[0-9]+\.[0-9]+ \(database schema v[0-9]+-[a-z-]+, pg[0-9]+-[a-z-]+\)\n$"#,
                                  options: .regularExpression) != nil, "\(out.stdout)")
        #expect(out.stdout.contains(StoreFactory.schemaVersions), "the newest migrations, as the stores know them")
    }

    /// The database as the previous version left it: every migration but this version's newest.
    /// Returns this version's migrations.
    static func writeWithPreviousVersion(_ h: CLIHarness) async throws -> [String] {
        switch h.kind {
        case .sqlite:
            let known = SQLiteSchema.migrator.migrations
            _ = try await SQLiteStore(path: h.databasePath, knownUpTo: known[known.count - 2]).migrate(for: .write)
            return known
        case .postgres:
            let known = PostgresSchema.migrations.map(\.id)
            let database = try PostgresDatabase(location: try PostgresLocation(url: h.database), password: nil, knownUpTo: known[known.count - 2])
            _ = try await PostgresStore(database).migrate(for: .write)
            return known
        }
    }

    /// Records a migration as applied, as a newer version would.
    static func recordMigration(_ id: String, _ h: CLIHarness) async throws {
        switch h.kind {
        case .sqlite:
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            p.arguments = [h.databasePath, "INSERT INTO grdb_migrations (identifier) VALUES ('\(id)')"]
            #expect(try await p.runToEnd().end.status == 0)
        case .postgres:
            _ = try await h.psql("INSERT INTO schema_migrations (id, applied_at) VALUES ('\(id)', 0)")
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func aDatabaseOfThePreviousVersionIsMovedOnOnlyByMigrate(kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        let known = try await Self.writeWithPreviousVersion(h)
        let newest = known.last!
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z")]))
        let asked = "encompass: the database needs 1 migration(s) (\(newest)): run `encompass migrate`\n"
        for args in [["ingest", file], ["alerts"], ["escalations"], ["users", "list"], ["tokens", "revoke", "x"],
                     ["deadline", "--reported-at", "2026-11-19T21:40:00Z", "--urn", "999999"]] {
            let out = try await h.run(args)
            #expect(out.status == 69, "\(args)")
            #expect(out.stderr == asked, "\(args)")
        }
        let serve = h.process(["serve", "--port", "0"], environment: [:])
        let ran = try await serve.runToEnd()
        let said = String(decoding: ran.stderr, as: UTF8.self)
        #expect(ran.end.status == 69)
        #expect(said == asked)

        let dry = try await h.run(["migrate", "--dry-run"])
        #expect(dry.status == 0 && dry.stdout == "would run 1 migration(s): \(newest)\n", "\(dry.stdout)\(dry.stderr)")
        #expect(try await h.run(["migrate", "--dry-run"]).stdout == dry.stdout, "a dry run changed nothing")
        let run = try await h.run(["migrate"])
        #expect(run.status == 0 && run.stdout == "ran 1 migration(s): \(newest)\n", "\(run.stdout)\(run.stderr)")
        #expect(try await h.run(["ingest", file]).status == 0)
        #expect(try await h.run(["alerts"]).status == 0)
    }

    @Test(arguments: TestDatabase.allCases)
    func everyCommandRefusesADatabaseANewerVersionMigrated(kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        #expect(try await h.run(["migrate"]).status == 0)
        let known = try await h.run(["migrate", "--dry-run"])
        #expect(known.stdout == "the database is up to date: no migration to run\n")
        let future = kind == .sqlite ? "v99-from-a-newer-encompass" : "pg99-from-a-newer-encompass"
        try await Self.recordMigration(future, h)
        let newest = kind == .sqlite ? SQLiteSchema.migrator.migrations.last! : PostgresSchema.migrations.last!.id
        let refused = "encompass: the database is newer than this encompass: it has \(future) and this version knows up to \(newest): run the newer encompass that migrated it\n"
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z")]))
        for args in [["migrate"], ["migrate", "--dry-run"], ["ingest", file], ["alerts"], ["escalations", "--json"],
                     ["users", "list"], ["notify", "--dry-run"], ["copy-store", "--to", "sqlite:" + h.dir.appendingPathComponent("copy.sqlite").path]] {
            let out = try await h.run(args)
            #expect(out.status == 69, "\(args): \(out.stderr)")
            #expect(out.stderr == refused, "\(args)")
        }
    }
}
