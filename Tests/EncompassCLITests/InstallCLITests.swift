import Foundation
import Testing
import TestSupport

/// Going live (issue 14): a blank configuration from `init`, and `notify` refusing the sample's
/// placeholder contacts.
@Suite("init and the placeholder contacts")
struct InstallCLITests {
    /// `init` takes no --config or --database: it is run with its own arguments only.
    static func initialise(_ dir: String) async throws -> (status: Int32, stderr: String) {
        let result = try await Command.run(EncompassBinary.url.path, ["init", dir])
        return (result.exitCode, result.output)
    }

    @Test func initWritesABlankFolderThatLoadsAndNeverOverwrites() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let dir = h.dir.appendingPathComponent("blank").path
        let made = try await Self.initialise(dir)
        #expect(made.status == 0, "\(made.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(names == ["bank-holidays.json", "encompass.yaml", "key-adults.csv", "schools.csv", "term-dates.csv"])
        let yaml = try String(contentsOfFile: dir + "/encompass.yaml", encoding: .utf8)
        for key in ["window_days", "serial_victims", "missing_days", "webhook", "public_url", "ack_days"] {
            #expect(yaml.contains("#  \(key):"), "every setting is in the blank file, commented: \(key)")
        }
        #expect(!(try String(contentsOfFile: dir + "/key-adults.csv", encoding: .utf8)).contains("@"), "no sample people")
        // The blank folder is a configuration every command accepts.
        let deadline = try await Command.run(EncompassBinary.url.path, ["deadline", "--reported-at", "2026-11-20T22:10:00Z", "--config", dir])
        #expect(deadline.exitCode == 0, "\(deadline.output)")
        // A folder holding anything is refused, and nothing in it changes.
        let again = try await Self.initialise(dir)
        #expect(again.status == 64)
        #expect(again.stderr == "encompass: \(dir) is not empty: init writes only into a new or empty folder, and overwrites nothing\n")
    }

    /// SPEC §8: every command takes --config and --database; init writes the folder --config names.
    @Test func initTakesTheFolderAsConfigToo() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let dir = h.dir.appendingPathComponent("by-option").path
        let made = try await Command.run(EncompassBinary.url.path, ["init", "--config", dir, "--database", "sqlite:\(h.dir.path)/unused.sqlite"])
        #expect(made.exitCode == 0, "\(made.output)")
        #expect(FileManager.default.fileExists(atPath: dir + "/encompass.yaml"))
        #expect(!FileManager.default.fileExists(atPath: h.dir.path + "/unused.sqlite"), "init writes no database")
        let two = try await Command.run(EncompassBinary.url.path, ["init", dir + "-a", "--config", dir + "-b"])
        #expect(two.exitCode == 64 && two.output == "encompass: init: DIR (\(dir)-a) and --config (\(dir)-b) name two folders: give one\n", "\(two.output)")
        #expect(!FileManager.default.fileExists(atPath: dir + "-a") && !FileManager.default.fileExists(atPath: dir + "-b"))
    }

    @Test func notifyRefusesThePlaceholderContactsNamingEachSetting() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let out = try await h.run(["notify", "--now", "2026-11-20T06:00:00Z"], environment: ["ENCOMPASS_ALLOW_PLACEHOLDERS": ""])
        #expect(out.status == 65)
        #expect(out.stderr.contains("encompass: hub.phone is the sample's placeholder 0000 000 0000"))
        #expect(out.stderr.contains("encompass: hub.email is the placeholder hub@police.example"))
        #expect(out.stderr.contains("encompass: smtp.from is the placeholder encompass@police.example"))
        let real = try await h.run(["notify", "--now", "2026-11-20T06:00:00Z"], environment: [
            "ENCOMPASS_ALLOW_PLACEHOLDERS": "", "ENCOMPASS_HUB_PHONE": "01632 960000", "ENCOMPASS_HUB_EMAIL": "hub@lincs.police.uk",
            "ENCOMPASS_SMTP_FROM": "encompass@lincs.police.uk",
        ])
        #expect(!real.stderr.contains("placeholder"), "\(real.stderr)")
    }
}
