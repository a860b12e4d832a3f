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

/// A correction on PostgreSQL decides what becomes of its incidents' alerts at its end, from their
/// rows as they are then, and holds them only `FOR KEY SHARE` until then: a run's claim skips them,
/// but a run that had sent one records its outcome, and a school acknowledges one, while the rest
/// of the feed is written. Held `FOR UPDATE` from their batch to the commit, both waited for the
/// whole ingest (37 s of a large feed). Each ingest here is held open mid-feed: its first part is
/// written and it waits for the rest, which the test hands over only once the work it tries in
/// between has ended or is seen waiting on a lock (`pg_locks`).
@Suite("An outcome or an acknowledgement while a correction is still being fed (PostgreSQL)")
struct CorrectionInProgressTests {
    let now = at("2026-11-22T08:00:00Z")
    static let skegness = KeyAdult(urn: "120502", name: "Bea Lead", email: "dsl@skegness.school.example", channel: .smtp, endpoint: nil)

    /// I-1's alert for C-1 at 120501, claimed by the run `test:1`.
    func claimed() async throws -> (TempStore, Int64) {
        let t = try await TempStore(.postgres)
        try await t.store.replaceDirectory(SchoolDirectory(schools: KeyAdultStoreTests.schools,
                                                           keyAdults: [KeyAdultStoreTests.lead, Self.skegness]))
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1")])], actor: "test", at: now,
                                     planner: SchoolDirectoryStoreTests.planner)
        let due = try await t.store.claimDue(now: now, owner: "test:1", lease: 600, limit: 10, isDead: { _ in false }).alerts
        return (t, try #require(due.first { $0.childId == "C-1" }).alertKey)
    }

    /// Ingests `first` (one batch, with a new incident so that it writes alerts) and then `I-3`,
    /// running `meanwhile` once the first batch is written and the ingest waits for the rest of its
    /// feed; true when `meanwhile` ended without waiting on a lock the ingest holds.
    func whileFeeding(_ t: TempStore, _ first: [Incident], _ meanwhile: @escaping @Sendable () async throws -> Void) async throws -> Bool {
        let pg = try #require(t.store as? PostgresStore)
        // A batch an incident or two, so the first part is written before the rest is handed over.
        let store = PostgresStore(pg.database, bulkFirstLoad: true, writeBatch: 1)
        let (db, now) = (String(t.url.split(separator: "/").last!), now)
        let feed = IncidentFeed()
        let ingestEnded = KeyAdultRaceTests.Ended()
        let ingest = Task {
            defer { ingestEnded.value.withLock { $0 = true } }
            return try await store.ingest(feed, actor: "test", at: now, planner: SchoolDirectoryStoreTests.planner, directory: nil)
        }
        feed.push(first)
        // The batch's new alerts are the last rows it writes; then the ingest waits for the feed.
        try await KeyAdultRaceTests().until(db, """
            SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid
            WHERE s.datname = current_database() AND s.state = 'idle in transaction'
                AND l.relation = 'alerts'::regclass AND l.mode = 'RowExclusiveLock' AND l.granted
            """, orEnded: ingestEnded)
        let ended = KeyAdultRaceTests.Ended()
        let work = Task {
            defer { ended.value.withLock { $0 = true } }
            try await meanwhile()
        }
        try await KeyAdultRaceTests().until(db, """
            SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid
            WHERE s.datname = current_database() AND l.locktype = 'transactionid' AND NOT l.granted
            """, orEnded: ended)
        let endedFirst = ended.value.withLock { $0 }
        feed.push([incident("I-3", "2026-11-21T22:00:00Z", children: [child("C-3")])])
        feed.finish(.complete)
        _ = try await ingest.value
        try await work.value
        return endedFirst
    }

    func row(_ t: TempStore, _ child: String) async throws -> AlertRow {
        try #require(try await t.store.alerts(state: nil).first { $0.childId == child })
    }

    /// The outcome is kept at once, and the correction, moving C-1 to another school, then finds the
    /// alert delivered and re-routes it (the hub is told), as it would had the run ended before it.
    @Test func aRunRecordsItsOutcomeWhileACorrectionOfItsAlertIsStillBeingFed() async throws {
        let (t, key) = try await claimed()
        defer { t.cleanUp() }
        let (store, now) = (t.store, now)
        let recordedAtOnce = try await whileFeeding(t, [
            incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120502")]),
            incident("I-2", "2026-11-21T21:00:00Z", children: [child("C-2")]),
        ]) {
            try await store.record(.delivered, for: key, owner: "test:1", now: now, planner: SchoolDirectoryStoreTests.planner)
        }
        #expect(recordedAtOnce, "the run's outcome waited for the rest of the correction's feed")
        let c1 = try await row(t, "C-1")
        #expect(c1.state == .queued)
        #expect(c1.schoolURN == "120502")
        let rerouted = try await t.store.hubNotices(since: .distantPast, limit: 10).filter { $0.notice.kind == AlertLifecycle.reroutedKind }
        #expect(rerouted.map { $0.notice.schoolURN } == ["120501"])
        #expect(try await t.store.peekDue(now: now, limit: 10).first { $0.childId == "C-1" }?.recipient == Self.skegness.email)
    }

    /// A school's acknowledgement of a delivered alert is kept at once while its incident's
    /// correction (another grade) is still being fed, and stays.
    @Test func aSchoolAcknowledgesWhileACorrectionOfItsAlertIsStillBeingFed() async throws {
        let (t, key) = try await claimed()
        defer { t.cleanUp() }
        try await t.store.issueAcknowledgementTokens([(key, "hash-1", now.addingTimeInterval(7 * 86_400))], at: now)
        try await t.store.record(.delivered, for: key, owner: "test:1", now: now, planner: SchoolDirectoryStoreTests.planner)
        let (store, pressed) = (t.store, now.addingTimeInterval(600))
        let acknowledgedAtOnce = try await whileFeeding(t, [
            incident("I-1", "2026-11-21T20:00:00Z", grade: .medium, children: [child("C-1")]),
            incident("I-2", "2026-11-21T21:00:00Z", children: [child("C-2")]),
        ]) {
            _ = try await store.acknowledge(tokenHash: "hash-1", now: pressed)
        }
        #expect(acknowledgedAtOnce, "the school's acknowledgement waited for the rest of the correction's feed")
        let c1 = try await row(t, "C-1")
        #expect(c1.state == .delivered)
        #expect(c1.acknowledgedAt == pressed)
    }

    /// S1: a run whose lease ends while a correction of its alert's incident is being fed. Another
    /// run then skips the alert (the correction holds it), rather than taking it back and sending
    /// it a second time; the first run records its outcome; and once the correction is in, nothing
    /// is due: the alert went once.
    @Test func anAlertWhoseLeaseEndsDuringACorrectionIsNotTakenBackAndGoesOnce() async throws {
        let (t, key) = try await claimed()
        defer { t.cleanUp() }
        let (store, later) = (t.store, now.addingTimeInterval(700))
        let takenMeanwhile = KeyAdultRaceTests.Ended()
        let recordedAtOnce = try await whileFeeding(t, [
            incident("I-1", "2026-11-21T20:00:00Z", grade: .medium, children: [child("C-1")]),
            incident("I-2", "2026-11-21T21:00:00Z", children: [child("C-2")]),
        ]) {
            let taken = try await store.claimDue(now: later, owner: "test:2", lease: 600, limit: 10, isDead: { _ in false }).alerts
            if taken.contains(where: { $0.alertKey == key }) { takenMeanwhile.value.withLock { $0 = true } }
            try await store.record(.delivered, for: key, owner: "test:1", now: later, planner: SchoolDirectoryStoreTests.planner)
        }
        #expect(!takenMeanwhile.value.withLock { $0 }, "another run took the alert back while its run was sending it")
        #expect(recordedAtOnce, "the run's outcome waited for the rest of the correction's feed")
        #expect(try await row(t, "C-1").state == .delivered)
        let due = try await t.store.claimDue(now: later, owner: "test:3", lease: 600, limit: 10, isDead: { _ in false }).alerts
        #expect(!due.contains { $0.alertKey == key }, "sent twice")
    }

    /// Hub staff recording the school of an unmatched child whose incident a correction is still
    /// feeding: unlike an outcome or an acknowledgement, this waits for the correction, since it
    /// writes the link the correction has replaced. Then it is recorded on the corrected link and
    /// the alert is queued to that school. Not waiting on the alert (`FOR NO KEY UPDATE`), it held
    /// the alert while it waited on the replaced link all the same, the ingest's end waited for the
    /// alert, and one of the two was ended as a deadlock.
    @Test func aSchoolRecordedWhileACorrectionOfItsIncidentIsFedWaitsAndThenHolds() async throws {
        let t = try await TempStore(.postgres)
        defer { t.cleanUp() }
        try await t.store.replaceDirectory(SchoolDirectory(schools: KeyAdultStoreTests.schools, keyAdults: [KeyAdultStoreTests.lead]))
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: nil)])], actor: "test", at: now,
                                     planner: SchoolDirectoryStoreTests.planner)
        #expect(try await row(t, "C-1").state == .unmatched)
        let (store, now) = (t.store, now)
        let recordedAtOnce = try await whileFeeding(t, [
            incident("I-1", "2026-11-21T20:00:00Z", grade: .medium, children: [child("C-1", urn: nil)]),
            incident("I-2", "2026-11-21T21:00:00Z", children: [child("C-2")]),
        ]) {
            _ = try await store.recordSchool(urn: "120501", forAlert: "ENC-I-1-C-1", actor: "user:hana", at: now,
                                             planner: SchoolDirectoryStoreTests.planner)
        }
        #expect(!recordedAtOnce, "recorded before the correction that replaces its link was in")
        let c1 = try await row(t, "C-1")
        #expect(c1.state == .queued)
        #expect(c1.schoolURN == "120501")
        #expect(try await t.store.childRecord("C-1")?.incidents.first { $0.incidentId == "I-1" }?.schoolURN == "120501")
    }
}

/// A purge's batch deletes alerts a morning run may be about to name in a notice: on PostgreSQL the
/// two run at once (SQLite's one writer puts them one after the other). The run skips an alert
/// being deleted, rather than waiting for the batch and then failing its notice's foreign key
/// (SQLSTATE 23503): every run during a purge of the aged store of audit 26 exited 69 so, and before
/// the purge went in batches each waited for the whole purge first.
@Suite("A purge's batch and a run's notices (PostgreSQL)")
struct PurgeAndRunRaceTests {
    /// Runs `work` while another session holds what `held` did, in a transaction not yet committed,
    /// until `work` ends or waits for it (seen in `pg_locks`); then commits. Whether `work` waited,
    /// and what it returned.
    static func whileHolding<T: Sendable>(_ t: TempStore, _ held: [PostgresQuery],
                                          _ work: @escaping @Sendable () async throws -> T) async throws -> (waited: Bool, result: T) {
        let pg = try #require(t.store as? PostgresStore)
        let (db, logger) = (String(t.url.split(separator: "/").last!), pg.logger)
        let waiting = """
            SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'transactionid' AND NOT l.granted AND a.datname = current_database()
            """
        return try await pg.database.session { holder in
            try await holder.run("BEGIN", logger)
            for query in held { try await holder.run(query, logger) }
            let ended = KeyAdultRaceTests.Ended()
            let task = Task {
                defer { ended.value.withLock { $0 = true } }
                return try await work()
            }
            try await KeyAdultRaceTests().until(db, waiting, orEnded: ended)
            let waited = !ended.value.withLock { $0 }
            try await holder.run("COMMIT", logger)
            return (waited, try await task.value)
        }
    }

    @Test func aRunSkipsAnAlertAPurgeIsDeletingRatherThanFailOnIt() async throws {
        let tests = AcknowledgementStoreTests()
        let (t, keys) = try await tests.delivered(.postgres)
        defer { t.cleanUp() }
        let (store, afterDeadline) = (t.store, tests.afterDeadline)
        // C-1 and C-3 carried a link and nobody acknowledged them: both due a notice after the deadline.
        let c1 = try #require(keys["C-1"])
        // What a purge's batch does to C-1's alert, not yet committed.
        let (waited, _) = try await Self.whileHolding(t, ["DELETE FROM alert_ack_tokens WHERE alert_key = \(c1)",
                                                           "DELETE FROM alerts WHERE alert_key = \(c1)"]) {
            _ = try await store.claimDue(now: afterDeadline, owner: "test:2", lease: 600, limit: 10, isDead: { _ in false })
        }
        #expect(!waited, "the run waited for the purge's batch")
        #expect(try await t.store.unsentHubNotices().map { $0.alert?.reference } == ["ENC-I-1-C-3"])
    }

    /// The other way round: a run has read an alert of an incident due for review and is naming it
    /// in a notice when a purge's batch comes to it. The batch holds its alerts before it deletes
    /// anything that refers to them, so it waits for the run, and then takes the notice with the
    /// alert; taken only as they were deleted, the notice went in between and the batch failed its
    /// foreign key (SQLSTATE 23503), which stopped the purge of a million-row store part way.
    @Test func aPurgesBatchWaitsForARunNamingItsAlertAndTakesTheNoticeToo() async throws {
        let tests = RetentionStoreTests()
        let t = try await tests.store(.postgres)
        defer { t.cleanUp() }
        let (store, policy, now) = (t.store, tests.policy, tests.now)
        // What `markUnacknowledged` does for I-OLD's alert to C-1, not yet committed.
        let (waited, summary) = try await Self.whileHolding(t, [
            "SELECT 1 FROM alerts WHERE reference = 'ENC-I-OLD-C-1' FOR KEY SHARE",
            """
            INSERT INTO hub_notices (alert_key, kind, detail, created_at)
            SELECT alert_key, 'unacknowledged', 'phone the school', 0 FROM alerts WHERE reference = 'ENC-I-OLD-C-1'
            """,
        ]) {
            try await store.purge(try await store.due(policy, now: now), policy: policy, actor: "cli:root", at: now)
        }
        #expect(waited, "the batch waits for the run")
        #expect((summary.incidents, summary.episodes) == (2, 1))
        #expect(try await t.answer("SELECT count(*) FROM hub_notices WHERE detail = 'phone the school'") == "0", "gone with its alert")
    }
}
