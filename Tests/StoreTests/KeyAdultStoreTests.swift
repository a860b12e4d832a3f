import Foundation
import RiskModel
import StoreContract
import Testing
import TestSupport

/// A school's key adult and deputies as both stores keep them: Config/key-adults.csv imported
/// when it changes, an admin's changes (audited) standing until then, the rules a school's list
/// must meet, and waiting alerts following the school's people.
@Suite("Key adults and deputies, on SQLite and PostgreSQL")
struct KeyAdultStoreTests {
    let now = at("2026-11-22T08:00:00Z")
    static let schools = [School(urn: "120501", name: "Boston Pioneers", laCode: "925"), School(urn: "120502", name: "Skegness", laCode: "925")]
    static let lead = KeyAdult(urn: "120501", name: "Ann Lead", email: "dsl@boston.school.example", channel: .smtp, endpoint: nil)
    static let deputy = KeyAdult(urn: "120501", name: "Dev Deputy", email: "deputy@boston.school.example", channel: .smtp, endpoint: nil)

    func store(_ kind: StoreKind) async throws -> TempStore {
        let t = try await TempStore(kind)
        try await t.store.replaceDirectory(SchoolDirectory(schools: Self.schools, keyAdults: [Self.lead]))
        return t
    }

    /// With I-1's alert to C-1's school (120501) queued to the lead.
    func storeWithAlert(_ kind: StoreKind) async throws -> TempStore {
        let t = try await store(kind)
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1")])], actor: "test", at: now,
                                     planner: SchoolDirectoryStoreTests.planner)
        return t
    }

    @Test(arguments: StoreKind.allCases)
    func theFileIsImportedWhenItChangesAndAnAdminsChangesStandUntilThen(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        try await t.store.changeKeyAdults(.add(Self.deputy), actor: "user:ade", at: now)
        #expect(try await t.store.keyAdults(urn: "120501").map(\.email) == ["deputy@boston.school.example", "dsl@boston.school.example"])
        // Every command writes Config/'s directory: the same file leaves the admin's deputy alone.
        try await t.store.replaceDirectory(SchoolDirectory(schools: Self.schools, keyAdults: [Self.lead]))
        #expect(try await t.store.keyAdults(urn: nil).count == 2)
        // A changed file replaces the list.
        let other = KeyAdult(urn: "120502", name: "Bea Lead", email: "dsl@skegness.school.example", channel: .smtp, endpoint: nil)
        try await t.store.replaceDirectory(SchoolDirectory(schools: Self.schools, keyAdults: [other, Self.lead]))
        #expect(try await t.store.keyAdults(urn: nil).map(\.email) == ["dsl@boston.school.example", "dsl@skegness.school.example"])
    }

    @Test(arguments: StoreKind.allCases)
    func aSchoolsListKeepsItsRulesAndEveryChangeIsAudited(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let stranger = KeyAdult(urn: "999999", name: "Nobody", email: "x@nowhere.example", channel: .smtp, endpoint: nil)
        await #expect(throws: KeyAdultError.unknownSchool("999999")) { try await t.store.changeKeyAdults(.add(stranger), actor: "user:ade", at: now) }
        await #expect(throws: KeyAdultError.self) { try await t.store.changeKeyAdults(.add(Self.lead), actor: "user:ade", at: now) }
        let system = KeyAdult(urn: "120501", name: "CPOMS", email: "", channel: .https, endpoint: "https://cpoms.example/hook")
        await #expect(throws: KeyAdultError.self) { try await t.store.changeKeyAdults(.add(system), actor: "user:ade", at: now) }
        await #expect(throws: KeyAdultError.notFound(urn: "120501", email: "gone@boston.school.example")) {
            try await t.store.changeKeyAdults(.remove(urn: "120501", email: "gone@boston.school.example"), actor: "user:ade", at: now)
        }
        #expect(try await t.store.keyAdults(urn: "120501") == [Self.lead], "nothing refused was written")

        try await t.store.changeKeyAdults(.add(Self.deputy), actor: "user:ade", at: now)
        var renamed = Self.deputy
        renamed.name = "Dev Deputy-Head"
        try await t.store.changeKeyAdults(.replace(email: "DEPUTY@boston.school.example", with: renamed), actor: "user:ade", at: now)
        try await t.store.changeKeyAdults(.remove(urn: "120501", email: Self.lead.email), actor: "user:ade", at: now)
        #expect(try await t.store.keyAdults(urn: "120501") == [renamed])
        let audit = try await t.store.auditEntries(limit: 20).filter { $0.action.hasPrefix("key-adult.") }.reversed()
        #expect(audit.map(\.action) == ["key-adult.added", "key-adult.changed", "key-adult.removed"])
        #expect(audit.allSatisfy { $0.subject == "school:120501" && $0.actor == "user:ade" })
        let changed = try #require(audit.dropFirst().first?.detail)
        #expect(changed.contains("Dev Deputy-Head") && changed.contains("\"old\""))
    }

    /// SPEC §2, all or nothing: an ingest imports Config/'s directory in its own transaction, so a
    /// batch refused after the writer took its first chunk (a large file, streamed) leaves the old
    /// key adults, and the waiting alerts where they were.
    @Test(arguments: StoreKind.allCases)
    func aRefusedStreamedIngestLeavesAChangedFileUnimported(kind: StoreKind) async throws {
        let t = try await storeWithAlert(kind)
        defer { t.cleanUp() }
        let planner = SchoolDirectoryStoreTests.planner
        let changed = KeyAdult(urn: "120501", name: "Ann Lead", email: "changed@boston.school.example", channel: .smtp, endpoint: nil)
        let directory = SchoolDirectory(schools: Self.schools, keyAdults: [changed])
        let feed = IncidentFeed()
        let store = t.store
        let writing = Task { try await store.ingest(feed, actor: "test", at: now, planner: planner, directory: directory) }
        // The writer imports the directory as its transaction starts, whenever it takes the chunk.
        feed.push([incident("I-2", "2026-11-21T21:00:00Z", children: [child("C-2")])])
        feed.finish(.abandoned)
        await #expect(throws: IngestAbandoned.self) { try await writing.value }
        #expect(try await t.store.keyAdults(urn: nil).map(\.email) == ["dsl@boston.school.example"])
        #expect(try await t.store.peekDue(now: now, limit: 10).map(\.recipient) == ["dsl@boston.school.example"])

        // The same batch accepted: the file is imported first, so its alert goes to the new address.
        let accepted = IncidentFeed()
        accepted.push([incident("I-2", "2026-11-21T21:00:00Z", children: [child("C-2")])])
        accepted.finish(.complete)
        _ = try await t.store.ingest(accepted, actor: "test", at: now, planner: planner, directory: directory)
        #expect(try await t.store.keyAdults(urn: nil).map(\.email) == ["changed@boston.school.example"])
        #expect(Set(try await t.store.peekDue(now: now, limit: 10).map(\.recipient)) == ["changed@boston.school.example"])
    }

    /// A key-adults.csv cut to its header is refused while the store holds key adults, writing
    /// nothing; with none held (a new install's file) it is imported as any other.
    @Test(arguments: StoreKind.allCases)
    func aFileOfNoRowsIsRefusedWhileKeyAdultsAreHeld(kind: StoreKind) async throws {
        let t = try await storeWithAlert(kind)
        defer { t.cleanUp() }
        await #expect(throws: EmptyKeyAdultsFile.self) {
            try await t.store.replaceDirectory(SchoolDirectory(schools: Self.schools, keyAdults: []))
        }
        #expect(try await t.store.keyAdults(urn: nil).map(\.email) == ["dsl@boston.school.example"])
        #expect(try await t.store.alerts(state: .unmatched).isEmpty)

        let fresh = try await TempStore(kind)
        defer { fresh.cleanUp() }
        try await fresh.store.replaceDirectory(SchoolDirectory(schools: Self.schools, keyAdults: []))
        #expect(try await fresh.store.keyAdults(urn: nil).isEmpty)
    }

    func recipient(_ t: TempStore) async throws -> String? {
        try await t.store.peekDue(now: now, limit: 10).first?.recipient
    }

    @Test(arguments: StoreKind.allCases)
    func waitingAlertsFollowTheSchoolsPeople(kind: StoreKind) async throws {
        let t = try await storeWithAlert(kind)
        defer { t.cleanUp() }
        let planner = SchoolDirectoryStoreTests.planner
        #expect(try await recipient(t) == "dsl@boston.school.example")

        try await t.store.changeKeyAdults(.add(Self.deputy), actor: "user:ade", at: now)
        #expect(try await recipient(t) == "deputy@boston.school.example, dsl@boston.school.example")
        _ = try await t.store.ingest([incident("I-2", "2026-11-21T21:00:00Z", children: [child("C-2")])], actor: "test", at: now, planner: planner)
        #expect(Set(try await t.store.peekDue(now: now, limit: 10).map(\.recipient)) == ["deputy@boston.school.example, dsl@boston.school.example"])

        for adult in [Self.lead, Self.deputy] {
            try await t.store.changeKeyAdults(.remove(urn: "120501", email: adult.email), actor: "user:ade", at: now)
        }
        let unmatched = try await t.store.alerts(state: .unmatched)
        #expect(unmatched.count == 2)
        #expect(unmatched.allSatisfy { $0.lastError == "school 120501 has no key adult" })
        try await t.store.changeKeyAdults(.add(Self.deputy), actor: "user:ade", at: now)
        #expect(try await t.store.matchUnmatched(planner: planner, now: now) == 2)
        #expect(try await recipient(t) == "deputy@boston.school.example")
    }

    /// A changed key-adults.csv moves every school's waiting alerts at once: one school's to its new
    /// people, one's to unmatched, and one whose people are as they were keeps what it has.
    @Test(arguments: StoreKind.allCases)
    func aChangedFileMovesEverySchoolsWaitingAlerts(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let third = School(urn: "120503", name: "Spalding", laCode: "925")
        let schools = Self.schools + [third]
        let skegness = KeyAdult(urn: "120502", name: "Bea Lead", email: "dsl@skegness.school.example", channel: .smtp, endpoint: nil)
        let spalding = KeyAdult(urn: "120503", name: "Cy Lead", email: "dsl@spalding.school.example", channel: .smtp, endpoint: nil)
        try await t.store.replaceDirectory(SchoolDirectory(schools: schools, keyAdults: [Self.lead, skegness, spalding]))
        let planner = SchoolDirectoryStoreTests.planner
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z",
                                               children: [child("C-1"), child("C-2", urn: "120502"), child("C-3", urn: "120503")])],
                                     actor: "test", at: now, planner: planner)
        #expect(try await t.store.peekDue(now: now, limit: 10).count == 3)

        try await t.store.replaceDirectory(SchoolDirectory(schools: schools, keyAdults: [Self.deputy, Self.lead, spalding]))
        let due = try await t.store.peekDue(now: now, limit: 10)
        #expect(Dictionary(uniqueKeysWithValues: due.map { ($0.schoolURN, $0.recipient) })
                == ["120501": "deputy@boston.school.example, dsl@boston.school.example", "120503": "dsl@spalding.school.example"])
        let unmatched = try await t.store.alerts(state: .unmatched)
        #expect(unmatched.map(\.lastError) == ["school 120502 has no key adult"])
    }

    /// Audit 29, F1: a key adult replaced while a run held a batch, and the rest of the batch went to
    /// the person replaced. Each change raises the key adults' version; an outcome recorded after it
    /// says so, and the run gives back what it has not sent: waiting at once, the claim's attempt
    /// not counted, and claimed again with the school's people as they are now.
    @Test(arguments: StoreKind.allCases)
    func alertsGivenBackAfterAKeyAdultChangeGoToTheSchoolsPeopleAsTheyAreNow(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let planner = SchoolDirectoryStoreTests.planner
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1"), child("C-2"), child("C-3")])],
                                     actor: "test", at: now, planner: planner)
        let claimed = try await t.store.claimDue(now: now, owner: "run:1", lease: 600, limit: 10, skippingChannels: [], planner: planner,
                                                 isDead: { _ in false })
        #expect(claimed.alerts.map(\.recipient) == Array(repeating: "dsl@boston.school.example", count: 3))
        let (first, second, third) = (claimed.alerts[0], claimed.alerts[1], claimed.alerts[2])
        // Unchanged key adults: an outcome says the version the batch was claimed at.
        #expect(try await t.store.record(.delivered, for: first.alertKey, owner: "run:1", now: now, planner: planner)
                == OutcomeRecorded(kept: true, routingVersion: claimed.routingVersion))

        var successor = Self.lead
        successor.email = "new-dsl@boston.school.example"
        try await t.store.changeKeyAdults(.replace(email: Self.lead.email, with: successor), actor: "user:ade", at: now)
        let recorded = try await t.store.record(.delivered, for: second.alertKey, owner: "run:1", now: now, planner: planner)
        #expect(recorded.kept && recorded.routingVersion != claimed.routingVersion, "the change is seen by the next outcome")

        // Given back by its own run only: another owner's claim is left alone.
        try await t.store.giveBack([third.alertKey], owner: "run:2", now: now, planner: planner)
        #expect(try await t.store.alert(reference: third.reference)?.state == .sending)
        try await t.store.giveBack([third.alertKey], owner: "run:1", now: now, planner: planner)
        let given = try #require(try await t.store.alert(reference: third.reference))
        #expect(given.state == .queued && given.attempts == 0, "waiting again, nothing sent, no attempt counted")

        let again = try await t.store.claimDue(now: now, owner: "run:1", lease: 600, limit: 10, skippingChannels: [], planner: planner,
                                               isDead: { _ in false })
        #expect(again.alerts.map(\.reference) == [third.reference])
        #expect(again.alerts.first?.recipient == "new-dsl@boston.school.example" && again.alerts.first?.attempts == 1)
        #expect(again.routingVersion == recorded.routingVersion)
        // What was delivered stays delivered, to whom it went.
        #expect(try await t.store.alert(reference: first.reference)?.state == .delivered)
    }
}
