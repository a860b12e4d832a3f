import Foundation
import Outbox
import RiskModel
import StoreContract
import Stores
import TestSupport
import Testing

/// What `/metrics` reads from the store: alerts counted by state, and the record of the last
/// `notify` run, kept the same on both databases.
@Suite("Alert counts and notify runs, on SQLite and PostgreSQL")
struct NotifyRunStoreTests {
    static let planner = SchoolDirectoryStoreTests.planner

    @Test(arguments: StoreKind.allCases)
    func theNewMigrationIsPendingOnADatabaseMadeBeforeIt(kind: StoreKind) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("encompass-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = kind == .sqlite ? "sqlite:" + dir.appendingPathComponent("store.sqlite").path : try PostgresServer.shared().makeDatabase()
        let store = try StoreFactory.open(url)
        let pending = try await store.pendingMigrations()
        #expect(Array(pending.suffix(10)) == (kind == .sqlite ? ["v20-hub-notice-claims", "v21-token-scopes", "v22-hub-notice-rounds", "v23-idempotency-keys", "v24-hub-notice-schools", "v25-alert-school-rounds", "v26-hub-notice-settled", "v27-alerts-board-lists", "v28-foreign-key-indexes", "v29-routing-version"]
                                                              : ["pg17-token-scopes", "pg18-retention-owner-only", "pg19-hub-notice-rounds", "pg20-idempotency-keys", "pg21-hub-notice-schools", "pg22-alert-school-rounds", "pg23-hub-notice-settled", "pg24-alerts-board-lists", "pg25-foreign-key-indexes", "pg26-routing-version"]))
        try await store.migrate()
        #expect(try await store.pendingMigrations().isEmpty)
        #expect(try await store.latestNotifyRun() == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func alertCountsAreTheAlertsGroupedByState(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        #expect(try await t.store.alertCounts().isEmpty)
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501")]))
        let now = at("2026-11-20T06:00:00Z")
        _ = try await t.store.ingest([
            incident("I-1", "2026-11-19T21:40:00Z", children: [child("C-1")]),
            incident("I-2", "2026-11-19T22:40:00Z", children: [child("C-2")]),
            incident("I-3", "2026-11-19T23:40:00Z", children: [child("C-3", urn: "999999")]),
            incident("I-4", "2026-11-19T23:50:00Z", children: [child("C-4", urn: nil)]),
        ], actor: "test", at: now, planner: Self.planner)
        let claimed = try await t.store.claimDue(now: now, owner: "test", lease: 60, limit: 1, isDead: { _ in false })
        try await t.store.record(.delivered, for: try #require(claimed.alerts.first).alertKey, owner: "test", now: now)
        _ = try await t.store.claimDue(now: now, owner: "test", lease: 60, limit: 1, isDead: { _ in false })

        let counts = try await t.store.alertCounts()
        let grouped = Dictionary(grouping: try await t.store.alerts(state: nil), by: \.state).mapValues(\.count)
        #expect(counts == grouped)
        #expect(counts == [.delivered: 1, .sending: 1, .unmatched: 2])
    }

    @Test(arguments: StoreKind.allCases)
    func theLatestRunIsTheOneRecordedLastWithEveryCount(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let good = NotifyRunRecord(startedAt: at("2026-11-20T08:00:00Z"), finishedAt: at("2026-11-20T08:00:42Z"),
                                   outcome: .serviceUnavailable, delivered: 7, retrying: 2, failed: 1, heldBack: 3, overdue: 4,
                                   hubNoticesSent: 5, hubNoticesUnsent: 6)
        try await t.store.recordNotifyRun(good)
        #expect(try await t.store.latestNotifyRun() == good)
        // Then a run on a host two hours behind, stopped: its times sort before the last run's,
        // and it was hidden behind it (audit 23, review F8).
        let behind = NotifyRunRecord(startedAt: at("2026-11-20T07:00:00Z"), finishedAt: at("2026-11-20T07:00:01Z"), outcome: .error,
                                     detail: "term-dates.csv:2: term_start: not a date")
        try await t.store.recordNotifyRun(behind)
        #expect(try await t.store.latestNotifyRun() == behind)
    }

    /// A run stopped before it began (`NotifyRun.morning`'s `prepare`) on a host two hours behind
    /// the database is recorded on the database's clock, after the last good run, as every run that
    /// began is; and, recorded last, it is the latest on SQLite too, whose clock is that host's.
    @Test(arguments: StoreKind.allCases)
    func aRunStoppedBeforeItBeganOnAHostBehindIsTheLatest(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        try await t.store.recordNotifyRun(NotifyRunRecord(startedAt: Date(), finishedAt: Date(), outcome: .ok, delivered: 1))
        let good = try #require(try await t.store.latestNotifyRun())
        await #expect(throws: StoppedInPrepare.self) {
            _ = try await NotifyRun.morning(prepare: { throw StoppedInPrepare() }, storeToRecordIn: { t.store },
                                            reason: { _ in "term-dates.csv:2: term_start: not a date" },
                                            wallClock: { Date().addingTimeInterval(-7200) })
        }
        let stopped = try #require(try await t.store.latestNotifyRun())
        #expect(stopped.outcome == .error && stopped.detail == "term-dates.csv:2: term_start: not a date")
        if kind == .postgres {
            #expect(stopped.finishedAt >= good.finishedAt, "the database's clock: \(stopped.finishedAt) against \(good.finishedAt)")
            #expect(stopped.startedAt <= stopped.finishedAt)
        }
    }

    struct StoppedInPrepare: Error {}

    @Test(arguments: StoreKind.allCases)
    func anOutcomeOutsideTheThreeIsRefusedByTheDatabase(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let refusal = try await t.refusal("""
            INSERT INTO notify_runs (started_at, finished_at, outcome, delivered, retrying, failed, held_back, overdue,
                hub_notices_sent, hub_notices_unsent) VALUES (1, 2, 'fine', 0, 0, 0, 0, 0, 0, 0)
            """)
        #expect(refusal != nil)
    }
}
