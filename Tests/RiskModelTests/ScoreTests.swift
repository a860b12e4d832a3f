import Foundation
import RiskModel
import Testing

@Suite("The cumulative score")
struct ScoreTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        /// (age in days, effective grade)
        let incidents: [(Double, Grade)]
        let score: Double
        let level: Level?
        var settings = ScoringSettings()
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "one high today", incidents: [(0, .high)], score: 4.0, level: .high),
        Case(name: "one high a second ago is just under 4", incidents: [(1.0 / 86_400, .high)],
             score: 4.0, level: .medium),
        Case(name: "one medium today", incidents: [(0, .medium)], score: 2.0, level: .medium),
        Case(name: "one medium 90 days ago", incidents: [(90, .medium)], score: 1.0, level: nil),
        Case(name: "one high 90 days ago", incidents: [(90, .high)], score: 2.0, level: .medium),
        Case(name: "one high 180 days ago", incidents: [(180, .high)], score: 1.0, level: nil),
        Case(name: "one high 365 days ago", incidents: [(365, .high)], score: 0.2406, level: nil),
        Case(name: "one standard 45 days ago", incidents: [(45, .standard)], score: 0.7071, level: nil),
        Case(name: "a day and a half", incidents: [(1.5, .standard)], score: 0.9885, level: nil),
        Case(name: "two standard today", incidents: [(0, .standard), (0, .standard)], score: 2.0, level: .medium),
        Case(name: "high and standard today", incidents: [(0, .high), (0, .standard)], score: 5.0, level: .high),
        Case(name: "medium 30 days, standard 10 days", incidents: [(30, .medium), (10, .standard)],
             score: 2.5133, level: .medium),
        Case(name: "three halving standards", incidents: [(0, .standard), (90, .standard), (180, .standard)],
             score: 1.75, level: nil),
        Case(name: "configured weight and half-life", incidents: [(30, .standard)], score: 1.5, level: nil,
             settings: ScoringSettings(halfLifeDays: 30, weights: [.standard: 3, .medium: 2, .high: 4])),
        Case(name: "configured thresholds", incidents: [(0, .standard)], score: 1.0, level: .high,
             settings: ScoringSettings(scoreMedium: 0.5, scoreHigh: 1.0)),
        Case(name: "a weight left out keeps its default", incidents: [(0, .high)], score: 4.0, level: .high,
             settings: ScoringSettings(weights: [.standard: 1])),
        // Ten of 0.2 add up to 1.9999999999999998 in binary: at the threshold all the same.
        Case(name: "decimal weights that add up to the threshold reach it", incidents: Array(repeating: (0, .standard), count: 10),
             score: 2.0, level: .medium, settings: ScoringSettings(weights: [.standard: 0.2, .medium: 2, .high: 4])),
        // As the settings file sets them: one weight at a time, after the settings were made.
        Case(name: "a weight changed later", incidents: [(0, .standard), (0, .medium)], score: 3.5, level: .medium,
             settings: { var s = ScoringSettings(); s.weights[.standard] = 0.5; s.weights[.medium] = 3; return s }()),
    ]

    @Test(arguments: cases)
    func scoreAndItsLevel(c: Case) throws {
        let facts = c.incidents.enumerated().map { i, incident in
            Fixture.fact("I-\(i)", daysBefore: incident.0, incident.1)
        }
        let a = try #require(Fixture.assess(facts, settings: c.settings))
        #expect(close(a.score, c.score), "score \(a.score)")
        let hit = a.hit(.cumulativeScore)
        #expect(hit?.level == c.level)
        if hit != nil {
            #expect(hit?.incidentIds == a.incidentIds)
            #expect(Set(a.incidentIds) == Set(facts.map(\.incidentId)))
        }
    }

    @Test func scoreIsUnrounded() throws {
        let a = try #require(Fixture.assess([Fixture.fact("I-1", daysBefore: 45)]))
        // Far finer than any display rounding (0.71).
        #expect(abs(a.score - 0.7071067811865476) < 1e-12)
    }

    @Test(arguments: [(0.0, 1.0), (90, 0.5), (45, 0.7071), (270, 0.125)])
    func decay(days: Double, factor: Double) {
        let reported = Fixture.asOf.addingTimeInterval(-days * Fixture.day)
        #expect(close(RiskRules.decay(from: reported, to: Fixture.asOf, halfLifeDays: 90), factor))
    }
}
