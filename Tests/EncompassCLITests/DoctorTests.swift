import Doctor
import Foundation
import GRDB
import Schools
import SQLiteStore
import StoreContract
import Stores
import Testing
import TestSupport

/// `encompass doctor` against a real relay (aiosmtpd requiring STARTTLS, a certificate made for the
/// test): every check passing on a sound install, a test message reaching the hub, and each kind of
/// problem named with what to fix and the SPEC's exit status.
@Suite struct DoctorTests {
    /// Inside the sample's calendar (its term dates run to July 2027, its bank holidays to December 2027).
    static let inside = "2026-06-01T08:00:00Z"

    static func run(_ rig: OutboxRig, _ args: [String] = [], environment: [String: String]? = nil) async throws -> CLIHarness.Outcome {
        try await rig.h.run(["doctor", "--now", inside] + args, environment: environment ?? rig.environment)
    }

    @Test func aSoundInstallPassesAndTheTestMessageReachesTheHub() async throws {
        let rig = try await OutboxRig()
        defer { rig.h.cleanUp() }
        #expect(try await rig.h.run(["migrate"]).status == 0)
        let out = try await Self.run(rig, ["--send-test"])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.stderr.isEmpty)
        for line in ["ok: database: reachable, at this version", "ok: database connection: a file on this machine", "ok: settings: ", "ok: templates: ", "ok: key adults: 5, every one at a known school",
                     "ok: bank holidays: known until 2027-12-28", "ok: term dates: every key adult's school is covered",
                     "ok: relay 127.0.0.1:\(rig.smtp.port): connected, TLS, logged in",
                     "ok: test message: sent to hub.email (hub@police.example)"] {
            #expect(out.stdout.contains(line), "\(line)")
        }
        let mail = try rig.hubMail()
        #expect(mail.map(\.subject) == ["Encompass: a test message from encompass doctor"])
        // Nothing was written to the database by the checks.
        #expect(try await rig.h.run(["alerts"]).stdout == "No alerts.\n")
    }

    /// A relay on this machine taken in clear (smtp.allow_plaintext_loopback) is said to be so,
    /// not "TLS" (audit 21, time: noted).
    @Test func aPlaintextLoopbackRelayIsNotCalledTLS() async throws {
        let rig = try await OutboxRig(relay: ["--no-starttls"])
        defer { rig.stop() }
        let out = try await Self.run(rig, environment: rig.environment.merging(["ENCOMPASS_SMTP_ALLOW_PLAINTEXT_LOOPBACK": "true"]) { $1 })
        #expect(out.stdout.contains("ok: relay 127.0.0.1:\(rig.smtp.port): connected, not encrypted (a relay on this machine, "
                                    + "smtp.allow_plaintext_loopback), logged in"), "\(out.stdout)\(out.stderr)")
    }

    /// A store whose pages are damaged (a failing disk, a torn copy) can still open and answer,
    /// short: a damaged index page read as a valid one with fewer rows gave half the review queue,
    /// exit 0, and doctor said "reachable" (audit 21, crash F2). Doctor now checks the pages.
    @Test func aStoreWithDamagedPagesIsAProblemWithWhatToDo() async throws {
        let rig = try await OutboxRig()
        defer { rig.h.cleanUp() }
        let samples = rig.h.configDir.appendingPathComponent("sample-incidents.csv").path
        #expect(try await rig.h.run(["ingest", samples], environment: rig.environment).status == 0)
        #expect(try await Self.run(rig).stdout.range(of: #"ok: database: reachable, at this version \([0-9]+ migrations\), its pages checked"#, options: .regularExpression) != nil)
        let path = rig.h.databasePath
        let (pageSize, root) = try await DatabaseQueue(path: path).read { db in
            (try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0,
             try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE name = 'incident_children'") ?? 0)
        }
        // The links' first cell pointers sent past the page's end, as stray bytes from a disk would.
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try file.seek(toOffset: UInt64((root - 1) * pageSize + 12))
        try file.write(contentsOf: Data([0xFF, 0xF0, 0xFF, 0xF0]))
        try file.close()
        let out = try await Self.run(rig)
        #expect(out.status == 69, "\(out.stdout)\(out.stderr)")
        // SQLite's own words name the page and the pointer; the range it expected depends on the
        // page's contents, so it is not asserted.
        let damaged = out.stderr.split(separator: "\n").filter { $0.hasPrefix("problem: database: damaged (") }
        #expect(damaged.count == 1, "\(out.stdout)\(out.stderr)")
        #expect(damaged.first?.hasPrefix("problem: database: damaged (On tree page \(root) cell 0: Offset 65520 out of range ") == true,
                "\(out.stderr)")
        #expect(damaged.first?.hasSuffix("): commands may answer short of what it holds; stop the units and restore the last backup "
                                         + "(docs/operations.md, Restore)") == true, "\(out.stderr)")
    }

    /// Doctor names only the check it made: SQLite's pages are checked (quick_check); on
    /// PostgreSQL nothing checks them, and "its pages checked" there called a restore that had
    /// restored nothing a good one (audit 25, F2).
    @Test(arguments: TestDatabase.allCases)
    func theDatabaseLineClaimsOnlyTheCheckItMade(_ kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        #expect(try await h.run(["migrate"]).status == 0)
        let out = try await h.run(["doctor", "--now", Self.inside], environment: ["ENCOMPASS_ALLOW_PLACEHOLDERS": "1"])
        let line = try #require(out.stdout.split(separator: "\n").first { $0.hasPrefix("ok: database: reachable, at this version (") },
                                "\(out.stdout)\(out.stderr)")
        switch kind {
        case .sqlite: #expect(line.hasSuffix(" migrations), its pages checked (SQLite's quick_check)"), "\(line)")
        case .postgres:
            #expect(!line.contains("pages checked"), "\(line)")
            #expect(line.hasSuffix(" migrations); its pages not checked here (the server's own: data checksums, amcheck)"), "\(line)")
        }
    }

    /// A server on another machine reached in clear is a problem of ours (its sslmode); over TLS,
    /// or on this machine, it is not.
    @Test func aDatabaseReachedInClearAcrossANetworkIsAProblem() {
        let remote = Doctor.finding(for: .server(host: "db.police.example", loopback: false, tls: nil))
        #expect(remote.kind == .configuration)
        #expect(remote.line.contains("to db.police.example is not encrypted") && remote.line.contains("sslmode=verify-full"))
        #expect(Doctor.finding(for: .server(host: "db.police.example", loopback: false, tls: "TLSv1.3")).kind == .ok)
        #expect(Doctor.finding(for: .server(host: "127.0.0.1", loopback: true, tls: nil)).kind == .ok)
        #expect(Doctor.finding(for: .localFile).kind == .ok)
    }

    /// What the connection really is, as the server sees it: TLS to the TLS-only server, none to the
    /// plain one on this machine.
    @Test func thePostgresConnectionIsReportedAsTheServerSeesIt() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let tls = try PostgresServer.sharedTLS().makeDatabase()
        let plain = try PostgresServer.shared().makeDatabase()
        for db in [tls, plain] { #expect(try await h.run(["migrate"], database: db).status == 0) }
        let over = try await h.run(["doctor", "--now", Self.inside], environment: ["ENCOMPASS_ALLOW_PLACEHOLDERS": "1"], database: tls)
        #expect(over.stdout.contains("ok: database connection: to 127.0.0.1 over TLS (TLSv1."), "\(over.stdout)\(over.stderr)")
        let clear = try await h.run(["doctor", "--now", Self.inside], environment: ["ENCOMPASS_ALLOW_PLACEHOLDERS": "1"], database: plain)
        #expect(clear.stdout.contains("ok: database connection: to 127.0.0.1 on this machine, not encrypted"), "\(clear.stdout)\(clear.stderr)")
    }

    @Test func withoutTheFlagNothingIsSent() async throws {
        let rig = try await OutboxRig()
        defer { rig.h.cleanUp() }
        let out = try await Self.run(rig)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("ok: database: none yet at "), "a new install: the first write sets it up")
        #expect(try rig.hubMail().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: rig.h.databasePath), "doctor makes no database")
    }

    /// A database not there yet in a folder that is not there (a typo in ENCOMPASS_DATABASE): not
    /// "the first command that writes sets it up", since that command would fail; the folder named.
    @Test func aDatabaseThatCannotBeMadeIsAProblemNamingItsFolder() async throws {
        let rig = try await OutboxRig()
        defer { rig.h.cleanUp() }
        let folder = rig.h.dir.appendingPathComponent("no-such-folder").path
        let out = try await rig.h.run(["doctor", "--now", Self.inside], environment: rig.environment, database: "sqlite:\(folder)/x.sqlite")
        #expect(out.status == 69)
        #expect(out.stderr.contains("problem: database: database unavailable: cannot make \(folder)/x.sqlite: its folder \(folder) does not exist: "
                                    + "create it, or check --database"), "\(out.stderr)")
        #expect(!out.stdout.contains("none yet"), "\(out.stdout)")
        #expect(!FileManager.default.fileExists(atPath: folder), "doctor makes nothing")
    }

    @Test func aRelayThatCannotBeReachedIs69AndSaysWhere() async throws {
        let rig = try await OutboxRig()
        defer { rig.h.cleanUp() }
        rig.smtp.stop()
        let out = try await Self.run(rig)
        #expect(out.status == 69)
        #expect(out.stderr.contains("problem: relay 127.0.0.1:\(rig.smtp.port): "), "\(out.stderr)")
        #expect(out.stderr.contains("(smtp.url)"))
        #expect(out.stderr.split(separator: "\n").count == 1, "one line a problem: \(out.stderr)")
    }

    @Test func eachProblemOfOursIs65AndNamesWhatToFix() async throws {
        let rig = try await OutboxRig()
        defer { rig.h.cleanUp() }
        try rig.addKeyAdult("999999,Zed Lead,dsl@nowhere.school.example,smtp,")
        // A school (of LA 925) with term rows of its own, which end before the LA's.
        try rig.addKeyAdult("139900,Own Terms,dsl@own.school.example,smtp,")
        var environment = rig.environment
        environment["ENCOMPASS_WEBHOOK_SECRET"] = nil
        // A year on, the sample's calendar has run out.
        let out = try await rig.h.run(["doctor", "--now", "2027-06-01T08:00:00Z"], environment: environment)
        #expect(out.status == 65)
        let adults = try String(contentsOf: rig.h.configDir.appendingPathComponent("key-adults.csv"), encoding: .utf8)
        let row = try #require(adults.components(separatedBy: "\n").firstIndex { $0.hasPrefix("999999,") }) + 1
        for line in ["problem: \(rig.h.configDir.appendingPathComponent("key-adults.csv").path):\(row): urn: school 999999 is in neither schools.csv nor the imported GIAS list",
                     "problem: ENCOMPASS_WEBHOOK_SECRET is not set: 2 key adult(s) take alerts by https",
                     "problem: bank-holidays.json: the bank holidays end on 2027-12-28, before 2028-05-31",
                     // Each calendar by its own name and end: school 139900's own rows override its LA's.
                     "problem: term-dates.csv: the term dates of local authority 925 end on 2027-07-21, before 2028-05-31",
                     "problem: term-dates.csv: the term dates of school 139900 end on 2027-07-02, before 2028-05-31"] {
            #expect(out.stderr.contains(line), "\(line)\n\(out.stderr)")
        }
        // Placeholders are named when the demo's pass is not given.
        let placeholders = try await rig.h.run(["doctor", "--now", Self.inside], environment: rig.environment.merging(["ENCOMPASS_ALLOW_PLACEHOLDERS": "0"]) { _, b in b })
        #expect(placeholders.status == 65)
        #expect(placeholders.stderr.contains("problem: hub.phone is the sample's placeholder"))
    }

    /// The secrets the settings call for: hub.webhook's signature (the second channel would fail on
    /// the morning the relay is down). The acknowledgement links need no key: ENCOMPASS_ACK_SECRET,
    /// which earlier versions needed, is accepted and only noted, and notify runs without it.
    @Test func theSecretsTheSettingsCallForAreNamed() async throws {
        let rig = try await OutboxRig()
        defer { rig.h.cleanUp() }
        try Data("urn,name,email,channel,endpoint\n120501,Ann Lead,dsl@boston.school.example,smtp,\n".utf8)
            .write(to: rig.h.configDir.appendingPathComponent("key-adults.csv"))
        var environment = rig.environment
        environment["ENCOMPASS_WEBHOOK_SECRET"] = nil
        environment["ENCOMPASS_HUB_WEBHOOK"] = "https://hub.police.example/encompass"
        environment["ENCOMPASS_WEB_PUBLIC_URL"] = "https://encompass.police.example"
        let out = try await Self.run(rig, environment: environment)
        #expect(out.status == 65)
        #expect(out.stderr == """
            problem: ENCOMPASS_WEBHOOK_SECRET is not set: hub.webhook (the hub's second channel when the relay is down) cannot be signed

            """, "\(out.stderr)")
        #expect(!out.stdout.contains("ENCOMPASS_ACK_SECRET"), "nothing said of a variable not set")
        environment["ENCOMPASS_WEBHOOK_SECRET"] = OutboxRig.secret
        // An environment file written for an earlier version still works, with a note.
        environment["ENCOMPASS_ACK_SECRET"] = "too-short"
        let fixed = try await Self.run(rig, environment: environment)
        #expect(fixed.status == 0, "\(fixed.stderr)")
        #expect(fixed.stdout.contains("ok: ENCOMPASS_ACK_SECRET is set but no longer used ("), "\(fixed.stdout)")
        #expect(!fixed.stdout.contains("too-short"), "its value is not quoted")
        environment["ENCOMPASS_ACK_SECRET"] = nil
        // A store to run on (notify makes none: a missing one is exit 66).
        #expect(try await rig.h.run(["migrate"]).status == 0)
        let notify = try await rig.notify(Self.inside, environment: environment)
        #expect(notify.status == 0, "notify needs no key for the links: \(notify.stderr)")
    }

    /// The key adults in effect are the file's and the app's (kept in the database), at schools from
    /// schools.csv or the imported GIAS list: an imported school's term dates are its local
    /// authority's, and a key adult an admin added by https needs the webhook secret too.
    @Test func keyAdultsFromTheAppAndSchoolsFromGIASAreChecked() async throws {
        let rig = try await OutboxRig()
        defer { rig.h.cleanUp() }
        try Data("urn,name,email,channel,endpoint\n120501,Ann Lead,dsl@boston.school.example,smtp,\n199901,Fay Lead,dsl@therese.school.example,smtp,\n".utf8)
            .write(to: rig.h.configDir.appendingPathComponent("key-adults.csv"))
        // 199901 is in LA 925 by GIAS only, not in schools.csv.
        let gias = rig.h.dir.appendingPathComponent("edubasealldata.csv")
        try Data("\(SchoolsCLITests.header)\r\n199901,925,Lincolnshire,St Therese Primary School,Open,Voluntary aided school\r\n".utf8).write(to: gias)
        #expect(try await rig.h.run(["schools", "import", gias.path], environment: rig.environment).status == 0)
        var environment = rig.environment
        environment["ENCOMPASS_WEBHOOK_SECRET"] = nil
        let before = try await Self.run(rig, environment: environment)
        #expect(before.status == 0, "\(before.stderr)")
        for line in ["ok: key adults: 2, every one at a known school", "ok: term dates: every key adult's school is covered"] {
            #expect(before.stdout.contains(line), "\(line)\n\(before.stdout)")
        }

        // An admin adds a key adult who takes alerts by https, in the app.
        let adult = KeyAdult(urn: "120504", name: "Gil Lead", email: "dsl@gainsborough.school.example", channel: .https,
                             endpoint: "https://127.0.0.1:\(rig.https.port)/encompass/alerts")
        try await SQLiteStore(path: rig.h.databasePath).changeKeyAdults(.add(adult), actor: "a.admin", at: Date())
        let after = try await Self.run(rig, environment: environment)
        #expect(after.status == 65)
        #expect(after.stderr == "problem: ENCOMPASS_WEBHOOK_SECRET is not set: 1 key adult(s) take alerts by https\n", "\(after.stderr)")
        #expect(after.stdout.contains("ok: key adults: 3, every one at a known school"), "\(after.stdout)")
    }

    @Test func missingTemplatesAreNamedWithWhereTheyAreLookedFor() async throws {
        let rig = try await OutboxRig()
        defer { rig.h.cleanUp() }
        let empty = rig.h.dir.appendingPathComponent("no-templates")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let out = try await Self.run(rig, ["--templates", empty.path])
        #expect(out.status == 65)
        #expect(out.stderr.hasPrefix("problem: templates: template \(empty.path)/"), "\(out.stderr)")
        #expect(out.stderr.hasSuffix(" is missing (notify's --templates, or ENCOMPASS_TEMPLATES)\n"), "\(out.stderr)")
        #expect(out.stderr.split(separator: "\n").count == 1, "\(out.stderr)")
        // ENCOMPASS_TEMPLATES is where they are looked for without the option.
        let byEnvironment = try await Self.run(rig, environment: rig.environment.merging(["ENCOMPASS_TEMPLATES": empty.path]) { _, b in b })
        #expect(byEnvironment.status == 65)
        #expect(byEnvironment.stderr == out.stderr)
    }

    @Test func aMissingFileStopsTheSettingsCheckAndIsNamed() async throws {
        let rig = try await OutboxRig()
        defer { rig.h.cleanUp() }
        try FileManager.default.removeItem(at: rig.h.configDir.appendingPathComponent("term-dates.csv"))
        let out = try await Self.run(rig)
        #expect(out.status == 65)
        #expect(out.stderr == "problem: settings: \(rig.h.configDir.path)/term-dates.csv: no such file\n", "\(out.stderr)")
        #expect(out.stdout.contains("ok: database: "), "the database is still checked")
    }
}
