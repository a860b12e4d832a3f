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
