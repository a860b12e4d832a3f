import Foundation
import RiskModel
import Testing

/// SPEC §3 feeding §4: the grade the rules see is the incident's effective grade.
@Suite("Effective grade into the rules")
struct EffectiveGradeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        var tool: RiskTool = .dash
        let officer: Grade
        var yes: Int? = nil
        var supervisor: Grade? = nil
        let effective: Grade
        let belowChecklist: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "supervisor raises standard to high", officer: .standard, supervisor: .high,
             effective: .high, belowChecklist: false),
        Case(name: "supervisor lowers high to standard", officer: .high, supervisor: .standard,
             effective: .standard, belowChecklist: false),
        Case(name: "supervisor lowers high to medium", officer: .high, yes: 5, supervisor: .medium,
             effective: .medium, belowChecklist: false),
        Case(name: "14 yes is high whatever anyone says", officer: .standard, yes: 14, supervisor: .standard,
             effective: .high, belowChecklist: true),
        Case(name: "13 yes is a medium floor", officer: .standard, yes: 13,
             effective: .medium, belowChecklist: true),
        Case(name: "10 yes graded medium agrees", officer: .medium, yes: 10,
             effective: .medium, belowChecklist: false),
        Case(name: "9 yes leaves standard", officer: .standard, yes: 9,
             effective: .standard, belowChecklist: false),
        Case(name: "high above a low count", officer: .high, yes: 3,
             effective: .high, belowChecklist: false),
        Case(name: "officer below band though supervisor raised it", officer: .medium, yes: 14, supervisor: .high,
             effective: .high, belowChecklist: true),
        Case(name: "supervisor cannot go below the 10-yes floor", officer: .medium, yes: 11, supervisor: .standard,
             effective: .medium, belowChecklist: false),
        Case(name: "DASH24 at 14 yes", tool: .dash24, officer: .standard, yes: 14,
             effective: .high, belowChecklist: true),
        Case(name: "DARA high with no count", tool: .dara, officer: .high, effective: .high, belowChecklist: false),
        Case(name: "DARA raised by supervisor", tool: .dara, officer: .standard, supervisor: .medium,
             effective: .medium, belowChecklist: false),
        Case(name: "NONE standard", tool: .none, officer: .standard, effective: .standard, belowChecklist: false),
    ]

    @Test(arguments: cases)
    func effectiveGradeDecidesTheRules(c: Case) throws {
        let incident = Incident(
            id: "I-1", reportedAt: Fixture.asOf, riskTool: c.tool, officerGrade: c.officer,
            dashYesCount: c.yes, supervisorGrade: c.supervisor, victimId: "V-1")
        #expect(incident.effectiveGrade == c.effective)
        #expect(incident.flags.contains(.gradeBelowChecklist) == c.belowChecklist)

        let fact = IncidentFact(incident)
        #expect(fact.grade == c.effective)
        // Reported at as-of, so its score is exactly its weight.
        let a = try #require(Fixture.assess([fact]))
        switch c.effective {
        case .high:
            #expect(a.level == .high)
            #expect(a.rules.map(\.rule) == [.visibleHighRisk, .cumulativeScore])
            #expect(a.hit(.visibleHighRisk)?.incidentIds == ["I-1"])
            #expect(a.suggestions == ["marac-referral"])
        case .medium:
            #expect(a.level == .medium)
            #expect(a.rules == [
                RuleHit(rule: .cumulativeScore, level: .medium, incidentIds: ["I-1"]),
                RuleHit(rule: .mediumIncident, level: .medium, incidentIds: ["I-1"]),
            ])
            #expect(a.suggestions.isEmpty)
        case .standard:
            #expect(a.level == .standard)
            #expect(a.rules.isEmpty)
            #expect(a.suggestions.isEmpty)
        }
    }

    @Test func regradeDownTakesAChildOutOfHigh() throws {
        var incident = Incident(id: "I-4", reportedAt: Fixture.asOf.addingTimeInterval(-100 * Fixture.day),
                                officerGrade: .high, victimId: "V-1")
        #expect(try #require(Fixture.assess([IncidentFact(incident)])).level == .high)
        incident.supervisorGrade = .standard
        let after = try #require(Fixture.assess([IncidentFact(incident)]))
        #expect(after.level == .standard)
        #expect(after.hit(.visibleHighRisk) == nil)
    }
}
