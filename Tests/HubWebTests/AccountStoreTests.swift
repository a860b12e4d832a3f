import Foundation
import HubWeb
import RiskModel
import SQLiteStore
import StoreContract
import Testing

/// The SQLite side of accounts and a child's record, below the web layer.
@Suite struct AccountStoreTests {
    @Test func migratingAgainKeepsTheAccounts() async throws {
        let fixture = try await WebFixture.make(csv: "")
        defer { fixture.cleanUp() }
        try await fixture.store.migrate()
        #expect(try await fixture.store.users().count == 3)
    }

    @Test func namesAreUniqueWhateverTheirCase() async throws {
        let fixture = try await WebFixture.make(csv: "")
        defer { fixture.cleanUp() }
        await #expect(throws: AccountError.nameTaken("HANA")) {
            try await fixture.store.addUser(name: "HANA", role: .admin, passwordHash: "x", by: "test", at: Date())
        }
        #expect(try await fixture.store.user(named: "Hana")?.role == .hub)
    }

    @Test func theFifthFailureLocksAndTheCountStartsAgain() async throws {
        let fixture = try await WebFixture.make(csv: "")
        defer { fixture.cleanUp() }
        let now = fixture.clock.now()
        var last: UserAccount?
        for _ in 1...5 {
            last = try await fixture.store.recordFailedSignIn(name: "hana", at: now, threshold: 5, lockFor: 900)
        }
        #expect(last?.lockedUntil == now.addingTimeInterval(900))
        #expect(last?.failedSignIns == 0)
        #expect(try await fixture.store.recordFailedSignIn(name: "nobody", at: now, threshold: 5, lockFor: 900) == nil)
        try await fixture.store.setDisabled(false, name: "hana", by: "test", at: now)
        #expect(try await fixture.store.user(named: "hana")?.isLocked(at: now) == false)
    }

    @Test func passwordsAreStoredAsBcryptHashes() async throws {
        let fixture = try await WebFixture.make(csv: "")
        defer { fixture.cleanUp() }
        let hash = try #require(try await fixture.store.user(named: "hana")?.passwordHash)
        #expect(hash.hasPrefix("$2b$04$"))
        #expect(!hash.contains(WebFixture.password))
    }

    @Test func aRegradeKeepsItsHistoryAndSurvivesReingestingTheSameFile() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        _ = try await fixture.store.regrade(incidentId: "I-5", to: .medium, reason: "First review.", by: "sam", at: fixture.clock.now())
        _ = try await fixture.store.regrade(incidentId: "I-5", to: .high, reason: "Second review.", by: "sam", at: fixture.clock.now())
        try await fixture.ingest(Sample.csv)
        let record = try #require(try await fixture.store.childRecord("C-3"))
        #expect(record.regrades.map(\.newGrade) == [.medium, .high])
        #expect(record.regrades.map(\.oldGrade) == [nil, .medium])
        #expect(record.incidents[0].effectiveGrade == .high)
        await #expect(throws: ChildRecordError.unknownIncident("I-404")) {
            try await fixture.store.regrade(incidentId: "I-404", to: .high, reason: "x", by: "sam", at: Date())
        }
    }

    @Test func aDecisionFromTheCommandLineShowsAsNotAsked() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.store.record(Decision(childId: "C-1", outcome: .referred, on: LocalDate(iso: "2026-11-21")!, reason: nil,
                                                by: "cli", recordedAt: fixture.clock.now()))
        let entry = try #require(try await fixture.store.childRecord("C-1")?.decisions.first)
        #expect(entry.strategyDiscussion == nil)
        #expect(try await fixture.store.latestDecisions()["C-1"]?.outcome == .referred)
    }
}
