import Delivery
import Foundation
import GRDB
import Outbox
import RiskModel
import SQLiteStore
import StoreContract
import Stores
import Synchronization
import Testing
import TestSupport

/// The outbox's records as `notify` leaves them: a configuration notice with its channel and the
/// alerts it holds, and a claimed alert whose stored record cannot make a message.
@Suite("Outbox records")
struct OutboxStoreTests {
    let now = at("2026-11-22T08:00:00Z")
    static let planner = SchoolDirectoryStoreTests.planner

    /// Three queued alerts, C-1 to C-3, each to school 120501.
    func store(_ kind: StoreKind) async throws -> TempStore {
        let t = try await TempStore(kind)
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501")]))
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1"), child("C-2"), child("C-3")])],
                                     actor: "test", at: now, planner: Self.planner)
        return t
    }

    func claim(_ t: TempStore, at when: Date) async throws -> [String: Int64] {
        let due = try await t.store.claimDue(now: when, owner: "test:1", lease: 600, limit: 10, isDead: { _ in false })
        return Dictionary(uniqueKeysWithValues: due.alerts.map { ($0.childId, $0.alertKey) })
    }

    /// Audit 29, F1, for a correction: an ingest that corrects an incident leaves the alerts a run
    /// is sending to the run, and the rest of the run's batch went where the record no longer
    /// says. A correcting ingest raises the routing version; the run, told by its next outcome,
    /// gives back what it has not sent, which follows the record as it is now.
    @Test(arguments: StoreKind.allCases)
    func alertsGivenBackAfterACorrectionFollowTheRecordAsItIsNow(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: ["120501", "120502"].map(SchoolDirectoryStoreTests.adult)))
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1"), child("C-2"), child("C-3"), child("C-4")])],
                                     actor: "test", at: now, planner: Self.planner)
        let claimed = try await t.store.claimDue(now: now, owner: "run:1", lease: 600, limit: 10, skippingChannels: [], planner: Self.planner,
                                                 isDead: { _ in false })
        let keys = Dictionary(uniqueKeysWithValues: claimed.alerts.map { ($0.childId, $0.alertKey) })
        // A new incident changes no claimed alert: nothing to give back for it.
        _ = try await t.store.ingest([incident("I-2", "2026-11-21T21:00:00Z", children: [child("C-9")])], actor: "test", at: now,
                                     planner: Self.planner)
        #expect(try await t.store.record(.delivered, for: try #require(keys["C-1"]), owner: "run:1", now: now, planner: Self.planner)
                .routingVersion == claimed.routingVersion)
        // The correction: C-2 no longer named, C-3 at another school.
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z",
                                               children: [child("C-1"), child("C-3", urn: "120502"), child("C-4")])],
                                     actor: "test", at: now, planner: Self.planner)
        #expect(try await t.store.alerts(state: .sending).count == 3, "left to the run that holds them")
        let recorded = try await t.store.record(.delivered, for: try #require(keys["C-4"]), owner: "run:1", now: now, planner: Self.planner)
        #expect(recorded.kept && recorded.routingVersion != claimed.routingVersion, "the correction is seen by the next outcome")

        try await t.store.giveBack([try #require(keys["C-2"]), try #require(keys["C-3"])], owner: "run:1", now: now, planner: Self.planner)
        let withdrawn = try #require(try await t.store.alerts(state: nil).first { $0.childId == "C-2" })
        #expect(withdrawn.state == .failed && AlertLifecycle.isWithdrawal(withdrawn.lastError), "never sent: its child is not named")
        let again = try await t.store.claimDue(now: now, owner: "run:1", lease: 600, limit: 10, skippingChannels: [], planner: Self.planner,
                                               isDead: { _ in false })
        #expect(again.alerts.map(\.childId).sorted() == ["C-3", "C-9"])
        let moved = try #require(again.alerts.first { $0.childId == "C-3" })
        #expect(moved.schoolURN == "120502" && moved.recipient == "dsl@120502.school.example" && moved.attempts == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func aConfigurationNoticeNamesItsChannelAndEveryAlertItHoldsOnceADay(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        var keys = try await claim(t, at: now)
        // The first alert meets the problem; those after it are skipped, and say so in other words.
        try await t.store.record(.configuration(error: "https not sent: no signing secret is set", channel: "https"),
                                 for: keys["C-1"]!, owner: "test:1", now: now)
        try await t.store.record(.configuration(error: "not sent, as an earlier message in this run found: https ...", channel: "https"),
                                 for: keys["C-2"]!, owner: "test:1", now: now)
        try await t.store.record(.delivered, for: keys["C-3"]!, owner: "test:1", now: now)

        var notices = try await t.store.unsentHubNotices()
        #expect(notices.count == 1, "one problem, one notice")
        let notice = try #require(notices.first)
        #expect(notice.kind == "configuration")
        #expect(notice.channel == "https")
        #expect(notice.detail == "https not sent: no signing secret is set")
        #expect(notice.heldReferences == ["ENC-I-1-C-1", "ENC-I-1-C-2"])
        try await t.store.markHubNoticesSent([notice.noticeKey], at: now)

        // Later the same day: still held, and no second notice.
        let later = now.addingTimeInterval(3_600)
        keys = try await claim(t, at: later)
        for child in ["C-1", "C-2"] {
            try await t.store.record(.configuration(error: "https not sent: no signing secret is set", channel: "https"),
                                     for: keys[child]!, owner: "test:1", now: later)
        }
        #expect(try await t.store.unsentHubNotices().isEmpty)

        // Another channel is another problem; and a day on, the hub hears again.
        let nextDay = now.addingTimeInterval(86_400 + 60)
        keys = try await claim(t, at: nextDay)
        try await t.store.record(.configuration(error: "smtp TLS failed", channel: "smtp"), for: keys["C-1"]!, owner: "test:1", now: nextDay)
        try await t.store.record(.configuration(error: "https not sent: no signing secret is set", channel: "https"),
                                 for: keys["C-2"]!, owner: "test:1", now: nextDay)
        // (Past their deadline now, so each also has its overdue notice.)
        notices = try await t.store.unsentHubNotices().filter { $0.kind == "configuration" }
        #expect(notices.map(\.channel) == ["smtp", "https"])
        #expect(notices.map(\.heldReferences) == [["ENC-I-1-C-1"], ["ENC-I-1-C-2"]])
    }

    /// Runs on two hosts meet the same problem at once: still one notice, holding every alert
    /// (on PostgreSQL each read "none today" and wrote one: audit 22).
    @Test(arguments: StoreKind.allCases)
    func aConfigurationProblemMetByManyWritersAtOnceIsOneNotice(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501")]))
        let children = (1...24).map { "C-\($0)" }
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: children.map { child($0) })],
                                     actor: "test", at: now, planner: Self.planner)
        // A race each day, four days: one day's notice is no longer "today" for the next.
        let store = t.store
        for day in 0..<4 {
            let at = now.addingTimeInterval(Double(day) * (86_400 + 60))
            let keys = try await store.claimDue(now: at, owner: "test:1", lease: 600, limit: 100, isDead: { _ in false }).alerts.map(\.alertKey)
            #expect(keys.count == 24)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for key in keys {
                    group.addTask {
                        try await store.record(.configuration(error: "smtp TLS failed", channel: "smtp"), for: key, owner: "test:1", now: at)
                    }
                }
                try await group.waitForAll()
            }
        }
        let notices = try await t.store.unsentHubNotices().filter { $0.kind == "configuration" }
        #expect(notices.count == 4, "one a day")
        #expect(notices.map(\.heldReferences.count) == [24, 24, 24, 24])
    }

    /// An alert a killed run held, taken back while the relay is down (the run claims no e-mail):
    /// waiting again, so it is counted as waiting on the relay, turns overdue at its deadline and
    /// the hub is told; it stayed `sending` past its deadline (audit 23, review F14).
    @Test(arguments: StoreKind.allCases)
    func anAlertAKilledRunHeldIsWaitingAgainThoughTheRelayIsDown(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let held = try await t.store.claimDue(now: now, owner: "gone:1", lease: 600, limit: 1, isDead: { _ in false }).alerts
        #expect(held.count == 1)
        let heldKey = try #require(held.first?.alertKey)
        let pastDeadline = now.addingTimeInterval(86_400 * 2)
        let claimed = try await t.store.claimDue(now: pastDeadline, owner: "test:2", lease: 600, limit: 10, skippingChannels: ["smtp"],
                                                 planner: nil, isDead: { $0 == "gone:1" })
        #expect(claimed.alerts.isEmpty, "no e-mail claimed while the relay is down")
        let row = try #require(try await t.store.alerts(state: nil).first { $0.childId == held.first?.childId })
        #expect(row.state == .overdue, "\(row.state)")
        #expect(try await t.store.waitingAlertKeys(channel: "smtp").contains(heldKey))
        #expect(try await t.store.unsentHubNotices().contains { $0.kind == "overdue" && $0.alert?.childId == held.first?.childId })
    }

    @Test(arguments: StoreKind.allCases)
    func aNoticeListsOnlyTheAlertsStillHeldWhenItGoes(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        var keys = try await claim(t, at: now)
        for child in ["C-1", "C-2", "C-3"] {
            try await t.store.record(.configuration(error: "smtp login refused", channel: "smtp"), for: keys[child]!, owner: "test:1", now: now)
        }
        // The relay was mended before the notice could go: C-1 went, C-2 was refused for good.
        let later = now.addingTimeInterval(120)
        keys = try await claim(t, at: later)
        try await t.store.record(.delivered, for: keys["C-1"]!, owner: "test:1", now: later)
        try await t.store.record(.permanent(error: "smtp reply 550"), for: keys["C-2"]!, owner: "test:1", now: later)
        let notice = try #require(try await t.store.unsentHubNotices().first { $0.kind == "configuration" })
        #expect(notice.heldReferences == ["ENC-I-1-C-3"])
    }

    @Test(arguments: StoreKind.allCases, [
        ("UPDATE alerts SET channel = 'pigeon' WHERE child_id = 'C-1'", "its stored channel is not smtp or https"),
        ("UPDATE children SET dob = '2015-02-30' WHERE child_id = 'C-1'", "the child's stored date of birth is not a date"),
        ("UPDATE children SET dob = 20150505 WHERE child_id = 'C-1'", "the child's stored date of birth is not a date"),
        ("UPDATE alerts SET recipient = NULL WHERE child_id = 'C-1'", "its stored school, recipient, deadline, incident or child is missing"),
    ])
    func aClaimedAlertThatCannotBeReadFailsAndTheHubHears(kind: StoreKind, damage: (corruption: String, reason: String)) async throws {
        let (corruption, reason) = damage
        let t = try await store(kind)
        defer { t.cleanUp() }
        #expect(try await t.refusal(corruption) == nil)

        #expect(try await t.store.peekDue(now: now, limit: 10).map(\.childId).sorted() == ["C-2", "C-3"])
        let claimed = try await t.store.claimDue(now: now, owner: "test:1", lease: 600, limit: 10, isDead: { _ in false })
        #expect(claimed.alerts.map(\.childId).sorted() == ["C-2", "C-3"], "the others still go")
        #expect(claimed.failedUnreadable == 1, "counted for the run's report")
        let alerts = try await t.store.alerts(state: .failed)
        #expect(alerts.map(\.childId) == ["C-1"])
        #expect(alerts.first?.lastError == "cannot be sent: " + reason)
        let notice = try #require(try await t.store.unsentHubNotices().first)
        #expect(notice.kind == "failed")
        #expect(notice.alert?.reference == "ENC-I-1-C-1")
        for personal in ["2015", "Zoë", "Bhriain", "pigeon"] { #expect(notice.detail.contains(personal) == false) }

        // Not claimed again once the lease would have ended: it is failed, not `sending`.
        let afterLease = try await claim(t, at: now.addingTimeInterval(3_600))
        #expect(afterLease["C-1"] == nil)
        #expect(try await t.store.alerts(state: .sending).map(\.childId).contains("C-1") == false)
    }

    @Test(arguments: StoreKind.allCases)
    func aDownRelaysAlertsWaitDueAtOnceUnchargedAndTheRunClaimsNoMoreOfThem(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let keys = try await claim(t, at: now)
        for child in ["C-1", "C-2"] {
            try await t.store.record(.relayUnavailable(error: "smtp our relay 127.0.0.1:25 cannot be reached"), for: keys[child]!,
                                     owner: "test:1", now: now)
        }
        try await t.store.recordChannelNotice(kind: "relay-unavailable", channel: "smtp", detail: "our relay 127.0.0.1:25 cannot be reached",
                                              holding: [keys["C-1"]!, keys["C-2"]!], now: now)
        let waiting = try await t.store.alerts(state: .queued).filter { ["C-1", "C-2"].contains($0.childId) }
        #expect(waiting.count == 2)
        #expect(waiting.allSatisfy { $0.attempts == 0 && $0.nextAttemptAt == now }, "no attempt charged, no backoff")
        let notices = try await t.store.unsentHubNotices()
        #expect(notices.map(\.kind) == ["relay-unavailable"], "no per-alert or configuration notice: one for the relay")
        #expect(notices.first?.heldReferences == ["ENC-I-1-C-1", "ENC-I-1-C-2"])

        // The same run, the relay known down: e-mail alerts are not claimed again, whatever is due.
        let skipping = try await t.store.claimDue(now: now, owner: "test:1", lease: 600, limit: 10, skippingChannels: ["smtp"],
                                                  isDead: { _ in false })
        #expect(skipping.alerts.isEmpty)
        #expect(try await t.store.alerts(state: .queued).count == 2, "left as they were, not claimed")
        // The next run claims them at once.
        #expect(Set(try await claim(t, at: now).keys) == ["C-1", "C-2"])
    }

    @Test(arguments: StoreKind.allCases)
    func aRunsRecordKeepsWhyAndHowManyWaitOnTheRelay(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let down = NotifyRunRecord(startedAt: now, finishedAt: now.addingTimeInterval(1), outcome: .serviceUnavailable,
                                   detail: "smtp our relay 127.0.0.1:25 cannot be reached; 2 alert(s) wait on it", relayWaiting: 2)
        try await t.store.recordNotifyRun(down)
        #expect(try await t.store.latestNotifyRun() == down)
        #expect(try await t.store.latestNotifyRun()?.foundRelayDown == true)
        let up = NotifyRunRecord(startedAt: now.addingTimeInterval(600), finishedAt: now.addingTimeInterval(601), outcome: .ok, delivered: 2)
        try await t.store.recordNotifyRun(up)
        #expect(try await t.store.latestNotifyRun() == up)
        #expect(try await t.store.latestNotifyRun()?.foundRelayDown == false)
    }

    /// Audit 19, D3: two runs at once each read the unsent notices before either marked them sent,
    /// and named the same items twice. A run claims them with a lease, as it claims alerts.
    @Test(arguments: StoreKind.allCases)
    func aRunClaimsTheHubNoticesItSendsSoAnotherRunAtOnceNamesNoneOfThem(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let keys = try await claim(t, at: now)
        for child in ["C-1", "C-2"] { try await t.store.record(.permanent(error: "smtp 550"), for: keys[child]!, owner: "test:1", now: now) }
        let alive: @Sendable (String) -> Bool = { _ in false }
        let first = try await t.store.claimHubNotices(now: now, owner: "run:a", lease: 600, isDead: alive)
        #expect(first.compactMap(\.alert?.childId) == ["C-1", "C-2"])
        #expect(try await t.store.claimHubNotices(now: now, owner: "run:b", lease: 600, isDead: alive).isEmpty, "run a holds them")

        // A notice made meanwhile is the other run's to name.
        try await t.store.record(.permanent(error: "smtp 550"), for: keys["C-3"]!, owner: "test:1", now: now)
        let second = try await t.store.claimHubNotices(now: now, owner: "run:b", lease: 600, isDead: alive)
        #expect(second.compactMap(\.alert?.childId) == ["C-3"])

        // Run b's notice could not go: let go at once, the next run takes it; run a's went.
        try await t.store.releaseHubNotices(second.map(\.noticeKey), owner: "run:b")
        // Both of run a's in one call, as a run marks its digest's notices.
        try await t.store.markHubNoticesSent(first.map(\.noticeKey), at: now)
        #expect(try await t.store.claimHubNotices(now: now, owner: "run:c", lease: 600, isDead: alive).compactMap(\.alert?.childId) == ["C-3"])

        // Run c killed before its notice went: nothing lost, taken back when the lease ends, or at once when run c is gone.
        #expect(try await t.store.claimHubNotices(now: now.addingTimeInterval(600), owner: "run:d", lease: 600, isDead: alive).isEmpty)
        #expect(try await t.store.claimHubNotices(now: now.addingTimeInterval(601), owner: "run:d", lease: 600, isDead: alive).count == 1)
        #expect(try await t.store.claimHubNotices(now: now.addingTimeInterval(601), owner: "run:e", lease: 600,
                                                  isDead: { $0 == "run:d" }).count == 1)
        #expect(try await t.store.unsentHubNotices().count == 1, "claimed is not sent")
    }

    /// fix-notices: a notice a run settled untold (it no longer held: `HubNoticeRow.stillHolds`) was
    /// marked sent, so the board listed it as e-mailed at the run's time, which it never was. It
    /// keeps its own mark: not sent, not to be told, never claimed again (its lease ended, its run gone).
    @Test(arguments: StoreKind.allCases)
    func aNoticeSettledUntoldIsKeptApartFromOneSentAndNeverClaimedAgain(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let keys = try await claim(t, at: now)
        for child in ["C-1", "C-2"] { try await t.store.record(.permanent(error: "smtp 550"), for: keys[child]!, owner: "test:1", now: now) }
        let claimed = try await t.store.claimHubNotices(now: now, owner: "run:a", lease: 600, isDead: { _ in false })
        let key = Dictionary(uniqueKeysWithValues: claimed.map { ($0.alert?.childId ?? "", $0.noticeKey) })
        try await t.store.markHubNoticesSent([key["C-1"]!], at: now)
        try await t.store.markHubNoticesSettled([key["C-2"]!], at: now)

        #expect(try await t.store.unsentHubNotices().isEmpty, "neither is to be told")
        #expect(try await t.store.claimHubNotices(now: now.addingTimeInterval(601), owner: "run:b", lease: 600, isDead: { _ in true }).isEmpty)
        #expect(try await Self.marks(t.store) == ["C-1": [now, nil], "C-2": [nil, now]])
    }

    /// Each notice's sent and settled times, by its alert's child.
    static func marks(_ store: any FullStore) async throws -> [String: [Date?]] {
        Dictionary(uniqueKeysWithValues: try await store.hubNotices(since: .distantPast, limit: 10).map {
            ($0.notice.alert?.childId ?? "", [$0.sentAt, $0.settledAt])
        })
    }

    /// A store of the version before: its notices keep their meaning after `migrate` (one sent stays
    /// sent, one not yet told is claimed and told), and none is settled.
    @Test(arguments: StoreKind.allCases)
    func noticesKeptBeforeTheUpgradeKeepTheirMeaning(kind: StoreKind) async throws {
        let dir = try SchemaVersionStoreTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try SchemaVersionStoreTests.newURL(kind, in: dir)
        let older = try SchemaVersionStoreTests.store(kind, url, knownUpTo: kind == .sqlite ? "v25-alert-school-rounds" : "pg22-alert-school-rounds")
        _ = try await older.migrate(for: .write)
        let source = try await store(kind)
        defer { source.cleanUp() }
        let keys = try await claim(source, at: now)
        for child in ["C-1", "C-2"] {
            try await source.store.record(.permanent(error: "smtp 550"), for: keys[child]!, owner: "test:1", now: now)
        }
        let sent = try #require(try await source.store.unsentHubNotices().first { $0.alert?.childId == "C-1" })
        try await source.store.markHubNoticesSent([sent.noticeKey], at: now)
        try await SchemaVersionStoreTests.fill(older, from: source.store, SchemaVersionStoreTests.tablesBefore())

        let current = try StoreFactory.open(url)
        #expect(try await current.migrate(for: .migrate) == (kind == .sqlite ? ["v26-hub-notice-settled", "v27-alerts-board-lists", "v28-foreign-key-indexes", "v29-routing-version"]
                                                                        : ["pg23-hub-notice-settled", "pg24-alerts-board-lists", "pg25-foreign-key-indexes", "pg26-routing-version"]))
        #expect(try await Self.marks(current) == ["C-1": [now, nil], "C-2": [nil, nil]])
        let claimed = try await current.claimHubNotices(now: now, owner: "run:a", lease: 600, isDead: { _ in false })
        #expect(claimed.compactMap(\.alert?.childId) == ["C-2"])
        let notices = try #require(StoreTable.all.first { $0.name == "hub_notices" })
        #expect(try await current.rows(of: notices) == (try await source.store.rows(of: notices)), "the same rows, the new column empty")
    }

    /// Audit 19, finding 2: an alert taken back from a killed run after its deadline never waited
    /// as overdue; delivered late, the hub still hears it was overdue.
    @Test(arguments: StoreKind.allCases)
    func anAlertTakenBackFromAKilledRunAndDeliveredLateIsToldAsOverdue(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        _ = try await claim(t, at: now)
        let late = at("2026-11-23T08:00:00Z")  // the deadline was 2026-11-22T20:00Z
        let again = try await t.store.claimDue(now: late, owner: "test:2", lease: 600, limit: 10, isDead: { $0 == "test:1" })
        #expect(again.alerts.count == 3)
        for alert in again.alerts { try await t.store.record(.delivered, for: alert.alertKey, owner: "test:2", now: late) }
        #expect(try await t.store.alerts(state: .delivered).count == 3)
        let notices = try await t.store.unsentHubNotices()
        #expect(notices.map(\.kind) == ["overdue", "overdue", "overdue"])
        #expect(notices.allSatisfy { $0.alert?.deliveredAt == late }, "told as delivered late")
    }

    /// A run begun ten seconds before the alerts' deadline whose messages go after it: each is
    /// recorded when its outcome came, late, and the hub is told (audit 22, resilience F0b: every
    /// alert of a run was recorded at the run's start, on time, and the hub never heard).
    @Test(arguments: StoreKind.allCases)
    func anAlertDeliveredAfterItsDeadlineInARunBegunBeforeItIsLate(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let calls = Mutex(0)
        // This host's clock: the run's start, then every later reading past the deadline (20:00).
        let clock = RunClock(given: nil, databaseNow: nil) {
            calls.withLock { n in n += 1; return n == 1 } ? at("2026-11-22T19:59:50Z") : at("2026-11-22T20:00:30Z")
        }
        let composer = EmailComposer(from: "hub@police.example", fromName: "Police Safeguarding Hub")
        var run = NotifyRun(store: t.store, transport: FileTransport(folder: t.dir.appendingPathComponent("outbox"), composer: composer),
                            renderer: try AlertRenderer(templatesDirectory: Repository.templates),
                            hub: HubContact(name: "Police Safeguarding Hub", phone: "0000 000 0000", email: "hub@police.example"),
                            retry: RetryPolicy(), owner: "test:1", isDead: { _ in false })
        run.hubChannel = .file
        run.clock = clock
        #expect(clock.start == at("2026-11-22T19:59:50Z"))
        let report = try await run.run(now: clock.start)
        #expect(report.delivered == 3)
        let delivered = try await t.store.alerts(state: .delivered)
        #expect(delivered.count == 3 && delivered.allSatisfy { $0.deliveredAt == at("2026-11-22T20:00:30Z") }, "\(delivered)")
        #expect(report.hubNoticesSent == 3, "the hub told of each late delivery")
        #expect(try await t.store.unsentHubNotices().isEmpty)
    }

    /// Refuses (550) every message to a `dead@` address, delivers the rest, and keeps the
    /// references of the hub's digests it was given.
    final class DeadAddressRelay: Transport {
        let hubDigests = Mutex<[String]>([])

        func deliver(_ batch: [AlertMessage], pacing _: DeliveryPacing?) -> AsyncStream<DeliveryOutcome> {
            let (stream, continuation) = AsyncStream.makeStream(of: DeliveryOutcome.self)
            for message in batch {
                if message.reference.hasPrefix("ENC-HUB-") { hubDigests.withLock { $0.append(message.reference) } }
                let dead = message.recipient.hasPrefix("dead@")
                continuation.yield(DeliveryOutcome(reference: message.reference, channel: .smtp, status: dead ? .permanent : .delivered,
                                                   replyCode: dead ? 550 : 250, detail: "smtp reply \(dead ? 550 : 250)", attempted: true))
            }
            continuation.finish()
            return stream
        }
    }

    /// SPEC §12, the same outputs on both databases: an alert refused at its key adult's dead
    /// address, the address corrected, the alert resent after its deadline. Its second `overdue`
    /// notice in the round is turned away, and on PostgreSQL that took a value of the identity, so
    /// every digest after it was named differently there than on SQLite (audit 23, review F9).
    @Test func theHubsDigestsAreNamedAlikeOnBothDatabases() async throws {
        var digests: [StoreKind: [String]] = [:]
        for kind in StoreKind.allCases {
            let t = try await TempStore(kind)
            defer { t.cleanUp() }
            let dead = KeyAdult(urn: "120501", name: "Key Adult", email: "dead@120501.school.example", channel: .smtp, endpoint: nil)
            try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [dead]))
            _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1")])],
                                         actor: "test", at: now, planner: Self.planner)
            let relay = DeadAddressRelay()
            let run = NotifyRun(store: t.store, transport: relay, renderer: try AlertRenderer(templatesDirectory: Repository.templates),
                                hub: HubContact(name: "Police Safeguarding Hub", phone: "0000 000 0000", email: "hub@police.example"),
                                retry: RetryPolicy(), owner: "test:1", isDead: { _ in false })
            // The deadline was 2026-11-22T20:00Z: overdue, and refused.
            #expect(try await run.run(now: at("2026-11-23T08:00:00Z")).failed == 1)
            let deadToo = KeyAdult(urn: "120502", name: "Key Adult", email: "dead@120502.school.example", channel: .smtp, endpoint: nil)
            try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501"), deadToo]))
            #expect(try await t.store.matchUnmatched(planner: Self.planner, now: at("2026-11-23T08:30:00Z")) == 1, "resent to the corrected address")
            #expect(try await run.run(now: at("2026-11-23T09:00:00Z")).delivered == 1)
            // And a notice after it, in a later run: another alert refused.
            _ = try await t.store.ingest([incident("I-2", "2026-11-23T09:10:00Z", children: [child("C-2", urn: "120502")])],
                                         actor: "test", at: at("2026-11-23T09:20:00Z"), planner: Self.planner)
            #expect(try await run.run(now: at("2026-11-23T09:30:00Z")).failed == 1)
            digests[kind] = relay.hubDigests.withLock { $0 }
        }
        #expect(digests[.sqlite] == digests[.postgres])
        #expect(digests[.postgres] == ["ENC-HUB-1-2", "ENC-HUB-3-3", "ENC-HUB-4-4"])
    }
}
