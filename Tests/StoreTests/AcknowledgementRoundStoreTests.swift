import Foundation
import RiskModel
import StoreContract
import Testing
import TestSupport

/// An alert's acknowledgement and the hub's calls after it moved to another school, and after it
/// was withdrawn (audit 23, F7, F11 and F15), as both stores keep them.
@Suite("Acknowledgement across a re-route and a withdrawal, on SQLite and PostgreSQL")
struct AcknowledgementRoundStoreTests {
    let now = at("2026-11-22T08:00:00Z")
    let week: TimeInterval = 7 * 86_400
    static let planner = SchoolDirectoryStoreTests.planner

    static func webhook(_ urn: String) -> KeyAdult {
        KeyAdult(urn: urn, name: "Key Adult", email: "", channel: .https, endpoint: "https://\(urn).school.example/encompass")
    }

    /// I-1 names C-1 at `urn`.
    func ingest(_ t: TempStore, _ urn: String?, at when: Date) async throws {
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: urn)])],
                                     actor: "test", at: when, planner: Self.planner)
    }

    /// Claims C-1's alert, sends it with a link whose token's hash is `hash`, and records it delivered.
    func deliver(_ t: TempStore, hash: String, at when: Date) async throws {
        let claimed = try await t.store.claimDue(now: when, owner: "test:1", lease: 60, limit: 10, skippingChannels: [], planner: Self.planner,
                                                 isDead: { _ in false })
        let key = try #require(claimed.alerts.first?.alertKey)
        try await t.store.issueAcknowledgementTokens([(key, hash, when.addingTimeInterval(week))], at: when)
        try await t.store.record(.delivered, for: key, owner: "test:1", now: when, planner: Self.planner)
    }

    func alert(_ t: TempStore) async throws -> AlertRow {
        try #require(try await t.store.alerts(state: nil).first { $0.childId == "C-1" })
    }

    /// Both schools take webhooks, so both receivers hold the force's signing secret, and a re-route
    /// keeps the reference: the first school's receiver, acknowledging by reference once the second
    /// school was sent the alert, acknowledged it for a school that never read it, and the hub was
    /// never told to phone it (audit 23, F7). By reference it is now refused (the 404 of an unknown
    /// one); the school it went to acknowledges with its own link.
    @Test(arguments: StoreKind.allCases)
    func aWebhookCannotAcknowledgeByReferenceAnAlertReRoutedToAnotherSchool(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [Self.webhook("120501"), Self.webhook("120502")]))
        try await ingest(t, "120501", at: now)
        try await deliver(t, hash: "hash-first", at: now)
        let later = now.addingTimeInterval(3_600)
        try await ingest(t, "120502", at: later)
        try await deliver(t, hash: "hash-second", at: later)
        let reference = try await alert(t).reference
        #expect(try await alert(t).schoolURN == "120502")
        #expect(try await alert(t).channel == "https")

        #expect(try await t.store.acknowledge(reference: reference, now: later.addingTimeInterval(60)) == nil)
        #expect(try await alert(t).acknowledgedAt == nil)
        #expect(try await t.store.acknowledge(tokenHash: "hash-first", now: later) == nil, "the first school's link opens nothing")
        let acknowledged = try await t.store.acknowledge(tokenHash: "hash-second", now: later.addingTimeInterval(120))
        #expect(acknowledged?.acknowledgedBy == "link")
        #expect(try await alert(t).acknowledgedAt == later.addingTimeInterval(120))
    }

    /// A child first with no school, then given one: the alert never went anywhere before, so no
    /// other school holds its reference, and its school's receiver acknowledges by reference.
    @Test(arguments: StoreKind.allCases)
    func aWebhookAcknowledgesByReferenceAnAlertThatWentToNoSchoolBefore(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [Self.webhook("120501")]))
        try await ingest(t, nil, at: now)
        #expect(try await alert(t).state == .unmatched)
        try await ingest(t, "120501", at: now)
        try await deliver(t, hash: "hash-1", at: now)
        let view = try await t.store.acknowledge(reference: try await alert(t).reference, now: now.addingTimeInterval(60))
        #expect(view?.acknowledgedBy == "webhook")
    }

    /// The hub phoned the school named first, which had not acknowledged; the incident was then
    /// corrected to another school, which was sent the alert and did not acknowledge either. The
    /// call to the first school stood for the second, and the board counted it phoned (audit 23,
    /// F11). The call is kept, marked as to the earlier school; one made after the re-route is to
    /// the school the alert goes to now.
    @Test(arguments: StoreKind.allCases)
    func aCallToTheSchoolAnAlertWentToBeforeAReRouteIsNotACallToItsSchool(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: ["120501", "120502"].map(SchoolDirectoryStoreTests.adult)))
        try await ingest(t, "120501", at: now)
        try await deliver(t, hash: "hash-first", at: now)
        let reference = try await alert(t).reference
        let afterDeadline = at("2026-11-22T21:00:00Z")
        try await t.store.recordCall(AlertCall(reference: reference, calledBy: "hana", calledAt: afterDeadline, note: "DSL has it"))
        #expect(try await t.store.calls(references: [reference]).map(\.toEarlierSchool) == [false])

        let later = afterDeadline.addingTimeInterval(3_600)
        try await ingest(t, "120502", at: later)
        #expect(try await t.store.calls(references: [reference]).map(\.toEarlierSchool) == [true], "waiting for the new school")
        try await deliver(t, hash: "hash-second", at: later)
        #expect(try await alert(t).isUnacknowledged(now: later))
        let calls = try await t.store.calls(references: [reference])
        #expect(calls.map(\.calledBy) == ["hana"])
        #expect(calls.map(\.toEarlierSchool) == [true])
        #expect(calls.first?.note == "DSL has it", "kept on the record")

        try await t.store.recordCall(AlertCall(reference: reference, calledBy: "sam", calledAt: later.addingTimeInterval(60), note: nil))
        #expect(try await t.store.calls(references: [reference]).map(\.toEarlierSchool) == [true, false])
    }

    /// A school sent the alert once (a copy that arrived though the send was reported failing) and
    /// the incident then corrected not to name the child: its link showed the child's name and
    /// date of birth and took an acknowledgement (audit 23, F15). It opens nothing now, by link or
    /// by webhook; named again, the child's school is owed the alert again and the link opens it.
    @Test(arguments: StoreKind.allCases)
    func aWithdrawnAlertsLinkShowsNothingAndTakesNothing(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [Self.webhook("120501")]))
        try await ingest(t, "120501", at: now)
        let claimed = try await t.store.claimDue(now: now, owner: "test:1", lease: 60, limit: 10, isDead: { _ in false })
        let key = try #require(claimed.alerts.first?.alertKey)
        try await t.store.issueAcknowledgementTokens([(key, "hash-1", now.addingTimeInterval(week))], at: now)
        try await t.store.record(.temporary(error: "https 503", retryAt: now.addingTimeInterval(600)), for: key, owner: "test:1", now: now)
        let reference = try await alert(t).reference
        #expect(try await t.store.acknowledgement(tokenHash: "hash-1", now: now)?.alert.givenName == "Zoë", "opens while it is owed")

        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-2")])],
                                     actor: "test", at: now, planner: Self.planner)
        #expect(try await alert(t).lastError == AlertLifecycle.withdrawnReason)
        let later = now.addingTimeInterval(60)
        #expect(try await t.store.acknowledgement(tokenHash: "hash-1", now: later) == nil)
        #expect(try await t.store.acknowledge(tokenHash: "hash-1", now: later) == nil)
        #expect(try await t.store.acknowledge(reference: reference, now: later) == nil)
        #expect(try await alert(t).acknowledgedAt == nil)

        try await ingest(t, "120501", at: later)
        #expect(try await alert(t).state == .queued)
        #expect(try await t.store.acknowledgement(tokenHash: "hash-1", now: later)?.alert.reference == reference)
    }
}
