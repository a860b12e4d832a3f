import Foundation
import GRDB
import RiskModel
import SQLiteStore
import StoreContract
import Stores
import TestSupport
import Testing

/// The two stores every store test runs on: each the same contract, kept by a different database.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// Each test opens its own store: an SQLite file in its own temp folder, or a new PostgreSQL
/// database on the test process's server.
struct TempStore {
    let kind: StoreKind
    let dir: URL
    let url: String
    let store: any FullStore
    var path: String { dir.appendingPathComponent("store.sqlite").path }

    init(_ kind: StoreKind = .sqlite) async throws {
        self.kind = kind
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("encompass-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        switch kind {
        case .sqlite: url = "sqlite:" + dir.appendingPathComponent("store.sqlite").path
        case .postgres: url = try PostgresServer.shared().makeDatabase()
        }
        store = try StoreFactory.open(url)
        try await store.migrate()
    }

    /// Runs SQL on the database directly, as someone at the database's own shell would: nil if it
    /// was accepted, the database's refusal otherwise.
    func refusal(_ sql: String) async throws -> String? {
        switch kind {
        case .sqlite:
            do {
                try await DatabaseQueue(path: path).write { try $0.execute(sql: sql) }
                return nil
            } catch let e as DatabaseError {
                return e.message ?? "refused"
            }
        case .postgres:
            let result = try await PostgresServer.shared().psql(String(url.split(separator: "/").last!), sql)
            return result.exitCode == 0 ? nil : result.output
        }
    }

    /// The first column of the first row of a query, as text, read on the database directly.
    func answer(_ sql: String) async throws -> String {
        switch kind {
        case .sqlite:
            return try await DatabaseQueue(path: path).read { try String.fetchOne($0, sql: sql) } ?? ""
        case .postgres:
            let result = try await PostgresServer.shared().psql(String(url.split(separator: "/").last!), sql)
            guard result.exitCode == 0 else { throw TestSetupError("psql: \(result.output)") }
            return result.output.trimmingCharacters(in: .newlines)
        }
    }

    /// SQLite's schema, every table, index, trigger and view with its definition, in name order.
    func schema() throws -> [String] {
        try DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
        }
    }

    func cleanUp() { try? FileManager.default.removeItem(at: dir) }
}

func at(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

func child(_ id: String, urn: String? = "120501", voice: String? = nil) -> ChildLink {
    ChildLink(childId: id, givenName: "Zoë", familyName: "Ní Bhriain", dateOfBirth: LocalDate(iso: "2015-05-05")!,
              schoolURN: urn, present: true, spokenTo: false, voice: voice, bodyWornVideo: true)
}

func incident(_ id: String, _ when: String, grade: Grade = .standard, supervisor: Grade? = nil, yes: Int? = 2,
              children: [ChildLink]) -> Incident {
    Incident(id: id, reportedAt: at(when), officerGrade: grade, dashYesCount: yes, supervisorGrade: supervisor,
             victimId: "V-1", perpetratorId: "P-1", children: children)
}

@Suite("The store, on SQLite and PostgreSQL")
struct StoreConformanceTests {
    let now = at("2026-11-01T12:00:00Z")

    @Test(arguments: StoreKind.allCases)
    func identicalContentChangesNothingAndChangedContentIsAudited(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let first = [incident("I-1", "2026-10-01T10:00:00Z", children: [child("C-1"), child("C-2")])]
        var s = try await t.store.ingest(first, actor: "test", at: now, planner: nil)
        #expect((s.added, s.updated, s.unchanged, s.children) == (1, 0, 0, 2))
        let before = try await t.store.counts()
        s = try await t.store.ingest(first, actor: "test", at: now, planner: nil)
        #expect((s.added, s.updated, s.unchanged) == (0, 0, 1))
        #expect(try await t.store.counts() == before, "the same content changes nothing, the audit included")

        // The supervisor regrades, and C-2 turns out not to be linked; C-3 is.
        let second = [incident("I-1", "2026-10-01T10:00:00Z", supervisor: .high, children: [child("C-1"), child("C-3")])]
        s = try await t.store.ingest(second, actor: "test", at: now, planner: nil)
        #expect((s.added, s.updated, s.unchanged) == (0, 1, 0))
        let counts = try await t.store.counts()
        #expect(counts.links == 2)
        let entry = try #require(try await t.store.auditEntries(limit: 20).first { $0.action == "incident.updated" })
        let detail = try #require(entry.detail)
        #expect(detail.contains("\"child[C-2].linked\":{\"new\":\"N\",\"old\":\"Y\"}"))
        #expect(detail.contains("\"child[C-3].linked\":{\"new\":\"Y\",\"old\":\"N\"}"))
        #expect(detail.contains("\"supervisor_grade\":{\"new\":\"high\",\"old\":null}"))

        let histories = try await t.store.childHistories(windowStart: at("2026-01-01T00:00:00Z"), asOf: now)
        #expect(Set(histories.map(\.childId)) == ["C-1", "C-3"])
        #expect(histories.allSatisfy { $0.incidents.map(\.grade) == [.high] })
    }

    /// SPEC §2: the audit names which personal fields changed, never their values (it is shown at
    /// `/admin/audit`); grades keep their old and new for tracing a regrade.
    @Test(arguments: StoreKind.allCases)
    func anUpdatesAuditNamesChangedPersonalFieldsWithoutTheirValues(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let before = ChildLink(childId: "C-AU1", givenName: "ZebedeeU1", familyName: "Quixotic", dateOfBirth: LocalDate(iso: "2015-02-28")!,
                               schoolURN: "120501", present: nil, spokenTo: nil, voice: "I hid under the bed", bodyWornVideo: nil)
        let after = ChildLink(childId: "C-AU1", givenName: "XavierU2", familyName: "Quixotic", dateOfBirth: LocalDate(iso: "2015-03-01")!,
                              schoolURN: "120501", present: nil, spokenTo: nil, voice: "I ran to the neighbour", bodyWornVideo: nil)
        _ = try await t.store.ingest([incident("AU1", "2026-10-01T10:00:00Z", children: [before])], actor: "test", at: now, planner: nil)
        _ = try await t.store.ingest([incident("AU1", "2026-10-01T10:00:00Z", supervisor: .high, children: [after])],
                                     actor: "test", at: now, planner: nil)
        let entry = try #require(try await t.store.auditEntries(limit: 20).first { $0.action == "incident.updated" })
        let detail = try #require(entry.detail)
        for value in ["ZebedeeU1", "XavierU2", "2015-02-28", "2015-03-01", "hid under", "neighbour"] {
            #expect(!detail.contains(value), "the audit keeps no \(value)")
        }
        #expect(detail.contains("\"child[C-AU1].child_given_name\":\"changed\""))
        #expect(detail.contains("\"child[C-AU1].child_dob\":\"changed\""))
        #expect(detail.contains("\"child[C-AU1].child_voice\":\"changed\""))
        #expect(!detail.contains("child_family_name"), "an unchanged field is not named")
        #expect(detail.contains("\"supervisor_grade\":{\"new\":\"high\",\"old\":null}"))
    }

    @Test(arguments: StoreKind.allCases)
    func theWindowStartAndAsOfBoundTheHistoriesButReferralsReachBack(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        _ = try await t.store.ingest([
            incident("OLD-A", "2024-06-01T10:00:00Z", children: [child("C-A")]),
            incident("OLD-B", "2024-06-01T10:00:00Z", children: [child("C-B")]),
            incident("NEW-A", "2026-10-01T10:00:00Z", children: [child("C-A")]),
            incident("NEW-B", "2026-10-01T10:00:00Z", children: [child("C-B")]),
            incident("LATER", "2026-10-20T10:00:00Z", children: [child("C-A")]),
        ], actor: "test", at: now, planner: nil)
        try await t.store.record(Decision(childId: "C-B", outcome: .referred, on: LocalDate(iso: "2024-05-01")!, reason: nil, by: "t", recordedAt: now))
        let h = try await t.store.childHistories(windowStart: at("2025-10-15T00:00:00Z"), asOf: at("2026-10-10T00:00:00Z"))
        let byId = Dictionary(uniqueKeysWithValues: h.map { ($0.childId, $0) })
        #expect(byId["C-A"]?.incidents.map(\.incidentId) == ["NEW-A"], "outside the window and after as-of are left out")
        #expect(Set(byId["C-B"]?.incidents.map(\.incidentId) ?? []) == ["OLD-B", "NEW-B"], "a referred child's older incidents are kept for repeat-marac")
        #expect(byId["C-B"]?.maracReferrals == [LocalDate(iso: "2024-05-01")!])
    }

    @Test(arguments: StoreKind.allCases)
    func aChildsSchoolFollowsTheirNewestIncident(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        _ = try await t.store.ingest([incident("I-2", "2026-10-01T10:00:00Z", children: [child("C-1", urn: "119601")])], actor: "t", at: now, planner: nil)
        _ = try await t.store.ingest([incident("I-1", "2026-09-01T10:00:00Z", children: [child("C-1", urn: "120501")])], actor: "t", at: now, planner: nil)
        #expect(try await t.store.childSummaries(["C-1"])["C-1"]?.schoolURN == "119601")
    }

    /// SPEC §5 "a later decision supersedes an earlier one": later by the decision's date (`on`), the
    /// one entered last breaking a tie; what the report reads is the latest date up to a day,
    /// whenever it was typed in (audit 19, F4).
    @Test(arguments: StoreKind.allCases)
    func theDecisionThatStandsIsTheOneDatedLatestWheneverItWasTypedIn(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        _ = try await t.store.ingest([incident("I-1", "2026-10-01T10:00:00Z", children: [child("C-1"), child("C-2"), child("C-3")])],
                                     actor: "t", at: now, planner: nil)
        func record(_ id: String, _ outcome: Decision.Outcome, kind: Decision.Kind = .marac, on: String, entered: Date) async throws {
            try await t.store.record(Decision(childId: id, kind: kind, outcome: outcome, on: LocalDate(iso: on)!,
                                              reason: outcome == .declined ? "Already supported" : nil, by: "t", recordedAt: entered))
        }
        // C-1: referred on 10 October; a decline taken on 6 October is typed in the next day.
        try await record("C-1", .referred, on: "2026-10-10", entered: now)
        try await record("C-1", .declined, on: "2026-10-06", entered: now.addingTimeInterval(86_400))
        // C-2: a strategy meeting dated after the MARAC decision, typed in first.
        try await record("C-2", .held, kind: .strategyMeeting, on: "2026-10-12", entered: now)
        try await record("C-2", .declined, on: "2026-10-09", entered: now.addingTimeInterval(60))
        // C-3: two of the same date: the one entered last stands.
        try await record("C-3", .referred, on: "2026-10-20", entered: now)
        try await record("C-3", .declined, on: "2026-10-20", entered: now.addingTimeInterval(60))

        let standing = try await t.store.latestDecisions()
        #expect(standing["C-1"]?.outcome == .referred)
        #expect(standing["C-2"]?.kind == .strategyMeeting)
        #expect(standing["C-3"]?.outcome == .declined)
        let days = try await t.store.latestDecisionDays(through: LocalDate(iso: "2026-12-31")!)
        #expect(days == ["C-1": LocalDate(iso: "2026-10-10")!, "C-2": LocalDate(iso: "2026-10-12")!, "C-3": LocalDate(iso: "2026-10-20")!])
        // Up to 9 October: the decisions dated by then, both ends inside, however late they were typed in.
        let early = try await t.store.latestDecisionDays(through: LocalDate(iso: "2026-10-09")!)
        #expect(early == ["C-1": LocalDate(iso: "2026-10-06")!, "C-2": LocalDate(iso: "2026-10-09")!])
    }

    @Test(arguments: StoreKind.allCases)
    func decisionsAndTheAuditCannotBeEditedOrDeleted(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        _ = try await t.store.ingest([incident("I-1", "2026-10-01T10:00:00Z", children: [child("C-1")])], actor: "t", at: now, planner: nil)
        try await t.store.record(Decision(childId: "C-1", outcome: .referred, on: LocalDate(iso: "2026-10-02")!, reason: nil, by: "a", recordedAt: now))
        try await t.store.record(Decision(childId: "C-1", outcome: .declined, on: LocalDate(iso: "2026-10-03")!, reason: "Plan in place", by: "b", recordedAt: now))
        let kept = try await t.store.decisions(childId: "C-1")
        #expect(kept.map(\.outcome) == [.referred, .declined])
        #expect(kept.last?.reason == "Plan in place")

        for sql in ["UPDATE decisions SET marac = 'declined'", "DELETE FROM decisions", "UPDATE audit SET actor = 'x'", "DELETE FROM audit"] {
            #expect(try await t.refusal(sql)?.contains("append-only") == true, "\(sql)")
        }
        if kind == .postgres {
            for table in ["decisions", "audit"] { #expect(try await t.refusal("TRUNCATE \(table) CASCADE") != nil, "TRUNCATE \(table)") }
        }
        #expect(try await t.refusal("INSERT INTO decisions (child_id, marac, on_date, decided_by, recorded_at) VALUES ('C-1', 'declined', '2026-10-04', 'x', 0)") != nil,
                "a declined decision needs a reason, even written directly")
        #expect(try await t.store.decisions(childId: "C-1").count == 2)
    }

    @Test func theDatabaseIsInWALModeWithForeignKeys() async throws {
        let t = try await TempStore()
        defer { t.cleanUp() }
        let queue = try DatabaseQueue(path: t.path)
        #expect(try await queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        #expect(throws: DatabaseError.self) {
            try queue.write { db in
                try db.execute(sql: "PRAGMA foreign_keys = ON")
                try db.execute(sql: "INSERT INTO incident_children (child_key, incident_key, incident_id, reported_at, effective_grade) VALUES (99, 99, 'X', 0, 0)")
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func schoolsAndKeyAdultsComeFromTheDirectory(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        _ = try await t.store.ingest([incident("I-1", "2026-10-01T10:00:00Z", children: [child("C-1", urn: "119602")])], actor: "t", at: now, planner: nil)
        try await t.store.replaceDirectory(SchoolDirectory(
            schools: [School(urn: "119602", name: "St Thérèse's Catholic Primary School", laCode: "888")],
            keyAdults: [KeyAdult(urn: "119602", name: "Siobhán Kelly", email: "dsl@st-therese.school.example", channel: .smtp, endpoint: nil)]))
        #expect(try await t.store.childSummaries(["C-1"])["C-1"]?.schoolName == "St Thérèse's Catholic Primary School")
    }
}
