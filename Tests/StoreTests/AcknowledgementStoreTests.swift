import Foundation
import RiskModel
import StoreContract
import Testing
import TestSupport

/// A school's acknowledgement as both stores keep it (SPEC §7): the link's token by hash, its end,
/// the first acknowledgement only, the hub's notice for an alert nobody acknowledged by its
/// deadline, and the hub's calls to schools.
@Suite("Acknowledgement, on SQLite and PostgreSQL")
struct AcknowledgementStoreTests {
    /// The three alerts' deadline is 2026-11-22T20:00Z (reported 20:00 the day before, plus a day).
    let now = at("2026-11-22T08:00:00Z")
    let afterDeadline = at("2026-11-22T21:00:00Z")
    let week: TimeInterval = 7 * 86_400

    /// C-1 to C-3 at school 120501, claimed and delivered; C-1 and C-3 with a link, C-2 without.
    func delivered(_ kind: StoreKind) async throws -> (TempStore, [String: Int64]) {
        let t = try await OutboxStoreTests().store(kind)
        let keys = try await OutboxStoreTests().claim(t, at: now)
        try await t.store.issueAcknowledgementTokens([(keys["C-1"]!, "hash-1", now.addingTimeInterval(week)),
                                                      (keys["C-3"]!, "hash-3", now.addingTimeInterval(week))], at: now)
        for key in keys.values { try await t.store.record(.delivered, for: key, owner: "test:1", now: now) }
        return (t, keys)
    }

    func row(_ t: TempStore, _ child: String) async throws -> AlertRow {
        try #require(try await t.store.alerts(state: nil).first { $0.childId == child })
    }

    @Test(arguments: StoreKind.allCases)
    func aLinkOpensItsAlertAndOnlyTheFirstAcknowledgementCounts(kind: StoreKind) async throws {
        let (t, _) = try await delivered(kind)
        defer { t.cleanUp() }
        let view = try #require(try await t.store.acknowledgement(tokenHash: "hash-1", now: now))
        #expect(view.alert.reference == "ENC-I-1-C-1")
        #expect(view.alert.givenName == "Zoë")
        #expect(view.alert.dateOfBirth == LocalDate(iso: "2015-05-05"))
        #expect(view.acknowledgedAt == nil)
        // Opening the page changes nothing.
        #expect(try await row(t, "C-1").acknowledgedAt == nil)
        #expect(try await row(t, "C-1").linkIssued)
        #expect(try await row(t, "C-2").linkIssued == false)

        let first = now.addingTimeInterval(600)
        let acknowledged = try #require(try await t.store.acknowledge(tokenHash: "hash-1", now: first))
        #expect(acknowledged.acknowledgedAt == first)
        #expect(acknowledged.acknowledgedBy == "link")
        let again = try await t.store.acknowledge(tokenHash: "hash-1", now: first.addingTimeInterval(600))
        #expect(again?.acknowledgedAt == first)
        #expect(try await row(t, "C-1").acknowledgedAt == first)
        let audit = try await t.store.auditEntries(limit: 50).filter { $0.action == "alert.acknowledged" }
        #expect(audit.map(\.subject) == ["alert:ENC-I-1-C-1"])
        // A token nobody was given opens nothing.
        #expect(try await t.store.acknowledgement(tokenHash: "hash-9", now: now) == nil)
        #expect(try await t.store.acknowledge(tokenHash: "hash-9", now: now) == nil)
    }

    /// An alert's links share one end, the latest its sends gave (`AlertLifecycle.linksEnd`): a
    /// retry whose link ends later carries the first link with it; one whose link would end sooner
    /// (a deadline corrected earlier meanwhile) shortens none (audit 21, F3).
    @Test(arguments: StoreKind.allCases)
    func aRetryExtendsEveryLinkOfItsAlertAndNoneEndsSooner(kind: StoreKind) async throws {
        let (t, keys) = try await delivered(kind)
        defer { t.cleanUp() }
        try await t.store.issueAcknowledgementTokens([(keys["C-3"]!, "hash-3-retry", now.addingTimeInterval(2 * week))],
                                                     at: now.addingTimeInterval(86_400))
        try await t.store.issueAcknowledgementTokens([(keys["C-3"]!, "hash-3-third", now.addingTimeInterval(week))],
                                                     at: now.addingTimeInterval(2 * 86_400))
        let end = now.addingTimeInterval(2 * week)
        for hash in ["hash-3", "hash-3-retry", "hash-3-third"] {
            #expect(try await t.store.acknowledgement(tokenHash: hash, now: end)?.alert.reference == "ENC-I-1-C-3", "\(hash)")
            let past = end.addingTimeInterval(1)
            #expect(try await t.store.acknowledgement(tokenHash: hash, now: past) == nil, "\(hash)")
            #expect(try await t.store.acknowledge(tokenHash: hash, now: past) == nil, "\(hash)")
        }
        #expect(try await row(t, "C-3").acknowledgedAt == nil)
        // C-1's links, given no other send, keep their own end.
        #expect(try await t.store.acknowledgement(tokenHash: "hash-1", now: now.addingTimeInterval(week + 1)) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func theHubHearsOnceOfEachLinkedAlertNobodyAcknowledgedByItsDeadline(kind: StoreKind) async throws {
        let (t, _) = try await delivered(kind)
        defer { t.cleanUp() }
        _ = try await t.store.acknowledge(tokenHash: "hash-3", now: now)
        // Before the deadline: nothing.
        _ = try await t.store.claimDue(now: now.addingTimeInterval(60), owner: "test:2", lease: 600, limit: 10, isDead: { _ in false })
        #expect(try await t.store.unsentHubNotices().isEmpty)
        #expect(try await row(t, "C-1").isUnacknowledged(now: now) == false)

        _ = try await t.store.claimDue(now: afterDeadline, owner: "test:2", lease: 600, limit: 10, isDead: { _ in false })
        _ = try await t.store.claimDue(now: afterDeadline.addingTimeInterval(600), owner: "test:2", lease: 600, limit: 10, isDead: { _ in false })
        let notices = try await t.store.unsentHubNotices()
        // C-1 only: C-2 carried no link, C-3 was acknowledged.
        #expect(notices.map(\.kind) == ["unacknowledged"])
        #expect(notices.first?.alert?.reference == "ENC-I-1-C-1")
        let rows = try await t.store.alerts(state: .delivered).filter { $0.isUnacknowledged(now: afterDeadline) }
        #expect(rows.map(\.childId) == ["C-1"])
    }

    /// School 120501 takes webhooks (C-1 to C-3), 120502 e-mail (C-4); all four delivered, each but
    /// C-2 with a link that ends a week after `now`.
    func deliveredByWebhook(_ kind: StoreKind) async throws -> TempStore {
        let t = try await TempStore(kind)
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [
            KeyAdult(urn: "120501", name: "Key Adult", email: "", channel: .https, endpoint: "https://120501.school.example/encompass"),
            SchoolDirectoryStoreTests.adult("120502"),
        ]))
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z",
                                               children: [child("C-1"), child("C-2"), child("C-3"), child("C-4", urn: "120502")])],
                                     actor: "test", at: now, planner: OutboxStoreTests.planner)
        let keys = try await OutboxStoreTests().claim(t, at: now)
        try await t.store.issueAcknowledgementTokens([(keys["C-1"]!, "hash-1", now.addingTimeInterval(week)),
                                                      (keys["C-3"]!, "hash-3", now.addingTimeInterval(week)),
                                                      (keys["C-4"]!, "hash-4", now.addingTimeInterval(week))], at: now)
        for key in keys.values { try await t.store.record(.delivered, for: key, owner: "test:1", now: now) }
        return t
    }

    /// The signing secret is the force's, and a reference can be worked out: a webhook acknowledges
    /// only an alert sent by webhook, and only while its links work, as the link itself would.
    @Test(arguments: StoreKind.allCases)
    func aWebhookAcknowledgesOnlyAnAlertSentByWebhookWhileItsLinksWork(kind: StoreKind) async throws {
        let t = try await deliveredByWebhook(kind)
        defer { t.cleanUp() }
        #expect(try await row(t, "C-1").channel == "https")
        #expect(try await row(t, "C-4").channel == "smtp")
        let end = now.addingTimeInterval(week)
        // An e-mailed alert, one that carried no link, one past its links' end, and an unknown reference: refused alike.
        #expect(try await t.store.acknowledge(reference: "ENC-I-1-C-4", now: now) == nil, "sent by e-mail")
        #expect(try await t.store.acknowledge(reference: "ENC-I-1-C-2", now: now) == nil, "carried no link")
        #expect(try await t.store.acknowledge(reference: "ENC-I-1-C-3", now: end.addingTimeInterval(1)) == nil, "its links have ended")
        #expect(try await t.store.acknowledge(reference: "ENC-nothing", now: now) == nil)
        for child in ["C-2", "C-3", "C-4"] { #expect(try await row(t, child).acknowledgedAt == nil, "\(child)") }
        // Up to its links' end, that instant included.
        let view = try await t.store.acknowledge(reference: "ENC-I-1-C-1", now: end)
        #expect(view?.acknowledgedAt == end)
        #expect(view?.acknowledgedBy == "webhook")
        // The e-mailed alert's own link still works.
        #expect(try await t.store.acknowledge(tokenHash: "hash-4", now: now)?.acknowledgedBy == "link")
        let audit = try await t.store.auditEntries(limit: 50).filter { $0.action == "alert.acknowledged" }
        #expect(audit.map(\.subject).sorted() == ["alert:ENC-I-1-C-1", "alert:ENC-I-1-C-4"])
    }

    /// A copy that arrived though the send was reported failing: acknowledged means delivered.
    @Test(arguments: StoreKind.allCases)
    func acknowledgingAnAlertWaitingToRetryMakesItDelivered(kind: StoreKind) async throws {
        let t = try await OutboxStoreTests().store(kind)
        defer { t.cleanUp() }
        let keys = try await OutboxStoreTests().claim(t, at: now)
        try await t.store.issueAcknowledgementTokens([(keys["C-1"]!, "hash-1", now.addingTimeInterval(week))], at: now)
        try await t.store.record(.temporary(error: "timeout", retryAt: now.addingTimeInterval(600)), for: keys["C-1"]!, owner: "test:1", now: now)
        #expect(try await row(t, "C-1").state == .retrying)
        let later = now.addingTimeInterval(120)
        _ = try await t.store.acknowledge(tokenHash: "hash-1", now: later)
        let r = try await row(t, "C-1")
        #expect(r.state == .delivered)
        #expect(r.deliveredAt == later)
        #expect(r.acknowledgedAt == later)
    }

    /// The school acknowledges while the run still holds the alert (a receiver that took the POST
    /// and answered 503, say): the run's outcome does not undo it. Delivered when acknowledged,
    /// not retried, posted again or told to the hub as overdue (audit 23, review F2).
    @Test(arguments: StoreKind.allCases)
    func anAlertAcknowledgedWhileItsRunHeldItIsDeliveredWhateverTheRunHeard(kind: StoreKind) async throws {
        let t = try await OutboxStoreTests().store(kind)
        defer { t.cleanUp() }
        let keys = try await OutboxStoreTests().claim(t, at: now)
        try await t.store.issueAcknowledgementTokens(["C-1", "C-2"].map { (keys[$0]!, "hash-\($0)", now.addingTimeInterval(week)) }, at: now)
        let read = now.addingTimeInterval(30)
        for child in ["C-1", "C-2"] { _ = try await t.store.acknowledge(tokenHash: "hash-\(child)", now: read) }
        #expect(try await row(t, "C-1").state == .sending, "left to its run")
        let heard = now.addingTimeInterval(90)
        try await t.store.record(.temporary(error: "https HTTP 503", retryAt: now.addingTimeInterval(600)), for: keys["C-1"]!, owner: "test:1", now: heard)
        try await t.store.record(.delivered, for: keys["C-2"]!, owner: "test:1", now: heard)
        for child in ["C-1", "C-2"] {
            let r = try await row(t, child)
            #expect(r.state == .delivered && r.deliveredAt == read && r.acknowledgedAt == read, "\(child): \(r.state)")
        }
        // A day on, past the deadline: nothing to send, nothing overdue.
        let dayOn = now.addingTimeInterval(86_400 * 2)
        #expect(try await t.store.claimDue(now: dayOn, owner: "test:2", lease: 600, limit: 10, isDead: { _ in false }).alerts
            .filter { ["C-1", "C-2"].contains($0.childId) }.isEmpty)
        #expect(try await t.store.unsentHubNotices().filter { ["C-1", "C-2"].contains($0.alert?.childId ?? "") }.isEmpty)
    }

    /// The same, but the run that held it was killed: the next claim takes it back delivered when
    /// acknowledged, not waiting again, so it is neither sent again nor told overdue past its
    /// deadline (audit 24, diff F1).
    @Test(arguments: StoreKind.allCases)
    func anAlertAcknowledgedWhileAKilledRunHeldItIsDeliveredWhenTakenBack(kind: StoreKind) async throws {
        let t = try await OutboxStoreTests().store(kind)
        defer { t.cleanUp() }
        let keys = try await OutboxStoreTests().claim(t, at: now)
        try await t.store.issueAcknowledgementTokens([(keys["C-1"]!, "hash-C-1", now.addingTimeInterval(week))], at: now)
        let read = now.addingTimeInterval(30)
        _ = try await t.store.acknowledge(tokenHash: "hash-C-1", now: read)
        // Past the deadline, the run that held it gone.
        let claimed = try await t.store.claimDue(now: afterDeadline, owner: "test:2", lease: 600, limit: 10, isDead: { $0 == "test:1" })
        #expect(!claimed.alerts.map(\.childId).contains("C-1"), "not sent again")
        let r = try await row(t, "C-1")
        #expect(r.state == .delivered && r.deliveredAt == read && r.acknowledgedAt == read, "\(r.state)")
        #expect(try await t.store.unsentHubNotices().filter { $0.alert?.childId == "C-1" }.isEmpty, "nothing overdue told")
    }

    /// A failed alert whose copy reached the school, which acknowledged it, is not sent again when
    /// the school's key adults are corrected: a key adult there has it (audit 24, diff F1: it was
    /// sent again and told overdue).
    @Test(arguments: StoreKind.allCases)
    func aFailedAlertTheSchoolAcknowledgedIsNotSentAgainToCorrectedKeyAdults(kind: StoreKind) async throws {
        let t = try await OutboxStoreTests().store(kind)
        defer { t.cleanUp() }
        let keys = try await OutboxStoreTests().claim(t, at: now)
        try await t.store.issueAcknowledgementTokens(["C-1", "C-2"].map { (keys[$0]!, "hash-\($0)", now.addingTimeInterval(week)) }, at: now)
        for child in ["C-1", "C-2"] {
            try await t.store.record(.permanent(error: "smtp reply 550"), for: keys[child]!, owner: "test:1", now: now)
        }
        let read = now.addingTimeInterval(60)
        _ = try await t.store.acknowledge(tokenHash: "hash-C-1", now: read)
        var corrected = SchoolDirectoryStoreTests.adult("120501")
        corrected.email = "new-dsl@120501.school.example"
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [corrected]))
        #expect(try await t.store.matchUnmatched(planner: OutboxStoreTests.planner, now: read) == 1, "C-2's only")
        #expect(try await row(t, "C-1").state == .failed)
        #expect(try await row(t, "C-2").state == .queued)
    }

    /// The same acknowledged failure, its key adults corrected, and then its incident corrected
    /// (another grade): the re-plan of ingest asks what `matchUnmatched` asks, so it is not sent
    /// again. It was queued, claimed by the next run past its deadline and told overdue, though a
    /// key adult at the school had it. A correction that names another school for the child still
    /// sends it there: that school never had it.
    @Test(arguments: StoreKind.allCases)
    func aFailedAlertTheSchoolAcknowledgedIsNotSentAgainWhenItsIncidentIsCorrected(kind: StoreKind) async throws {
        let t = try await OutboxStoreTests().store(kind)
        defer { t.cleanUp() }
        let keys = try await OutboxStoreTests().claim(t, at: now)
        try await t.store.issueAcknowledgementTokens([(keys["C-1"]!, "hash-C-1", now.addingTimeInterval(week))], at: now)
        try await t.store.record(.permanent(error: "smtp reply 550"), for: keys["C-1"]!, owner: "test:1", now: now)
        for child in ["C-2", "C-3"] { try await t.store.record(.delivered, for: keys[child]!, owner: "test:1", now: now) }
        let read = now.addingTimeInterval(60)
        _ = try await t.store.acknowledge(tokenHash: "hash-C-1", now: read)
        var corrected = SchoolDirectoryStoreTests.adult("120501")
        corrected.email = "new-dsl@120501.school.example"
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [corrected, SchoolDirectoryStoreTests.adult("120502")]))
        #expect(try await t.store.matchUnmatched(planner: OutboxStoreTests.planner, now: read) == 0)

        let regraded = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", grade: .high,
                                                          children: [child("C-1"), child("C-2"), child("C-3")])],
                                                actor: "test", at: afterDeadline, planner: OutboxStoreTests.planner)
        #expect(regraded.updated == 1 && regraded.alertsQueued == 0)
        #expect(try await row(t, "C-1").state == .failed)
        let claimed = try await t.store.claimDue(now: afterDeadline, owner: "test:2", lease: 600, limit: 10, isDead: { _ in false })
        #expect(claimed.alerts.isEmpty, "not sent again")
        #expect(try await t.store.unsentHubNotices().filter { $0.alert?.childId == "C-1" && $0.kind != AlertLifecycle.failedKind }.isEmpty,
                "nothing overdue told")

        let moved = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", grade: .high,
                                                       children: [child("C-1", urn: "120502"), child("C-2"), child("C-3")])],
                                             actor: "test", at: afterDeadline, planner: OutboxStoreTests.planner)
        #expect(moved.alertsQueued == 1)
        #expect(try await t.store.peekDue(now: afterDeadline, limit: 10).map(\.recipient) == ["dsl@120502.school.example"],
                "another school never had it")
    }

    /// C-1 and C-3 unacknowledged by their deadline, the "phone the school" notices written and not
    /// yet sent; then a correction takes C-1 off the incident: the hub is to ask the school to delete
    /// C-1's details (its links closed), so C-1's "phone the school" no longer holds; C-3's does.
    @Test(arguments: StoreKind.allCases)
    func aPhoneTheSchoolNoticeNoLongerHoldsOnceTheAlertsLinksAreClosed(kind: StoreKind) async throws {
        let (t, _) = try await delivered(kind)
        defer { t.cleanUp() }
        _ = try await t.store.claimDue(now: afterDeadline, owner: "test:2", lease: 600, limit: 10, isDead: { _ in false })
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-2"), child("C-3")])],
                                     actor: "test", at: afterDeadline, planner: OutboxStoreTests.planner)
        let phone = try await t.store.unsentHubNotices().filter { $0.kind == AlertLifecycle.unacknowledgedKind }
        #expect(Dictionary(uniqueKeysWithValues: phone.map { ($0.alert?.childId ?? "", $0.stillHolds) }) == ["C-1": false, "C-3": true])
    }

    @Test(arguments: StoreKind.allCases)
    func callsToSchoolsAreKeptInOrderAuditedWithoutTheirNoteAndNeverChanged(kind: StoreKind) async throws {
        let (t, _) = try await delivered(kind)
        defer { t.cleanUp() }
        try await t.store.recordCall(AlertCall(reference: "ENC-I-1-C-1", calledBy: "hana", calledAt: afterDeadline, note: "Head has it; child in today"))
        try await t.store.recordCall(AlertCall(reference: "ENC-I-1-C-1", calledBy: "sam", calledAt: afterDeadline.addingTimeInterval(60), note: nil))
        let calls = try await t.store.calls(references: ["ENC-I-1-C-1", "ENC-I-1-C-2"])
        #expect(calls.map(\.calledBy) == ["hana", "sam"])
        #expect(calls.first?.note == "Head has it; child in today")
        #expect(calls.last?.note == nil)
        await #expect(throws: UnmatchedError.unknownAlert("ENC-nothing")) {
            try await t.store.recordCall(AlertCall(reference: "ENC-nothing", calledBy: "hana", calledAt: afterDeadline, note: nil))
        }
        let audit = try await t.store.auditEntries(limit: 50).filter { $0.action == "alert.school-phoned" }
        #expect(audit.map(\.actor).sorted() == ["user:hana", "user:sam"])
        #expect(audit.allSatisfy { !($0.detail ?? "").contains("Head has it") })
        for sql in ["UPDATE alert_calls SET note = 'x'", "DELETE FROM alert_calls"] {
            #expect(try await t.refusal(sql)?.contains("append-only") == true, "\(sql)")
        }
    }
}
