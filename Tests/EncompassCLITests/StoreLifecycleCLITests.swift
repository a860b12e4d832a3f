import Foundation
import GRDB
import TestSupport
import SQLiteStore
import StoreContract
import Testing

/// A new database made by many processes at once, commands that only read, and `migrate`.
@Suite("the database's life from the command line")
struct StoreLifecycleCLITests {
    /// A store the service's user cannot write (a restore copied in by root, or its folder not the
    /// user's) is named with what to fix, not only SQLite's "attempt to write a readonly database"
    /// (audit 21, crash F4). Run as `nobody`: root writes anything.
    @Test func aStoreItsUserCannotWriteSaysWhatToGiveThem() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let samples = h.configDir.appendingPathComponent("sample-incidents.csv").path
        #expect(try await h.run(["ingest", samples]).status == 0)
        let store = h.databasePath
        func asNobody() async throws -> CLIHarness.Outcome {
            let p = h.process(["alerts"], environment: [:])
            p.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", p.executableURL!.path] + (p.arguments ?? [])
            p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            let ran = try await p.runToEnd()
            return CLIHarness.Outcome(status: ran.end.status, stdout: String(decoding: ran.stdout, as: UTF8.self),
                                      stderr: String(decoding: ran.stderr, as: UTF8.self))
        }
        let fm = FileManager.default
        for file in ((try? fm.contentsOfDirectory(atPath: h.dir.path)) ?? []) where file.hasPrefix("test.sqlite") {
            try fm.setAttributes([.posixPermissions: 0o644], ofItemAtPath: h.dir.appendingPathComponent(file).path)
        }
        try fm.setAttributes([.posixPermissions: 0o777], ofItemAtPath: h.dir.path)
        let file = try await asNobody()
        #expect(file.status == 69 && file.stderr == "encompass: database unavailable: cannot open \(store): this user (uid 65534) cannot write the file "
                + "(copied in by another user, as a restore by root is?): give the service's user the file\n", "\(file.stderr)")

        // Out of WAL, so opening must make the -wal and -shm files beside it, in the folder.
        try await DatabaseQueue(path: store).writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = DELETE") }
        try fm.setAttributes([.posixPermissions: 0o666], ofItemAtPath: store)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: h.dir.path)
        let folder = try await asNobody()
        #expect(folder.status == 69 && folder.stderr.contains("this user (uid 65534) cannot write its folder \(h.dir.path)"), "\(folder.stderr)")
    }

    /// A store on a read-only file system (outside /var/lib/encompass under the units'
    /// ProtectSystem=strict, or a disk remounted read-only): doctor said all was well and every
    /// writer failed "attempt to write a readonly database", naming nothing (audit 25, F3). Its
    /// folder is made read-only by a bind mount in a mount namespace of the command's own (as
    /// root, as the tests run here; `unshare` and `sh` exec, so the command's status is its own).
    @Test func aStoreOnAReadOnlyFileSystemIsNamedByDoctorAndEveryWriter() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let samples = h.configDir.appendingPathComponent("sample-incidents.csv").path
        #expect(try await h.run(["ingest", samples]).status == 0)
        func readOnly(_ args: [String]) async throws -> CLIHarness.Outcome {
            let p = h.process(args, environment: ["ENCOMPASS_ALLOW_PLACEHOLDERS": "1"])
            p.arguments = ["--mount", "/bin/sh", "-c", #"mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@""#,
                           h.dir.path, p.executableURL!.path] + (p.arguments ?? [])
            p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            let ran = try await p.runToEnd()
            return CLIHarness.Outcome(status: ran.end.status, stdout: String(decoding: ran.stdout, as: UTF8.self),
                                      stderr: String(decoding: ran.stderr, as: UTF8.self))
        }
        let why = "\(h.databasePath): its file system is read-only (a path outside /var/lib/encompass, the only one the units' "
            + "ProtectSystem=strict lets them write, or a disk remounted read-only after an error: see `dmesg`): keep the store "
            + "under /var/lib/encompass, or remount its disk read-write"
        // No process has it open: its -wal and -shm files are gone, and cannot be made.
        let closed = try await readOnly(["ingest", samples])
        #expect(closed.status == 69 && closed.stderr == "encompass: database unavailable: cannot open \(why)\n", "\(closed.stderr)")

        // Held open (by `serve`, say): it opens and reads, and only a write failed.
        let holder = try DatabasePool(path: h.databasePath)
        _ = try await holder.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM incidents") }
        let doctor = try await readOnly(["doctor", "--now", "2026-06-01T08:00:00Z"])
        #expect(doctor.status != 0, "\(doctor.stdout)\(doctor.stderr)")
        #expect(doctor.stderr.contains("problem: database: database unavailable: cannot write \(why) (--database or ENCOMPASS_DATABASE)\n"),
                "\(doctor.stdout)\(doctor.stderr)")
        #expect(!doctor.stdout.contains("ok: database: "), "\(doctor.stdout)")
        let ingest = try await readOnly(["ingest", samples])
        #expect(ingest.status == 69 && ingest.stderr == "encompass: database unavailable: cannot write \(why)\n", "\(ingest.stderr)")
        let alerts = try await readOnly(["alerts"])
        #expect(alerts.status == 0, "only writing is refused: \(alerts.stderr)")
        try holder.close()
        // The mount was the commands' own: the folder is writable again here.
        #expect(access(h.dir.path, W_OK) == 0)
    }

    @Test func tenIngestsStartedAtOnceOnANewDatabaseAllSucceed() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        var runs: [Process] = []
        for n in 0..<10 {
            let file = try h.write("in-\(n).csv", CSVRows.file([CSVRows.row("I-\(n)", "2026-11-19T21:40:00Z", child: "C-\(n)")]))
            runs.append(try h.start(["ingest", file], name: "ingest-\(n)"))
        }
        for (n, run) in runs.enumerated() {
            let end = await run.waitForExit()
            let err = try String(contentsOf: h.dir.appendingPathComponent("ingest-\(n).err"), encoding: .utf8)
            #expect(end.status == 0, "ingest \(n): \(err)")
        }
        let doc = try h.json(try await h.run(["escalations", "--all", "--json", "--as-of", "2026-11-20T08:00:00Z"]))
        #expect((doc["children"] as? [[String: Any]])?.count == 10)
    }

    /// A file of many chunks (about 12,000 incidents; a chunk is 1,024) into a new database. When it
    /// is read before the database is set up, the chunks waiting for the store were handed over by
    /// the writer's own task, which waited for room it alone could make: the release build hung
    /// every time on this machine. (The debug build reads slower than it sets up, so here this runs
    /// the path without the race; `chunksAlreadyHeldGoInWithoutWaitingForRoom` pins the mechanism.)
    @Test func aFileReadBeforeTheNewDatabaseIsReadyIsWrittenWhole() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = h.dir.appendingPathComponent("synth.csv").path
        #expect(try await h.run(["synth", "--rows", "20000", "--seed", "1", "--output", file]).status == 0)
        let out = try await h.run(["ingest", file])
        #expect(out.status == 0, "\(out.stderr)")
        let added = out.stdout.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        #expect(added > 4 * 1_024, "\(out.stdout)")
    }

    @Test(arguments: [["alerts"], ["escalations"], ["alerts", "--json"]])
    func aCommandThatOnlyReadsNeverMakesADatabase(args: [String]) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let out = try await h.run(args)
        #expect(out.status == 66)
        #expect(out.stderr == "encompass: no database at \(h.databasePath): nothing has been ingested there (check --database)\n")
        #expect(out.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: h.databasePath))
    }

    @Test func aCommandThatOnlyReadsLeavesConfigsNewKeyAdultForTheNextWriter() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z", urn: "120599")]))
        let env = ["ENCOMPASS_ALERTS_MAX_AGE_DAYS": "0"]
        #expect(try await h.run(["ingest", file], environment: env).status == 0)
        let before = try await dump(h)
        // The school gets a key adult in Config/: the alert may go once a command that writes runs.
        let adults = h.configDir.appendingPathComponent("key-adults.csv")
        try (String(contentsOf: adults, encoding: .utf8) + "120599,Key Adult,dsl@test.school.example,smtp,\n").write(to: adults, atomically: true, encoding: .utf8)
        for args in [["alerts", "--json"], ["escalations", "--json"]] {
            #expect(try await h.run(args, environment: env).status == 0)
        }
        let unmatched = try #require(try await h.json(try h.run(["alerts", "--json", "--state", "unmatched"], environment: env))["alerts"] as? [[String: Any]])
        #expect(unmatched.map { $0["state"] as? String } == ["unmatched"])
        // Every row as the ingest left it: Config/'s key adults were not written in either.
        #expect(try await dump(h) == before)
        #expect(try await h.run(["ingest", file], environment: env).status == 0)
        let queued = try #require(try await h.json(try h.run(["alerts", "--json", "--now", "2026-11-20T06:00:00Z"], environment: env))["alerts"]
                                  as? [[String: Any]])
        #expect(queued.map { $0["state"] as? String } == ["queued"])
    }

    /// Every table's rows, as the sqlite3 shell prints them.
    func dump(_ h: CLIHarness) async throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [h.databasePath, ".dump"]
        let ran = try await p.runToEnd()
        #expect(ran.end.status == 0, "\(String(decoding: ran.stderr, as: UTF8.self))")
        return String(decoding: ran.stdout, as: UTF8.self)
    }

    /// A morning run pointed at a file that is not there (a typo in the unit's environment) would
    /// otherwise make an empty store, send nothing and exit 0.
    @Test(arguments: [["notify"], ["notify", "--dry-run"]])
    func aMorningRunOnAMissingStoreFailsAndMakesNone(args: [String]) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let out = try await h.run(args)
        #expect(out.status == 66, "\(out.stderr)")
        #expect(out.stderr == "encompass: no database at \(h.databasePath): nothing has been ingested there (check --database)\n")
        #expect(!FileManager.default.fileExists(atPath: h.databasePath))
    }

    @Test func migrateSaysWhatItWouldDoAndThenDoesIt() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let dry = try await h.run(["migrate", "--dry-run"])
        #expect(dry.status == 66 && dry.stderr == "encompass: no database at \(h.databasePath): nothing has been ingested there (check --database)\n",
                "\(dry.stderr)")
        #expect(!FileManager.default.fileExists(atPath: h.databasePath))
        let run = try await h.run(["migrate"])
        #expect(run.status == 0 && run.stdout.hasPrefix("no database was at \(h.databasePath): made a new one and ran "), "\(run.stdout)\(run.stderr)")
        #expect(try await SQLiteStore(path: h.databasePath).pendingMigrations().isEmpty)
        #expect(try await h.run(["migrate", "--dry-run"]).stdout == "the database is up to date: no migration to run\n")
        #expect(try await h.run(["alerts"]).status == 0)
    }
}
