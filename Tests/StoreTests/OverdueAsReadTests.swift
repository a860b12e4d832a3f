import Foundation
import StoreContract
import Testing
import TestSupport

/// SPEC §7: "An alert not delivered by its deadline is overdue, and the hub is told at once". The
/// store's readers read it so at `now`, before a run stores it (audit 27, F1): `alerts` by state,
/// the alerts board's run, `/metrics`' counts. Nothing is written: the stored states stay.
@Suite("Overdue as read, before a run stores it")
struct OverdueAsReadTests {
    static let planner = SchoolDirectoryStoreTests.planner
    /// The last run: the day before the deadlines (each a day after its incident's report).
    static let run = at("2026-11-21T12:00:00Z")
    /// 09:15 the next morning: C-1's (08:00), C-2's (09:00) and C-6's (09:10) deadlines have
    /// passed since the run, C-3's (10:00) has not; C-4's passed before it (stored overdue).
    static let now = at("2026-11-22T09:15:00Z")

    /// C-1 retrying, C-2 and C-3 queued, C-4 overdue as stored, C-5 delivered, C-6 being sent.
    static func store(_ kind: StoreKind) async throws -> TempStore {
        let t = try await TempStore(kind)
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501")]))
        let reported = ["C-1": "2026-11-21T08:00:00Z", "C-2": "2026-11-21T09:00:00Z", "C-3": "2026-11-21T10:00:00Z",
                        "C-4": "2026-11-20T08:00:00Z", "C-5": "2026-11-21T07:00:00Z", "C-6": "2026-11-21T09:10:00Z"]
        _ = try await t.store.ingest(reported.sorted { $0.key < $1.key }.map { incident("I-" + $0.key.dropFirst(2), $0.value, children: [child($0.key)]) },
                                     actor: "test", at: run, planner: planner)
        let claimed = try await t.store.claimDue(now: run, owner: "test:1", lease: 86_400 * 2, limit: 10, isDead: { _ in false })
        let keys = Dictionary(uniqueKeysWithValues: claimed.alerts.map { ($0.childId, $0.alertKey) })
        #expect(keys.count == 6)
        let retry = run.addingTimeInterval(86_400)
        try await t.store.record(.temporary(error: "421 try later", retryAt: retry), for: keys["C-1"]!, owner: "test:1", now: run)
        for c in ["C-2", "C-3"] { try await t.store.record(.relayUnavailable(error: "relay down"), for: keys[c]!, owner: "test:1", now: run) }
        try await t.store.record(.temporary(error: "421 try later", retryAt: retry), for: keys["C-4"]!, owner: "test:1", now: run)
        try await t.store.record(.delivered, for: keys["C-5"]!, owner: "test:1", now: run)
        return t
    }

    static func listed(_ t: TempStore, _ state: AlertState?, now: Date?) async throws -> [String] {
        let rows = ScanResults<AlertRow>(parts: 1)
        try await t.store.alerts(state: state, now: now, passes: 1) { _, row in rows.append(row, to: 0) }
        return rows[0].map { "\($0.childId) \($0.state.rawValue)" }
    }

    @Test(arguments: StoreKind.allCases)
    func anAlertPastItsDeadlineUndeliveredIsOverdueWhereverItIsRead(kind: StoreKind) async throws {
        let t = try await Self.store(kind)
        defer { t.cleanUp() }
        let stored = ["C-4 overdue", "C-6 sending", "C-1 retrying", "C-2 queued", "C-3 queued", "C-5 delivered"]
        #expect(try await Self.listed(t, nil, now: nil) == stored)

        // Every row as read, most urgent first: the four not delivered by their deadlines, by deadline.
        let asRead = ["C-4 overdue", "C-1 overdue", "C-2 overdue", "C-6 overdue", "C-3 queued", "C-5 delivered"]
        #expect(try await Self.listed(t, nil, now: Self.now) == asRead)
        #expect(try await Self.listed(t, .overdue, now: Self.now) == Array(asRead.prefix(4)))
        // The states partition the alerts: the late ones are no longer listed as they are stored.
        #expect(try await Self.listed(t, .queued, now: Self.now) == ["C-3 queued"])
        #expect(try await Self.listed(t, .retrying, now: Self.now) == [])
        #expect(try await Self.listed(t, .sending, now: Self.now) == [])
        #expect(try await Self.listed(t, .delivered, now: Self.now) == ["C-5 delivered"])
        var every: [String] = []
        for state in AlertState.allCases { every += try await Self.listed(t, state, now: Self.now) }
        #expect(every.sorted() == asRead.sorted())

        // At the deadline itself it is not late yet (`turnsOverdue`'s edge): C-1 at 08:00.
        let eight = at("2026-11-22T08:00:00Z")
        #expect(try await Self.listed(t, .retrying, now: eight) == ["C-1 retrying"])
        #expect(try await Self.listed(t, .overdue, now: eight) == ["C-4 overdue"])

        // The board's run, and the counts /metrics reads, as read.
        let since = at("2026-11-22T00:00:00Z")
        #expect(try await t.store.alertsInRun(since: since, now: Self.now).map { "\($0.childId) \($0.state.rawValue)" } == asRead)
        #expect(try await t.store.alertCounts(now: Self.now) == [.overdue: 4, .queued: 1, .delivered: 1])

        // Read, not written: the stored states are as the run left them, for the next run to turn
        // overdue and tell the hub once.
        #expect(try await Self.listed(t, nil, now: nil) == stored)
        #expect(try await t.store.alertCounts() == [.overdue: 1, .sending: 1, .retrying: 1, .queued: 2, .delivered: 1])
    }
}
