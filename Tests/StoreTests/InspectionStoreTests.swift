import Foundation
import Inspection
import RiskModel
import Schools
import StoreContract
import Stores
import Testing
import TestSupport

/// The inspection report (SPEC §11) over a hand-built September 2026 (BST: London is UTC+1), where
/// every figure has a known value and the edges sit on the period's bounds.
@Suite("The inspection report, on SQLite and PostgreSQL")
struct InspectionStoreTests {
    static let september = try! ReportPeriod(from: LocalDate(iso: "2026-09-01")!, to: LocalDate(iso: "2026-09-30")!)
    static let settings = ScoringSettings()

    static func link(_ id: String, urn: String? = "120501", present: Bool? = nil, spoken: Bool? = nil, voice: String? = nil,
                     bwv: Bool? = nil) -> ChildLink {
        ChildLink(childId: id, givenName: "Zoë", familyName: "Ní Bhriain", dateOfBirth: LocalDate(iso: "2015-05-05")!,
                  schoolURN: urn, present: present, spokenTo: spoken, voice: voice, bodyWornVideo: bwv)
    }

    static func incident(_ id: String, _ when: String, grade: Grade = .standard, yes: Int? = nil, supervisor: Grade? = nil,
                         victim: String = "V-1", _ children: [ChildLink] = []) -> Incident {
        Incident(id: id, reportedAt: at(when), officerGrade: grade, dashYesCount: yes, supervisorGrade: supervisor,
                 victimId: victim, perpetratorId: nil, children: children)
    }

    static func episode(_ id: String, missing: String, returned: String? = nil, interview: String? = nil) -> Episode {
        Episode(id: id, childId: "C-9", givenName: "Zoë", familyName: "Ní Bhriain", dateOfBirth: LocalDate(iso: "2015-05-05")!,
                missingAt: at(missing), returnedAt: returned.map(at), returnInterviewAt: interview.map(at))
    }

    static func decision(_ child: String, _ kind: Decision.Kind, _ outcome: Decision.Outcome, on: String, recorded: String = "2026-10-01T12:00:00Z") -> Decision {
        Decision(childId: child, kind: kind, outcome: outcome, on: LocalDate(iso: on)!,
                 reason: outcome == .declined ? "Already supported" : nil, by: "hub.lead", recordedAt: at(recorded))
    }

    /// Alerts' deadlines are a day after the incident (the test planner), to school 120501.
    static func september(_ kind: StoreKind) async throws -> TempStore {
        let t = try await TempStore(kind)
        let store = t.store
        let ingestedAt = at("2026-10-02T00:00:00Z")
        try await store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501")]))
        let incidents = [
            // 09:00 BST on the 29th: its alert to C-1 is due at 09:00 BST on the last day, and is
            // delivered and acknowledged at 09:00 exactly. C-2 has no school: unmatched.
            incident("I-A", "2026-09-29T08:00:00Z", yes: 15, supervisor: .medium, [
                link("C-1", present: true, spoken: true, voice: "I hid upstairs", bwv: true),
                link("C-2", urn: nil, present: true, spoken: true, bwv: true),
            ]),
            // 23:30 BST on the last day: September's, though its UTC date is the 30th and its alert
            // falls due in October. C-1 again: a second link.
            incident("I-B", "2026-09-30T22:30:00Z", [link("C-1", present: false, spoken: false, bwv: false)]),
            // 00:30 BST on 1 October (23:30 UTC on the 30th): October's.
            incident("I-C", "2026-09-30T23:30:00Z", [link("C-3", present: true, spoken: true, voice: "no", bwv: true)]),
            // 23:59:59 BST on 31 August: August's, but its alert is due on 1 September, never delivered.
            incident("I-D", "2026-08-31T22:59:59Z", [link("C-4")]),
            // No child; the supervisor lowered the grade.
            incident("I-E", "2026-09-10T12:00:00Z", grade: .high, supervisor: .standard),
            // Delivered a second after its deadline, acknowledged an hour after delivery.
            incident("I-F", "2026-09-15T10:00:00Z", [link("C-5", spoken: true, voice: "it was loud", bwv: true)]),
            // C-6's alert is withdrawn when a corrected I-G no longer names them.
            incident("I-G", "2026-09-20T10:00:00Z", [link("C-6")]),
        ]
        _ = try await store.ingest(incidents, actor: "test", at: ingestedAt, planner: OutboxStoreTests.planner)
        _ = try await store.ingest([incident("I-G", "2026-09-20T10:00:00Z")], actor: "test", at: ingestedAt, planner: OutboxStoreTests.planner)

        let claimed = try await store.claimDue(now: ingestedAt, owner: "test:1", lease: 600, limit: 20, isDead: { _ in false })
        let key = Dictionary(uniqueKeysWithValues: claimed.alerts.map { ($0.reference, $0.alertKey) })
        try await store.record(.delivered, for: key["ENC-I-A-C-1"]!, owner: "test:1", now: at("2026-09-30T08:00:00Z"))
        try await store.record(.delivered, for: key["ENC-I-F-C-5"]!, owner: "test:1", now: at("2026-09-16T10:00:01Z"))
        try await store.issueAcknowledgementTokens([(key["ENC-I-A-C-1"]!, "hash-A", at("2026-12-01T00:00:00Z")),
                                                    (key["ENC-I-F-C-5"]!, "hash-F", at("2026-12-01T00:00:00Z"))], at: ingestedAt)
        _ = try await store.acknowledge(tokenHash: "hash-A", now: at("2026-09-30T08:00:00Z"))
        _ = try await store.acknowledge(tokenHash: "hash-F", now: at("2026-09-16T11:00:01Z"))

        for d in [decision("C-1", .marac, .referred, on: "2026-09-30"), decision("C-5", .marac, .declined, on: "2026-09-01"),
                  decision("C-5", .strategyMeeting, .held, on: "2026-09-15"), decision("C-1", .strategyMeeting, .held, on: "2026-10-01"),
                  decision("C-3", .strategyMeeting, .declined, on: "2026-08-31")] {
            try await store.record(d)
        }
        let episodes = [
            // Back the same day, never interviewed: overdue at the period's end.
            episode("E-1", missing: "2026-09-05T10:00:00Z", returned: "2026-09-05T20:00:00Z"),
            // Back 34 hours before the period ends: not yet overdue.
            episode("E-2", missing: "2026-09-29T12:00:00Z", returned: "2026-09-29T13:00:00Z"),
            // 00:30 BST on 1 September: September's; interviewed.
            episode("E-3", missing: "2026-08-31T23:30:00Z", returned: "2026-09-01T01:00:00Z", interview: "2026-09-02T10:00:00Z"),
            // 23:30 BST on 31 August: August's.
            episode("E-4", missing: "2026-08-31T22:30:00Z", returned: "2026-08-31T23:00:00Z"),
            // Interviewed only after the period ended: overdue as the period ended.
            episode("E-5", missing: "2026-09-09T10:00:00Z", returned: "2026-09-10T10:00:00Z", interview: "2026-10-05T10:00:00Z"),
        ]
        _ = try await store.ingest(IncidentFeed(batch: [], episodes: episodes), actor: "test", at: ingestedAt, planner: nil)
        return t
    }

    /// The one child high 14 days before the end with no decision is C-9: three episodes by then
    /// (repeat-missing) and no strategy meeting.
    @Test(arguments: StoreKind.allCases)
    func everyFigureOfAHandBuiltMonth(kind: StoreKind) async throws {
        let t = try await Self.september(kind)
        defer { t.cleanUp() }
        let report = try await Inspection.report(store: t.store, period: Self.september, settings: Self.settings)
        #expect(report.json == """
            {"from": "2026-09-01", "to": "2026-09-30",
             "incidents": {"count": 5, "with_children": 3, "child_links": 4, "child_present": 2, "child_spoken_to": 3, \
            "child_voice_recorded": 2, "bwv_used": 2, "grade_below_checklist": 1, "supervisor_reviewed": 2, "supervisor_raised": 1, \
            "supervisor_lowered": 1},
             "alerts": {"due": 3, "delivered_on_time": 1, "delivered_late": 1, "not_delivered": 1, "unmatched": 1, "acknowledged": 2, \
            "acknowledged_on_time": 1, "too_old": 0},
             "decisions": {"marac_referred": 1, "marac_declined": 1, "strategy_meeting_held": 1, "strategy_meeting_declined": 0},
             "missing": {"episodes": 4, "return_interview_overdue": 2},
             "extra": {"median_minutes_to_acknowledge": 30, "supervisor_changed_percent": 100, "high_undecided_over_14_days": 1}}

            """)
        #expect(report.table.contains("child's voice recorded"))
        #expect(report.table.contains("2 of 4 children (50%)"))
        #expect(report.table.contains("1 of 3 alerts (33%)"))
    }

    /// The report's `bwv_used` figure for September.
    static func bodyWornVideo(_ store: any FullStore) async throws -> String? {
        let json = try await Inspection.report(store: store, period: september, settings: settings).json
        return json.firstRange(of: #/"bwv_used": [0-9]+/#).map { String(json[$0]) }
    }

    /// SPEC §11: `bwv_used` counts incidents with Y, an incident with no child among them (once an
    /// incident, however many children); a correction of it alone is an update, not "unchanged".
    @Test(arguments: StoreKind.allCases)
    func bodyWornVideoOnAnIncidentWithNoChildIsCountedAndItsCorrectionSeen(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let ingestedAt = at("2026-10-02T00:00:00Z")
        var alone = Self.incident("I-N", "2026-09-10T10:00:00Z")
        alone.bodyWornVideo = false
        let linked = Self.incident("I-L", "2026-09-11T10:00:00Z", [Self.link("C-1", bwv: true), Self.link("C-2", bwv: false)])
        _ = try await t.store.ingest([alone, linked], actor: "test", at: ingestedAt, planner: SchoolDirectoryStoreTests.planner)
        #expect(try await Self.bodyWornVideo(t.store) == #""bwv_used": 1"#)
        alone.bodyWornVideo = true
        let corrected = try await t.store.ingest([alone, linked], actor: "test", at: ingestedAt, planner: SchoolDirectoryStoreTests.planner)
        #expect((corrected.updated, corrected.unchanged) == (1, 1))
        #expect(try await Self.bodyWornVideo(t.store) == #""bwv_used": 2"#)
        let audit = try await t.store.auditEntries(limit: 50).first { $0.action == "incident.updated" }
        #expect(audit?.detail == #"{"bwv_used":{"new":"Y","old":"N"}}"#)
    }

    /// A store made before body-worn video was kept on the incident: after `migrate` each incident
    /// has the value of its links (Y on any, else N on any), so the figure is what it was; and each
    /// link has its child's names from the child's row (one set of names a child here).
    @Test(arguments: StoreKind.allCases)
    func aStoreMadeBeforeTheIncidentKeptBodyWornVideoCountsItsLinksAfterMigrate(kind: StoreKind) async throws {
        let source = try await Self.september(kind)
        defer { source.cleanUp() }
        let dir = try SchemaVersionStoreTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try SchemaVersionStoreTests.newURL(kind, in: dir)
        let older = try SchemaVersionStoreTests.store(kind, url, knownUpTo: kind == .sqlite ? "v18-ack-tokens" : "pg14-ack-tokens")
        _ = try await older.migrate(for: .write)
        // Every table as that version had it: the incidents without the column.
        try await SchemaVersionStoreTests.fill(older, from: source.store, SchemaVersionStoreTests.tablesBefore())
        let current = try StoreFactory.open(url)
        #expect(try await current.migrate(for: .migrate)
            == (kind == .sqlite ? ["v19-incident-details", "v20-hub-notice-claims", "v21-token-scopes", "v22-hub-notice-rounds", "v23-idempotency-keys", "v24-hub-notice-schools", "v25-alert-school-rounds", "v26-hub-notice-settled", "v27-alerts-board-lists", "v28-foreign-key-indexes", "v29-routing-version"]
                                : ["pg15-incident-details", "pg16-hub-notice-claims", "pg17-token-scopes", "pg18-retention-owner-only", "pg19-hub-notice-rounds", "pg20-idempotency-keys", "pg21-hub-notice-schools", "pg22-alert-school-rounds", "pg23-hub-notice-settled", "pg24-alerts-board-lists", "pg25-foreign-key-indexes", "pg26-routing-version"]))
        #expect(try await Self.bodyWornVideo(current) == #""bwv_used": 2"#)
        #expect(try await current.rows(of: StoreTable.all.first { $0.name == "incidents" }!)
            == (try await source.store.rows(of: StoreTable.all.first { $0.name == "incidents" }!)), "every incident's value as ingest keeps it")
        #expect(try await current.rows(of: StoreTable.all.first { $0.name == "incident_children" }!)
            == (try await source.store.rows(of: StoreTable.all.first { $0.name == "incident_children" }!)), "every link's names")
    }

    /// The page counts its period and its chart's months in one pass (audit 26, scale F3): each the
    /// same as its own pass, for periods within a month, across months, longer than the chart, and
    /// starting after the chart's first month.
    @Test(arguments: StoreKind.allCases)
    func thePagesOnePassCountsThePeriodAndTheMonthsAsTheirOwnPassesDo(kind: StoreKind) async throws {
        let t = try await Self.september(kind)
        defer { t.cleanUp() }
        for (from, to) in [("2026-09-01", "2026-09-30"), ("2026-09-10", "2026-09-20"), ("2026-08-15", "2026-10-15"),
                           ("2021-01-01", "2026-10-31"), ("2026-10-01", "2026-10-01")] {
            let period = try ReportPeriod(from: LocalDate(iso: from)!, to: LocalDate(iso: to)!)
            let (report, months) = try await Inspection.reportAndMonths(store: t.store, period: period, settings: Self.settings)
            let alone = try await Inspection.report(store: t.store, period: period, settings: Self.settings)
            #expect(report.json == alone.json, "\(period)")
            #expect(report.tallies == alone.tallies, "\(period): the durations too")
            let series = try await Inspection.monthly(store: t.store, endingWith: period.to, settings: Self.settings)
            #expect(months.map(\.tallies) == series.map(\.tallies), "\(period)")
            #expect(Inspection.csv(months) == Inspection.csv(series), "\(period)")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func theMonthlySeriesCountsEachMonthAsItsOwnPeriodWould(kind: StoreKind) async throws {
        let t = try await Self.september(kind)
        defer { t.cleanUp() }
        let months = try await Inspection.monthly(store: t.store, endingWith: LocalDate(iso: "2026-10-15")!, settings: Self.settings)
        #expect(months.map(\.period.monthText) == ["2025-11", "2025-12"] + (1...10).map { "2026-" + ($0 < 10 ? "0\($0)" : "\($0)") })
        for month in months {
            let alone = try await Inspection.report(store: t.store, period: month.period, settings: Self.settings, specOnly: true)
            #expect(month.tallies == alone.tallies, "\(month.period.monthText)")
            #expect(month.missingEpisodes == alone.missingEpisodes && month.returnInterviewOverdue == alone.returnInterviewOverdue)
        }
        let august = months[9], october = months[11]
        #expect((august.tallies.incidents, august.tallies.childLinks, august.missingEpisodes) == (1, 1, 1))
        #expect((october.tallies.incidents, october.tallies.alertsDue, october.tallies.strategyMeetingHeld) == (1, 2, 1))
        #expect(august.tallies.strategyMeetingDeclined == 1)
        let csv = Inspection.csv(months).split(separator: "\r\n")
        #expect(csv.count == 13)
        #expect(csv[0].hasPrefix("month,incidents.count,incidents.with_children,incidents.child_links,"))
        #expect(csv[0].hasSuffix(",missing.return_interview_overdue,alerts.too_old"), "an added column moves no other")
        #expect(csv[11].hasPrefix("2026-09,5,3,4,2,3,2,2,1,2,1,1,3,1,1,1,1,2,1,1,1,1,0,4,2"))
    }

    /// The report's alert figures for September: due, on time, late, not delivered, acknowledged,
    /// and the median minutes to acknowledge.
    static func alertFigures(_ store: any FullStore) async throws -> [Double?] {
        let report = try await Inspection.report(store: store, period: september, settings: settings)
        let t = report.tallies
        return [t.alertsDue, t.deliveredOnTime, t.deliveredLate, report.notDelivered, t.acknowledged].map { Double($0) }
            + [report.extra.medianMinutesToAcknowledge]
    }

    /// I-R's alert (deadline 10:00 UTC on 11 September, the test planner's day) delivered on time to
    /// 120501, then the child's school corrected to 120502 after the deadline: re-routed, keeping the
    /// earlier delivery's time (README), and claimed for 120502 with a link (`hash-R`).
    static func reRouted(_ kind: StoreKind) async throws -> (TempStore, Int64) {
        let t = try await TempStore(kind)
        let planner = SchoolDirectoryStoreTests.planner
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501"),
                                                                                   SchoolDirectoryStoreTests.adult("120502")]))
        _ = try await t.store.ingest([incident("I-R", "2026-09-10T10:00:00Z", [link("C-R")])], actor: "test",
                                     at: at("2026-09-10T10:30:00Z"), planner: planner)
        let first = try await t.store.claimDue(now: at("2026-09-10T10:30:00Z"), owner: "test:1", lease: 600, limit: 10, isDead: { _ in false })
        let key = try #require(first.alerts.first?.alertKey)
        try await t.store.record(.delivered, for: key, owner: "test:1", now: at("2026-09-10T11:00:00Z"))
        #expect(try await alertFigures(t.store) == [1, 1, 0, 0, 0, nil], "delivered on time to the school it was for")

        let corrected = at("2026-09-11T12:00:00Z")
        _ = try await t.store.ingest([incident("I-R", "2026-09-10T10:00:00Z", [link("C-R", urn: "120502")])], actor: "test",
                                     at: corrected, planner: planner)
        let row = try #require(try await t.store.alerts(state: nil).first)
        #expect(row.state == .queued && row.schoolURN == "120502" && row.deliveredAt == at("2026-09-10T11:00:00Z"))
        #expect(try await alertFigures(t.store) == [1, 0, 0, 1, 0, nil], "120502 has not been told: not delivered")
        let again = try await t.store.claimDue(now: corrected, owner: "test:2", lease: 600, limit: 10, isDead: { _ in false })
        #expect(again.alerts.map(\.alertKey) == [key])
        try await t.store.issueAcknowledgementTokens([(key, "hash-R", at("2026-10-30T00:00:00Z"))], at: corrected)
        return (t, key)
    }

    /// Audit 21, F1: SPEC §11's `delivered_on_time` is the child's school told by the deadline. A
    /// re-routed alert waiting for (then overdue at) its new school is not delivered, though it
    /// keeps the earlier school's delivery time; once the new school has it (here by acknowledging
    /// the link of a send reported failing), it is delivered then, late.
    @Test(arguments: StoreKind.allCases)
    func aReRoutedAlertCountsAsDeliveredOnlyOnceItsNewSchoolHasIt(kind: StoreKind) async throws {
        let (t, key) = try await Self.reRouted(kind)
        defer { t.cleanUp() }
        let sent = at("2026-09-11T12:00:00Z")
        try await t.store.record(.temporary(error: "451 try later", retryAt: sent.addingTimeInterval(600)), for: key, owner: "test:2", now: sent)
        #expect(try await t.store.alerts(state: nil).first?.state == .overdue)
        #expect(try await Self.alertFigures(t.store) == [1, 0, 0, 1, 0, nil], "overdue at 120502: not delivered")
        let read = at("2026-09-11T13:00:00Z")
        #expect(try await t.store.acknowledge(tokenHash: "hash-R", now: read)?.justAcknowledged == true)
        let row = try #require(try await t.store.alerts(state: nil).first)
        #expect(row.state == .delivered && row.deliveredAt == read, "delivered to 120502 when it acknowledged, not at 120501's time")
        #expect(try await Self.alertFigures(t.store) == [1, 0, 1, 0, 1, 0], "delivered late, acknowledged at once")
    }

    /// The same alert refused for good by its new school: not delivered, and its acknowledgement
    /// (a copy did arrive) is not timed from the earlier school's delivery.
    @Test(arguments: StoreKind.allCases)
    func aReRoutedAlertThatFailedAtItsNewSchoolIsNotDelivered(kind: StoreKind) async throws {
        let (t, key) = try await Self.reRouted(kind)
        defer { t.cleanUp() }
        try await t.store.record(.permanent(error: "550 no such user"), for: key, owner: "test:2", now: at("2026-09-11T12:00:00Z"))
        #expect(try await Self.alertFigures(t.store) == [1, 0, 0, 1, 0, nil], "failed at 120502: not delivered")
        _ = try await t.store.acknowledge(tokenHash: "hash-R", now: at("2026-09-11T13:00:00Z"))
        #expect(try await t.store.alerts(state: nil).first?.state == .failed)
        #expect(try await Self.alertFigures(t.store) == [1, 0, 0, 1, 1, nil], "acknowledged, but no delivery to time it from")
    }

    /// Children high 14 days before the period's end with no decision since their newest incident.
    @Test(arguments: StoreKind.allCases)
    func childrenLeftHighWithNoDecision(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        _ = try await t.store.ingest([
            // High on 1 September, nothing since: counted.
            Self.incident("I-1", "2026-09-01T10:00:00Z", grade: .high, [Self.link("C-1")]),
            // High, and a decision dated after the incident: not counted.
            Self.incident("I-2", "2026-09-02T10:00:00Z", grade: .high, [Self.link("C-2")]),
            // High, but a decision dated before the incident does not answer it: counted.
            Self.incident("I-3", "2026-09-03T10:00:00Z", grade: .high, [Self.link("C-3")]),
            // High only within the last 14 days: not yet counted.
            Self.incident("I-4", "2026-09-25T10:00:00Z", grade: .high, [Self.link("C-4")]),
            // Medium: never counted.
            Self.incident("I-5", "2026-09-01T10:00:00Z", grade: .medium, [Self.link("C-5")]),
            // Decisions count by their date, not by when they were typed in (audit 19, F4):
            // high, and a decision dated after the incident but typed in after the period: not counted.
            Self.incident("I-6", "2026-09-02T10:00:00Z", grade: .high, [Self.link("C-6")]),
            // High, and a decision dated before the incident, typed in after it: counted.
            Self.incident("I-7", "2026-09-04T10:00:00Z", grade: .high, [Self.link("C-7")]),
            // 00:30 BST on 6 September: a decision dated the 5th (its UTC date) is before it: counted;
            // one dated the 6th answers it: not counted.
            Self.incident("I-8", "2026-09-05T23:30:00Z", grade: .high, [Self.link("C-8")]),
            Self.incident("I-9", "2026-09-05T23:30:00Z", grade: .high, [Self.link("C-9")]),
            // High, and a decision dated the period's last day, typed in after it: not counted.
            Self.incident("I-10", "2026-09-03T10:00:00Z", grade: .high, [Self.link("C-10")]),
        ], actor: "test", at: at("2026-10-02T00:00:00Z"), planner: nil)
        try await t.store.record(Self.decision("C-2", .strategyMeeting, .held, on: "2026-09-10", recorded: "2026-09-10T09:00:00Z"))
        try await t.store.record(Self.decision("C-3", .marac, .referred, on: "2026-08-01", recorded: "2026-08-01T09:00:00Z"))
        // Dated after the period's end: the report of September does not count it.
        try await t.store.record(Self.decision("C-1", .marac, .referred, on: "2026-10-03", recorded: "2026-10-03T09:00:00Z"))
        try await t.store.record(Self.decision("C-6", .marac, .declined, on: "2026-09-05", recorded: "2026-10-20T09:00:00Z"))
        try await t.store.record(Self.decision("C-7", .marac, .declined, on: "2026-08-20", recorded: "2026-09-06T09:00:00Z"))
        try await t.store.record(Self.decision("C-8", .marac, .referred, on: "2026-09-05", recorded: "2026-09-07T09:00:00Z"))
        try await t.store.record(Self.decision("C-9", .strategyMeeting, .held, on: "2026-09-06", recorded: "2026-09-07T09:00:00Z"))
        try await t.store.record(Self.decision("C-10", .marac, .referred, on: "2026-09-30", recorded: "2026-11-01T09:00:00Z"))
        let report = try await Inspection.report(store: t.store, period: Self.september, settings: Self.settings)
        #expect(report.extra.highUndecidedOver14Days == 4, "C-1, C-3, C-7 and C-8")
        #expect(report.extra.medianMinutesToAcknowledge == nil && report.extra.supervisorChangedPercent == nil)
        #expect(report.json.contains("\"extra\": {\"median_minutes_to_acknowledge\": null, \"supervisor_changed_percent\": null, \"high_undecided_over_14_days\": 4}"))
    }

    @Test func aPeriodMustRunForwardsAndBeMadeOfDates() {
        #expect(throws: ReportPeriod.Problem.fromAfterTo(from: LocalDate(iso: "2026-10-02")!, to: LocalDate(iso: "2026-10-01")!)) {
            try ReportPeriod(fromText: "2026-10-02", toText: "2026-10-01")
        }
        #expect(throws: ReportPeriod.Problem.notADate(option: "--to", text: "2026-02-30")) {
            try ReportPeriod(fromText: "2026-02-01", toText: "2026-02-30")
        }
        #expect(ReportPeriod.months(endingWith: LocalDate(iso: "2026-03-31")!, count: 3).map(\.description)
                == ["2026-01-01 to 2026-01-31", "2026-02-01 to 2026-02-28", "2026-03-01 to 2026-03-31"])
        #expect(InspectionReport.Figure.grouped(1_180) == "1,180" && InspectionReport.Figure.grouped(999) == "999")
    }
}
