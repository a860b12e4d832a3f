import Foundation
import SQLiteStore
import StoreContract
import Testing
import TestSupport

/// `encompass backup`: a copy taken while `serve` runs, an ingest waits to write and another
/// writer holds a transaction open is the database as of one moment, and restores to it.
@Suite("Backup and restore")
struct BackupCLITests {
    static func contents(_ path: String) async throws -> [String: [String]] {
        try await StoreCopy.contents(of: try SQLiteStore(path: path))
    }

    /// The sqlite3 shell on `path`, fed through a pipe that stays open, so a transaction it begins
    /// stays open until the test ends it.
    final class Shell {
        let process = Process()
        let input = Pipe.forChild()
        let output = Pipe.forChild()

        init(_ path: String) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            process.arguments = ["-bail", path]
            process.standardInput = input
            process.standardOutput = output
            try process.runSerially()
        }

        /// Sends `sql` and waits until the shell has run it (it prints a marker after).
        func run(_ sql: String) throws {
            input.fileHandleForWriting.write(Data((sql + "\nSELECT 'done';\n").utf8))
            var line = Data()
            while let byte = try output.fileHandleForReading.read(upToCount: 1), let b = byte.first, b != 0x0A { line.append(b) }
            #expect(String(decoding: line, as: UTF8.self) == "done")
        }

        func quit() async {
            try? input.fileHandleForWriting.close()
            await process.waitForExit()
        }
    }

    /// A backup onto a full disk blamed the database ("database unavailable ... 13 (database or
    /// disk is full)") and left `FILE.partial-PID-journal` behind, one a failed night (audit 25,
    /// F6). The backup's folder is a tiny tmpfs in a mount namespace of the command's own (as
    /// root, as the tests run here); what is left in it is listed before the namespace ends.
    @Test func aBackupOntoAFullDiskSaysSoAndLeavesNothing() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        #expect(try await h.run(["ingest", h.configDir.appendingPathComponent("sample-incidents.csv").path]).status == 0)
        let full = h.dir.appendingPathComponent("full")
        try FileManager.default.createDirectory(at: full, withIntermediateDirectories: false)
        let file = full.appendingPathComponent("backup.sqlite").path
        let p = h.process(["backup", file], environment: [:])
        p.arguments = ["--mount", "/bin/sh", "-c", #"mount -t tmpfs -o size=64k none "$0" || exit 99; "$@"; s=$?; echo "left: $(ls -A "$0")"; exit $s"#,
                       full.path, p.executableURL!.path] + (p.arguments ?? [])
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        let ran = try await p.runToEnd()
        let stderr = String(decoding: ran.stderr, as: UTF8.self)
        #expect(ran.end.status == 69, "\(stderr)")
        #expect(stderr == "encompass: backup: no space left on the disk of \(full.path) (\(file) not written): "
                + "free space there, or back up to another disk\n")
        #expect(String(decoding: ran.stdout, as: UTF8.self) == "left: \n", "nothing is left on the full disk")
    }

    @Test func aBackupTakenWhileServeAndAnIngestRunIsOneMomentAndRestoresToIt() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let env = ["ENCOMPASS_ALERTS_MAX_AGE_DAYS": "0", "ENCOMPASS_PASSWORD": "a long enough password"]
        #expect(try await h.run(["ingest", h.configDir.appendingPathComponent("sample-incidents.csv").path], environment: env).status == 0)
        #expect(try await h.run(["users", "add", "hana", "--role", "hub"], environment: env).status == 0)
        #expect(try await h.run(["tokens", "create", "records"], environment: env).status == 0)
        let serve = try h.serve(environment: env)
        defer { serve.process.terminate() }
        // The newest commit, made while serve holds the database open: still in the WAL, which a
        // plain copy of the file would miss.
        #expect(try await h.run(["decide", "C-1001", "--marac", "referred", "--on", "2026-11-20", "--by", "hub.lead"], environment: env).status == 0)
        let before = try await Self.contents(h.databasePath)
        #expect(before["decisions"]?.count == 1)

        // Another writer in the middle of a transaction, and an ingest waiting behind it.
        let shell = try Shell(h.databasePath)
        try shell.run("BEGIN IMMEDIATE; INSERT INTO schools (urn, name, la_code, telephone) VALUES ('999999', 'Uncommitted', '925', '');")
        let more = h.dir.appendingPathComponent("more.csv").path
        #expect(try await h.run(["synth", "--rows", "2000", "--seed", "7", "-o", more]).status == 0)
        let ingest = try h.start(["ingest", more], environment: env, name: "ingest")

        let file = h.dir.appendingPathComponent("backup.sqlite").path
        let backup = try await h.run(["backup", file])
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stdout == "backed up \(h.databasePath) to \(file)\n")
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.dir.path).filter { $0.contains(".partial") }.isEmpty)

        try shell.run("ROLLBACK;")
        await shell.quit()
        #expect(await ingest.waitForExit().status == 0, "\(h.output(of: "ingest").stderr)")
        let health = try String(contentsOf: URL(string: serve.address + "/health")!, encoding: .utf8)
        #expect(health == "ok\n", "serve answered throughout")
        serve.process.terminate()
        await serve.process.waitForExit()
        let after = try await Self.contents(h.databasePath)
        #expect((after["incidents"]?.count ?? 0) > (before["incidents"]?.count ?? 0), "the ingest went in after the backup")

        // Restore: the copy in the database's place (the WAL and shared memory of the old one gone).
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: h.databasePath + suffix) }
        try FileManager.default.copyItem(atPath: file, toPath: h.databasePath)
        #expect(try await Self.contents(h.databasePath) == before, "every table as it was when the backup began")
        let alerts = try await h.run(["alerts", "--json"])
        #expect(alerts.status == 0 && !alerts.stdout.isEmpty)

        // A backup never overwrites.
        let original = try Data(contentsOf: URL(fileURLWithPath: file))
        let again = try await h.run(["backup", file])
        #expect(again.status == 64)
        #expect(again.stderr == "encompass: \(file) already exists: a backup never overwrites a file (name a new one)\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == original)
    }

    @Test func aMissingDatabaseIsNotMade() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let out = try await h.run(["backup", h.dir.appendingPathComponent("b.sqlite").path])
        #expect(out.status == 66)
        #expect(!FileManager.default.fileExists(atPath: h.databasePath))
        #expect(!FileManager.default.fileExists(atPath: h.dir.appendingPathComponent("b.sqlite").path))
    }

    /// The dump's path has a space and a quote: printed unquoted, the pasted command broke at the
    /// space (audit 25, F12).
    @Test func onPostgreSQLItNamesPgDump() async throws {
        let h = try CLIHarness(.postgres)
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z")]))
        #expect(try await h.run(["ingest", file]).status == 0)
        let out = try await h.run(["backup", h.dir.appendingPathComponent("night's b.dump").path])
        #expect(out.status == 64)
        #expect(out.stderr.contains("pg_dump --format=custom"), "\(out.stderr)")
        #expect(out.stderr.split(separator: "\n").count == 1)
        // The command it names works as printed: a dump only its owner may read, that pg_restore reads.
        let start = try #require(out.stderr.range(of: "run ("), "\(out.stderr)")
        let end = try #require(out.stderr.range(of: ") (docs/operations.md", options: .backwards), "\(out.stderr)")
        let command = String(out.stderr[out.stderr.index(before: start.upperBound)...end.lowerBound])
        let bin = try PostgresServer.shared().bin
        let dumped = try await Command.run("/bin/bash", ["-c", "PATH=\(bin):$PATH ENCOMPASS_DATABASE_PASSWORD=unused; \(command)"])
        #expect(dumped.exitCode == 0, "\(command): \(dumped.output)")
        let dump = h.dir.appendingPathComponent("night's b.dump").path
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: dump)[.posixPermissions] as? Int)
        #expect(mode == 0o600, "the dump holds children's records")
        let listed = try await Command.run(bin + "/pg_restore", ["--list", dump])
        #expect(listed.exitCode == 0 && listed.output.contains("TABLE DATA public incidents"), "\(listed.output)")
    }

    /// The runbook's PostgreSQL backup as written (but for sudo and its paths): a URL holding `&` in
    /// single quotes, as environment.example writes one, is dumped; the same URL unquoted, which sh
    /// ends at the `&`, and a server that does not answer each stop with a line and leave no file,
    /// where the runbook's command left a 0-byte dump. Each case is the owner's file, read after
    /// the units' (whose services' role may not dump what it does not own: audit 25, F2).
    @Test func theRunbooksPostgresBackupDumpsAQuotedURLAndLeavesNoEmptyDump() async throws {
        let h = try CLIHarness(.postgres)
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z")]))
        #expect(try await h.run(["ingest", file]).status == 0)
        let backups = h.dir.appendingPathComponent("backups")
        let command = try Self.runbookCommand(startingWith: Self.backupStart, h, backups: backups)
        let url = h.database + "?sslmode=disable&application_name=encompass-backup"
        let bin = try PostgresServer.shared().bin
        let cases = [("ENCOMPASS_DATABASE='\(url)'", nil),
                     ("ENCOMPASS_DATABASE=\(url)", "backup: no postgres:// ENCOMPASS_DATABASE read from the environment files"),
                     ("ENCOMPASS_DATABASE='postgres://encompass@127.0.0.1:1/none?sslmode=disable&application_name=x'", "backup: pg_dump failed: no dump kept")]
        for (line, refusal) in cases {
            try? FileManager.default.removeItem(at: backups)
            try FileManager.default.createDirectory(at: backups, withIntermediateDirectories: true)
            _ = try h.write("environment", "ENCOMPASS_CONFIG=/etc/encompass\n")
            _ = try h.write("environment-owner", line + "\nENCOMPASS_DATABASE_PASSWORD=unused\n")
            let ran = try await Command.run("/bin/sh", ["-c", "PATH=\(bin):$PATH; export PATH; " + command])
            let dumps = try FileManager.default.contentsOfDirectory(atPath: backups.path)
            if let refusal {
                #expect(ran.exitCode != 0, "\(line)")
                #expect(dumps.isEmpty, "\(line): \(dumps)")
                #expect(ran.output.contains(refusal), "\(line): \(ran.output)")
            } else {
                #expect(ran.exitCode == 0, "\(ran.output)")
                let dump = try #require(dumps.first).description
                let size = try FileManager.default.attributesOfItem(atPath: backups.appendingPathComponent(dump).path)[.size] as? Int
                #expect((size ?? 0) > 0)
            }
        }
    }

    /// The first lines of the runbook's PostgreSQL backup and restore (docs/operations.md).
    static let backupStart = "  sudo sh -c 'set -a; . /etc/encompass/environment; . /etc/encompass/environment-owner; set +a; umask 077;"
    static let restoreStart = "  sudo sh -c 'set -a; . /etc/encompass/environment; . /etc/encompass/environment-owner; set +a\n"

    /// A command of the runbook as written, from its first line to the end of its block, but for
    /// sudo and its paths: the environment files the test's own, `/backups/` the test's folder.
    static func runbookCommand(startingWith first: String, _ h: CLIHarness, backups: URL) throws -> String {
        let runbook = try String(contentsOf: Repository.root.appendingPathComponent("docs/operations.md"), encoding: .utf8)
        let start = try #require(runbook.range(of: first))
        let end = try #require(runbook.range(of: "\n  ```", range: start.upperBound..<runbook.endIndex))
        return String(runbook[start.lowerBound..<end.lowerBound]).replacingOccurrences(of: "sudo ", with: "")
            .replacingOccurrences(of: "/etc/encompass/environment", with: h.dir.appendingPathComponent("environment").path)
            .replacingOccurrences(of: "/backups/", with: backups.path + "/")
    }

    /// The runbook's PostgreSQL restore as written: as the tables' owner it brings the database back
    /// to the dump (an incident ingested since is gone) and prints `restore: done`, the one sign the
    /// runbook calls a good restore; as a role that does not own the tables (the services' role of
    /// the split-owner setup) it restores nothing and never prints it (audit 25, F2).
    @Test func theRunbooksPostgresRestoreSaysDoneOnlyWhenItRestored() async throws {
        let h = try CLIHarness(.postgres)
        defer { h.cleanUp() }
        #expect(try await h.run(["ingest", try h.write("one.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z")]))]).status == 0)
        let backups = h.dir.appendingPathComponent("backups")
        try FileManager.default.createDirectory(at: backups, withIntermediateDirectories: true)
        let bin = try PostgresServer.shared().bin
        _ = try h.write("environment", "ENCOMPASS_CONFIG=/etc/encompass\n")
        func owner(_ url: String) throws { _ = try h.write("environment-owner", "ENCOMPASS_DATABASE='\(url)?sslmode=disable'\nENCOMPASS_DATABASE_PASSWORD=unused\n") }
        func sh(_ command: String) async throws -> (exitCode: Int32, output: String) {
            try await Command.run("/bin/sh", ["-c", "PATH=\(bin):$PATH; export PATH; " + command])
        }
        try owner(h.database)
        let dumped = try await sh(try Self.runbookCommand(startingWith: Self.backupStart, h, backups: backups))
        #expect(dumped.exitCode == 0, "\(dumped.output)")
        let dump = try #require(try FileManager.default.contentsOfDirectory(atPath: backups.path).first)
        let restore = try Self.runbookCommand(startingWith: Self.restoreStart, h, backups: backups)
            .replacingOccurrences(of: "encompass-2026-12-01.dump", with: dump)
        #expect(restore.contains("pg_restore") && restore.hasSuffix("&& echo \"restore: done\"'"), "\(restore)")
        func incidents() async throws -> String {
            try await h.psql("SELECT string_agg(incident_id, ',' ORDER BY incident_id) FROM incidents").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try await h.run(["ingest", try h.write("two.csv", CSVRows.file([CSVRows.row("I-2", "2026-11-20T21:40:00Z")]))]).status == 0)
        #expect(try await incidents() == "I-1,I-2")

        // As a role that owns none of the tables: refused, nothing restored, no "restore: done".
        _ = try await h.psql("DO $$ BEGIN CREATE ROLE encompass_none LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        try owner(h.database.replacingOccurrences(of: "//encompass@", with: "//encompass_none@"))
        let refused = try await sh(restore)
        #expect(refused.exitCode != 0, "\(refused.output)")
        #expect(!refused.output.contains("restore: done"), "\(refused.output)")
        #expect(try await incidents() == "I-1,I-2", "a refused restore leaves the database as it was")

        // As the owner: done, and the database is the dump's.
        try owner(h.database)
        let restored = try await sh(restore)
        #expect(restored.exitCode == 0, "\(restored.output)")
        #expect(restored.output.contains("restore: done"), "\(restored.output)")
        #expect(try await incidents() == "I-1")
        #expect(try await h.run(["escalations", "--json"]).status == 0, "the restored store is read as any other")
    }
}
