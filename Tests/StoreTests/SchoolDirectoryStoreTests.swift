import Foundation
import RiskModel
import SQLiteStore
import StoreContract
import Testing
import TestSupport

extension SchoolDirectory {
    /// Key adults, each with a school of its URN: a store refuses a key adult at a school no directory knows.
    init(schoolsOf adults: [KeyAdult]) {
        self.init(schools: Set(adults.map(\.urn)).sorted().map { School(urn: $0, name: "School \($0)", laCode: nil) }, keyAdults: adults)
    }
}

/// Imported schools, Config/'s directory written over them on every command, and recording an
/// unmatched child's school.
@Suite("SQLite school directory and the unmatched list")
struct SchoolDirectoryStoreTests {
    let now = at("2026-11-22T08:00:00Z")
    static let planner = AlertPlanner(deadline: { reported, _, _ in reported.addingTimeInterval(86_400) },
                                      reference: { "ENC-\($0)-\($1)" }, maxAge: nil)

    static func adult(_ urn: String) -> KeyAdult {
        KeyAdult(urn: urn, name: "Key Adult", email: "dsl@\(urn).school.example", channel: .smtp, endpoint: nil)
    }

    /// A store whose one key adult is 120501's, with these incidents ingested and their alerts planned.
    func store(_ kind: StoreKind, _ incidents: [Incident]) async throws -> TempStore {
        let t = try await TempStore(kind)
        do {
            try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [Self.adult("120501")]))
            _ = try await t.store.ingest(incidents, actor: "test", at: now, planner: Self.planner)
        } catch {
            t.cleanUp()
            throw error
        }
        return t
    }

    @Test(arguments: StoreKind.allCases)
    func importedSchoolsSurviveTheConfigDirectoryAndConfigWinsForItsOwn(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let written = try await t.store.importSchools([
            School(urn: "100001", name: "Ysgol Pen-y-Bryn", laCode: "660"),
            School(urn: "120501", name: "Old Name", laCode: "925"),
        ])
        #expect(written == 2)
        try await t.store.replaceDirectory(SchoolDirectory(
            schools: [School(urn: "120501", name: "Boston Pioneers Primary Academy", laCode: "925")],
            keyAdults: [Self.adult("120501"), Self.adult("100001")]))
        #expect(try await t.store.school(urn: "100001") == School(urn: "100001", name: "Ysgol Pen-y-Bryn", laCode: "660"))
        #expect(try await t.store.school(urn: "120501")?.name == "Boston Pioneers Primary Academy")
        // Key adults are Config/'s alone: one removed there is gone here.
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [Self.adult("120501")]))
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "100001")])],
                                     actor: "test", at: now, planner: Self.planner)
        #expect(try await t.store.alerts(state: nil).map(\.lastError) == ["school 100001 has no key adult"])
        #expect(try await t.store.school(urn: "100001") != nil)
        #expect(try await t.store.school(urn: "999999") == nil)
    }

    /// A URN given twice in one list (PostgreSQL writes a list in one statement): the later row's
    /// name and local authority, and the later telephone only where it has one, as row after row.
    @Test(arguments: StoreKind.allCases)
    func aSchoolGivenTwiceInOneListEndsAsRowAfterRowLeavesIt(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        _ = try await t.store.importSchools([School(urn: "120502", name: "Stored", laCode: "925", telephone: "01632 000000")])
        _ = try await t.store.importSchools([
            School(urn: "120501", name: "First", laCode: "925", telephone: "01632 960100"),
            School(urn: "120502", name: "Second", laCode: "926"),
            School(urn: "120501", name: "Renamed", laCode: "926"),
            School(urn: "120502", name: "Again", laCode: "925", telephone: "01632 960199"),
            School(urn: "120502", name: "Last", laCode: "925"),
        ])
        #expect(try await t.store.school(urn: "120501") == School(urn: "120501", name: "Renamed", laCode: "926", telephone: "01632 960100"))
        #expect(try await t.store.school(urn: "120502") == School(urn: "120502", name: "Last", laCode: "925", telephone: "01632 960199"))
    }

    @Test(arguments: StoreKind.allCases)
    func recordingASchoolSetsTheLinkTheNewestChildRowAndQueuesInOneGo(kind: StoreKind) async throws {
        // C-1's older incident has no school; the newer one names a school with no key adult.
        let t = try await store(kind, [
            incident("I-OLD", "2026-11-20T20:00:00Z", children: [child("C-1", urn: nil)]),
            incident("I-NEW", "2026-11-21T20:00:00Z", children: [child("C-1", urn: "120599")]),
        ])
        defer { t.cleanUp() }
        let outcome = try await t.store.recordSchool(urn: "120501", forAlert: "ENC-I-OLD-C-1", actor: "user:hana", at: now,
                                                     planner: Self.planner)
        #expect(outcome == .queued)
        let old = try #require(try await t.store.alerts(state: nil).first { $0.reference == "ENC-I-OLD-C-1" })
        #expect(old.state == .queued)
        #expect(old.deadline == at("2026-11-21T20:00:00Z"))
        let record = try #require(try await t.store.childRecord("C-1"))
        #expect(record.schoolURN == "120599", "an older incident does not move the child's own school")
        #expect(record.incidents.first { $0.incidentId == "I-OLD" }?.schoolURN == "120501")

        let again = try await t.store.recordSchool(urn: "120502", forAlert: "ENC-I-NEW-C-1", actor: "user:hana", at: now,
                                                   planner: Self.planner)
        #expect(again == .unmatched(reason: "school 120502 has no key adult"))
        #expect(try await t.store.childRecord("C-1")?.schoolURN == "120502", "the newest incident's school is the child's")
        let audit = try await t.store.auditEntries(limit: 10).filter { $0.action == "alert.school-recorded" }
        #expect(audit.map(\.subject) == ["alert:ENC-I-NEW-C-1", "alert:ENC-I-OLD-C-1"])
        #expect(audit.allSatisfy { $0.actor == "user:hana" && $0.detail?.contains("Zoë") == false })

        await #expect(throws: UnmatchedError.notUnmatched(reference: "ENC-I-OLD-C-1", state: .queued)) {
            _ = try await t.store.recordSchool(urn: "120501", forAlert: "ENC-I-OLD-C-1", actor: "user:hana", at: now, planner: Self.planner)
        }
        await #expect(throws: UnmatchedError.unknownAlert("ENC-NONE")) {
            _ = try await t.store.recordSchool(urn: "120501", forAlert: "ENC-NONE", actor: "user:hana", at: now, planner: Self.planner)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func withoutAPlannerTheSchoolIsKeptAndTheNextMatchQueuesIt(kind: StoreKind) async throws {
        let t = try await store(kind, [incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: nil)])])
        defer { t.cleanUp() }
        let outcome = try await t.store.recordSchool(urn: "120501", forAlert: "ENC-I-1-C-1", actor: "user:hana", at: now, planner: nil)
        #expect(outcome == .unmatched(reason: "school 120501 recorded; queued at the next run of encompass"))
        #expect(try await t.store.matchUnmatched(planner: Self.planner, now: now) == 1)
        #expect(try await t.store.alerts(state: .queued).map(\.reference) == ["ENC-I-1-C-1"])
    }

    /// Every writing command matches the unmatched list again, reading only the alerts that may
    /// change: one whose school has a key adult now is queued, one whose reason is out of date is
    /// brought up to date, and one still waiting for the same reason is left exactly as it was.
    @Test(arguments: StoreKind.allCases)
    func matchingQueuesTheMatchableMendsStaleReasonsAndLeavesTheRest(kind: StoreKind) async throws {
        let t = try await store(kind, [
            incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1", urn: nil)]),
            incident("I-2", "2026-11-21T21:00:00Z", children: [child("C-2", urn: "120599")]),
            incident("I-3", "2026-11-21T22:00:00Z", children: [child("C-3", urn: nil)]),
        ])
        defer { t.cleanUp() }
        // Recorded with no planner while 120501 had a key adult, who then left.
        _ = try await t.store.recordSchool(urn: "120501", forAlert: "ENC-I-1-C-1", actor: "user:hana", at: now, planner: nil)
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [Self.adult("120502")]))
        let before = try await t.store.alerts(state: .unmatched)
        #expect(before.map(\.lastError) == ["school 120501 recorded; queued at the next run of encompass", "school 120599 has no key adult",
                                             "no school known for the child"])
        #expect(try await t.store.matchUnmatched(planner: Self.planner, now: now) == 0)
        let after = try await t.store.alerts(state: .unmatched)
        #expect(after.map(\.lastError) == ["school 120501 has no key adult", "school 120599 has no key adult", "no school known for the child"])
        #expect(Array(after.dropFirst()) == Array(before.dropFirst()), "the rest are as they were")

        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [Self.adult("120599")]))
        #expect(try await t.store.matchUnmatched(planner: Self.planner, now: now) == 1)
        #expect(try await t.store.alerts(state: .queued).map(\.reference) == ["ENC-I-2-C-2"])
        #expect(try await t.store.alerts(state: .unmatched).map(\.reference) == ["ENC-I-1-C-1", "ENC-I-3-C-3"])
    }

    @Test(arguments: StoreKind.allCases)
    func hubNoticesSinceAnInstantNewestFirstWithWhetherSent(kind: StoreKind) async throws {
        let t = try await store(kind, [
            incident("I-1", "2026-11-01T20:00:00Z", children: [child("C-1")]),
            incident("I-2", "2026-11-02T20:00:00Z", children: [child("C-2")]),
        ])
        defer { t.cleanUp() }
        _ = try await t.store.claimDue(now: at("2026-11-10T00:00:00Z"), owner: "t", lease: 60, limit: 0, isDead: { _ in false })
        let unsent = try await t.store.unsentHubNotices()
        #expect(unsent.count == 2)
        try await t.store.markHubNoticesSent([unsent[0].noticeKey], at: at("2026-11-10T00:01:00Z"))
        let recent = try await t.store.hubNotices(since: at("2026-11-09T00:00:00Z"), limit: 10)
        #expect(recent.count == 2)
        #expect(Set(recent.compactMap { $0.notice.alert?.incidentId }) == ["I-1", "I-2"])
        #expect(recent.filter { $0.sentAt != nil }.count == 1)
        #expect(try await t.store.hubNotices(since: at("2026-11-11T00:00:00Z"), limit: 10).isEmpty)
    }
}
