import Foundation
import RiskModel
import Testing

@Suite("Rules together, names and settings")
struct RuleSetTests {
    /// SPEC §8's example: three standard incidents make the child high through potential-escalation,
    /// and cumulative-score joins in only when the score reaches a threshold.
    @Test(arguments: [
        ([0.0, 0, 0], 3.0, Level.medium as Level?),
        ([0, 1, 2], 2.9770, .medium),
        ([10, 40, 200], 1.8751, nil),
    ])
    func specExampleShape(ages: [Double], score: Double, scoreLevel: Level?) throws {
        let ids = ["I-1", "I-7", "I-9"]
        let facts = zip(ids, ages).map { Fixture.fact($0, daysBefore: $1) }
        let a = try #require(Fixture.assess(facts, child: "C-104"))
        #expect(a.childId == "C-104")
        #expect(a.level == .high)
        #expect(a.suggestions == ["marac-referral"])
        #expect(close(a.score, score), "score \(a.score)")
        #expect(Set(a.incidentIds) == Set(ids))
        var expected = [RuleHit(rule: .potentialEscalation, level: .high, incidentIds: a.incidentIds)]
        if let scoreLevel {
            expected.append(RuleHit(rule: .cumulativeScore, level: scoreLevel, incidentIds: a.incidentIds))
        }
        #expect(a.rules == expected)
    }

    @Test func everyRuleFiresInTheSpecTableOrder() throws {
        let facts = [
            Fixture.fact("I-1", at: "2026-06-01T10:00:00Z", .high),
            Fixture.fact("I-2", at: "2026-09-01T10:00:00Z", .medium),
            Fixture.fact("I-3", at: "2026-11-20T10:00:00Z"),
        ]
        let serial = RiskRules.serialPerpetrators([
            PerpetratorIncident(perpetratorId: "P-1", victimId: "V-1", incidentId: "I-3", reportedAt: facts[2].reportedAt),
            PerpetratorIncident(perpetratorId: "P-1", victimId: "V-2", incidentId: "I-0", reportedAt: facts[0].reportedAt),
        ], asOf: Fixture.asOf, settings: Fixture.defaults)
        let episodes = (1...3).map { EpisodeFact(episodeId: "E-\($0)", missingAt: Fixture.asOf.addingTimeInterval(-Double($0) * Fixture.day)) }
        let a = try #require(RiskRules.assess(
            ChildHistory(childId: "C-1", incidents: facts, maracReferrals: [Fixture.localDate("2026-06-01")], episodes: episodes),
            asOf: Fixture.asOf, settings: Fixture.defaults, serial: serial))
        #expect(a.rules.map(\.rule) == RuleID.allCases)
        #expect(a.hit(.serialPerpetrator)?.incidentIds == ["I-3"])
        #expect(a.hit(.repeatMissing)?.episodeIds == ["E-3", "E-2", "E-1"])
        #expect(a.hit(.visibleHighRisk)?.incidentIds == ["I-1"])
        #expect(a.hit(.potentialEscalation)?.incidentIds == ["I-1", "I-2", "I-3"])
        #expect(a.hit(.repeatMarac)?.incidentIds == ["I-2", "I-3"])
        #expect(a.hit(.mediumIncident) == RuleHit(rule: .mediumIncident, level: .medium, incidentIds: ["I-2"]))
        #expect(a.level == .high)
        // The referral is older than the newest incident: still suggested.
        #expect(a.suggestions == ["marac-referral", "strategy-meeting"])
    }

    @Test func levelIsStandardWhenNothingFires() throws {
        let a = try #require(Fixture.assess([Fixture.fact("I-1", daysBefore: 100)]))
        #expect(a.level == .standard)
        #expect(a.rules.isEmpty)
        #expect(a.suggestions.isEmpty)
        #expect(a.incidentIds == ["I-1"])
    }

    @Test(arguments: zip(RuleID.allCases,
                         ["visible-high-risk", "potential-escalation", "repeat-marac", "cumulative-score",
                          "medium-incident"]))
    func ruleIdsAreTheSpecNames(rule: RuleID, name: String) {
        #expect(rule.rawValue == name)
        #expect(RuleID(rawValue: name) == rule)
        #expect(!rule.summary.isEmpty)
        #expect(rule.summary.rangeOfCharacter(from: .decimalDigits) == nil)
    }

    @Test func summariesCarryTheConfiguredNumbers() {
        #expect(RuleID.visibleHighRisk.summary(settings: ScoringSettings())
            == "an incident graded high in the last 365 days")
        let s = ScoringSettings(windowDays: 180, escalationCount: 4, scoreMedium: 2.5, scoreHigh: 5)
        #expect(RuleID.potentialEscalation.summary(settings: s).hasPrefix("4 or more incidents in the last 180 days"))
        #expect(RuleID.cumulativeScore.summary(settings: s).contains("2.5 or more (5 or more is high)"))
    }

    @Test(arguments: [(Level.standard, "standard"), (.medium, "medium"), (.high, "high")])
    func levelNames(level: Level, name: String) {
        #expect(level.name == name)
        #expect(Level(name: name.uppercased()) == level)
    }

    @Test func levelsOrder() {
        #expect(Level.standard < .medium && Level.medium < .high)
        #expect([Level.medium, .high, .standard].max() == .high)
    }

    @Test func defaultsAreTheSpecDefaults() {
        let s = ScoringSettings()
        #expect(s.windowDays == 365 && s.escalationCount == 3 && s.halfLifeDays == 90)
        #expect(s.weights == [.standard: 1, .medium: 2, .high: 4])
        #expect(s.scoreMedium == 2.0 && s.scoreHigh == 4.0)
        #expect(s.zone.timeZone.identifier == "Europe/London")
        #expect(s.problems.isEmpty)
        #expect(s == ScoringSettings())
        #expect(s != ScoringSettings(zone: Zone(TimeZone(identifier: "UTC")!)))
    }

    @Test(arguments: [
        (ScoringSettings(windowDays: 0), "scoring.window_days"),
        (ScoringSettings(escalationCount: 0), "scoring.escalation_count"),
        (ScoringSettings(halfLifeDays: 0), "scoring.half_life_days"),
        (ScoringSettings(halfLifeDays: .nan), "scoring.half_life_days"),
        (ScoringSettings(weights: [.medium: -1]), "scoring.weights.medium"),
        (ScoringSettings(scoreHigh: .infinity), "scoring.score_high"),
    ])
    func settingsProblemsNameTheKey(settings: ScoringSettings, key: String) {
        #expect(settings.problems.count == 1)
        #expect(settings.problems.first?.hasPrefix(key) == true)
    }
}
