import Foundation
import Stores
import StoreContract
import Testing

/// The outbox from the command line, with the demo's file channel standing in for the relay, on
/// both databases. The real SMTP and HTTPS paths are tested against real servers in
/// NotifyRealServersTests.
@Suite("encompass alerts and notify")
struct AlertsCLITests {
    let all = ["ENCOMPASS_ALERTS_MAX_AGE_DAYS": "0"]

    func outbox(_ h: CLIHarness) -> [String: String] {
        all.merging(["ENCOMPASS_ALERTS_OUTBOX_DIR": h.dir.appendingPathComponent("outbox").path,
                     "ENCOMPASS_TEMPLATES": CLIHarness.packageRoot.appendingPathComponent("Templates").path]) { _, b in b }
    }

    func files(_ h: CLIHarness) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: h.dir.appendingPathComponent("outbox").path).sorted()) ?? []
    }

    @Test(arguments: TestDatabase.allCases)
    func ingestQueuesOneAlertPerChildAndListsTheUnmatched(_ database: TestDatabase) async throws {
        let h = try CLIHarness(database)
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([
            CSVRows.row("I-1", "2026-11-19T21:40:00Z"),
            CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-2", urn: ""),
            CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-3", urn: "120599"),
        ]))
        let out = try await h.run(["ingest", file], environment: all)
        #expect(out.stdout.hasSuffix("alerts queued: 1\n"), "\(out.stdout)")
        // Read before its deadline: queued (after it, overdue: `anAlertPastItsDeadlineIsOverdueBeforeTheNextRun`).
        let doc = try h.json(try await h.run(["alerts", "--json", "--now", "2026-11-20T06:00:00Z"]))
        let alerts = try #require(doc["alerts"] as? [[String: Any]])
        // The two unmatched children are the hub's unmatched list, not alerts in one of SPEC §7's states.
        #expect(alerts.count == 1)
        #expect(try await h.run(["alerts"]).stdout.hasSuffix("\n2 unmatched (no school, or no key adult at it): encompass alerts --state unmatched\n"))
        let queued = try #require(alerts.first { $0["state"] as? String == "queued" })
        #expect(Set(queued.keys) == ["reference", "incident_id", "child_id", "school_urn", "channel", "state", "deadline", "attempts", "last_error",
                                     "delivered_at", "acknowledged_at"])
        #expect(queued["delivered_at"] is NSNull && queued["acknowledged_at"] is NSNull)
        #expect(queued["child_id"] as? String == "C-1")
        #expect(queued["channel"] as? String == "smtp")
        #expect(queued["deadline"] as? String == "2026-11-20T09:00:00+00:00")
        #expect(queued["attempts"] as? Int == 0)
        #expect(queued["last_error"] is NSNull)
        let unmatched = try #require(try h.json(try await h.run(["alerts", "--json", "--state", "unmatched"]))["alerts"] as? [[String: Any]])
        #expect(Set(unmatched.compactMap { $0["child_id"] as? String }) == ["C-2", "C-3"])
        #expect(unmatched.allSatisfy { ($0["last_error"] as? String)?.isEmpty == false })
    }

    @Test(arguments: TestDatabase.allCases)
    func aLaterIngestWithTheSchoolQueuesTheAlertThen(_ database: TestDatabase) async throws {
        let h = try CLIHarness(database)
        defer { h.cleanUp() }
        let first = try h.write("a.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z", urn: "")]))
        let second = try h.write("b.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z", urn: "119601")]))
        #expect(try await h.run(["ingest", first], environment: all).stdout.hasSuffix("alerts queued: 0\n"))
        #expect(try await h.run(["ingest", second], environment: all).stdout.hasSuffix("alerts queued: 1\n"))
        let rows = try #require(try h.json(try await h.run(["alerts", "--json", "--now", "2026-11-20T06:00:00Z"]))["alerts"] as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["state"] as? String == "queued")
        #expect(rows.first?["school_urn"] as? String == "119601")
    }

    @Test(arguments: TestDatabase.allCases)
    func oldIncidentsAreNotSentToSchools(_ database: TestDatabase) async throws {
        let h = try CLIHarness(database)
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2025-01-10T21:40:00Z")]))
        #expect(try await h.run(["ingest", file]).stdout
                .hasSuffix("alerts queued: 0; not alerted, reported over 28 days before (alerts.max_age_days): 1\n"))
        #expect(try await h.run(["alerts"]).stdout == "No alerts.\n")
    }

    /// `alerts --state unacknowledged` lists every alert nobody acknowledged (SPEC §7), newest
    /// deadline first; `--to-phone` the schools to phone as the alerts board does (audit 26, F1):
    /// nobody acknowledged C-1's alert (due 3 November, its link closed on the 17th) nor C-2's (due
    /// 20 November, its link works to 4 December). On the 25th `--to-phone` lists only C-2's and
    /// its table counts C-1's and says how to list it.
    @Test(arguments: TestDatabase.allCases)
    func unacknowledgedListsTheSchoolsToPhoneWhileTheLinksWork(_ database: TestDatabase) async throws {
        let h = try CLIHarness(database)
        defer { h.cleanUp() }
        let store = try StoreFactory.open(h.database)
        for (id, child, reported, sent) in [("I-1", "C-1", "2026-11-02T21:40:00Z", "2026-11-02T22:00:00Z"),
                                            ("I-2", "C-2", "2026-11-19T21:40:00Z", "2026-11-19T22:00:00Z")] {
            let file = try h.write("\(id).csv", CSVRows.file([CSVRows.row(id, reported, victim: "V-\(child)", child: child)]))
            #expect(try await h.run(["ingest", file], environment: all).status == 0)
            let at = try #require(ISO8601DateFormatter().date(from: sent))
            let claimed = try await store.claimDue(now: at, owner: "test", lease: 60, limit: 10, isDead: { _ in false })
            try await store.issueAcknowledgementTokens(claimed.alerts.map {
                ($0.alertKey, "hash-\($0.childId)", AlertLifecycle.linkEnd(sentAt: at, deadline: $0.deadline, validFor: 14 * 86_400))
            }, at: at)
            for alert in claimed.alerts { try await store.record(.delivered, for: alert.alertKey, owner: "test", now: at) }
        }
        let now = ["--now", "2026-11-25T09:00:00Z"]

        let table = try await h.run(["alerts", "--state", "unacknowledged", "--to-phone"] + now)
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(table.stdout)")
        #expect(lines.dropFirst().first?.contains(" C-2 ") == true)
        #expect(!table.stdout.contains(" C-1 "))
        #expect(lines.last == "1 more not acknowledged, whose links have closed (no longer to phone): encompass alerts --state unacknowledged")
        let json = try #require(try h.json(try await h.run(["alerts", "--state", "unacknowledged", "--to-phone", "--json"] + now))["alerts"] as? [[String: Any]])
        #expect(json.compactMap { $0["child_id"] as? String } == ["C-2"])

        let every = try #require(try h.json(try await h.run(["alerts", "--state", "unacknowledged", "--json"] + now))["alerts"]
                                     as? [[String: Any]])
        #expect(every.compactMap { $0["child_id"] as? String } == ["C-2", "C-1"])
        let allTable = try await h.run(["alerts", "--state", "unacknowledged"] + now)
        #expect(allTable.stdout.split(separator: "\n").count == 3 && !allTable.stdout.contains("more not acknowledged"))
        #expect(try await h.run(["alerts", "--to-phone"]).status == 64)
    }

    /// SPEC §7: "An alert not delivered by its deadline is overdue, and the hub is told at once".
    /// I-1's alert is due at 09:00 on 20 November and no run has sent it: at 08:59 it is queued, at
    /// 09:15 overdue to `alerts` (table, `--json`, `--state overdue`), and no longer listed as queued,
    /// before any run stores it. It read queued, and `--state overdue` "No alerts.", until the next
    /// run (audit 27, F1). The run then stores it and tells the hub once.
    @Test(arguments: TestDatabase.allCases)
    func anAlertPastItsDeadlineIsOverdueBeforeTheNextRun(_ database: TestDatabase) async throws {
        let h = try CLIHarness(database)
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z")]))
        #expect(try await h.run(["ingest", file], environment: all).status == 0)
        func states(_ now: String, _ more: [String] = []) async throws -> [String] {
            let doc = try h.json(try await h.run(["alerts", "--json", "--now", now] + more))
            return try #require(doc["alerts"] as? [[String: Any]]).compactMap { $0["state"] as? String }
        }
        #expect(try await states("2026-11-20T08:59:00Z") == ["queued"])
        #expect(try await states("2026-11-20T08:59:00Z", ["--state", "overdue"]) == [])
        #expect(try await states("2026-11-20T09:15:00Z") == ["overdue"])
        #expect(try await states("2026-11-20T09:15:00Z", ["--state", "overdue"]) == ["overdue"])
        #expect(try await states("2026-11-20T09:15:00Z", ["--state", "queued"]) == [])
        let table = try await h.run(["alerts", "--state", "overdue", "--now", "2026-11-20T09:15:00Z"])
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[1].hasPrefix("overdue ") && lines[1].contains(" ENC-I-1-"), "\(table.stdout)")
        #expect(try await h.run(["alerts", "--state", "queued", "--now", "2026-11-20T09:15:00Z"]).stdout == "No alerts.\n")
        // Read, not stored: the run at 09:20 sends it late and tells the hub, once.
        #expect(try await StoreFactory.open(h.database).alerts(state: .queued).count == 1)
        let run = try await h.run(["notify", "--now", "2026-11-20T09:20:00Z"], environment: outbox(h))
        #expect(run.stdout.hasSuffix("; the hub's notice sent, naming 1\n"), "\(run.stdout)")
    }

    /// A dry run into a folder it cannot make (a file where the folder should be) says so, 69,
    /// naming the folder and the system's reason; it said "2 alerts rendered into DIR/" and exited 0
    /// with nothing written (audit 26, fuzz F3).
    @Test func aDryRunIntoAFolderItCannotWriteSaysSo() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z")]))
        #expect(try await h.run(["ingest", file], environment: all).status == 0)
        let blocker = try h.write("afile", "not a folder\n")
        let folder = blocker + "/review"
        let dry = try await h.run(["notify", "--now", "2026-11-20T06:00:00Z", "--dry-run", "--dry-run-dir", folder], environment: outbox(h))
        #expect(dry.status == 69, "\(dry.stdout) \(dry.stderr)")
        #expect(!dry.stdout.contains("rendered into"), "\(dry.stdout)")
        #expect(dry.stderr.contains("dry run: cannot write to \(folder) (Not a directory): nothing more rendered"), "\(dry.stderr)")
        #expect(dry.stderr.split(separator: "\n").count == 1, "\(dry.stderr)")
    }

    @Test(arguments: TestDatabase.allCases)
    func notifySendsOnceAndTheHubHearsOfOverdueAlerts(_ database: TestDatabase) async throws {
        let h = try CLIHarness(database)
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([
            CSVRows.row("I-1", "2026-11-19T21:40:00Z", given: "Zoë"),
            CSVRows.row("I-2", "2026-11-16T21:40:00Z", child: "C-9", given: "Siobhán", voice: "He shouted at mum"),
        ]))
        #expect(try await h.run(["ingest", file], environment: all).status == 0)

        let dry = try await h.run(["notify", "--now", "2026-11-20T06:00:00Z", "--dry-run", "--dry-run-dir", h.dir.appendingPathComponent("dry").path],
                            environment: outbox(h))
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("dry run: 2 alerts rendered"))
        #expect(files(h).isEmpty, "a dry run sends nothing")
        #expect(try await StoreFactory.open(h.database).latestNotifyRun() == nil, "nor records a run")
        let stillQueued = try #require(try h.json(try await h.run(["alerts", "--json", "--now", "2026-11-20T06:00:00Z"]))["alerts"] as? [[String: Any]])
        // Stored as ingest left them; as read at 06:00, I-2's (due on the 17th) is overdue already.
        #expect(try await StoreFactory.open(h.database).alerts(state: .queued).count == 2)
        #expect(stillQueued.compactMap { $0["state"] as? String } == ["overdue", "queued"])

        let started = Date()
        let run = try await h.run(["notify", "--now", "2026-11-20T06:00:00Z"], environment: outbox(h))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("alerts: 2 delivered"), "\(run.stdout)")
        // One notice to the hub, naming the one overdue alert: not "1 sent" of many.
        #expect(run.stdout.hasSuffix("; the hub's notice sent, naming 1\n"), "\(run.stdout)")
        // Recorded for /metrics, with the run's own times (not --now) and what it printed.
        let recorded = try #require(try await StoreFactory.open(h.database).latestNotifyRun())
        #expect(recorded.outcome == .ok)
        #expect(started <= recorded.startedAt && recorded.startedAt <= recorded.finishedAt && recorded.finishedAt <= Date())
        let counts: [Int] = [recorded.delivered, recorded.retrying, recorded.failed, recorded.heldBack, recorded.overdue,
                             recorded.hubNoticesSent, recorded.hubNoticesUnsent]
        #expect(counts == [2, 0, 0, 0, 0, 1, 0])
        let sent = files(h)
        // I-2's deadline was 2026-11-17 09:00: overdue, and the hub is told.
        #expect(sent.filter { $0.hasPrefix("ENC-HUB-") }.count == 1, "one notice to the hub for the run")
        #expect(sent.filter { !$0.hasPrefix("ENC-HUB-") && $0.hasSuffix(".eml") }.count == 2)
        let notice = try String(contentsOf: h.dir.appendingPathComponent("outbox").appendingPathComponent(sent.first { $0.hasPrefix("ENC-HUB-") }!), encoding: .utf8)
        let subject = notice.split(whereSeparator: \.isNewline).first { $0.hasPrefix("Subject:") } ?? ""
        #expect(subject.contains("1 overdue"))
        #expect(notice.contains("incident I-2"))
        #expect(!notice.contains("Siobh"), "a hub notice names no child")
        #expect(notice.replacingOccurrences(of: "=\r\n", with: "").contains("delivered late"), "it was sent late in the same run")
        for name in sent where !name.hasPrefix("ENC-HUB-") {
            let mail = try String(contentsOf: h.dir.appendingPathComponent("outbox").appendingPathComponent(name), encoding: .utf8)
            #expect(!mail.contains("shouted"), "the child's words never go to the school")
        }

        let again = try await h.run(["notify", "--now", "2026-11-20T06:10:00Z"], environment: outbox(h))
        #expect(again.stdout.hasPrefix("alerts: 0 delivered"), "\(again.stdout)")
        #expect(files(h) == sent, "nothing is sent twice")
        let states = try #require(try h.json(try await h.run(["alerts", "--json"]))["alerts"] as? [[String: Any]])
        #expect(Set(states.compactMap { $0["state"] as? String }) == ["delivered"])
    }

    /// One alert sent and its run recorded `ok`: what a stopped run's record must then replace.
    func recordAGoodRun(_ h: CLIHarness) async throws {
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z")]))
        #expect(try await h.run(["ingest", file], environment: all).status == 0)
        #expect(try await h.run(["notify", "--now", "2026-11-20T06:00:00Z"], environment: outbox(h)).status == 0)
        #expect(try await StoreFactory.open(h.database).latestNotifyRun()?.outcome == .ok)
    }

    /// A run stopped by our own files before it starts (a template gone: 66; a term-dates.csv
    /// edited wrong: 65) is recorded as the run's outcome with its one line, where a store answers:
    /// /metrics shows `error`, not the last good run's `ok` until the next good run.
    @Test(arguments: TestDatabase.allCases)
    func aRunStoppedByOurOwnFilesIsRecorded(_ database: TestDatabase) async throws {
        let h = try CLIHarness(database)
        defer { h.cleanUp() }
        try await recordAGoodRun(h)

        let gone = h.dir.appendingPathComponent("no-templates").path
        let noTemplates = try await h.run(["notify", "--now", "2026-11-20T06:10:00Z", "--templates", gone], environment: outbox(h))
        #expect(noTemplates.status == 66, "\(noTemplates.stderr)")
        let afterTemplates = try #require(try await StoreFactory.open(h.database).latestNotifyRun())
        #expect(afterTemplates.outcome == .error)
        #expect(afterTemplates.detail?.contains(gone) == true, "\(afterTemplates.detail ?? "no detail")")

        let termDates = h.configDir.appendingPathComponent("term-dates.csv")
        try Data("la_code,urn,term_start,term_end\n925,,2026-09-31,2026-10-23\n".utf8).write(to: termDates)
        let badDates = try await h.run(["notify", "--now", "2026-11-20T06:20:00Z"], environment: outbox(h))
        #expect(badDates.status == 65, "\(badDates.stderr)")
        let afterDates = try #require(try await StoreFactory.open(h.database).latestNotifyRun())
        #expect(afterDates.outcome == .error)
        #expect(afterDates.startedAt >= afterTemplates.startedAt)
        let line = try #require(afterDates.detail)
        #expect(line.contains("term-dates.csv:2"), "\(line)")
        #expect(!line.contains("\n"))
    }

    /// A run stopped by the environment (an ENCOMPASS_* variable misspelt or unknown, or one whose
    /// value will not do) is recorded too, where the database can be reached: it exited 65 before
    /// the morning run began, recorded nowhere, and /metrics kept the last good run.
    @Test(arguments: TestDatabase.allCases)
    func aRunStoppedByTheEnvironmentIsRecorded(_ database: TestDatabase) async throws {
        let h = try CLIHarness(database)
        defer { h.cleanUp() }
        try await recordAGoodRun(h)

        // Spelt in two parts, so `everyEncompassVariableTheProjectUsesIsKnown` does not take this
        // deliberate typo for a variable the project uses.
        let typo = "ENCOMPASS_" + "ALERTS_BATCH"
        let unknown = try await h.run(["notify", "--now", "2026-11-20T06:10:00Z"],
                                      environment: outbox(h).merging([typo: "abc"]) { _, b in b })
        #expect(unknown.status == 65, "\(unknown.stderr)")
        let afterUnknown = try #require(try await StoreFactory.open(h.database).latestNotifyRun())
        #expect(afterUnknown.outcome == .error)
        let line = try #require(afterUnknown.detail)
        #expect(line.hasPrefix("environment \(typo): not a setting"), "\(line)")
        #expect(!line.contains("abc"), "the refused value is not kept: \(line)")

        let malformed = try await h.run(["notify", "--now", "2026-11-20T06:20:00Z"],
                                        environment: outbox(h).merging(["ENCOMPASS_ALERTS_ACK_DAYS": "abc"]) { _, b in b })
        #expect(malformed.status == 65, "\(malformed.stderr)")
        let afterMalformed = try #require(try await StoreFactory.open(h.database).latestNotifyRun())
        #expect(afterMalformed.outcome == .error)
        #expect(afterMalformed.detail?.hasPrefix("environment ENCOMPASS_ALERTS_ACK_DAYS: alerts.ack_days: ") == true,
                "\(afterMalformed.detail ?? "no detail")")
    }
}
