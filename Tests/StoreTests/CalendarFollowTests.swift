import CivilTime
import Foundation
import Outbox
import RiskModel
import SchoolCalendar
import StoreContract
import Testing
import TestSupport

/// The hub corrects the school calendar after alerts were planned (SPEC §6, §7): the alerts not
/// yet sent take the deadline it gives now, are told overdue by it, and the ones sent keep theirs.
@Suite("Alerts follow a corrected school calendar")
struct CalendarFollowTests {
    /// Friday evening in the autumn half term.
    static let reported = "2026-10-30T20:00:00Z"
    let planned = at("2026-10-31T08:00:00Z")
    let now = at("2026-11-03T08:00:00Z")
    /// LA 202's second autumn term as first entered (from 9 November) and as corrected (from 2 November).
    static let late = planner(secondTermStarts: "2026-11-09")
    static let early = planner(secondTermStarts: "2026-11-02")
    static let lateDeadline = at("2026-11-09T09:00:00Z")
    static let earlyDeadline = at("2026-11-02T09:00:00Z")

    static func planner(secondTermStarts: String) -> AlertPlanner {
        let terms = [TermDates.Term(start: LocalDate(iso: "2026-09-01")!, end: LocalDate(iso: "2026-10-23")!),
                     TermDates.Term(start: LocalDate(iso: secondTermStarts)!, end: LocalDate(iso: "2026-12-18")!)]
        let calendar = SchoolCalendar(bankHolidays: BankHolidays(dates: []), termDates: TermDates(byLA: ["202": terms], byURN: [:]))
        return .standard(calendar: calendar, maxAge: nil)
    }

    /// A store whose school 120501 (LA 202) has a key adult, the calendar `planner`'s followed,
    /// and these incidents' alerts planned by it.
    func store(_ kind: StoreKind, _ planner: AlertPlanner, _ ids: [String] = ["I-1"]) async throws -> TempStore {
        let t = try await TempStore(kind)
        do {
            try await t.store.replaceDirectory(SchoolDirectory(schools: [School(urn: "120501", name: "School", laCode: "202")],
                                                               keyAdults: [SchoolDirectoryStoreTests.adult("120501")]))
            _ = try await t.store.followCalendar(planner: planner, actor: "test", now: planned)
            _ = try await t.store.ingest(ids.map { incident($0, Self.reported, children: [child("C-1")]) }, actor: "test", at: planned,
                                         planner: planner)
        } catch {
            t.cleanUp()
            throw error
        }
        return t
    }

    func followed(_ t: TempStore) async throws -> [StoreContract.AuditEntry] {
        try await t.store.auditEntries(limit: 50).filter { $0.action == CalendarFollowed.auditAction }
    }

    @Test(arguments: StoreKind.allCases)
    func aTermCorrectedToStartEarlierMakesAQueuedAlertOverdueByTheEarlierDeadline(kind: StoreKind) async throws {
        let t = try await store(kind, Self.late)
        defer { t.cleanUp() }
        #expect(try await t.store.alerts(state: nil).map(\.deadline) == [Self.lateDeadline])
        let done = try await t.store.followCalendar(planner: Self.early, actor: "cli:hub", now: now)
        #expect(done == CalendarFollowed(redated: 1, waitingAgain: 0, held: 0))
        #expect(try await t.store.alerts(state: nil).map(\.deadline) == [Self.earlyDeadline])
        // The next run tells the hub it is overdue: the school day began yesterday.
        _ = try await t.store.claimDue(now: now, owner: "test:1", lease: 60, limit: 0, isDead: { _ in false })
        #expect(try await t.store.alerts(state: nil).map(\.state) == [.overdue])
        #expect(try await t.store.unsentHubNotices().map(\.kind) == ["overdue"])
        let audit = try await followed(t)
        #expect(audit.first?.actor == "cli:hub")
        #expect(audit.first?.detail == #"{"held":0,"redated":1,"waiting_again":0}"#)
    }

    @Test(arguments: StoreKind.allCases)
    func anOverdueAlertWhoseDeadlineMovesLaterIsWaitingAgain(kind: StoreKind) async throws {
        let t = try await store(kind, Self.early)
        defer { t.cleanUp() }
        _ = try await t.store.claimDue(now: now, owner: "test:1", lease: 60, limit: 0, isDead: { _ in false })
        #expect(try await t.store.alerts(state: nil).map(\.state) == [.overdue])
        let done = try await t.store.followCalendar(planner: Self.late, actor: "cli:hub", now: now)
        #expect(done == CalendarFollowed(redated: 1, waitingAgain: 1, held: 0))
        let alerts = try await t.store.alerts(state: nil)
        #expect(alerts.map(\.state) == [.queued])
        #expect(alerts.map(\.deadline) == [Self.lateDeadline])
        // Not overdue again at the next run: its deadline is a week ahead.
        _ = try await t.store.claimDue(now: now, owner: "test:1", lease: 60, limit: 0, isDead: { _ in false })
        #expect(try await t.store.alerts(state: nil).map(\.state) == [.queued])
    }

    @Test(arguments: StoreKind.allCases)
    func aDeliveredAlertKeepsTheDeadlineItWasJudgedBy(kind: StoreKind) async throws {
        let t = try await store(kind, Self.late, ["I-1"])
        defer { t.cleanUp() }
        let claimed = try await t.store.claimDue(now: planned, owner: "test:1", lease: 60, limit: 10, isDead: { _ in false })
        let key = try #require(claimed.alerts.first?.alertKey)
        try await t.store.record(.delivered, for: key, owner: "test:1", now: planned)
        _ = try await t.store.ingest([incident("I-2", Self.reported, children: [child("C-2")])], actor: "test", at: planned, planner: Self.late)
        let done = try await t.store.followCalendar(planner: Self.early, actor: "cli:hub", now: now)
        #expect(done?.redated == 1)
        let alerts = try await t.store.alerts(state: nil).sorted { $0.incidentId < $1.incidentId }
        #expect(alerts.map(\.state) == [.delivered, .queued])
        #expect(alerts.map(\.deadline) == [Self.lateDeadline, Self.earlyDeadline])
    }

    @Test(arguments: StoreKind.allCases)
    func anUnchangedCalendarRewritesNothing(kind: StoreKind) async throws {
        let t = try await store(kind, Self.late)
        defer { t.cleanUp() }
        let audit = try await followed(t)
        #expect(audit.count == 1, "the first command follows the calendar once")
        #expect(try await t.store.followCalendar(planner: Self.late, actor: "cli:hub", now: now) == nil)
        #expect(try await followed(t) == audit)
        #expect(try await t.store.alerts(state: nil).map(\.deadline) == [Self.lateDeadline])
    }

    /// A run holds the alert while the calendar is corrected: left to it, and followed by the next
    /// writing command once it has given the alert back.
    @Test(arguments: StoreKind.allCases)
    func anAlertARunHoldsFollowsTheCalendarOnceTheRunGivesItBack(kind: StoreKind) async throws {
        let t = try await store(kind, Self.late)
        defer { t.cleanUp() }
        let claimed = try await t.store.claimDue(now: planned, owner: "test:1", lease: 600, limit: 10, isDead: { _ in false })
        let key = try #require(claimed.alerts.first?.alertKey)
        #expect(try await t.store.followCalendar(planner: Self.early, actor: "cli:hub", now: planned)
            == CalendarFollowed(redated: 0, waitingAgain: 0, held: 1))
        try await t.store.record(.temporary(error: "451 try later", retryAt: now), for: key, owner: "test:1", now: planned)
        #expect(try await t.store.followCalendar(planner: Self.early, actor: "cli:hub", now: planned)
            == CalendarFollowed(redated: 1, waitingAgain: 0, held: 0))
        #expect(try await t.store.alerts(state: nil).map(\.deadline) == [Self.earlyDeadline])
        #expect(try await t.store.followCalendar(planner: Self.early, actor: "cli:hub", now: planned) == nil)
    }
}
