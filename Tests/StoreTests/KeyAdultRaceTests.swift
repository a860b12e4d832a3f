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
