import Foundation
import RiskModel
import SQLiteStore
import StoreContract
import Testing
import TestSupport

@Suite("escalations, decide, deadline and settings from the command line")
struct CommandsCLITests {
    /// The inspection's pattern: three standard incidents in three weeks.
    func threeStandardIncidents(_ h: CLIHarness) async throws {
        let file = try h.write("in.csv", CSVRows.file([
            CSVRows.row("I-1", "2026-10-01T21:40:00Z"),
            CSVRows.row("I-7", "2026-10-08T21:40:00Z"),
            CSVRows.row("I-9", "2026-10-15T21:40:00Z"),
            // Another household's perpetrator: P-1 named against V-2 as well would make P-1 serial.
            CSVRows.row("I-20", "2026-10-15T21:40:00Z", victim: "V-2", child: "C-ONE", perpetrator: "P-2"),
        ]))
        let out = try await h.run(["ingest", file])
        #expect(out.status == 0, "\(out.stderr)")
    }

    @Test func theQueueJoinsUpStandardIncidents() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        try await threeStandardIncidents(h)
        let out = try await h.run(["escalations", "--json", "--as-of", "2026-10-16T09:00:00+01:00"])
        #expect(out.status == 0, "\(out.stderr)")
        let doc = try h.json(out)
        #expect(doc["as_of"] as? String == "2026-10-16T08:00:00Z")
        let children = try #require(doc["children"] as? [[String: Any]])
        #expect(children.count == 1, "C-ONE has one standard incident and is not in the queue")
        let c = children[0]
        #expect(c["child_id"] as? String == "C-1")
        #expect(c["level"] as? String == "high")
        #expect(c["suggestions"] as? [String] == ["marac-referral"])
        #expect(c["incident_ids"] as? [String] == ["I-1", "I-7", "I-9"])
        let rules = try #require(c["rules"] as? [[String: Any]])
        #expect(rules.first?["rule"] as? String == "potential-escalation")
        #expect(rules.first?["incident_ids"] as? [String] == ["I-1", "I-7", "I-9"])
        let score = try #require(c["score"] as? Double)
        #expect(score > 2.5 && score < 3.0)

        let all = try h.json(try await h.run(["escalations", "--json", "--all", "--as-of", "2026-10-16T09:00:00+01:00"]))
        #expect((all["children"] as? [[String: Any]])?.map { $0["child_id"] as? String } == ["C-1", "C-ONE"])

        let table = try await h.run(["escalations", "--as-of", "2026-10-16T09:00:00+01:00"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("HIGH"))
        #expect(table.stdout.contains("3 incidents in 365 days"))
        #expect(table.stdout.contains("(120501)"))
        #expect(!table.stdout.contains("Amelia"), "the queue shows ids, not names")
    }

    @Test func aReferralIsKeptAndRepeatMaracReadsIt() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        try await threeStandardIncidents(h)
        let refused = try await h.run(["decide", "C-1", "--marac", "declined", "--on", "2026-10-16"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--reason"))
        #expect(try await h.run(["decide", "C-404", "--marac", "referred", "--on", "2026-10-16"]).status == 65)

        let referred = try await h.run(["decide", "C-1", "--marac", "referred", "--on", "2026-10-16", "--by", "hub.officer"])
        #expect(referred.status == 0, "\(referred.stderr)")
        // Referred after the newest incident: no suggestion, still high.
        var doc = try h.json(try await h.run(["escalations", "--json", "--as-of", "2026-10-17T09:00:00Z"]))
        var child = try #require((doc["children"] as? [[String: Any]])?.first)
        #expect(child["suggestions"] as? [String] == [])

        // A new incident after the referral fires repeat-marac and asks for a referral again.
        let later = try h.write("later.csv", CSVRows.file([CSVRows.row("I-30", "2026-11-01T21:00:00Z")]))
        #expect(try await h.run(["ingest", later]).status == 0)
        doc = try h.json(try await h.run(["escalations", "--json", "--as-of", "2026-11-02T09:00:00Z"]))
        child = try #require((doc["children"] as? [[String: Any]])?.first)
        let rules = try #require(child["rules"] as? [[String: Any]])
        let repeatRule = try #require(rules.first { $0["rule"] as? String == "repeat-marac" })
        #expect(repeatRule["incident_ids"] as? [String] == ["I-30"])
        #expect(child["suggestions"] as? [String] == ["marac-referral"])

        let declined = try await h.run(["decide", "C-1", "--marac", "declined", "--on", "2026-11-02", "--reason", "Safety plan in place"])
        #expect(declined.status == 0)
    }

    /// Two siblings with the same incident, after the same MARAC referral and more than the window
    /// before as-of, one with three missing episodes: both high by repeat-marac with the MARAC
    /// suggestion, on both databases (the one without episodes was in no queue; audit 19, risk F3).
    @Test(arguments: TestDatabase.allCases)
    func aRepeatIncidentBeforeTheWindowPutsEachReferredSiblingInTheQueue(kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        let incident = try h.write("m.csv", CSVRows.file([CSVRows.row("M-1", "2025-07-01T10:00:00Z", child: "C-M"),
                                                          CSVRows.row("M-1", "2025-07-01T10:00:00Z", child: "C-N", given: "Noor")]))
        #expect(try await h.run(["ingest", incident]).status == 0)
        let episodes = try h.write("e.csv", "episode_id,child_id,child_given_name,child_family_name,child_dob,missing_at,returned_at\n"
            + ["2026-06-10", "2026-06-25", "2026-07-10"].enumerated().map { "E-\($0.offset),C-M,Amelia,Hartley,2016-04-02,\($0.element)T20:00:00Z," }
                .joined(separator: "\n") + "\n")
        let loaded = try await h.run(["ingest", episodes])
        #expect(loaded.status == 0, "\(loaded.stderr)")
        for child in ["C-M", "C-N"] {
            #expect(try await h.run(["decide", child, "--marac", "referred", "--on", "2025-06-01"]).status == 0)
        }
        let doc = try h.json(try await h.run(["escalations", "--json", "--as-of", "2026-08-01T00:00:00Z"]))
        let children = try #require(doc["children"] as? [[String: Any]])
        let byId = Dictionary(uniqueKeysWithValues: children.map { ($0["child_id"] as? String ?? "", $0) })
        #expect(Set(byId.keys) == ["C-M", "C-N"])
        for (id, child) in byId {
            #expect(child["level"] as? String == "high", "\(id)")
            let rules = (child["rules"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String }
            #expect(rules == (id == "C-M" ? ["repeat-marac", "repeat-missing"] : ["repeat-marac"]), "\(id)")
            let suggestions = child["suggestions"] as? [String] ?? []
            #expect(suggestions.first == "marac-referral", "\(id): \(suggestions)")
        }
    }

    @Test func aReasonOverFourThousandCharactersIsRefusedAndNothingIsWritten() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        try await threeStandardIncidents(h)
        let tooLong = String(repeating: "x", count: 4001)
        let refused = try await h.run(["decide", "C-1", "--marac", "declined", "--on", "2026-10-16", "--reason", tooLong])
        #expect(refused.status == 64)
        #expect(refused.stderr == "encompass: --reason: at most 4000 characters\n", "one line, and never the reason itself")
        let store = try SQLiteStore(path: h.databasePath)
        #expect(try await store.decisions(childId: "C-1").isEmpty)

        let most = String(repeating: "x", count: 4000)
        let kept = try await h.run(["decide", "C-1", "--marac", "declined", "--on", "2026-10-16", "--reason", most])
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(try await store.decisions(childId: "C-1").map(\.reason) == [most])
    }

    @Test func aDecisionRefusedBeforeTheStoreIsOpenedLeavesNoDatabase() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let refused = try await h.run(["decide", "C-1", "--marac", "referred", "--on", "2999-01-01"])
        #expect(refused.status == 64)
        #expect(refused.stderr == "encompass: --on: 2999-01-01 is in the future\n")
        #expect(!FileManager.default.fileExists(atPath: h.databasePath))
    }

    @Test(arguments: [
        ("2026-03-28T22:00:00Z", nil, "2026-03-30T09:00:00+01:00"),
        // No URN, so no term calendar: half-term week still has school days; the clocks went back on the 25th.
        ("2026-10-23T20:00:00+01:00", nil, "2026-10-26T09:00:00+00:00"),
        ("2026-12-24T12:00:00Z", "120501", "2027-01-04T09:00:00+00:00"),
    ] as [(String, String?, String)])
    func deadlineIsPrinted(_ reported: String, _ urn: String?, _ expected: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        var args = ["deadline", "--reported-at", reported]
        if let urn { args += ["--urn", urn] }
        let out = try await h.run(args)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout == expected + "\n")
        #expect(out.stderr.isEmpty, "a school Config/ knows: no note")
    }

    /// A URN neither Config/ nor the database knows (a typo, or a school imported into a database
    /// not given) still gets the SPEC's deadline, with a note that no local authority's term
    /// dates were used: the same day in the Christmas holiday was 4 January for 120501 and is
    /// 29 December here, silently (audit 21, spec D3).
    @Test func aDeadlineForASchoolNoOneKnowsSaysSo() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let out = try await h.run(["deadline", "--reported-at", "2026-12-24T12:00:00Z", "--urn", "999999"])
        #expect(out.status == 0 && out.stdout == "2026-12-29T09:00:00+00:00\n", "\(out.stdout)\(out.stderr)")
        #expect(out.stderr == "encompass: note: --urn: no such school in Config/schools.csv or the database: the deadline uses no local "
                + "authority's term dates (only the school's own rows in term-dates.csv, if any)\n")
    }

    @Test func anUnknownSettingIsAnErrorNotADefault() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let yaml = h.configDir.appendingPathComponent("encompass.yaml")
        try Data("scoring:\n  window_days: 365\n  windw_days: 30\n".utf8).write(to: yaml)
        let out = try await h.run(["escalations"])
        #expect(out.status == 65)
        #expect(out.stderr.contains("encompass.yaml:3:"))
        #expect(out.stderr.contains("scoring.windw_days: unknown setting (did you mean scoring.window_days?)"), "\(out.stderr)")
        // A section's name too; and a name near none is only unknown.
        for (text, says) in [("retention:\n  incident_days: 30\n", "retention.incident_days: unknown setting (did you mean retention.incidents_days?)\n"),
                             ("retenton:\n  incidents_days: 30\n", "retenton: unknown setting (did you mean retention?)\n"),
                             ("hub:\n  colour: blue\n", "hub.colour: unknown setting\n")] {
            try Data(text.utf8).write(to: yaml)
            let typo = try await h.run(["escalations"])
            #expect(typo.status == 65)
            #expect(typo.stderr.hasSuffix(says), "\(typo.stderr)")
        }
    }

    /// A pair of settings that disagree because a variable overrode one of them names the
    /// variable, not the file whose value was right until then; and a refused half-life says what
    /// it takes, not "0 or more" for a 0 it refuses.
    @Test func aSettingsProblemNamesWhatToFix() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        try Data("scoring:\n  score_medium: 4.0\n".utf8).write(to: h.configDir.appendingPathComponent("encompass.yaml"))
        let pair = try await h.run(["escalations"], environment: ["ENCOMPASS_SCORING_SCORE_HIGH": "1"])
        #expect(pair.status == 65)
        #expect(pair.stderr.contains("environment ENCOMPASS_SCORING_SCORE_HIGH: scoring.score_medium must not exceed scoring.score_high"),
                "\(pair.stderr)")
        // A review period given in the environment: the variable is what to fix, not the file
        // (audit 21, spec D5).
        let period = try await h.run(["alerts"], environment: ["ENCOMPASS_RETENTION_INCIDENTS_DAYS": "100"])
        #expect(period.status == 65 && period.stderr.hasPrefix("environment ENCOMPASS_RETENTION_INCIDENTS_DAYS: retention.incidents_days must be 0"),
                "\(period.stderr)")
        for value in ["-3", "0"] {
            let half = try await h.run(["escalations"], environment: ["ENCOMPASS_SCORING_HALF_LIFE_DAYS": value])
            #expect(half.status == 65)
            #expect(half.stderr.contains("scoring.half_life_days: expected a number above 0"), "\(half.stderr)")
        }
    }

    @Test(arguments: [("hub:\n  email: hub@localhost\n", "hub.email"), ("smtp:\n  from: encompass police\n", "smtp.from")])
    func anAddressDeliveryWouldRefuseIsRefusedAtLoad(_ yamlText: String, _ key: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        try Data(yamlText.utf8).write(to: h.configDir.appendingPathComponent("encompass.yaml"))
        let out = try await h.run(["escalations"])
        #expect(out.status == 65)
        #expect(out.stderr.contains("encompass.yaml:2:"), "\(out.stderr)")
        #expect(out.stderr.contains("\(key): expected an e-mail address"), "\(out.stderr)")
        #expect(!out.stderr.contains("localhost") && !out.stderr.contains("encompass police"), "the value is not quoted")
    }

    @Test(arguments: ["http://hooks.police.example/hub", "https://", "hooks.police.example/hub", "https://user:pw@hooks.police.example/hub"])
    func theHubsWebhookMustBeAnHTTPSURLLikeASchoolsEndpoint(_ url: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        try Data("hub:\n  webhook: \"\(url)\"\n".utf8).write(to: h.configDir.appendingPathComponent("encompass.yaml"))
        let out = try await h.run(["escalations"])
        #expect(out.status == 65, "\(out.stderr)")
        #expect(out.stderr.contains("encompass.yaml:2:") && out.stderr.contains("hub.webhook: expected an https://"), "\(out.stderr)")
        #expect(out.stderr.split(separator: "\n").count == 1)

        try Data("hub:\n  webhook: https://hooks.police.example/hub\n".utf8).write(to: h.configDir.appendingPathComponent("encompass.yaml"))
        let taken = try await h.run(["escalations"])
        #expect(taken.status != 65 && !taken.stderr.contains("hub.webhook"), "an https URL is taken: \(taken.stderr)")
    }

    @Test func aSecretInTheFileIsRefused() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let yaml = h.configDir.appendingPathComponent("encompass.yaml")
        try Data("smtp:\n  password: hunter2\n".utf8).write(to: yaml)
        let out = try await h.run(["escalations"])
        #expect(out.status == 65)
        #expect(out.stderr.contains("ENCOMPASS_SMTP_PASSWORD"))
        #expect(!out.stderr.contains("hunter2"))
    }

    @Test func theEnvironmentOverridesTheFile() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        try await threeStandardIncidents(h)
        let out = try await h.run(["escalations", "--json", "--as-of", "2026-10-16T09:00:00Z"], environment: ["ENCOMPASS_SCORING_ESCALATION_COUNT": "4"])
        let child = try #require((try h.json(out)["children"] as? [[String: Any]])?.first)
        let rules = (child["rules"] as? [[String: Any]])?.compactMap { $0["rule"] as? String } ?? []
        #expect(!rules.contains("potential-escalation"))
        #expect(rules.contains("cumulative-score"))
    }

    /// Every string setting is one line of text, not a paste: a line break in `hub.name` became a
    /// header of the hub's e-mail (`Bcc:`), an escape sequence reached a terminal. From the file
    /// (FILE:LINE:COL) or the environment alike, never quoted back.
    @Test(arguments: [
        ("hub:\n  name: \"Hub\\r\\nBcc: evil@evil.example\"\n", "hub.name: contains a control character"),
        ("hub:\n  phone: \"01632 960001\\r\\nX-Injected: 1\"\n", "hub.phone: contains a control character"),
        ("hub:\n  name: \"Hub\\e[31mX\"\n", "hub.name: contains a control character"),
        ("hub:\n  name: \"Hub\\x9BX\"\n", "hub.name: contains a control character"),
        ("hub:\n  phone: \"\(String(repeating: "1", count: 100_000))\"\n", "hub.phone: is longer than 500 characters"),
        ("smtp:\n  username: \"u\\nX\"\n", "smtp.username: contains a control character"),
    ])
    func aStringSettingWithAControlCharacterOrAPasteIsRefused(_ yamlText: String, _ says: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let yaml = h.configDir.appendingPathComponent("encompass.yaml")
        try Data(yamlText.utf8).write(to: yaml)
        let out = try await h.run(["deadline", "--reported-at", "2026-12-01T10:00:00Z"])
        #expect(out.status == 65)
        #expect(out.stderr.hasPrefix(yaml.path + ":2:") && out.stderr.hasSuffix(": \(says)\n"), "\(out.stderr)")
        #expect(out.stderr.split(separator: "\n").count == 1 && !out.stderr.contains("evil") && !out.stderr.contains("Injected"))
    }

    @Test(arguments: [("ENCOMPASS_HUB_NAME", "Hub\r\nBcc: evil@evil.example", "hub.name: contains a control character"),
                      ("ENCOMPASS_HUB_PHONE", String(repeating: "1", count: 100_000), "hub.phone: is longer than 500 characters")])
    func aSettingFromTheEnvironmentMeetsTheSameRule(_ name: String, _ value: String, _ says: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let out = try await h.run(["deadline", "--reported-at", "2026-12-01T10:00:00Z"], environment: [name: value])
        #expect(out.status == 65)
        #expect(out.stderr == "environment \(name): \(says)\n")
    }

    /// SPEC §8: a typo must not silently fall back to a default, in the environment as in the file.
    /// A mistyped database variable in a unit's environment file ran on a new, empty encompass.sqlite.
    @Test(arguments: [
        (["deadline", "--reported-at", "2026-12-01T10:00:00Z"], "SCORING_WINDOW_DAYZ", "30",
         " (did you mean ENCOMPASS_SCORING_WINDOW_DAYS?)"),
        (["migrate"], "DATABSE", "postgres://encompass@db.example/encompass", " (did you mean ENCOMPASS_DATABASE?)"),
        (["users", "add", "j.smith", "--role", "hub"], "DATABSE", "postgres://encompass@db.example/encompass", " (did you mean ENCOMPASS_DATABASE?)"),
        (["deadline", "--reported-at", "2026-12-01T10:00:00Z"], "COLOUR", "blue", ""),
    ])
    func anUnknownEncompassVariableIsAnErrorNotIgnored(_ args: [String], _ suffix: String, _ value: String, _ hint: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        // Built, so the scan below (every name the harness and scripts use is known) does not find it.
        let name = "ENCOMPASS_" + suffix
        let out = try await h.run(args, environment: [name: value, "ENCOMPASS_PASSWORD": "a long enough password 1"])
        #expect(out.status == 65)
        #expect(out.stderr == "environment \(name): not a setting or a variable encompass reads\(hint)\n")
        #expect(!FileManager.default.fileExists(atPath: h.databasePath), "no database is made")
        #expect(!FileManager.default.fileExists(atPath: h.dir.appendingPathComponent("encompass.sqlite").path))
    }

    /// Every ENCOMPASS_* name the tests, the scripts, CI, the units and the docs use is one the
    /// program knows: none of them may stop a run as a typo.
    @Test func everyEncompassVariableTheProjectUsesIsKnown() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        var names = Set<String>()
        let pattern = try Regex("ENCOMPASS_[A-Z][A-Z0-9_]*")
        var files = [CLIHarness.packageRoot.appendingPathComponent("README.md")]
        for folder in ["Tests", "scripts", ".ci", "Config", "docs"] {
            let root = CLIHarness.packageRoot.appendingPathComponent(folder)
            for case let url as URL in FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) ?? .init() {
                files.append(url)
            }
        }
        for url in files {
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            for match in text.matches(of: pattern) { names.insert(String(text[match.range])) }
        }
        #expect(names.contains("ENCOMPASS_BIN") && names.contains("ENCOMPASS_TEST_LIMIT") && names.contains("ENCOMPASS_DATABASE"))
        // Set all at once: the check names the first unknown one, so one run covers them all. The
        // values are not valid settings; only the check of the names is asked about.
        let out = try await h.run(["deadline", "--reported-at", "2026-12-01T10:00:00Z"],
                                  environment: Dictionary(uniqueKeysWithValues: names.map { ($0, "x") }))
        #expect(!out.stderr.contains("not a setting or a variable encompass reads"), "\(out.stderr)")
    }

    /// encompass.yaml is required like every other file of Config/: renamed encompass.yml (or left out
    /// of a copy), every setting would silently take its default, the sample's contacts included.
    @Test func aMissingSettingsFileExits66NamingIt() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let yaml = h.configDir.appendingPathComponent("encompass.yaml")
        try FileManager.default.moveItem(at: yaml, to: h.configDir.appendingPathComponent("encompass.yml"))
        let out = try await h.run(["deadline", "--reported-at", "2026-12-01T10:00:00Z"])
        #expect(out.status == 66)
        #expect(out.stderr == "\(yaml.path): no such file\n")
        // An empty one will do: every key has its default.
        try Data().write(to: yaml)
        #expect(try await h.run(["deadline", "--reported-at", "2026-12-01T10:00:00Z"]).status == 0)
        // --config naming a file: said so, not "no such file" for a file that is there.
        let p = Process()
        p.executableURL = CLIHarness.binary
        p.arguments = ["deadline", "--reported-at", "2026-12-01T10:00:00Z", "--config", yaml.path]
        p.environment = EncompassBinary.environment()
        let notFolder = try await p.runToEnd()
        #expect(notFolder.end.status == 66)
        #expect(String(decoding: notFolder.stderr, as: UTF8.self) == "\(yaml.path): is a file, not the settings folder (--config, ENCOMPASS_CONFIG)\n")
    }

    @Test func aDatabaseThatCannotBeUsedIsAServiceUnavailable() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        try Data(String(repeating: "not a database ", count: 100).utf8).write(to: URL(fileURLWithPath: h.databasePath))
        let out = try await h.run(["escalations"])
        #expect(out.status == 69, "\(out.stderr)")
        #expect(out.stderr.hasPrefix("encompass: database unavailable"))
        #expect(out.stderr.split(separator: "\n").count == 1, "one line, no stack trace")
        // Nothing listens on port 1: the database cannot be reached. The password set for it is
        // never printed.
        let unreachable = try await h.run(["escalations"], environment: ["ENCOMPASS_DATABASE_PASSWORD": "s3cret-pw"],
                                    database: "postgres://hub@127.0.0.1:1/encompass")
        #expect(unreachable.status == 69, "\(unreachable.stderr)")
        #expect(unreachable.stderr.hasPrefix("encompass: database unavailable: cannot connect to 127.0.0.1:1/encompass"))
        #expect(unreachable.stderr.split(separator: "\n").count == 1, "one line, no stack trace")
        #expect(!unreachable.stderr.contains("s3cret-pw"))
        // A password written into the URL is refused, and not repeated.
        let inURL = try await h.run(["escalations"], database: "postgres://user:secret@db.example/encompass")
        #expect(inURL.status == 64)
        #expect(inURL.stderr.contains("ENCOMPASS_DATABASE_PASSWORD"))
        #expect(!inURL.stderr.contains("secret@"), "a URL's password is never echoed")
        // A mistyped scheme is a bad command line, as a bad sslmode is, not a database that is down.
        // A port past 65535 is a typo, not a server to try.
        let port = try await h.run(["escalations"], database: "postgres://hub@127.0.0.1:99999/encompass")
        #expect(port.status == 64 && port.stderr.contains("port must be 1 to 65535"), "\(port.stderr)")
        for url in ["postgress://hub@db.example/encompass", "sqlite:"] {
            let typo = try await h.run(["escalations"], database: url)
            #expect(typo.status == 64, "\(url): \(typo.stderr)")
            #expect(typo.stderr.hasPrefix("encompass: unsupported database URL scheme"), "\(typo.stderr)")
        }
    }

    @Test func aBadAsOfIsABadCommandLine() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let out = try await h.run(["escalations", "--as-of", "yesterday"])
        #expect(out.status == 64)
        #expect(out.stderr.contains("--as-of"))
    }
}
