import Foundation
import Testing
import TestSupport

/// Every command on PostgreSQL gives what it gives on SQLite: the same outputs byte for byte, the
/// same exit codes, all or nothing, and a new database set up once however many start at once.
@Suite("The command line on PostgreSQL")
struct PostgresCLITests {
    @Test func theSampleGivesTheSameOutputsOnBothDatabasesByteForByte() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let postgres = try PostgresServer.shared().makeDatabase()
        let sqlite = h.database
        let samples = h.configDir.appendingPathComponent("sample-incidents.csv").path
        for db in [sqlite, postgres] {
            let ingest = try await h.run(["ingest", samples], database: db)
            #expect(ingest.status == 0, "\(ingest.stderr)")
            for (child, outcome) in [("C-1001", "referred"), ("C-1002", "declined")] {
                var args = ["decide", child, "--marac", outcome, "--on", "2026-11-20", "--by", "hub.lead"]
                if outcome == "declined" { args += ["--reason", "Already known to MARAC"] }
                #expect(try await h.run(args, database: db).status == 0)
            }
            // The same file again changes nothing on either.
            #expect(try await h.run(["ingest", samples], database: db).stdout.contains(" 0 added, 0 updated"))
        }
        for args in [["escalations", "--json", "--as-of", "2026-11-22T08:00:00Z"], ["escalations", "--all", "--as-of", "2026-11-22T08:00:00Z"],
                     ["alerts", "--json"], ["alerts"], ["alerts", "--state", "unmatched", "--json"]] {
            let a = try await h.run(args, database: sqlite), b = try await h.run(args, database: postgres)
            #expect(a.status == 0 && b.status == 0, "\(args): \(a.stderr)\(b.stderr)")
            #expect(!a.stdout.isEmpty)
            #expect(a.stdout == b.stdout, "\(args) differs between SQLite and PostgreSQL")
        }
    }

    @Test func aBadRowWritesNothingAndNamesFileLineAndColumn() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let db = try PostgresServer.shared().makeDatabase()
        let good = try h.write("good.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z")]))
        #expect(try await h.run(["ingest", good], database: db).status == 0)
        let bad = try h.write("bad.csv", CSVRows.file([
            CSVRows.row("I-2", "2026-11-19T22:40:00Z", child: "C-2"),
            CSVRows.row("I-3", "2026-11-19T23:40:00Z", grade: "severe", child: "C-3"),
        ]))
        let out = try await h.run(["ingest", bad], database: db)
        #expect(out.status == 65)
        #expect(out.stderr == "\(bad):3: officer_grade: unknown grade (expected standard, medium or high)\n", "\(out.stderr)")
        let doc = try h.json(try await h.run(["escalations", "--all", "--json", "--as-of", "2026-11-20T08:00:00Z"], database: db))
        #expect((doc["children"] as? [[String: Any]])?.compactMap { $0["child_id"] as? String } == ["C-1"], "nothing of the bad file was written")
    }

    @Test func tenIngestsStartedAtOnceOnAnEmptyDatabaseAllSucceed() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let db = try PostgresServer.shared().makeDatabase()
        var runs: [Process] = []
        for n in 0..<10 {
            let file = try h.write("in-\(n).csv", CSVRows.file([CSVRows.row("I-\(n)", "2026-11-19T21:40:00Z", child: "C-\(n)")]))
            runs.append(try h.start(["ingest", file], database: db, name: "ingest-\(n)"))
        }
        for (n, run) in runs.enumerated() {
            let end = await run.waitForExit()
            let err = try String(contentsOf: h.dir.appendingPathComponent("ingest-\(n).err"), encoding: .utf8)
            #expect(end.status == 0, "ingest \(n): \(err)")
        }
        let doc = try h.json(try await h.run(["escalations", "--all", "--json", "--as-of", "2026-11-20T08:00:00Z"], database: db))
        #expect((doc["children"] as? [[String: Any]])?.count == 10)
        #expect(try await h.run(["migrate", "--dry-run"], database: db).stdout == "the database is up to date: no migration to run\n")
    }

    /// A role the force has not granted the tables (or one running `migrate` that does not own them):
    /// exit 69, one line saying what to fix.
    @Test func aRoleWithoutPrivilegesIsToldWhatToDo() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let db = try PostgresServer.shared().makeDatabase()
        #expect(try await h.run(["migrate"], database: db).status == 0)
        let made = try await PostgresServer.shared().psql(String(db.split(separator: "/").last!),
                                                    "DO $$ BEGIN CREATE ROLE encompass_none LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        try #require(made.exitCode == 0, "\(made.output)")
        let out = try await h.run(["alerts"], database: db.replacingOccurrences(of: "//encompass@", with: "//encompass_none@"))
        #expect(out.status == 69)
        #expect(out.stderr.contains("the role encompass_none lacks a privilege there: run `encompass migrate` and `retention --purge` as the role that owns"), "\(out.stderr)")
        #expect(out.stderr.split(separator: "\n").count == 1)
    }

    /// A database that takes no writes (a standby after a failover not followed, a replica's URL, a
    /// database set read-only): it reads, so a reader works and `serve` would start, but every
    /// writer is refused before it writes, exit 69 in one line saying to point at the primary, and
    /// `doctor` says so; it said "reachable, at this version" before, and the morning run failed on
    /// its first write with the server's bare "cannot execute INSERT in a read-only transaction".
    @Test func aDatabaseThatTakesNoWritesIsNamedByDoctorAndEveryWriter() async throws {
        let h = try CLIHarness(.postgres)
        defer { h.cleanUp() }
        #expect(try await h.run(["ingest", try h.write("one.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z")]))]).status == 0)
        let name = String(h.database.split(separator: "/").last!)
        _ = try await h.psql("ALTER DATABASE \(name) SET default_transaction_read_only = on")
        let why = "takes no writes (its sessions are read-only: default_transaction_read_only): point --database (ENCOMPASS_DATABASE) at the primary"
        let two = try h.write("two.csv", CSVRows.file([CSVRows.row("I-2", "2026-11-20T21:40:00Z")]))
        for args in [["ingest", two], ["decide", "C-1", "--marac", "declined", "--on", "2026-11-21", "--reason", "r", "--by", "me"]] {
            let refused = try await h.run(args)
            #expect(refused.status == 69, "\(args[0]): \(refused.stderr)")
            #expect(refused.stderr.contains(why), "\(args[0]): \(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        }
        let read = try await h.run(["escalations", "--json"])
        #expect(read.status == 0, "a reader still reads: \(read.stderr)")
        let doctor = try await h.run(["doctor"], environment: ["ENCOMPASS_ALLOW_PLACEHOLDERS": "1"])
        #expect(doctor.status != 0)
        #expect(doctor.stderr.contains("problem: database: the database 127.0.0.1:"), "\(doctor.stdout)\(doctor.stderr)")
        #expect(doctor.stderr.contains(why), "\(doctor.stderr)")
        // From another database: this one's sessions may no longer run ALTER.
        let undone = try await PostgresServer.shared().psql("postgres", "ALTER DATABASE \(name) SET default_transaction_read_only = off")
        try #require(undone.exitCode == 0, "\(undone.output)")
        #expect(try await h.run(["ingest", two]).status == 0, "the same writer once it points at a database that writes")
    }

    /// An empty database is what a missing SQLite file is (SPEC §12: the same exit codes): a reading
    /// command exits 66 and makes nothing, doctor says the first writer sets it up.
    @Test func aReadingCommandOnANewDatabaseSaysNothingIsThereAndWritesNothing() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let db = try PostgresServer.shared().makeDatabase()
        for args in [["alerts"], ["escalations", "--json"]] {
            let out = try await h.run(args, database: db)
            #expect(out.status == 66, "\(out.stderr)")
            #expect(out.stderr == "encompass: the database has no Encompass tables yet: nothing has been ingested there (check --database)\n")
        }
        let doctor = try await h.run(["doctor"], environment: ["ENCOMPASS_ALLOW_PLACEHOLDERS": "1"], database: db)
        #expect(doctor.stdout.contains("ok: database: reachable, none yet at "), "\(doctor.stdout)")
        #expect(!doctor.stderr.contains("database"), "\(doctor.stderr)")
        let tables = try await PostgresServer.shared().psql(String(db.split(separator: "/").last!), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        #expect(tables.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(tables.output)")
        #expect(try await h.run(["migrate"], database: db).status == 0)
        #expect(try await h.run(["alerts"], database: db).stdout == "No alerts.\n")
    }

    /// The server ends the session (a restart, a failover, an administrator) while `alerts --json`
    /// streams its rows: exit 69 and one line saying so. PostgresNIO 1.33.2 trapped there and the
    /// command died with SIGILL (132) and a backtrace. The command's output is left unread until
    /// its first piece arrives, so it is behind the rows, waiting on the pipe, when the session ends.
    @Test func aSessionEndedWhileACommandStreamsRowsIsExit69InOneLine() async throws {
        let h = try CLIHarness(.postgres)
        defer { h.cleanUp() }
        #expect(try await h.run(["migrate"]).status == 0)
        let name = String(h.database.split(separator: "/").last!)
        try PostgresServer.shared().seedAlerts(name, count: 60_000)
        let command = h.process(["alerts", "--json"], environment: [:])
        let out = Pipe.forChild(), err = Pipe.forChild()
        (command.standardOutput, command.standardError) = (out, err)
        try command.runSerially(endingWithin: .seconds(600))
        let (reading, errors) = (out.fileHandleForReading, err.fileHandleForReading)
        let first = await offThePool { reading.availableData }
        #expect(String(decoding: first, as: UTF8.self).hasPrefix("{\"alerts\": ["))
        let ended = try await h.psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(name)' AND pid <> pg_backend_pid()")
        #expect(ended != "0\n", "\(ended)")
        async let rest = offThePool { reading.readAllRetryingInterrupts() }
        async let said = offThePool { errors.readAllRetryingInterrupts() }
        let (_, stderr) = await (rest, said)
        let end = await command.waitForExit()
        let text = String(decoding: stderr, as: UTF8.self)
        #expect(end.status == 69 && !end.signalled, "\(text)")
        #expect(text.hasPrefix("encompass: ") && text.hasSuffix("\n") && text.filter { $0 == "\n" }.count == 1, "\(text)")
    }
}
