import Foundation
import Inspection
import RiskModel
import Schools
import StoreContract
import Testing
import TestSupport

/// A PPN that reaches the hub more than `alerts.max_age_days` after it was reported alerts no
/// school (a back-loaded history must not write to schools about last year), but it is never
/// silently dropped (SPEC §7): the ingest's summary counts it, the hub is told once an ingest by
/// one notice naming the incidents, and the report counts it under `alerts.too_old` (audit 23
/// year, F1). The same on SQLite and PostgreSQL.
@Suite("Links too old to alert about leave a trace")
struct TooOldLinkTests {
    let now = at("2026-12-07T06:00:00Z")
    static let planner = AlertPlanner(deadline: { reported, _, _ in reported.addingTimeInterval(86_400) },
                                      reference: { "ENC-\($0)-\($1)" }, maxAge: 28 * 86_400)
    static let november = try! ReportPeriod(from: LocalDate(iso: "2026-11-01")!, to: LocalDate(iso: "2026-11-30")!)

    static func link(_ id: String, urn: String?) -> ChildLink {
        ChildLink(childId: id, givenName: "Zoë", familyName: "Ní Bhriain", dateOfBirth: LocalDate(iso: "2015-05-05")!,
                  schoolURN: urn, present: nil, spokenTo: nil, voice: nil, bodyWornVideo: nil)
    }

    static func incident(_ id: String, _ when: String, _ children: [ChildLink]) -> Incident {
        Incident(id: id, reportedAt: at(when), officerGrade: .high, dashYesCount: nil, supervisorGrade: nil,
                 victimId: "V-1", perpetratorId: nil, children: children)
    }

    /// Two incidents 35 and 36 days old (three children: at a school with a key adult, at one
    /// without, and with no school), and one of yesterday's.
    let batch = [
        incident("PPN-OLD-1", "2026-11-01T10:00:00Z", [link("C-1", urn: "120501"), link("C-2", urn: "120599")]),
        incident("PPN-OLD-2", "2026-11-01T09:00:00Z", [link("C-3", urn: nil)]),
        incident("PPN-NEW", "2026-12-06T20:00:00Z", [link("C-4", urn: "120501")]),
    ]

    func store(_ kind: StoreKind) async throws -> TempStore {
        let t = try await TempStore(kind)
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501")]))
        return t
    }

    @Test(arguments: StoreKind.allCases)
    func theIngestCountsThemAndTellsTheHubOnceByIncidentIds(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let summary = try await t.store.ingest(batch, actor: "test", at: now, planner: Self.planner)
        #expect(summary.alertsQueued == 1 && summary.alertsTooOld == 3 && summary.maxAgeDays == 28)
        #expect(summary.line == "incidents: 3 added, 0 updated, 0 unchanged; children: 4; alerts queued: 1; "
                + "not alerted, reported over 28 days before (alerts.max_age_days): 3")
        // No alert, queued or unmatched, for any of the three: no school is written to about them.
        #expect(try await t.store.alerts(state: nil).map(\.childId) == ["C-4"])
        let notices = try await t.store.unsentHubNotices()
        #expect(notices.map(\.kind) == [TooOldLinks.noticeKind])
        #expect(notices.first?.alert == nil)
        #expect(notices.first?.detail == "3 children in 2 incidents reached the hub more than 28 days after the incident was reported "
                + "(alerts.max_age_days): no school was alerted. Incidents: PPN-OLD-1, PPN-OLD-2")
        // The same file again changes nothing, and tells nothing again.
        let again = try await t.store.ingest(batch, actor: "test", at: now.addingTimeInterval(60), planner: Self.planner)
        #expect(again.alertsTooOld == 0 && again.line.hasSuffix("alerts queued: 0"))
        #expect(try await t.store.unsentHubNotices().count == 1)
    }

    /// `alerts.too_old` counts the links that have no alert; every other figure is as it was.
    @Test(arguments: StoreKind.allCases)
    func theReportCountsThemUnderAlertsTooOld(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        _ = try await t.store.ingest(batch, actor: "test", at: now, planner: Self.planner)
        // A November incident of a day before, alerted (unmatched, its school has no key adult).
        _ = try await t.store.ingest([Self.incident("PPN-NOV", "2026-11-30T10:00:00Z", [Self.link("C-5", urn: "120599")])],
                                     actor: "test", at: at("2026-12-01T06:00:00Z"), planner: Self.planner)
        let report = try await Inspection.report(store: t.store, period: Self.november, settings: ScoringSettings(), specOnly: true)
        var full = report
        full.specOnly = false
        #expect(full.json.contains("\"alerts\": {\"due\": 0, \"delivered_on_time\": 0, \"delivered_late\": 0, \"not_delivered\": 0, "
                                   + "\"unmatched\": 1, \"acknowledged\": 0, \"acknowledged_on_time\": 0, \"too_old\": 3}"))
        #expect(full.json.contains("\"child_links\": 4"))
        // The SPEC's figures alone (`--spec-only`) have no added key.
        #expect(!report.json.contains("too_old"))
    }

    /// A child a correction dropped (the alert withdrawn), named again by a feed that reaches the
    /// hub when the incident is older than `alerts.max_age_days`: no school is written to about it,
    /// as for a link first ingested that late, and it is counted and told as one (audit 24, S3).
    /// It stayed `failed` with the withdrawal's reason, which was no longer true, counted neither
    /// as due nor as too old, and the hub heard nothing. Reported 1 November, alerted the next
    /// day, withdrawn an hour later, named again on 7 December.
    func withdrawnThenNamedAgainTooLate(_ t: TempStore, beforeWithdrawal: () async throws -> Void = {},
                                        afterWithdrawal: () async throws -> Void = {}) async throws -> IngestSummary {
        let first = at("2026-11-02T06:00:00Z")
        _ = try await t.store.ingest(Self.withBoth, actor: "test", at: first, planner: Self.planner)
        try await beforeWithdrawal()
        _ = try await t.store.ingest([Self.incident("PPN-W", "2026-11-01T10:00:00Z", [Self.link("C-1", urn: "120501")])],
                                     actor: "test", at: first.addingTimeInterval(3_600), planner: Self.planner)
        #expect(try await t.store.alerts(state: .failed).map(\.lastError) == [AlertLifecycle.withdrawnReason])
        try await afterWithdrawal()
        return try await t.store.ingest(Self.withBoth, actor: "test", at: now, planner: Self.planner)
    }

    /// What the hub is told and the report counts, whether or not the alert's row is kept: one
    /// too-old notice naming the incident, nothing "withdrawn" still to tell, and C-2 under
    /// `too_old`, not under `due` (C-1's alert is the one due).
    func expectToldAndCountedTooOld(_ t: TempStore, _ summary: IngestSummary) async throws {
        #expect(summary.alertsTooOld == 1 && summary.line.hasSuffix("not alerted, reported over 28 days before (alerts.max_age_days): 1"))
        let notices = try await t.store.unsentHubNotices().filter(\.stillHolds)
        #expect(notices.map(\.kind) == [TooOldLinks.noticeKind])
        #expect(notices.first?.detail == "1 child in 1 incident reached the hub more than 28 days after the incident was reported "
                + "(alerts.max_age_days): no school was alerted. Incidents: PPN-W")
        #expect(try await t.store.peekDue(now: now, limit: 10).map(\.childId) == ["C-1"])
        var report = try await Inspection.report(store: t.store, period: Self.november, settings: ScoringSettings(), specOnly: true)
        report.specOnly = false
        #expect(report.json.contains("\"alerts\": {\"due\": 1, \"delivered_on_time\": 0, \"delivered_late\": 0, \"not_delivered\": 1, "
                                     + "\"unmatched\": 0, \"acknowledged\": 0, \"acknowledged_on_time\": 0, \"too_old\": 1}"), "\(report.json)")
    }

    /// Nothing refers to the withdrawn alert but its withdrawal's notice, not yet told: the row
    /// goes with that notice, as a link first ingested too late has none.
    @Test(arguments: StoreKind.allCases)
    func aWithdrawnChildNamedAgainTooLateWithNothingReferringToItLeavesNoAlert(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let summary = try await withdrawnThenNamedAgainTooLate(t)
        #expect(try await t.store.alerts(state: nil).map(\.childId) == ["C-1"])
        try await expectToldAndCountedTooOld(t, summary)
        #expect(try await t.store.unsentHubNotices().count == 1, "the withdrawal's notice went with its alert")
        // The same file again changes nothing, and tells nothing again.
        #expect(try await t.store.ingest(Self.withBoth, actor: "test", at: now, planner: Self.planner).alertsTooOld == 0)
    }

    /// The hub was told of the withdrawal: the row stays as the record of what it was told, failed
    /// with a reason that is true now, and is told and counted as too old all the same.
    @Test(arguments: StoreKind.allCases)
    func aWithdrawnChildNamedAgainTooLateTheHubWasToldOfKeepsItsRowWithATrueReason(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let summary = try await withdrawnThenNamedAgainTooLate(t, afterWithdrawal: {
            for n in try await t.store.unsentHubNotices() { try await t.store.markHubNoticesSent([n.noticeKey], at: at("2026-11-02T07:05:00Z")) }
        })
        let c2 = try #require(try await t.store.alerts(state: nil).first { $0.childId == "C-2" })
        #expect(c2.state == .failed && c2.lastError == AlertLifecycle.namedTooLateReason)
        try await expectToldAndCountedTooOld(t, summary)
    }

    /// A send of it was tried before the withdrawal (a copy may have reached the school): the row
    /// stays, and its withdrawal's notice, not yet told, is no longer to be told: the record names
    /// the child again.
    @Test(arguments: StoreKind.allCases)
    func aWithdrawnChildNamedAgainTooLateThatWasTriedKeepsItsRowAndItsWithdrawalIsNotTold(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let summary = try await withdrawnThenNamedAgainTooLate(t, beforeWithdrawal: {
            let tried = at("2026-11-02T06:30:00Z")
            let due = try await t.store.claimDue(now: tried, owner: "test:1", lease: 600, limit: 10, isDead: { _ in false })
            for a in due.alerts {
                try await t.store.record(a.childId == "C-2" ? .temporary(error: "smtp reply 451", retryAt: tried.addingTimeInterval(600)) : .delivered,
                                         for: a.alertKey, owner: "test:1", now: tried)
            }
        })
        let c2 = try #require(try await t.store.alerts(state: nil).first { $0.childId == "C-2" })
        #expect(c2.state == .failed && c2.lastError == AlertLifecycle.namedTooLateReason && c2.attempts == 1)
        #expect(try await t.store.unsentHubNotices().contains { $0.kind == AlertLifecycle.failedKind && !$0.stillHolds })
        #expect(try await t.store.peekDue(now: now, limit: 10).isEmpty)
        #expect(summary.alertsTooOld == 1)
        let notices = try await t.store.unsentHubNotices().filter(\.stillHolds)
        #expect(notices.map(\.kind) == [TooOldLinks.noticeKind])
    }

    /// The incident naming both children.
    static let withBoth = [incident("PPN-W", "2026-11-01T10:00:00Z", [link("C-1", urn: "120501"), link("C-2", urn: "120501")])]
}
