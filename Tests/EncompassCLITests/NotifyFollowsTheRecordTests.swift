import Foundation
import Stores
import StoreContract
import Testing
import TestSupport

/// Audit 19: what a run holds (`sending`) while the record changes, what the hub is told while the
/// relay is down, and two runs' notices to the hub, with the real relay and both databases. The
/// relay holds a recipient's RCPT (`--hold`) so a run is surely in the middle of its work when the
/// test acts; nothing waits on a time.
@Suite("notify follows the record and tells the hub once")
struct NotifyFollowsTheRecordTests {
    typealias Two = NotifyTwoHostsTests

    /// A run at 06:00, once the relay holds its first RCPT to the held address: surely in the middle
    /// of its work.
    static func notifyHeld(_ rig: OutboxRig, name: String, _ what: String) async throws -> Process {
        rig.lastRun.set("2026-11-20T06:00:00Z")
        let run = try rig.h.start(["notify", "--now", "2026-11-20T06:00:00Z"], environment: rig.environment, name: name)
        try await Two.wait(while: run, what) { FileManager.default.fileExists(atPath: rig.smtp.outFolder + "/held.jsonl") }
        return run
    }

    /// A first run held at the relay; meanwhile `rows` ingested and a second run made, whose
    /// messages let the first go; both end well.
    static func secondRun(_ rig: OutboxRig, whileTheFirstIsHeld what: String, ingesting rows: [String]) async throws {
        let first = try await notifyHeld(rig, name: "first", what)
        try await rig.ingest(rows)
        let second = try await rig.notify("2026-11-20T06:00:00Z")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(await first.waitForExit().status == 0, "\(rig.h.output(of: "first").stderr)")
    }

    /// A rig whose relay holds (`hold`) the RCPT to the held school's key adult, and C-0's alert
    /// (incident I-0) queued to that school, 120590.
    static func heldSchoolsAlert(_ database: TestDatabase, hold: String) async throws -> OutboxRig {
        let rig = try await OutboxRig(database, relay: ["--hold", hold])
        try rig.addHeldSchool()
        try await rig.ingest([CSVRows.row("I-0", "2026-11-19T21:40:00Z", child: "C-0", urn: "120590")])
        return rig
    }

    /// D2: a run killed while it sends the alert; the force corrects the child's school; the next
    /// run must send it to the school the record now names, never again to the one it named.
    @Test(arguments: TestDatabase.allCases)
    func aSchoolCorrectedWhileAKilledRunHeldItsAlertGoesOnlyToTheNewSchool(_ database: TestDatabase) async throws {
        let rig = try await Self.heldSchoolsAlert(database, hold: "hold-dsl")
        defer { rig.stop() }
        let run = try await Self.notifyHeld(rig, name: "killed", "the relay holding the alert")
        kill(run.processIdentifier, SIGKILL)
        await run.waitForExit()
        #expect(try await rig.alerts()["C-0"]?["state"] as? String == "sending")

        try await rig.ingest([CSVRows.row("I-0", "2026-11-19T21:40:00Z", child: "C-0", urn: "120501")])
        let rerun = try await rig.notify("2026-11-20T06:01:00Z")
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let alert = try #require(try await rig.alerts()["C-0"])
        #expect(alert["state"] as? String == "delivered")
        #expect(alert["school_urn"] as? String == "120501")
        let reference = try #require(alert["reference"] as? String)
        let received = try rig.received()
        #expect(received.map(\.to) == [["dsl@boston.school.example"]], "never again to the school the record no longer names")
        #expect(received.map(\.messageID) == [Two.messageID(reference)], "under its one reference")
    }

    /// D2 and SPEC §7: the correction lands while the run delivers the alert to the school named
    /// before; the school named now is sent it next, under the same reference.
    @Test(arguments: TestDatabase.allCases)
    func aSchoolCorrectedWhileItsAlertIsBeingDeliveredIsSentToTheNewSchoolNext(_ database: TestDatabase) async throws {
        // The held RCPT is let go once one message has been accepted: the second run's.
        let rig = try await Self.heldSchoolsAlert(database, hold: "hold-dsl:1")
        defer { rig.stop() }
        try await Self.secondRun(rig, whileTheFirstIsHeld: "the relay holding the alert",
                                 ingesting: [CSVRows.row("I-0", "2026-11-19T21:40:00Z", child: "C-0", urn: "120501"),
                                             CSVRows.row("I-9", "2026-11-19T21:50:00Z", child: "C-9", urn: "120501")])
        #expect(try await rig.alerts()["C-0"]?["school_urn"] as? String == "120501", "re-routed when the delivery was recorded")
        // And sent there by the same run, not left `sending` under its lease until a later run
        // took it back (audit 23, review F6).
        #expect(try await rig.alerts()["C-0"]?["state"] as? String == "delivered")

        let third = try await rig.notify("2026-11-20T06:02:00Z")
        #expect(third.status == 0, "\(third.stderr)")
        let alert = try #require(try await rig.alerts()["C-0"])
        #expect(alert["state"] as? String == "delivered")
        let id = Two.messageID(try #require(alert["reference"] as? String))
        let toC0 = try rig.received().filter { $0.messageID == id }.map(\.to)
        #expect(toC0 == [["hold-dsl@holbeach.school.example"], ["dsl@boston.school.example"]], "\(toC0)")
    }

    /// A re-routed alert refused again is a new round (`AlertLifecycle.startsNewRound`): 120502's key
    /// adult refuses it (550) and the hub is told; the force corrects the child's school to 119604,
    /// whose endpoint answers 404; the next run's notice names the alert again, and the one after
    /// sends nothing. Before, the first failure's notice stood for both.
    @Test(arguments: TestDatabase.allCases)
    func aReRoutedAlertRefusedAgainIsNamedInTheNextRunsNoticeToo(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        try await rig.ingest([CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-1", urn: "120502")])
        let first = try await rig.notify("2026-11-20T06:00:00Z")
        #expect(first.status == 0, "\(first.stderr)")
        try await rig.ingest([CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-1", urn: "119604")])
        #expect(try await rig.alerts()["C-1"]?["state"] as? String == "queued", "re-routed")

        let second = try await rig.notify("2026-11-20T06:10:00Z")
        #expect(second.status == 0, "\(second.stderr)")
        let alert = try #require(try await rig.alerts()["C-1"])
        #expect(alert["state"] as? String == "failed")
        #expect((alert["last_error"] as? String)?.contains("404") == true, "\(alert)")
        let reference = try #require(alert["reference"] as? String)
        let notices = try rig.hubMail().map { try #require($0.part("text/plain")?.text) }
        #expect(notices.count == 2, "one notice a run")
        #expect(notices.first?.contains("  \(reference)  incident I-1  child C-1  school 120502") == true)
        #expect(notices.last?.contains("  \(reference)  incident I-1  child C-1  school 119604") == true, "\(notices)")

        let third = try await rig.notify("2026-11-20T06:20:00Z")
        #expect(third.status == 0, "\(third.stderr)")
        #expect(try rig.hubMail().count == 2, "told once a round")
    }

    /// The database refuses connections (its sessions ended) while the relay lets the held message
    /// go, until `run` says it is trying again to record what went; then it is back.
    static func databaseAwayWhileTheRelayLetsGo(_ rig: OutboxRig, _ run: Process) async throws {
        let name = String(rig.h.database.split(separator: "/").last ?? "")
        let server = try PostgresServer.shared()
        let away = try await server.psql("postgres", """
            ALTER DATABASE \(name) ALLOW_CONNECTIONS false;
            SELECT count(pg_terminate_backend(pid)) >= 0 FROM pg_stat_activity WHERE datname = '\(name)';
            """)
        #expect(away.exitCode == 0, "\(away.output)")
        try Data().write(to: URL(fileURLWithPath: rig.smtp.outFolder + "/release"))
        try await Two.wait(while: run, "the run trying to record what went again") {
            rig.h.output(of: "first").stderr.contains("trying again while its lease lasts")
        }
        let back = try await server.psql("postgres", "ALTER DATABASE \(name) ALLOW_CONNECTIONS true")
        #expect(back.exitCode == 0, "\(back.output)")
    }

    /// The database goes away while the relay takes the alert (its connections ended, no new one
    /// allowed: a failover, an administrator's `pg_terminate_backend`): the run keeps the outcome
    /// and tries again, and once the database is back it records the delivery, so the next run
    /// sends nothing. Before, the run stopped (69) with the alert left `sending`, and the next run
    /// took it back and sent it again (audit 22, resilience F1).
    @Test func anOutcomeTheDatabaseCouldNotTakeIsRecordedOnceItIsBackNotSentAgain() async throws {
        let rig = try await Self.heldSchoolsAlert(.postgres, hold: "hold-dsl:release")
        defer { rig.stop() }
        let run = try await Self.notifyHeld(rig, name: "first", "the relay holding the alert")
        try await Self.databaseAwayWhileTheRelayLetsGo(rig, run)
        #expect(await run.waitForExit().status == 0, "\(rig.h.output(of: "first").stderr)")
        #expect(try await rig.alerts()["C-0"]?["state"] as? String == "delivered")

        let again = try await rig.notify("2026-11-20T06:05:00Z")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try rig.received().count == 1, "the school has it once")
    }

    /// The same for the hub's notice: the database goes away while the relay takes it; the run
    /// keeps trying to mark it sent, and the next run does not send it again (audit 23, review F10).
    @Test func aHubNoticeTheDatabaseCouldNotMarkSentIsNotSentAgain() async throws {
        let rig = try await OutboxRig(.postgres, relay: ["--hold", "hub@:release"])
        defer { rig.stop() }
        try await rig.ingest([CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-1", urn: "120502")])
        let run = try await Self.notifyHeld(rig, name: "first", "the relay holding the hub's notice")
        try await Self.databaseAwayWhileTheRelayLetsGo(rig, run)
        #expect(await run.waitForExit().status == 0, "\(rig.h.output(of: "first").stderr)")
        let again = try await rig.notify("2026-11-20T06:05:00Z")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try rig.hubMail().count == 1, "the hub has it once")
    }

    /// Two hosts' runs, host-b's clock 15 minutes fast (libfaketime): by its own clock host-a's
    /// 10-minute lease had ended, and it took the alert host-a was sending and sent it again (audit
    /// 22, resilience F0). Both now keep the database's time (`RunClock`), host-b says its clock is
    /// off, and the school has the alert once. No `--now`: the runs' own clocks are the point.
    @Test func aHostWhoseClockIsFastTakesNoAlertAnotherHostIsSending() async throws {
        let rig = try await Self.heldSchoolsAlert(.postgres, hold: "hold-dsl:release")
        defer { rig.stop() }
        let a = try rig.h.start(["notify"], environment: rig.environment, name: "host-a", host: "host-a")
        try await Two.wait(while: a, "the relay holding host-a's alert") { FileManager.default.fileExists(atPath: rig.smtp.outFolder + "/held.jsonl") }
        let fast = rig.environment.merging([
            "LD_PRELOAD": "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "FAKETIME": "+15m", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        ]) { $1 }
        let b = try await rig.h.run(["notify"], environment: fast, host: "host-b")
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stderr.contains("ahead of the database's"), "\(b.stderr)")
        try Data().write(to: URL(fileURLWithPath: rig.smtp.outFolder + "/release"))
        #expect(await a.waitForExit().status == 0, "\(rig.h.output(of: "host-a").stderr)")
        let toTheSchool = try rig.received().filter { $0.to.contains("hold-dsl@holbeach.school.example") }
        #expect(toTheSchool.count == 1, "sent once: \(toTheSchool)")
        #expect(try await rig.alerts()["C-0"]?["state"] as? String == "delivered")
    }

    /// A re-routed alert shows no delivery time until its new school has it: `delivered_at` was the
    /// earlier school's while it waited and after it failed at the new one (audit 21, noted), so
    /// `alerts --json` told the hub a child's school had been told when it had not.
    @Test(arguments: TestDatabase.allCases)
    func aReRoutedAlertShowsNoDeliveryTimeUntilItsNewSchoolHasIt(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        try await rig.ingest([CSVRows.row("I-2", "2026-11-19T21:40:00Z", child: "C-2", urn: "120501")])
        #expect(try await rig.notify("2026-11-20T06:00:00Z").status == 0)
        #expect(try await rig.alerts()["C-2"]?["delivered_at"] is String, "delivered to the first school")

        try await rig.ingest([CSVRows.row("I-2", "2026-11-19T21:40:00Z", child: "C-2", urn: "119604")])
        let waiting = try #require(try await rig.alerts()["C-2"])
        #expect(waiting["state"] as? String == "queued", "re-routed")
        #expect(waiting["delivered_at"] is NSNull, "\(waiting)")
        #expect(try await rig.notify("2026-11-20T06:10:00Z").status == 0)
        let failed = try #require(try await rig.alerts()["C-2"])
        #expect(failed["state"] as? String == "failed")
        #expect(failed["delivered_at"] is NSNull, "\(failed)")
    }

    /// A withdrawn alert (I-1 corrected to name C-1 only) is told to the hub as withdrawn, apart
    /// from the failures: nothing in the notice sends staff to a school about it.
    @Test(arguments: TestDatabase.allCases)
    func aWithdrawnAlertIsToldAsWithdrawnWithNoSchoolToContact(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        try await rig.ingest([CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-1"), CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-2")])
        try await rig.ingest([CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-1")])
        let run = try await rig.notify("2026-11-20T06:00:00Z")
        #expect(run.status == 0, "\(run.stderr)")
        let alerts = try await rig.alerts()
        #expect(alerts["C-2"]?["state"] as? String == "failed", "SPEC §7's states: alerts --json keeps its shape")
        #expect(alerts["C-2"]?["last_error"] as? String == AlertLifecycle.withdrawnReason)
        let mail = try #require(try rig.hubMail().first)
        let text = try #require(mail.part("text/plain")?.text)
        let reference = try #require(alerts["C-2"]?["reference"] as? String)
        #expect(mail.subject.contains("1 withdrawn") && !mail.subject.contains("failed"), "\(mail.subject)")
        #expect(text.contains("WITHDRAWN: not to be sent, and no school to contact"))
        #expect(text.contains("  \(reference)  incident I-1  child C-2"))
        #expect(!text.contains("FAILED"))
        #expect(!text.contains("contact its key adult"), "\(text)")
    }

    /// C-2 withdrawn, then named again before any run: the run delivers its alert, and tells the
    /// hub nothing of the withdrawal it undid (it sent "WITHDRAWN: not to be sent" about the alert
    /// it had just delivered: audit 24, diff F2).
    @Test(arguments: TestDatabase.allCases)
    func aWithdrawalUndoneBeforeTheRunIsNotToldToTheHub(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        let both = [CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-1"), CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-2")]
        try await rig.ingest(both)
        try await rig.ingest([CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-1")])
        try await rig.ingest(both)
        let run = try await rig.notify("2026-11-20T06:00:00Z")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try await rig.alerts()["C-2"]?["state"] as? String == "delivered")
        let told = try rig.hubMail().map(\.subject)
        #expect(told.isEmpty, "\(told)")
    }

    /// The correction to 120590 undone by the next feed before any run: the alert is for 120501
    /// again, which the record names, so the hub is not told to have it delete the notification
    /// and log a disclosure (audit 24, diff F5).
    @Test(arguments: TestDatabase.allCases)
    func aReRouteUndoneBeforeTheRunIsNotToldToTheHub(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        try rig.addHeldSchool()
        let first = CSVRows.row("I-3", "2026-11-19T21:40:00Z", child: "C-3", urn: "120501")
        try await rig.ingest([first])
        #expect(try await rig.notify("2026-11-20T06:00:00Z").status == 0)
        try await rig.ingest([CSVRows.row("I-3", "2026-11-19T21:40:00Z", child: "C-3", urn: "120590")])
        try await rig.ingest([first])
        let run = try await rig.notify("2026-11-20T06:10:00Z")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try await rig.alerts()["C-3"]?["school_urn"] as? String == "120501")
        let told = try rig.hubMail().map(\.subject)
        #expect(told.isEmpty, "\(told)")
    }

    /// Audit 22, people F8: C-3's alert was delivered to 120501, then the force corrected the
    /// child's school to 120590. The next run sends it there, and its notice to the hub (holding
    /// only this) names 120501, which has the child's details, and when it had them: the hub asks
    /// its key adult to delete the notification. Never the child.
    @Test(arguments: TestDatabase.allCases)
    func aSchoolCorrectedAfterDeliveryTellsTheHubWhichSchoolHasTheChildsDetails(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        try rig.addHeldSchool()
        try await rig.ingest([CSVRows.row("I-3", "2026-11-19T21:40:00Z", child: "C-3", urn: "120501")])
        #expect(try await rig.notify("2026-11-20T06:00:00Z").status == 0)
        #expect(try rig.hubMail().isEmpty, "delivered on time: nothing to tell")

        try await rig.ingest([CSVRows.row("I-3", "2026-11-19T21:40:00Z", child: "C-3", urn: "120590")])
        let run = try await rig.notify("2026-11-20T06:10:00Z")
        #expect(run.status == 0, "\(run.stderr)")
        let alert = try #require(try await rig.alerts()["C-3"])
        #expect(alert["state"] as? String == "delivered" && alert["school_urn"] as? String == "120590", "\(alert)")
        let reference = try #require(alert["reference"] as? String)
        let mail = try rig.hubMail()
        #expect(mail.count == 1, "one notice, of this alone")
        let notice = try #require(mail.first)
        #expect(notice.subject.contains("1 sent to a school no longer named"), "\(notice.subject)")
        let text = try #require(notice.part("text/plain")?.text)
        #expect(text.contains("SENT TO A SCHOOL NO LONGER NAMED"))
        #expect(text.contains("  \(reference)  incident I-3  delivered to school 120501 on Friday 20 November 2026 at 06:00 (GMT)"), "\(text)")
        #expect(!text.contains("child C-3") && !text.contains("120590"), "the reference, the incident and the school that has it only")

        #expect(try await rig.notify("2026-11-20T06:20:00Z").status == 0)
        #expect(try rig.hubMail().count == 1, "told once")
    }

    /// Audit 23: C-3's alert was delivered to 120501, then the force corrected the child to no
    /// school known. No alert goes anywhere, but 120501 has the child's details: the next run's
    /// notice to the hub (holding only this) names it and when it had them, says no alert went
    /// elsewhere, and asks staff to have it deleted. Before, the hub heard nothing.
    @Test(arguments: TestDatabase.allCases)
    func aChildWithNoSchoolNowAfterDeliveryTellsTheHubWhichSchoolHasTheirDetails(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        try await rig.ingest([CSVRows.row("I-3", "2026-11-19T21:40:00Z", child: "C-3", urn: "120501")])
        #expect(try await rig.notify("2026-11-20T06:00:00Z").status == 0)
        #expect(try rig.hubMail().isEmpty, "delivered on time: nothing to tell")

        try await rig.ingest([CSVRows.row("I-3", "2026-11-19T21:40:00Z", child: "C-3", urn: "")])
        let run = try await rig.notify("2026-11-20T06:10:00Z")
        #expect(run.status == 0, "\(run.stderr)")
        let alert = try #require(try await rig.alerts()["C-3"])
        #expect(alert["state"] as? String == "delivered" && alert["school_urn"] as? String == "120501", "kept as it was sent: \(alert)")
        let reference = try #require(alert["reference"] as? String)
        let mail = try rig.hubMail()
        #expect(mail.count == 1, "one notice, of this alone")
        let notice = try #require(mail.first)
        #expect(notice.subject.contains("1 held by a school no longer named"), "\(notice.subject)")
        let text = try #require(notice.part("text/plain")?.text)
        #expect(text.contains("HELD BY A SCHOOL NO LONGER NAMED"))
        #expect(text.contains("the alert went to no other school"))
        #expect(text.contains("  \(reference)  incident I-3  delivered to school 120501 on Friday 20 November 2026 at 06:00 (GMT)"), "\(text)")
        #expect(!text.contains("child C-3"), "the reference, the incident and the school that has it only")

        #expect(try await rig.notify("2026-11-20T06:20:00Z").status == 0)
        #expect(try rig.hubMail().count == 1, "told once")
    }

    /// D1: the relay is down. Every e-mail alert waits on it, not only the batch the run claimed
    /// before it found the relay down (64), and the hub's notice names them all.
    @Test(arguments: TestDatabase.allCases)
    func aRelayFoundDownCountsEveryEmailAlertThatWaitsOnIt(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        try await rig.ingest((1...70).map { CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-\($0)") })
        rig.smtp.stop()
        let run = try await rig.notify("2026-11-20T06:00:00Z")
        #expect(run.status == 69, "\(run.stdout) \(run.stderr)")
        #expect(run.stderr.contains("; 70 alert(s) wait on it"), "\(run.stderr)")
        #expect(run.stdout.contains(", 70 waiting on the relay"), "\(run.stdout)")
        let store = try StoreFactory.open(rig.h.database)
        #expect(try await store.latestNotifyRun()?.relayWaiting == 70)
        let notice = try #require(try await store.unsentHubNotices().first { $0.kind == "relay-unavailable" })
        let references = try await rig.alerts().values.compactMap { $0["reference"] as? String }
        #expect(Set(notice.heldReferences) == Set(references))
        #expect(notice.heldReferences.count == 70)
    }

    /// D3: two runs at once each send the hub a notice; each item is named in one of them only. The
    /// first run's notice is held at the relay while the second runs, so both read the notices
    /// before either is marked sent; it is let go once the second run's notice is accepted.
    @Test(arguments: TestDatabase.allCases)
    func twoRunsAtOnceNameEachItemInOneHubNoticeOnly(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database, relay: ["--hold", "hold-hub:2"])
        defer { rig.stop() }
        let settings = rig.h.configDir.appendingPathComponent("encompass.yaml")
        let yaml = String(decoding: try Data(contentsOf: settings), as: UTF8.self)
        try yaml.replacingOccurrences(of: "email: hub@police.example", with: "email: hold-hub@police.example")
            .write(to: settings, atomically: true, encoding: .utf8)
        // 120502's key adult is refused (550): each refused alert is a "failed" item for the hub.
        try await rig.ingest([CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-1", urn: "120502")])
        try await Self.secondRun(rig, whileTheFirstIsHeld: "the relay holding the first run's notice to the hub",
                                 ingesting: [CSVRows.row("I-2", "2026-11-19T21:40:00Z", child: "C-2", urn: "120502"),
                                             CSVRows.row("I-2", "2026-11-19T21:40:00Z", child: "C-3", urn: "120501")])

        let alerts = try await rig.alerts()
        let failed = try ["C-1", "C-2"].map { try #require(alerts[$0]?["reference"] as? String) }
        let notices = try rig.smtp.log().filter { ($0["rcpt_tos"] as? [String]) == ["hold-hub@police.example"] }.map { entry in
            try #require(try DecodedEmail(file: rig.smtp.outFolder + "/\(entry["n"] as? Int ?? 0).eml").part("text/plain")?.text)
        }
        #expect(notices.count == 2, "one notice a run")
        for reference in failed {
            let naming = notices.filter { $0.contains("  \(reference)  incident ") }
            #expect(naming.count == 1, "\(reference) named in \(naming.count) notices")
        }
    }
}
