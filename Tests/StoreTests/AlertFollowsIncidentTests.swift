import Foundation
import RiskModel
import SQLiteStore
import StoreContract
import Testing
import TestSupport

/// A force corrects an incident after its alerts were queued: an alert not yet sent follows the
/// incident as it now stands, and one for a child it no longer names never goes out.
@Suite("Alerts follow a changed incident")
struct AlertFollowsIncidentTests {
    let now = at("2026-11-22T08:00:00Z")
    static let planner = SchoolDirectoryStoreTests.planner

    func store(_ kind: StoreKind, schools: [String] = ["120501", "120502"]) async throws -> TempStore {
        let t = try await TempStore(kind)
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: schools.map(SchoolDirectoryStoreTests.adult)))
        return t
    }

    @Test(arguments: StoreKind.allCases)
    func aCorrectedSchoolSendsTheAlertToTheNewSchoolOnly(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120501")])],
                                     actor: "test", at: now, planner: Self.planner)
        let corrected = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120502")])],
                                                 actor: "test", at: now, planner: Self.planner)
        #expect(corrected.updated == 1)
        let alerts = try await t.store.alerts(state: nil)
        #expect(alerts.map(\.schoolURN) == ["120502"])
        #expect(alerts.map(\.state) == [.queued])
        let due = try await t.store.peekDue(now: now, limit: 10)
        #expect(due.map(\.recipient) == ["dsl@120502.school.example"])
    }

    @Test(arguments: StoreKind.allCases)
    func aCorrectedTimeMovesTheDeadline(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1")])],
                                     actor: "test", at: now, planner: Self.planner)
        _ = try await t.store.ingest([incident("I-1", "2026-11-20T20:00:00Z", children: [child("C-1")])],
                                     actor: "test", at: now, planner: Self.planner)
        // The test planner's deadline is a day after the incident.
        #expect(try await t.store.alerts(state: nil).map(\.deadline) == [at("2026-11-21T20:00:00Z")])
    }

    @Test(arguments: StoreKind.allCases)
    func aChildNoLongerLinkedIsNeverAlertedAndTheHubHears(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1"), child("C-2")])],
                                     actor: "test", at: now, planner: Self.planner)
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1")])],
                                     actor: "test", at: now, planner: Self.planner)
        let alerts = try await t.store.alerts(state: nil).sorted { $0.childId < $1.childId }
        #expect(alerts.map(\.childId) == ["C-1", "C-2"])
        #expect(alerts.map(\.state) == [.queued, .failed])
        #expect(alerts[1].lastError?.hasPrefix("withdrawn") == true)
        #expect(try await t.store.peekDue(now: now, limit: 10).map(\.childId) == ["C-1"])
        let notices = try await t.store.unsentHubNotices()
        #expect(notices.map(\.kind) == ["failed"])
        #expect(notices.first?.alert?.childId == "C-2")
    }

    /// An unmatched entry (a school with no key adult, or no school) whose child a correction
    /// removes was never going to be sent: it leaves the unmatched list and nothing else. It became
    /// a `failed` alert with no channel and no deadline, and the hub was told "withdrawn" of it
    /// (audit 23 year, F2). Named again, it is planned afresh as any new link.
    @Test(arguments: StoreKind.allCases)
    func anUnmatchedChildNoLongerLinkedLeavesTheListAndNothingElse(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let all = [incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1"), child("C-2", urn: "120599"), child("C-3", urn: nil)])]
        _ = try await t.store.ingest(all, actor: "test", at: now, planner: Self.planner)
        #expect(try await t.store.alerts(state: .unmatched).map(\.childId).sorted() == ["C-2", "C-3"])
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1")])],
                                     actor: "test", at: now, planner: Self.planner)
        let alerts = try await t.store.alerts(state: nil)
        #expect(alerts.map(\.childId) == ["C-1"] && alerts.map(\.state) == [.queued])
        #expect(alerts.allSatisfy { $0.deadline != nil && $0.channel != nil })
        #expect(try await t.store.unsentHubNotices().isEmpty)
        _ = try await t.store.ingest(all, actor: "test", at: now, planner: Self.planner)
        #expect(try await t.store.alerts(state: .unmatched).map(\.childId).sorted() == ["C-2", "C-3"])
    }

    /// A correction drops a child and the next feed names it again (the hub's correction undone, or
    /// a partial export followed by the whole): its alert, withdrawn, goes to its school after all,
    /// as a new round for the hub's notices. It stayed withdrawn for ever (audit 23).
    @Test(arguments: StoreKind.allCases)
    func aWithdrawnChildNamedAgainIsAlertedAfterAll(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let both = [incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1"), child("C-2", urn: "120502")])]
        _ = try await t.store.ingest(both, actor: "test", at: now, planner: Self.planner)
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1")])],
                                     actor: "test", at: now, planner: Self.planner)
        #expect(try await t.store.alerts(state: nil).first { $0.childId == "C-2" }?.state == .failed)
        let again = try await t.store.ingest(both, actor: "test", at: now, planner: Self.planner)
        #expect(again.updated == 1)
        let c2 = try #require(try await t.store.alerts(state: nil).first { $0.childId == "C-2" })
        #expect(c2.state == .queued && c2.lastError == nil, "\(c2.state) \(c2.lastError ?? "")")
        #expect(try await t.store.peekDue(now: now, limit: 10).map(\.childId).sorted() == ["C-1", "C-2"])
        #expect(try await t.store.peekDue(now: now, limit: 10).first { $0.childId == "C-2" }?.recipient == "dsl@120502.school.example")
        // Dropped once more: withdrawn again, and the hub told again (a new round).
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1")])],
                                     actor: "test", at: now, planner: Self.planner)
        let told = try await t.store.unsentHubNotices().filter { $0.alert?.childId == "C-2" }
        #expect(told.map(\.kind) == ["failed", "failed"])
    }

    /// Ingests I-1 naming C-1 (and `others`) at 120501, and claims its alerts as run `test:1`.
    func claimedAtTheFirstSchool(_ t: TempStore, others: [String] = []) async throws -> Int64 {
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120501")] + others.map { child($0) })],
                                     actor: "test", at: now, planner: Self.planner)
        let claimed = try await t.store.claimDue(now: now, owner: "test:1", lease: 60, limit: 10, isDead: { _ in false })
        return try #require(claimed.alerts.first { $0.childId == "C-1" }?.alertKey)
    }

    /// Audit 19, D2: the correction lands while a run is sending the alert (a stalling webhook);
    /// the send then fails for now. The alert goes to the school the record now names.
    @Test(arguments: StoreKind.allCases)
    func aSchoolCorrectedWhileItsAlertIsSendingTakesEffectWhenTheRunGivesItBack(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let key = try await claimedAtTheFirstSchool(t)
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120502")])],
                                     actor: "test", at: now, planner: Self.planner)
        #expect(try await t.store.alerts(state: nil).map(\.schoolURN) == ["120501"], "the run still holds it")
        try await t.store.record(.temporary(error: "https 503", retryAt: now.addingTimeInterval(600)), for: key, owner: "test:1", now: now,
                                 planner: Self.planner)
        let alerts = try await t.store.alerts(state: nil)
        #expect(alerts.map(\.schoolURN) == ["120502"])
        #expect(alerts.map(\.state) == [.queued])
        #expect(alerts.map(\.deadline) == [at("2026-11-22T20:00:00Z")], "the new school's deadline")
        let due = try await t.store.peekDue(now: now, limit: 10)
        #expect(due.map(\.recipient) == ["dsl@120502.school.example"], "due at once, to the new school only")
    }

    @Test(arguments: StoreKind.allCases)
    func aChildDroppedWhileItsAlertIsSendingIsWithdrawnWhenTheRunGivesItBack(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let key = try await claimedAtTheFirstSchool(t, others: ["C-2"])
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-2")])],
                                     actor: "test", at: now, planner: Self.planner)
        try await t.store.record(.temporary(error: "https 503", retryAt: now.addingTimeInterval(600)), for: key, owner: "test:1", now: now,
                                 planner: Self.planner)
        let c1 = try #require(try await t.store.alerts(state: nil).first { $0.childId == "C-1" })
        #expect(c1.state == .failed)
        #expect(c1.lastError == AlertLifecycle.withdrawnReason)
        #expect(!(try await t.store.peekDue(now: now.addingTimeInterval(3_600), limit: 10).map(\.childId).contains("C-1")), "C-1 never goes again")
        #expect(try await t.store.unsentHubNotices().compactMap(\.alert?.childId) == ["C-1"], "the hub hears")
    }

    @Test(arguments: StoreKind.allCases)
    func aKeyAdultChangedWhileTheAlertIsSendingIsTheOneItGoesToNext(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let key = try await claimedAtTheFirstSchool(t)
        let newAdult = KeyAdult(urn: "120501", name: "New Lead", email: "new@120501.school.example", channel: .smtp, endpoint: nil)
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [newAdult, SchoolDirectoryStoreTests.adult("120502")]))
        try await t.store.record(.temporary(error: "smtp 451", retryAt: now.addingTimeInterval(600)), for: key, owner: "test:1", now: now,
                                 planner: Self.planner)
        let due = try await t.store.peekDue(now: now, limit: 10)
        #expect(due.map(\.recipient) == ["new@120501.school.example"])
        #expect(due.map(\.deadline) == [at("2026-11-22T20:00:00Z")], "the school's deadline stays")
    }

    /// A run killed while it held the alert: the run that takes it back reads the record first.
    @Test(arguments: StoreKind.allCases)
    func anAlertTakenBackFromAKilledRunFollowsACorrectionMadeMeanwhile(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        _ = try await claimedAtTheFirstSchool(t, others: ["C-2"])
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120502")])],
                                     actor: "test", at: now, planner: Self.planner)
        let again = try await t.store.claimDue(now: now, owner: "test:2", lease: 60, limit: 10, skippingChannels: [], planner: Self.planner,
                                               isDead: { $0 == "test:1" })
        #expect(again.alerts.map(\.childId) == ["C-1"], "C-2, withdrawn, is not taken")
        #expect(again.alerts.map(\.recipient) == ["dsl@120502.school.example"])
        #expect(again.alerts.map(\.schoolURN) == ["120502"])
        let c2 = try #require(try await t.store.alerts(state: nil).first { $0.childId == "C-2" })
        #expect(c2.state == .failed && c2.lastError == AlertLifecycle.withdrawnReason)
    }

    /// SPEC §7: a key adult at the child's school must hear. A school corrected after its alert was
    /// delivered re-routes it (README, "A corrected incident moves its alerts").
    @Test(arguments: StoreKind.allCases)
    func aSchoolCorrectedAfterDeliveryReRoutesTheAlertToTheNewSchool(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let key = try await claimedAtTheFirstSchool(t)
        try await t.store.record(.delivered, for: key, owner: "test:1", now: now)
        let reference = try #require(try await t.store.alerts(state: nil).first?.reference)
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120501")])],
                                     actor: "test", at: now, planner: Self.planner)
        #expect(try await t.store.alerts(state: nil).map(\.state) == [.delivered], "the same school: nothing to send again")
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120502")])],
                                     actor: "test", at: now, planner: Self.planner)
        let alerts = try await t.store.alerts(state: nil)
        #expect(alerts.map(\.reference) == [reference], "one alert, its reference kept")
        #expect(alerts.map(\.state) == [.queued])
        #expect(alerts.map(\.schoolURN) == ["120502"])
        #expect(alerts.first?.deliveredAt == now, "the earlier delivery is kept")
        #expect(try await t.store.peekDue(now: now, limit: 10).map(\.recipient) == ["dsl@120502.school.example"])
    }

    /// A re-routed alert is a new round of sending (`AlertLifecycle.startsNewRound`): refused at the
    /// school named first and told, then refused at the school the record was corrected to, the
    /// hub is told again, once, and the board counts the failure from the second. Before, the
    /// first `failed` notice stood for both, and staff who corrected the school believed it went.
    @Test(arguments: StoreKind.allCases)
    func aReRoutedAlertRefusedAgainIsToldToTheHubAgainOnce(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let alive: @Sendable (String) -> Bool = { _ in false }
        let key = try await claimedAtTheFirstSchool(t)
        try await t.store.record(.permanent(error: "smtp 550"), for: key, owner: "test:1", now: now, planner: Self.planner)
        for n in try await t.store.claimHubNotices(now: now, owner: "run:a", lease: 600, isDead: alive) {
            try await t.store.markHubNoticesSent([n.noticeKey], at: now)
        }

        let later = now.addingTimeInterval(3_600)
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120502")])],
                                     actor: "test", at: later, planner: Self.planner)
        #expect(try await t.store.alerts(state: nil).map(\.state) == [.queued], "re-routed")
        let again = try await t.store.claimDue(now: later, owner: "test:2", lease: 60, limit: 10, skippingChannels: [], planner: Self.planner,
                                               isDead: alive)
        #expect(again.alerts.map(\.recipient) == ["dsl@120502.school.example"])
        try await t.store.record(.permanent(error: "smtp 550"), for: key, owner: "test:2", now: later, planner: Self.planner)

        // Two runs at once: one names it, the other nothing.
        let told = try await t.store.claimHubNotices(now: later, owner: "run:b", lease: 600, isDead: alive)
        #expect(told.map(\.kind) == ["failed"])
        #expect(told.compactMap(\.alert?.schoolURN) == ["120502"])
        #expect(try await t.store.claimHubNotices(now: later, owner: "run:c", lease: 600, isDead: alive).isEmpty)
        #expect(try await t.store.alerts(state: .failed).map(\.failedAt) == [later], "the board's week runs from the second failure")
    }

    /// The same for the overdue and unacknowledged notices: a re-routed alert late again, and
    /// unacknowledged again by the school it went to next, is told of each again, once a round.
    @Test(arguments: StoreKind.allCases)
    func aReRoutedAlertLateAndUnacknowledgedAgainIsToldAgainOnceARound(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let alive: @Sendable (String) -> Bool = { _ in false }
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120501")])],
                                     actor: "test", at: now, planner: Self.planner)
        // Each round: claimed past the deadline (2026-11-22T20:00Z: overdue), delivered with a link
        // (late: overdue again, the same round's, not told twice), then unacknowledged.
        func round(at start: Date) async throws {
            let claimed = try await t.store.claimDue(now: start, owner: "test:1", lease: 60, limit: 10, skippingChannels: [], planner: Self.planner,
                                                     isDead: alive)
            guard let key = claimed.alerts.first?.alertKey else {
                Issue.record("nothing claimed at \(start)")
                return
            }
            try await t.store.issueAcknowledgementTokens([(key, "hash-\(start.timeIntervalSince1970)", start.addingTimeInterval(7 * 86_400))],
                                                         at: start)
            try await t.store.record(.delivered, for: key, owner: "test:1", now: start, planner: Self.planner)
            _ = try await t.store.claimDue(now: start.addingTimeInterval(60), owner: "test:1", lease: 60, limit: 10, isDead: alive)
        }
        let late = at("2026-11-23T08:00:00Z")
        try await round(at: late)
        #expect(try await t.store.unsentHubNotices().map(\.kind) == ["overdue", "unacknowledged"])
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120502")])],
                                     actor: "test", at: late.addingTimeInterval(600), planner: Self.planner)
        try await round(at: late.addingTimeInterval(1_200))
        let notices = try await t.store.unsentHubNotices()
        #expect(notices.map(\.kind) == ["overdue", "unacknowledged", AlertLifecycle.reroutedKind, "overdue", "unacknowledged"],
                "and the school it was delivered to is named once")
        #expect(Set(notices.compactMap(\.alert?.reference)) == ["ENC-I-1-C-1"])
        #expect(try await t.store.alerts(state: nil).map(\.schoolURN) == ["120502"])
    }

    /// The same when the correction lands while the run is delivering it to the school named before.
    @Test(arguments: StoreKind.allCases)
    func aSchoolCorrectedWhileItsAlertIsBeingDeliveredIsToldNext(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let key = try await claimedAtTheFirstSchool(t)
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120502")])],
                                     actor: "test", at: now, planner: Self.planner)
        try await t.store.record(.delivered, for: key, owner: "test:1", now: now, planner: Self.planner)
        let alerts = try await t.store.alerts(state: nil)
        #expect(alerts.map(\.state) == [.queued])
        #expect(try await t.store.peekDue(now: now, limit: 10).map(\.recipient) == ["dsl@120502.school.example"])
        let told = try await t.store.unsentHubNotices().filter { $0.kind == AlertLifecycle.reroutedKind }
        #expect(told.map(\.schoolURN) == ["120501"], "120501 has the child's details: the hub is told")
        #expect(told.map(\.deliveredAt) == [now])
    }

    /// Ingests I-1 naming C-1 at `urn` at `when`.
    func correct(_ t: TempStore, to urn: String, at when: Date) async throws {
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: urn)])],
                                     actor: "test", at: when, planner: Self.planner)
    }

    /// Claims C-1's alert at `when` and records `result` for it.
    func send(_ t: TempStore, at when: Date, _ result: AlertResult) async throws {
        let claimed = try await t.store.claimDue(now: when, owner: "test:2", lease: 60, limit: 10, skippingChannels: [], planner: Self.planner,
                                                 isDead: { _ in false })
        let key = try #require(claimed.alerts.first?.alertKey)
        try await t.store.record(result, for: key, owner: "test:2", now: when, planner: Self.planner)
    }

    /// Audit 22, people F8: delivered to 120501, then the school corrected to 120502. 120501 holds
    /// the child's name, date of birth and a domestic abuse incident; the hub is told, once a
    /// re-route, so staff ask its key adult to delete the notification. Delivered at 120502 and
    /// corrected again to 120503, the hub is told of 120502. Before, nothing named 120501 but the
    /// admin-only audit row.
    @Test(arguments: StoreKind.allCases)
    func aSchoolCorrectedAfterDeliveryTellsTheHubWhichSchoolHasTheChildsDetails(kind: StoreKind) async throws {
        let t = try await store(kind, schools: ["120501", "120502", "120503"])
        defer { t.cleanUp() }
        let key = try await claimedAtTheFirstSchool(t)
        try await t.store.record(.delivered, for: key, owner: "test:1", now: now, planner: Self.planner)
        #expect(try await t.store.unsentHubNotices().isEmpty, "delivered on time: nothing to tell")

        let corrected = now.addingTimeInterval(3_600)
        try await correct(t, to: "120502", at: corrected)
        try await correct(t, to: "120502", at: corrected.addingTimeInterval(60))
        let told = try await t.store.unsentHubNotices()
        #expect(told.map(\.kind) == [AlertLifecycle.reroutedKind], "once, however often the correction comes")
        let notice = try #require(told.first)
        #expect(notice.schoolURN == "120501", "the school that had it, not the one it goes to now")
        #expect(notice.deliveredAt == now)
        #expect(notice.createdAt == corrected)
        #expect(notice.detail == AlertLifecycle.reroutedDetail(school: "120501"))
        #expect(notice.alert?.reference == "ENC-I-1-C-1")
        #expect(notice.alert?.schoolURN == "120502")
        for n in told { try await t.store.markHubNoticesSent([n.noticeKey], at: corrected) }

        let second = corrected.addingTimeInterval(3_600)
        try await send(t, at: second, .delivered)
        try await correct(t, to: "120503", at: second.addingTimeInterval(600))
        let next = try await t.store.unsentHubNotices()
        #expect(next.map(\.kind) == [AlertLifecycle.reroutedKind])
        #expect(next.map(\.schoolURN) == ["120502"], "a new round: the school it was delivered to next")
        #expect(next.map(\.deliveredAt) == [second])
    }

    /// Re-planned before it was sent, or refused for good where it went, no school holds the
    /// child's details: the hub is told of nothing but the refusal, even when the alert keeps an
    /// earlier school's delivery time (delivered at 120501, refused at 120502, corrected to 120503).
    @Test(arguments: StoreKind.allCases)
    func aSchoolCorrectedBeforeDeliveryOrAfterARefusalTellsNoSchoolToDelete(kind: StoreKind) async throws {
        let t = try await store(kind, schools: ["120501", "120502", "120503"])
        defer { t.cleanUp() }
        try await correct(t, to: "120501", at: now)
        try await correct(t, to: "120502", at: now)
        try await correct(t, to: "120503", at: now)
        #expect(try await t.store.unsentHubNotices().isEmpty, "re-planned twice before any delivery")

        try await send(t, at: now, .delivered)
        try await correct(t, to: "120502", at: now.addingTimeInterval(60))
        #expect(try await t.store.unsentHubNotices().compactMap(\.schoolURN) == ["120503"])
        try await send(t, at: now.addingTimeInterval(120), .permanent(error: "smtp reply 550"))
        try await correct(t, to: "120501", at: now.addingTimeInterval(180))
        let told = try await t.store.unsentHubNotices()
        #expect(told.map(\.kind) == [AlertLifecycle.reroutedKind, "failed"], "120502 refused it: nothing there to delete")
        #expect(told.compactMap(\.schoolURN) == ["120503"])
        #expect(try await t.store.alerts(state: nil).map(\.state) == [.queued], "re-routed to 120501")
    }

    /// Two ingests of the correction at once write the notice once.
    @Test(arguments: StoreKind.allCases)
    func twoCorrectionsAtOnceTellTheHubOnce(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let key = try await claimedAtTheFirstSchool(t)
        try await t.store.record(.delivered, for: key, owner: "test:1", now: now, planner: Self.planner)
        async let a: Void = correct(t, to: "120502", at: now.addingTimeInterval(60))
        async let b: Void = correct(t, to: "120502", at: now.addingTimeInterval(60))
        _ = try await (a, b)
        #expect(try await t.store.unsentHubNotices().map(\.kind) == [AlertLifecycle.reroutedKind])
    }

    /// C-1's alert claimed at 120501 with a link (`hash-1`), delivered there at `now`, and the link
    /// shown to open it: the start of each case where the record stops naming 120501 for C-1.
    func deliveredWithALink(_ t: TempStore, others: [String] = []) async throws -> Int64 {
        let key = try await claimedAtTheFirstSchool(t, others: others)
        try await t.store.issueAcknowledgementTokens([(key, "hash-1", now.addingTimeInterval(7 * 86_400))], at: now)
        try await t.store.record(.delivered, for: key, owner: "test:1", now: now, planner: Self.planner)
        #expect(try await t.store.acknowledgement(tokenHash: "hash-1", now: now) != nil, "the link opens it while 120501 is named")
        return key
    }

    /// Ingests I-1 naming `children` at `when` and again a minute later: the correction comes twice.
    func correctTwice(_ t: TempStore, to children: [ChildLink], at when: Date, planner: AlertPlanner = Self.planner) async throws {
        for at in [when, when.addingTimeInterval(60)] {
            _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: children)], actor: "test", at: at, planner: planner)
        }
    }

    /// The hub's notices now are one `no-longer-named` notice naming 120501, delivered at `now`,
    /// and C-1's alert stays delivered there, its link opening nothing and never "unacknowledged".
    func toldOnceThat120501HoldsIt(_ t: TempStore, at when: Date) async throws {
        let told = try await t.store.unsentHubNotices().filter { $0.alert?.childId == "C-1" }
        #expect(told.map(\.kind) == [AlertLifecycle.noLongerNamedKind], "once, however often the correction comes")
        #expect(told.map(\.schoolURN) == ["120501"], "the school that has the child's details")
        #expect(told.map(\.deliveredAt) == [now])
        #expect(told.map(\.createdAt) == [when])
        #expect(told.map(\.detail) == [AlertLifecycle.noLongerNamedDetail(school: "120501")])
        let alert = try #require(try await t.store.alerts(state: nil).first { $0.childId == "C-1" })
        #expect(alert.state == .delivered && alert.schoolURN == "120501", "kept as it was sent: no re-route")
        #expect(!alert.linkIssued, "so never unacknowledged: nobody is asked to phone 120501 about it")
        #expect(try await t.store.acknowledgement(tokenHash: "hash-1", now: now) == nil, "120501's link opens nothing now, within its days")
        #expect(try await t.store.acknowledge(tokenHash: "hash-1", now: now) == nil)
    }

    /// Audit 23: delivered to 120501, then the incident corrected to name C-2 only. No alert goes
    /// anywhere (C-1 is no child of it), but 120501 holds C-1's name, date of birth and the
    /// incident: the hub is told, as for a re-route, and 120501's link stops opening it. Before,
    /// the hub heard nothing and the link showed the child's details to 120501 for a week.
    @Test(arguments: StoreKind.allCases)
    func aChildTakenOffTheIncidentAfterDeliveryTellsTheHubWhichSchoolHasTheirDetails(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        _ = try await deliveredWithALink(t)
        let corrected = now.addingTimeInterval(3_600)
        try await correctTwice(t, to: [child("C-2")], at: corrected)
        try await toldOnceThat120501HoldsIt(t, at: corrected)
    }

    /// One correction taking off a child whose alert was delivered (C-1) and one whose alert waits
    /// (C-2): the withdrawal and the school to ask are told in one order on both stores, so the
    /// board lists them alike.
    @Test(arguments: StoreKind.allCases)
    func aCorrectionTakingOffADeliveredAndAWaitingChildTellsBothInOneOrder(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        _ = try await deliveredWithALink(t)
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1"), child("C-2")])],
                                     actor: "test", at: now, planner: Self.planner)
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-3")])],
                                     actor: "test", at: now.addingTimeInterval(60), planner: Self.planner)
        let told = try await t.store.unsentHubNotices()
        #expect(told.map(\.kind) == ["failed", AlertLifecycle.noLongerNamedKind])
        #expect(told.compactMap(\.alert?.childId) == ["C-2", "C-1"])
    }

    /// The same when the child is now with no school known.
    @Test(arguments: StoreKind.allCases)
    func aChildWithNoSchoolNowAfterDeliveryTellsTheHubWhichSchoolHasTheirDetails(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        _ = try await deliveredWithALink(t)
        let corrected = now.addingTimeInterval(3_600)
        try await correctTwice(t, to: [child("C-1", urn: nil)], at: corrected)
        try await toldOnceThat120501HoldsIt(t, at: corrected)
    }

    /// The same for an incident too old to alert about when its school is corrected
    /// (`alerts.max_age_days`: README, "An incident too old to alert about is not re-routed").
    @Test(arguments: StoreKind.allCases)
    func anIncidentTooOldToReRouteTellsTheHubWhichSchoolHasTheChildsDetails(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        _ = try await deliveredWithALink(t)
        let planner = AlertPlanner(deadline: Self.planner.deadline, reference: Self.planner.reference, maxAge: 30 * 86_400)
        let corrected = now.addingTimeInterval(40 * 86_400)
        try await correctTwice(t, to: [child("C-1", urn: "120502")], at: corrected, planner: planner)
        #expect(try await t.store.peekDue(now: corrected, limit: 10).isEmpty, "not re-routed")
        try await toldOnceThat120501HoldsIt(t, at: corrected)
    }

    /// A school with no key adult is a re-route (the alert waits for one there): the hub is told
    /// of 120501 as for any re-route, not twice.
    @Test(arguments: StoreKind.allCases)
    func aSchoolWithNoKeyAdultAfterDeliveryIsAReRouteTheHubIsToldOf(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        _ = try await deliveredWithALink(t)
        try await correct(t, to: "120509", at: now.addingTimeInterval(3_600))
        let told = try await t.store.unsentHubNotices()
        #expect(told.map(\.kind) == [AlertLifecycle.reroutedKind])
        #expect(told.map(\.schoolURN) == ["120501"])
        #expect(try await t.store.alerts(state: nil).map(\.state) == [.unmatched])
        #expect(try await t.store.acknowledgement(tokenHash: "hash-1", now: now) == nil)
    }

    /// The correction lands while a run is delivering the alert to 120501: recorded delivered, the
    /// hub is told that 120501 has it, and its link opens nothing.
    @Test(arguments: StoreKind.allCases)
    func aChildTakenOffTheIncidentWhileItsAlertIsBeingDeliveredIsToldWhenDelivered(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let key = try await claimedAtTheFirstSchool(t, others: ["C-2"])
        try await t.store.issueAcknowledgementTokens([(key, "hash-1", now.addingTimeInterval(7 * 86_400))], at: now)
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-2")])],
                                     actor: "test", at: now, planner: Self.planner)
        #expect(try await t.store.unsentHubNotices().isEmpty, "a run holds it: nothing delivered yet")
        try await t.store.record(.delivered, for: key, owner: "test:1", now: now, planner: Self.planner)
        try await toldOnceThat120501HoldsIt(t, at: now)
    }
}
