import Foundation
import PostgresNIO
@testable import PostgresStore
import RiskModel
import StoreContract
import Synchronization
import Testing
import TestSupport

/// A key adult replaced while other transactions hold or plan the school's alerts, on PostgreSQL
/// (SQLite's single writer puts the two one after the other): every waiting alert follows the
/// change, as on SQLite (audit 23, F4). Each test waits for the moment it needs by what the
/// server's lock table says, as `FirstLoadTests` does.
@Suite("A key adult replaced while alerts are held or planned (PostgreSQL)")
struct KeyAdultRaceTests {
    let now = at("2026-11-22T08:00:00Z")
    static let replaced = KeyAdult(urn: "120501", name: "Nia New", email: "newdsl@boston.school.example", channel: .smtp, endpoint: nil)
    static let change = KeyAdultChange.replace(email: KeyAdultStoreTests.lead.email, with: replaced)

    /// With I-1's alert for C-1 queued to 120501's lead.
    func store() async throws -> (TempStore, PostgresStore, String) {
        let t = try await KeyAdultStoreTests().storeWithAlert(.postgres)
        let pg = try #require(t.store as? PostgresStore)
        return (t, pg, String(t.url.split(separator: "/").last!))
    }

    func recipients(_ t: TempStore) async throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try await t.store.peekDue(now: now, limit: 10).map { ($0.childId, $0.recipient) })
    }

    /// Until `sql` (a count) answers 1, the other transaction having reached the lock it waits
    /// for, or `ended` says the task that should wait has ended without waiting (then the test's
    /// last check fails, rather than the test hanging).
    func until(_ db: String, _ sql: String, orEnded ended: Ended) async throws {
        while !ended.value.withLock({ $0 }), try await PostgresServer.shared().psql(db, sql).output != "1\n" {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    final class Ended: Sendable {
        let value = Mutex(false)
    }

    /// An alert another transaction holds at the moment of the change is waited for, not skipped:
    /// nothing would move it later, and its run would send the child's details to the person replaced.
    @Test func anAlertHeldElsewhereAtTheChangeStillFollowsIt() async throws {
        let (t, pg, db) = try await store()
        defer { t.cleanUp() }
        let logger = pg.logger
        let (store, now) = (t.store, now)
        let waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted"
        try await pg.database.session { holder in
            try await holder.run("BEGIN", logger)
            try await holder.run("SELECT alert_key FROM alerts FOR UPDATE", logger)
            let ended = Ended()
            let change = Task {
                defer { ended.value.withLock { $0 = true } }
                try await store.changeKeyAdults(Self.change, actor: "user:ade", at: now)
            }
            try await until(db, waiting, orEnded: ended)
            try await holder.run("COMMIT", logger)
            try await change.value
        }
        #expect(try await recipients(t) == ["C-1": Self.replaced.email])
    }

    /// An ingest that read the school's key adults before the change and writes its alerts after
    /// it: the change waits for it and then moves them too (all 20,000 of one such ingest went to
    /// the replaced address in the audit).
    @Test func anIngestPlanningAtTheChangeHasItsAlertsMoved() async throws {
        let (t, pg, db) = try await store()
        defer { t.cleanUp() }
        let logger = pg.logger
        let (store, now) = (t.store, now)
        let ingestWaits = "SELECT count(*) FROM pg_locks WHERE relation = 'incidents'::regclass AND NOT granted"
        try await pg.database.session { holder in
            // Incidents are read, not written, until this ends: the ingest plans, then waits.
            try await holder.run("BEGIN", logger)
            try await holder.run("LOCK TABLE incidents IN EXCLUSIVE MODE", logger)
            let ingest = Task {
                try await store.ingest([incident("I-2", "2026-11-21T21:00:00Z", children: [child("C-2")])], actor: "test", at: now,
                                       planner: SchoolDirectoryStoreTests.planner)
            }
            try await until(db, ingestWaits, orEnded: Ended())
            let change = Task { try await store.changeKeyAdults(Self.change, actor: "user:ade", at: now) }
            // The change either finishes (and the ingest then writes with what it read before) or
            // waits for the ingest; either way the ingest goes on now.
            try await holder.run("COMMIT", logger)
            _ = try await ingest.value
            try await change.value
        }
        #expect(try await recipients(t) == ["C-1": Self.replaced.email, "C-2": Self.replaced.email])
    }
}

/// A correction in progress on PostgreSQL holds the alerts it reads until it commits: a run that
/// claims meanwhile skips them, rather than sending a child's details to the school the record no
/// longer names, or a withdrawn child's alert the store then calls withdrawn (audit 23, review F5).
@Suite("A correction in progress and a run's claim (PostgreSQL)")
struct CorrectionAndClaimRaceTests {
    let now = at("2026-11-22T08:00:00Z")

    @Test func aRunClaimingWhileACorrectionIsWrittenTakesNoneOfItsAlerts() async throws {
        let t = try await TempStore(.postgres)
        defer { t.cleanUp() }
        try await t.store.replaceDirectory(SchoolDirectory(schools: KeyAdultStoreTests.schools, keyAdults: [
            KeyAdultStoreTests.lead,
            KeyAdult(urn: "120502", name: "Bea Lead", email: "dsl@skegness.school.example", channel: .smtp, endpoint: nil),
        ]))
        let planner = SchoolDirectoryStoreTests.planner
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1"), child("C-2")])],
                                     actor: "test", at: now, planner: planner)
        let pg = try #require(t.store as? PostgresStore)
        let (db, logger, store, now) = (String(t.url.split(separator: "/").last!), pg.logger, t.store, now)
        let correctionWaits = "SELECT count(*) FROM pg_locks WHERE relation = 'incident_children'::regclass AND NOT granted"
        let claimedMeanwhile = try await pg.database.session { holder in
            // The correction reads I-1's alerts, withdraws C-2's, and waits to replace I-1's links.
            try await holder.run("BEGIN", logger)
            try await holder.run("LOCK TABLE incident_children IN EXCLUSIVE MODE", logger)
            let correction = Task {
                try await store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120502")])],
                                       actor: "test", at: now, planner: planner)
            }
            while try await PostgresServer.shared().psql(db, correctionWaits).output != "1\n" { try await Task.sleep(for: .milliseconds(5)) }
            let claimed = try await store.claimDue(now: now, owner: "test:1", lease: 600, limit: 10, isDead: { _ in false }).alerts
            try await holder.run("COMMIT", logger)
            _ = try await correction.value
            return claimed
        }
        #expect(claimedMeanwhile.map(\.childId) == [], "the correction holds them")
        let after = try await t.store.claimDue(now: now, owner: "test:2", lease: 600, limit: 10, isDead: { _ in false }).alerts
        #expect(after.map(\.childId) == ["C-1"])
        #expect(after.first?.recipient == "dsl@skegness.school.example", "the school the record now names")
        #expect(try await t.store.alerts(state: nil).first { $0.childId == "C-2" }?.state == .failed)
    }
}

/// Every writing command follows the school calendar first; an ingest holds the directory lock
/// shared until it commits. A calendar that has not changed takes no lock, so `notify` or `decide`
/// started during an ingest does not wait for its end (audit 24, diff F4: it waited, and, queued
/// ahead of them, stopped a run in progress at its next claim).
@Suite("An unchanged calendar while an ingest is written (PostgreSQL)")
struct CalendarFollowRaceTests {
    @Test func anUnchangedCalendarDoesNotWaitForAnIngestInProgress() async throws {
        let t = try await CalendarFollowTests().store(.postgres, CalendarFollowTests.late)
        defer { t.cleanUp() }
        let pg = try #require(t.store as? PostgresStore)
        let (db, logger, store) = (String(t.url.split(separator: "/").last!), pg.logger, t.store)
        let advisoryWaits = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        let endedFirst = try await pg.database.session { holder in
            // What an ingest holds from its start to its commit (`planWithCurrentKeyAdults`).
            try await holder.run("BEGIN", logger)
            try await PostgresSchema.planWithCurrentKeyAdults(holder, logger)
            let ended = KeyAdultRaceTests.Ended()
            let follow = Task {
                defer { ended.value.withLock { $0 = true } }
                return try await store.followCalendar(planner: CalendarFollowTests.late, actor: "cli:hub", now: at("2026-11-03T08:00:00Z"))
            }
            try await KeyAdultRaceTests().until(db, advisoryWaits, orEnded: ended)
            let endedFirst = ended.value.withLock { $0 }
            try await holder.run("COMMIT", logger)
            #expect(try await follow.value == nil, "nothing to follow")
            return endedFirst
        }
        #expect(endedFirst, "it answered while the ingest held the lock, rather than waiting for it")
    }
}
