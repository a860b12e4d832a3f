import Foundation
import RiskModel
import Testing

@Suite("The window and which incidents count")
struct WindowTests {
    struct Edge: Sendable, CustomTestStringConvertible {
        let name: String
        let secondsBefore: Double
        let inside: Bool
        var testDescription: String { name }
    }

    @Test(arguments: [
        Edge(name: "reported at as-of", secondsBefore: 0, inside: true),
        Edge(name: "a day earlier", secondsBefore: 86_400, inside: true),
        Edge(name: "exactly 365 days earlier", secondsBefore: 365 * 86_400, inside: true),
        Edge(name: "365 days and 1 s earlier", secondsBefore: 365 * 86_400 + 1, inside: false),
        Edge(name: "two years earlier", secondsBefore: 730 * 86_400, inside: false),
        Edge(name: "1 s after as-of", secondsBefore: -1, inside: false),
    ])
    func windowEnds(edge: Edge) {
        let result = Fixture.assess([Fixture.fact("I-1", seconds: edge.secondsBefore)])
        if edge.inside {
            #expect(result?.incidentIds == ["I-1"])
            #expect(result?.newestIncidentAt == Fixture.asOf.addingTimeInterval(-edge.secondsBefore))
        } else {
            #expect(result == nil)
        }
    }

    @Test(arguments: [(30, 30 * 86_400.0, true), (30, 30 * 86_400.0 + 1, false), (7, 8 * 86_400.0, false)])
    func configuredWindow(days: Int, secondsBefore: Double, inside: Bool) {
        let settings = ScoringSettings(windowDays: days)
        let result = Fixture.assess([Fixture.fact("I-1", seconds: secondsBefore)], settings: settings)
        #expect((result != nil) == inside)
    }

    @Test func incidentAfterAsOfIsIgnoredByEveryRule() throws {
        let facts = [
            Fixture.fact("I-1", daysBefore: 20),
            Fixture.fact("I-2", daysBefore: 10),
            Fixture.fact("I-3", seconds: -1, .high),
        ]
        let a = try #require(Fixture.assess(facts))
        #expect(a.incidentIds == ["I-1", "I-2"])
        #expect(a.rules.isEmpty)
        #expect(a.level == .standard)
        #expect(a.newestIncidentAt == Fixture.asOf.addingTimeInterval(-10 * Fixture.day))
    }

    @Test(arguments: [
        (1, false), (2, false), (3, true), (4, true),
    ])
    func theThirdIncidentEscalates(count: Int, fires: Bool) throws {
        // Spread over the year and all standard: only the count can make the child high.
        let facts = (0..<count).map { Fixture.fact("I-\($0)", daysBefore: Double(300 - $0 * 100)) }
        let a = try #require(Fixture.assess(facts))
        #expect((a.hit(.potentialEscalation) != nil) == fires)
        #expect(a.level == (fires ? .high : .standard))
        if fires {
            #expect(a.hit(.potentialEscalation) == RuleHit(
                rule: .potentialEscalation, level: .high, incidentIds: facts.map(\.incidentId)))
        }
    }

    @Test(arguments: [(2, 2, true), (2, 1, false), (5, 4, false), (5, 5, true)])
    func configuredEscalationCount(setting: Int, incidents: Int, fires: Bool) throws {
        let facts = (0..<incidents).map { Fixture.fact("I-\($0)", daysBefore: Double(200 + $0)) }
        let a = try #require(Fixture.assess(facts, settings: ScoringSettings(escalationCount: setting)))
        #expect((a.hit(.potentialEscalation) != nil) == fires)
    }

    @Test(arguments: [1, 2, 17, 40])
    func theSameIncidentIdCountsOnce(copies: Int) throws {
        let one = Fixture.fact("I-1", daysBefore: 5)
        let two = Fixture.fact("I-2", daysBefore: 3)
        let facts = Array(repeating: [two, one], count: copies).flatMap { $0 }
        let a = try #require(Fixture.assess(facts))
        #expect(a.incidentIds == ["I-1", "I-2"])
        #expect(a.hit(.potentialEscalation) == nil)
        let single = try #require(Fixture.assess([one, two]))
        #expect(close(a.score, single.score))
    }

    @Test func siblingsSharingAnIncidentBothFire() throws {
        let shared = Fixture.fact("I-9", daysBefore: 2, .high)
        let older = try #require(Fixture.assess([Fixture.fact("I-1", daysBefore: 40), shared], child: "C-1"))
        let younger = try #require(Fixture.assess([shared], child: "C-2"))
        for a in [older, younger] {
            #expect(a.level == .high)
            #expect(a.hit(.visibleHighRisk)?.incidentIds == ["I-9"])
            #expect(a.suggestions == ["marac-referral"])
        }
        #expect(older.childId == "C-1")
        #expect(younger.childId == "C-2")
    }

    @Test func oneChildAcrossDifferentVictimsCountsEveryIncident() throws {
        let child = ChildLink(childId: "C-7", givenName: "A", familyName: "B",
                              dateOfBirth: Fixture.localDate("2018-04-01"))
        let incidents = ["V-1", "V-2", "V-3"].enumerated().map { i, victim in
            Incident(id: "I-\(i)", reportedAt: Fixture.asOf.addingTimeInterval(-Double(i + 1) * 50 * Fixture.day),
                     officerGrade: .standard, victimId: victim, children: [child])
        }
        let a = try #require(Fixture.assess(incidents.map(IncidentFact.init), child: "C-7"))
        #expect(a.incidentIds == ["I-2", "I-1", "I-0"])
        #expect(a.hit(.potentialEscalation)?.incidentIds == ["I-2", "I-1", "I-0"])
    }

    @Test func incidentsAreListedOldestFirstTiesById() throws {
        let at = "2026-10-01T12:00:00Z"
        let facts = [
            Fixture.fact("I-b", at: at), Fixture.fact("I-c", at: "2026-09-01T00:00:00Z"), Fixture.fact("I-a", at: at),
        ]
        let a = try #require(Fixture.assess(facts))
        #expect(a.incidentIds == ["I-c", "I-a", "I-b"])
        #expect(a.newestIncidentAt == Fixture.date(at))
    }

    @Test func anAsOfInThePastSeesOnlyWhatWasKnownThen() throws {
        let facts = [
            Fixture.fact("I-1", at: "2025-06-01T10:00:00Z"),
            Fixture.fact("I-2", at: "2025-09-01T10:00:00Z", .medium),
            Fixture.fact("I-3", at: "2026-02-01T10:00:00Z", .high),
        ]
        let past = Fixture.date("2025-12-31T23:59:59Z")
        let then = try #require(Fixture.assess(facts, asOf: past))
        #expect(then.incidentIds == ["I-1", "I-2"])
        #expect(then.hit(.visibleHighRisk) == nil)
        #expect(then.hit(.potentialEscalation) == nil)
        #expect(then.level == .medium)
        #expect(then.newestIncidentAt == Fixture.date("2025-09-01T10:00:00Z"))
        // A year on, the first incident has left the window and the high one has arrived.
        let now = try #require(Fixture.assess(facts, asOf: Fixture.date("2026-06-15T00:00:00Z")))
        #expect(now.incidentIds == ["I-2", "I-3"])
        #expect(now.level == .high)
        // Before any incident, there is nothing to assess.
        #expect(Fixture.assess(facts, asOf: Fixture.date("2025-05-31T00:00:00Z")) == nil)
    }

    @Test func aChildWithNoIncidentsHasNoAssessment() {
        #expect(Fixture.assess([]) == nil)
        #expect(Fixture.assess([], referrals: [Fixture.localDate("2026-11-01")]) == nil)
    }
}
