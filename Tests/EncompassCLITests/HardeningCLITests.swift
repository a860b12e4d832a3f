import Foundation
import RiskModel
import SQLiteStore
import StoreContract
import Testing

/// Issue 10: bad input a careless exporter or an attacker sends, through the real binary.
@Suite("hardening: line endings, empty exports, control characters, who decided")
struct HardeningCLITests {
    /// Item 2: old Mac line endings were read as one header line, "0 added", exit 0.
    /// SPEC §9: one line an error, the command line's own included (ArgumentParser's answer was the
    /// error, a help line and the whole usage).
    @Test(arguments: [["alerts", "--bogus"], ["ingest", "--config"], ["alerts", "--state", "nonsense"], ["plan", "done", "abc", "--on", "2026-12-01"],
                      ["decide", "C-1", "--marac", "maybe", "--on", "2026-12-01"]])
    func aBadCommandLineIsOneLine(args: [String]) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let out = try await h.run(args)
        #expect(out.status == 64, "\(out.stderr)")
        #expect(out.stderr.hasPrefix("encompass: ") && out.stderr.hasSuffix(" (`encompass help \(args[0])` lists what it takes)\n"), "\(out.stderr)")
        #expect(out.stderr.split(separator: "\n").count == 1, "\(out.stderr)")
        #expect(out.stdout.isEmpty)
    }

    /// Help is still the whole text, and each decision kind lists its own outcomes only.
    @Test func helpIsWholeAndDecideNamesEachKindsOutcomes() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let help = try await h.run(["decide", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--strategy-meeting"), "\(help.stdout)")
        #expect(help.stdout.contains("referred or declined") && help.stdout.contains("held or declined"))
        #expect(!help.stdout.contains("values:"), "ArgumentParser's list named held under --marac: \(help.stdout)")
    }

    /// A config file that cannot be read says why (audit 25, F12: "cannot be read" alone): here a
    /// folder where schools.csv should be, exit 65, one line.
    @Test func aConfigFileThatIsAFolderSaysSo() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let schools = h.configDir.appendingPathComponent("schools.csv")
        try FileManager.default.removeItem(at: schools)
        try FileManager.default.createDirectory(at: schools, withIntermediateDirectories: false)
        let out = try await h.run(["alerts"])
        #expect(out.status == 65, "\(out.stderr)")
        #expect(out.stderr == "\(schools.path): cannot be read: it is a folder, not a file\n", "\(out.stderr)")
    }

    /// SQLite says only "unable to open database file"; the operator is told what to fix.
    @Test func aStoreWhoseFolderIsMissingSaysSo() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z")]))
        let folder = h.dir.appendingPathComponent("no-such-folder").path
        let out = try await h.run(["ingest", file], database: "sqlite:\(folder)/enc.sqlite")
        #expect(out.status == 69, "\(out.stderr)")
        #expect(out.stderr == "encompass: database unavailable: cannot open \(folder)/enc.sqlite: its folder \(folder) does not exist: create it, or check --database\n")
    }

    @Test func crOnlyLineEndingsAreLinesAndBadRowsAreRefused() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let rows = [
            CSVRows.header,
            CSVRows.row("I-1", "2026-10-01T21:40:00Z"),
            CSVRows.row("I-2", "2026-10-02T21:40:00Z", grade: "severe"),
            CSVRows.row("I-3", "2026-10-03T21:40:00Z", urn: "12"),
        ]
        let bad = try h.write("mac.csv", rows.joined(separator: "\r") + "\r")
        let refused = try await h.run(["ingest", bad])
        #expect(refused.status == 65)
        #expect(refused.stderr == """
            \(bad):3: officer_grade: unknown grade (expected standard, medium or high)
            \(bad):4: school_urn: is not a 6-digit URN

            """)
        #expect(refused.stdout == "")

        let good = try h.write("mac-good.csv", [CSVRows.header, CSVRows.row("I-1", "2026-10-01T21:40:00Z")].joined(separator: "\r"))
        let added = try await h.run(["ingest", good])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.hasPrefix("incidents: 1 added"))
    }

    /// Item 2: an empty export is a broken export.
    @Test func aHeaderWithNoRowsOrAnEmptyFileIsRefused() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let headerOnly = try h.write("header.csv", CSVRows.header + "\r\n")
        let empty = try h.write("empty.jsonl", "")
        let refused = try await h.run(["ingest", headerOnly, empty])
        #expect(refused.status == 65)
        #expect(refused.stderr == """
            \(headerOnly):1: -: no incidents: the file has a header row and no rows
            \(empty):1: -: no incidents: the file has no lines

            """)
        #expect(!FileManager.default.fileExists(atPath: h.databasePath))
    }

    /// Item 3: an ESC sequence or a NUL never gets in, and is never echoed.
    @Test func controlCharactersAreRefusedAtIngestWithTheirLine() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("ctl.csv", CSVRows.file([
            CSVRows.row("I-1", "2026-10-01T21:40:00Z", child: "C-\u{1B}[2J1"),
            CSVRows.row("I-2", "2026-10-02T21:40:00Z", given: "Ame\u{0}lia"),
            CSVRows.row("I-3", "2026-10-03T21:40:00Z", family: String(repeating: "H", count: 101)),
        ]))
        let refused = try await h.run(["ingest", file])
        #expect(refused.status == 65)
        #expect(refused.stderr == """
            \(file):2: child_id: contains a control character
            \(file):3: child_given_name: contains a control character
            \(file):4: child_family_name: is longer than 100 characters

            """)
    }

    /// Item 3: decide refuses control characters in the child id, --by and --reason (exit 64),
    /// before anything is opened, and never echoes them.
    @Test(arguments: [
        ["C-\u{1B}[2J", "--marac", "referred", "--on", "2026-10-16"],
        ["C-1", "--marac", "referred", "--on", "2026-10-16", "--by", "j.smith\u{1B}[8m"],
        ["C-1", "--marac", "declined", "--on", "2026-10-16", "--reason", "no \u{7}bell"],
    ])
    func decideRefusesControlCharacters(args: [String]) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let refused = try await h.run(["decide"] + args)
        #expect(refused.status == 64)
        #expect(refused.stderr.hasSuffix(": contains a control character\n"), "\(refused.stderr)")
        #expect(!refused.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(!FileManager.default.fileExists(atPath: h.databasePath))
    }

    /// A blank `--by` (empty, spaces, a no-break or ideographic space) would record a decision or plan
    /// step by no one, and an empty child id is a bad command line, not an unknown child: 64, one
    /// line naming the option, before anything is opened (audit 19, F2).
    @Test(arguments: [
        (["decide", "C-1", "--marac", "referred", "--on", "2026-10-16", "--by", ""], "--by"),
        (["decide", "C-1", "--marac", "referred", "--on", "2026-10-16", "--by", "   "], "--by"),
        (["decide", "C-1", "--marac", "referred", "--on", "2026-10-16", "--by", "\u{A0}\u{3000}"], "--by"),
        (["decide", "", "--marac", "referred", "--on", "2026-10-16"], "CHILD_ID"),
        (["plan", "add", "C-1", "--action", "Visit", "--agency", "Police", "--by", ""], "--by"),
        (["plan", "add", "C-1", "--action", "Visit", "--agency", "Police", "--by", " \t "], "--by"),
        (["plan", "add", " ", "--action", "Visit", "--agency", "Police"], "CHILD_ID"),
        (["plan", "done", "1", "--on", "2026-11-20", "--by", ""], "--by"),
        (["plan", "list", ""], "CHILD_ID"),
    ])
    func aBlankAuthorOrChildIdIsABadCommandLine(args: [String], option: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let refused = try await h.run(args)
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr == "encompass: \(option): is empty\n")
        #expect(!FileManager.default.fileExists(atPath: h.databasePath))
    }

    /// Dates and instants outside the years a person may enter (1900 to 9998) are 64 and a line
    /// naming the option from every command that takes one, not a crash or an instant in year 10000
    /// written as 0000. (`tokens create --expires` is checked by the parser, which adds its usage.)
    @Test(arguments: [
        (["escalations", "--as-of", "9999-12-31T23:59:59-01:00"], "--as-of"),
        (["escalations", "--as-of", "0001-01-01T00:00:00Z"], "--as-of"),
        (["report", "--from", "9999-12-01", "--to", "9999-12-02"], "--from"),
        (["report", "--from", "1900-01-01", "--to", "0001-03-01"], "--to"),
        (["deadline", "--reported-at", "9999-12-31T23:59:59-01:00"], "--reported-at"),
        (["notify", "--now", "9999-12-31T23:59:59-01:00"], "--now"),
        (["alerts", "--now", "9999-12-31T23:59:59-01:00"], "--now"),
        (["decide", "C-1", "--marac", "referred", "--on", "0001-03-01"], "--on"),
        (["plan", "add", "C-1", "--action", "Weekly visit", "--agency", "School", "--due", "9999-12-31"], "--due"),
        (["tokens", "create", "records", "--expires", "9999-12-31"], "--expires"),
    ])
    func aDateOutOfRangeIsExit64NamingTheOption(args: [String], option: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-10-01T21:40:00Z")]))
        #expect(try await h.run(["ingest", file]).status == 0)
        let refused = try await h.run(args)
        #expect(refused.status == 64, "\(refused.stderr)")
        let lines = refused.stderr.split(separator: "\n")
        #expect(lines.first?.contains(option) == true, "\(refused.stderr)")
        if args[0] != "tokens" { #expect(lines.count == 1, "\(refused.stderr)") }
    }

    @Test func aReasonMayHaveLineBreaks() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-10-01T21:40:00Z")]))
        #expect(try await h.run(["ingest", file]).status == 0)
        let kept = try await h.run(["decide", "C-1", "--marac", "declined", "--on", "2026-10-16", "--reason", "Plan agreed.\nReview in May."])
        #expect(kept.status == 0, "\(kept.stderr)")
    }

    /// Item 10: `decide --by j.smith` keeps who ran it beside the name given.
    @Test func theAuditKeepsTheLoginThatRanDecide() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-10-01T21:40:00Z")]))
        #expect(try await h.run(["ingest", file]).status == 0)
        let recorded = try await h.run(["decide", "C-1", "--marac", "referred", "--on", "2026-10-16", "--by", "j.smith"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let store = try SQLiteStore(path: h.databasePath)
        #expect(try await store.decisions(childId: "C-1").map(\.by) == ["j.smith"])
        let entry = try #require(try await store.auditEntries(limit: 10).first { $0.action == "decision.referred" })
        let login = try #require(getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) })
        #expect(entry.actor == "cli:\(login)")
        #expect(entry.detail?.contains("\"by\":\"j.smith\"") == true, "\(entry.detail ?? "")")
    }

    /// Item 7: notify finds Templates/ beside the config folder, from any working directory, and a
    /// missing template is a missing file (66) named by its path, never a bad command line (64).
    @Test func notifyFindsItsTemplatesBesideTheConfigFolder() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z")]))
        let all = ["ENCOMPASS_ALERTS_MAX_AGE_DAYS": "0"]
        #expect(try await h.run(["ingest", file], environment: all).status == 0)
        let elsewhere = h.dir.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let dry = ["notify", "--now", "2026-11-20T06:00:00Z", "--dry-run", "--dry-run-dir", h.dir.appendingPathComponent("dry").path]

        let missing = try await h.run(dry, directory: elsewhere)
        #expect(missing.status == 66)
        let expected = h.dir.appendingPathComponent("Templates").appendingPathComponent("alert.txt.mustache").path
        #expect(missing.stderr == "encompass: template \(expected) is missing\n")

        try FileManager.default.copyItem(at: CLIHarness.packageRoot.appendingPathComponent("Templates"),
                                         to: h.dir.appendingPathComponent("Templates"))
        let found = try await h.run(dry, directory: elsewhere)
        #expect(found.status == 0, "\(found.stderr)")
        #expect(found.stdout.contains("dry run: 1 alerts rendered"), "\(found.stdout)")

        let overridden = try await h.run(dry + ["--templates", elsewhere.path], directory: elsewhere)
        #expect(overridden.status == 66)
        #expect(overridden.stderr.contains(elsewhere.appendingPathComponent("alert.txt.mustache").path))
    }

    /// Item 10: files with personal data are the owner's alone: the dry run's messages, the database.
    @Test func dryRunMessagesAndTheDatabaseAreCreatedOwnerOnly() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z")]))
        #expect(try await h.run(["ingest", file], environment: ["ENCOMPASS_ALERTS_MAX_AGE_DAYS": "0"]).status == 0)
        #expect(try mode(h.databasePath) == 0o600)
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: h.databasePath + suffix) {
            #expect(try mode(h.databasePath + suffix) == 0o600, "\(suffix)")
        }
        let dryDir = h.dir.appendingPathComponent("dry")
        let dry = try await h.run(["notify", "--now", "2026-11-20T06:00:00Z", "--dry-run", "--dry-run-dir", dryDir.path],
                            environment: ["ENCOMPASS_TEMPLATES": CLIHarness.packageRoot.appendingPathComponent("Templates").path])
        #expect(dry.status == 0, "\(dry.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dryDir.path)
        #expect(names.contains { $0.hasSuffix(".eml") })
        for name in names {
            #expect(try mode(dryDir.appendingPathComponent(name).path) == 0o600, "\(name)")
        }
        #expect(try mode(dryDir.path) == 0o700)
    }

    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// Item 10: a relative ca_file is read from the config folder and checked when settings load.
    @Test func aRelativeCAFileIsReadFromTheConfigFolderAndCheckedAtLoad() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let deadline = ["deadline", "--reported-at", "2026-03-28T22:00:00Z"]
        let missing = try await h.run(deadline, environment: ["ENCOMPASS_SMTP_CA_FILE": "certs/relay-ca.pem"])
        #expect(missing.status == 66)
        let expected = h.configDir.appendingPathComponent("certs/relay-ca.pem").standardizedFileURL.path
        #expect(missing.stderr == "\(expected): no such file (smtp.ca_file)\n")

        try FileManager.default.createDirectory(at: h.configDir.appendingPathComponent("certs"), withIntermediateDirectories: true)
        try Data("-----BEGIN CERTIFICATE-----\n".utf8).write(to: h.configDir.appendingPathComponent("certs/relay-ca.pem"))
        let found = try await h.run(deadline, environment: ["ENCOMPASS_SMTP_CA_FILE": "certs/relay-ca.pem"], directory: URL(fileURLWithPath: "/"))
        #expect(found.status == 0, "\(found.stderr)")
    }

    /// Item 10: notify exiting 69 names the real cause and the setting to fix.
    @Test func notifyNamesAMissingPasswordAsTheCause() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z")]))
        #expect(try await h.run(["ingest", file], environment: ["ENCOMPASS_ALERTS_MAX_AGE_DAYS": "0"]).status == 0)
        let run = try await h.run(["notify", "--now", "2026-11-20T06:00:00Z"],
                            environment: ["ENCOMPASS_SMTP_USERNAME": "hub-relay",
                                          "ENCOMPASS_TEMPLATES": CLIHarness.packageRoot.appendingPathComponent("Templates").path])
        #expect(run.status == 69)
        #expect(run.stderr.contains("ENCOMPASS_SMTP_PASSWORD is not set"), "\(run.stderr)")
    }
}
