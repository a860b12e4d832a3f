import Foundation
import RiskModel
import Schools
import StoreContract
import Stores
import Testing
import TestSupport

/// Retention (issue 14) on both databases: what is due by the force's own periods, and a purge that
/// takes each record with what hangs from it, the child's row when nothing of theirs is left, and
/// the audit's personal values about it, while every append-only table still refuses anyone else.
@Suite("Retention, on SQLite and PostgreSQL")
struct RetentionStoreTests {
    let now = at("2026-12-01T00:00:00Z")
    let policy = RetentionPolicy(incidentsDays: 365, episodesDays: 365)

    static func link(_ id: String, given: String = "Zoë", voice: String? = nil) -> ChildLink {
        ChildLink(childId: id, givenName: given, familyName: "Ní Bhriain", dateOfBirth: LocalDate(iso: "2015-05-05")!,
                  schoolURN: "120501", present: true, spokenTo: voice != nil, voice: voice, bodyWornVideo: true)
    }

    static func incident(_ id: String, _ when: String, _ children: [ChildLink]) -> Incident {
        Incident(id: id, reportedAt: at(when), officerGrade: .standard, dashYesCount: 2, victimId: "V-1", perpetratorId: "P-1", children: children)
    }

    static func episode(_ id: String, child: String, missing: String) -> Episode {
        Episode(id: id, childId: child, givenName: "Ada", familyName: "Lovelace", dateOfBirth: LocalDate(iso: "2013-03-03")!,
                missingAt: at(missing), returnedAt: at(missing).addingTimeInterval(3600))
    }

    func store(_ kind: StoreKind) async throws -> TempStore {
        let t = try await TempStore(kind)
        let s = t.store
        try await s.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501")]))
        let old = Self.incident("I-OLD", "2020-01-10T10:00:00Z", [Self.link("C-1", voice: "I hid upstairs"), Self.link("C-2")])
        _ = try await s.ingest([old, Self.incident("I-NEW", "2026-11-01T10:00:00Z", [Self.link("C-2")]),
                                // Exactly 365 days before: due.
                                Self.incident("I-EDGE", "2025-12-01T00:00:00Z", [Self.link("C-5")]),
                                Self.incident("I-YOUNG", "2025-12-01T00:00:01Z", [Self.link("C-6")])],
                               actor: "test", at: now, planner: OutboxStoreTests.planner)
        // A correction keeps the old and new names in the audit.
        _ = try await s.ingest([Self.incident("I-OLD", "2020-01-10T10:00:00Z", [Self.link("C-1", given: "Zoe", voice: "I hid upstairs"), Self.link("C-2")])],
                               actor: "test", at: now, planner: OutboxStoreTests.planner)
        _ = try await s.ingest(IncidentFeed(batch: [], episodes: [Self.episode("E-OLD", child: "C-3", missing: "2020-02-01T20:00:00Z"),
                                                                   Self.episode("E-NEW", child: "C-4", missing: "2026-11-10T20:00:00Z")]),
                               actor: "test", at: now, planner: nil)
        // Every alert gone to its school: an alert that may still go keeps its incident (below).
        try await Self.deliverAll(s, now: now)
        _ = try await s.regrade(incidentId: "I-OLD", to: .medium, reason: "Reviewed", by: "sam", at: now)
        try await s.recordCall(AlertCall(reference: "ENC-I-OLD-C-1", calledBy: "hana", calledAt: now, note: "spoke to the head"))
        // Kept records of the same kinds, for the append-only checks after a purge.
        _ = try await s.regrade(incidentId: "I-NEW", to: .medium, reason: "Reviewed", by: "sam", at: now)
        try await s.recordCall(AlertCall(reference: "ENC-I-NEW-C-2", calledBy: "hana", calledAt: now, note: nil))
        return t
    }

    /// Claims every alert that may go and records it delivered.
    static func deliverAll(_ s: any FullStore, now: Date) async throws {
        let claimed = try await s.claimDue(now: now, owner: "test", lease: 60, limit: 100, isDead: { _ in false })
        for alert in claimed.alerts { try await s.record(.delivered, for: alert.alertKey, owner: "test", now: now) }
    }

    /// An incident due for review whose alert may still go (queued, then sending) is listed as such
    /// and kept by a purge, which counts it; once the alert is delivered a purge takes it. SPEC §7: an
    /// alert is never silently dropped.
    @Test(arguments: StoreKind.allCases)
    func anIncidentWhoseAlertMayStillGoIsKeptUntilItHasGone(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let s = t.store
        // An old incident ingested late: its alert is queued.
        _ = try await s.ingest([Self.incident("I-LATE", "2020-03-01T10:00:00Z", [Self.link("C-7")])], actor: "test", at: now,
                               planner: OutboxStoreTests.planner)
        let due = try await s.due(policy, now: now)
        #expect(due.filter(\.alertMayStillGo).map(\.subject) == ["incident:I-LATE"])
        let first = try await s.purge(due, policy: policy, actor: "cli:root", at: now)
        #expect((first.incidents, first.keptForAlerts) == (2, 1))
        #expect(try await s.alerts(state: nil).filter { $0.incidentId == "I-LATE" }.map(\.state) == [.queued])
        #expect(try await s.childRecord("C-7")?.incidents.map(\.incidentId) == ["I-LATE"])
        #expect(try await s.auditEntries(limit: 200).filter { $0.action == "retention.purged" && $0.subject == "incident:I-LATE" }.isEmpty)

        let claimed = try await s.claimDue(now: now, owner: "test", lease: 60, limit: 10, isDead: { _ in false })
        let sending = try await s.purge(try await s.due(policy, now: now), policy: policy, actor: "cli:root", at: now)
        #expect((sending.incidents, sending.keptForAlerts) == (0, 1), "a run is sending it")
        for alert in claimed.alerts { try await s.record(.delivered, for: alert.alertKey, owner: "test", now: now) }
        let later = try await s.due(policy, now: now)
        #expect(later.map(\.subject) == ["incident:I-LATE"] && !later[0].alertMayStillGo)
        let second = try await s.purge(later, policy: policy, actor: "cli:root", at: now)
        #expect((second.incidents, second.keptForAlerts) == (1, 0))
        #expect(try await s.childExists("C-7") == false)
    }

    @Test(arguments: StoreKind.allCases)
    func whatIsDueFollowsTheForcesPeriodsOnly(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let due = try await t.store.due(policy, now: now)
        #expect(due.map(\.subject) == ["incident:I-OLD", "incident:I-EDGE", "episode:E-OLD"])
        #expect(policy.reviewDate(.incident, recordedAt: due[1].recordedAt) == now)
        #expect(try await t.store.due(RetentionPolicy(incidentsDays: 0, episodesDays: 0), now: now).isEmpty, "no period: never due")
        #expect(try await t.store.due(RetentionPolicy(incidentsDays: 0, episodesDays: 365), now: now).map(\.subject) == ["episode:E-OLD"])
    }

    @Test(arguments: StoreKind.allCases)
    func aPurgeTakesTheRecordWhatHangsFromItAndTheAuditsPersonalValues(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let s = t.store
        let summary = try await s.purge(try await s.due(policy, now: now), policy: policy, actor: "cli:root", at: now)
        #expect(summary.incidents == 2 && summary.episodes == 1)
        #expect(summary.children == 3, "C-1, C-5 and C-3 had nothing else; C-2 keeps I-NEW")
        for gone in ["C-1", "C-3", "C-5"] { #expect(try await s.childExists(gone) == false, "\(gone)") }
        #expect(try await s.childRecord("C-2")?.incidents.map(\.incidentId) == ["I-NEW"])
        #expect(try await s.childExists("C-4"))
        #expect(try await s.childExists("C-6"))
        #expect(try await s.alerts(state: nil).allSatisfy { $0.incidentId != "I-OLD" && $0.incidentId != "I-EDGE" })
        #expect(try await s.due(policy, now: now).isEmpty)

        let audit = try await s.auditEntries(limit: 200)
        #expect(audit.allSatisfy { !($0.detail ?? "").contains("Zo") && !($0.detail ?? "").contains("I hid") }, "no personal value left")
        let updated = try #require(audit.first { $0.action == "incident.updated" && $0.subject == "incident:I-OLD" })
        #expect(updated.detail == RetentionText.removedDetail && updated.actor == "test", "who and what stay")
        let purged = audit.filter { $0.action == "retention.purged" }
        #expect(Set(purged.map(\.subject)) == ["incident:I-OLD", "incident:I-EDGE", "episode:E-OLD"])
        #expect(purged.first { $0.subject == "incident:I-EDGE" }?.detail == #"{"review_date":"2026-12-01T00:00:00Z"}"#)

        // Outside a purge, the append-only tables refuse as before.
        for sql in ["UPDATE audit SET detail = '{\"removed\":\"retention\"}'", "DELETE FROM alert_calls", "DELETE FROM regrades",
                    "DELETE FROM audit"] {
            #expect(try await t.refusal(sql)?.contains("append-only") == true, "\(sql)")
        }
    }

    /// A purge goes in batches, each its own transaction, so another program's writer gets in between
    /// two: a year purged from a store of a million rows held SQLite's one write lock for hours, and
    /// the morning's `notify`, `ingest` and `decide` gave up "database is locked" (audit 26, F2).
    /// Between two batches nothing of the purge holds the database (a writer takes SQLite's lock, or
    /// PostgreSQL's row every writer of the queue updates, without waiting), nothing is left named in
    /// `retention_purging`, and each record purged so far has its audit row. Together the batches
    /// purge what one would.
    @Test(arguments: StoreKind.allCases)
    func aPurgeGoesInBatchesAndAnotherWriterGetsInBetween(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let s = t.store
        // Another program's write, which does not wait for a lock: refused if the purge held one.
        let write = kind == .sqlite ? "UPDATE store_changes SET version = version" : "SELECT version FROM store_changes FOR UPDATE NOWAIT"
        var between: [Int] = []
        let summary = try await s.purge(try await s.due(policy, now: now), policy: policy, actor: "cli:root", at: now, batchSize: 1) { (done: RetentionSummary) async throws in
            between.append(done.records)
            #expect(try await t.refusal(write) == nil, "after \(done.records) record(s)")
            #expect(try await t.answer("SELECT count(*) FROM retention_purging") == "0")
            #expect(try await t.answer("SELECT count(*) FROM audit WHERE action = 'retention.purged'") == "\(done.records)")
        }
        #expect(between == [1, 2], "three records, three batches")
        #expect((summary.incidents, summary.episodes, summary.children) == (2, 1, 3))
        #expect(try await s.due(policy, now: now).isEmpty)
    }

    /// A purge stopped part way (here between two batches; a failed batch or a kill alike) leaves a
    /// consistent store: each record of its finished batches purged whole with its audit row, the rest
    /// still due and whole, nothing named in `retention_purging` nor SQLite's index of the links by
    /// incident left; and it says what it purged. The next purge takes the rest, and the two leave what
    /// one purge would.
    @Test(arguments: StoreKind.allCases)
    func aPurgeStoppedPartWaySaysWhatItPurgedAndLeavesTheRestDue(kind: StoreKind) async throws {
        struct Stop: Error {}
        let t = try await store(kind)
        defer { t.cleanUp() }
        let s = t.store
        let stopped = await #expect(throws: RetentionStopped.self) {
            _ = try await s.purge(try await s.due(policy, now: now), policy: policy, actor: "cli:root", at: now, batchSize: 1) { _ in throw Stop() }
        }
        #expect(stopped?.cause is Stop)
        #expect(stopped.map { ($0.purged.incidents, $0.purged.episodes, $0.purged.children) } ?? (0, 0, 0) == (1, 0, 1), "I-OLD and C-1")
        #expect(try await s.due(policy, now: now).map(\.subject) == ["incident:I-EDGE", "episode:E-OLD"])
        #expect(try await s.childExists("C-1") == false)
        #expect(try await s.childRecord("C-2")?.incidents.map(\.incidentId) == ["I-NEW"])
        #expect(try await s.childRecord("C-5")?.incidents.map(\.incidentId) == ["I-EDGE"])
        #expect(try await s.auditEntries(limit: 200).filter { $0.action == "retention.purged" }.map(\.subject) == ["incident:I-OLD"])
        #expect(try await t.answer("SELECT count(*) FROM retention_purging") == "0")
        if kind == .sqlite {
            #expect(try await t.answer("SELECT count(*) FROM sqlite_master WHERE name = 'retention_links_by_incident'") == "0")
        }
        let rest = try await s.purge(try await s.due(policy, now: now), policy: policy, actor: "cli:root", at: now)
        #expect((rest.incidents, rest.episodes, rest.children) == (1, 1, 2))

        let whole = try await store(kind)
        defer { whole.cleanUp() }
        _ = try await whole.store.purge(try await whole.store.due(policy, now: now), policy: policy, actor: "cli:root", at: now)
        func audit(_ store: any FullStore) async throws -> [String] {
            try await store.auditEntries(limit: 500).map { "\($0.actor) \($0.action) \($0.subject) \($0.detail ?? "-")" }
        }
        #expect(try await audit(s) == audit(whole.store))
        #expect(try await s.counts() == whole.store.counts())
    }

    /// Every foreign key has an index led by its column (not a partial one), so deleting the row it
    /// refers to finds the rows referring to it by the index, not by reading their whole table: a
    /// purge deleted each child's row with a scan of every alert, 38 ms (SQLite) and 68 ms
    /// (PostgreSQL) a child at a million rows (audit 26, F2). SQLite's links by incident have none
    /// (`v5-incident-child-keys`): the purge, the only delete of incidents, makes it for its length.
    @Test(arguments: StoreKind.allCases)
    func everyForeignKeyHasAnIndexLedByItsColumn(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let unindexed = try await t.answer(kind == .sqlite ? """
            SELECT coalesce(group_concat(k, ' '), '') FROM (
                SELECT m.name || '.' || f."from" AS k FROM sqlite_master m, pragma_foreign_key_list(m.name) f
                WHERE m.type = 'table'
                  AND NOT EXISTS (SELECT 1 FROM pragma_index_list(m.name) l, pragma_index_info(l.name) i
                                  WHERE l.partial = 0 AND i.seqno = 0 AND i.name = f."from")
                  -- A rowid table's INTEGER PRIMARY KEY is the table's own key.
                  AND NOT EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = f."from" AND c.pk = 1 AND upper(c.type) = 'INTEGER'
                                  AND (SELECT count(*) FROM pragma_table_info(m.name) WHERE pk > 0) = 1)
                ORDER BY k)
            """ : """
            SELECT coalesce(string_agg(k, ' ' ORDER BY k), '') FROM (
                SELECT f.conrelid::regclass::text || '.' || a.attname AS k FROM pg_constraint f
                JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = f.conkey[1]
                WHERE f.contype = 'f' AND NOT EXISTS (
                    SELECT 1 FROM pg_index i WHERE i.indrelid = f.conrelid AND i.indkey[0] = f.conkey[1] AND i.indpred IS NULL)) u
            """)
        #expect(unindexed == (kind == .sqlite ? "incident_children.incident_key" : ""))
    }

    /// PostgreSQL with the services run as a role granted the rows (README: Running on PostgreSQL):
    /// that role may not name a record in `retention_purging`, which opens the append-only triggers,
    /// so it cannot delete a regrade or redact the audit by naming the incident first; nor purge,
    /// which says to run it as the owner. The owner's purge goes through.
    @Test func onPostgreSQLOnlyTheTablesOwnerMayOpenTheAppendOnlyTablesForAPurge() async throws {
        let t = try await store(.postgres)
        defer { t.cleanUp() }
        let db = String(t.url.split(separator: "/").last!)
        let role = "encompass_services"
        let granted = try await PostgresServer.shared().psql(db, """
            DO $$ BEGIN CREATE ROLE \(role) LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            GRANT USAGE ON SCHEMA public TO \(role);
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(role);
            GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO \(role);
            """)
        try #require(granted.exitCode == 0, "\(granted.output)")
        let regradesOfOld = "SELECT count(*) FROM regrades WHERE incident_id = 'I-OLD'"
        #expect(try await PostgresServer.shared().psql(db, regradesOfOld).output == "1\n")

        for sql in ["INSERT INTO retention_purging (subject) VALUES ('incident:I-OLD'); DELETE FROM regrades WHERE incident_id = 'I-OLD'",
                    "INSERT INTO retention_purging (subject) VALUES ('incident:I-OLD'); UPDATE audit SET detail = '\(RetentionText.removedDetail)' WHERE subject = 'incident:I-OLD'"] {
            let tried = try await PostgresServer.shared().psql(db, "SET ROLE \(role); BEGIN; \(sql); COMMIT")
            #expect(tried.exitCode != 0 && tried.output.contains("only the role that owns the tables may purge"), "\(tried.output)")
        }
        #expect(try await PostgresServer.shared().psql(db, regradesOfOld).output == "1\n")

        let services = try StoreFactory.open(t.url.replacingOccurrences(of: "//encompass@", with: "//\(role)@"))
        let due = try await services.due(policy, now: now)
        let refused = await #expect(throws: (any Error).self) { _ = try await services.purge(due, policy: policy, actor: "cli:root", at: now) }
        #expect("\(refused.map { "\($0)" } ?? "")".contains("run `encompass migrate` and `retention --purge` as the role that owns the tables"),
                "\(String(describing: refused))")
        #expect(try await PostgresServer.shared().psql(db, regradesOfOld).output == "1\n", "nothing of the purge kept")
        #expect(try await services.childExists("C-1"))

        #expect(try await t.store.purge(due, policy: policy, actor: "cli:root", at: now).incidents == 2)
        #expect(try await PostgresServer.shared().psql(db, regradesOfOld).output == "0\n")
    }
}
