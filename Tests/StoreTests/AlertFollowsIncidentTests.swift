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

    func store(_ kind: StoreKind) async throws -> TempStore {
        let t = try await TempStore(kind)
        try await t.store.replaceDirectory(SchoolDirectory(
            schools: [], keyAdults: ["120501", "120502"].map(SchoolDirectoryStoreTests.adult)))
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

    @Test(arguments: StoreKind.allCases)
    func aDeliveredAlertIsLeftAsItIs(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120501")])],
                                     actor: "test", at: now, planner: Self.planner)
        let claimed = try await t.store.claimDue(now: now, owner: "test:1", lease: 60, limit: 10, isDead: { _ in false })
        let key = try #require(claimed.alerts.first?.alertKey)
        try await t.store.record(.delivered, for: key, owner: "test:1", now: now)
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120502")])],
                                     actor: "test", at: now, planner: Self.planner)
        let alerts = try await t.store.alerts(state: nil)
        #expect(alerts.map(\.state) == [.delivered])
        #expect(alerts.map(\.schoolURN) == ["120501"], "what was sent stays as it was sent")
    }
}
