import Foundation
import RiskModel
import Testing

@Suite("The review queue")
struct ReviewQueueTests {
    static func assessment(_ child: String, _ level: Level, newestDaysBefore days: Double) -> Assessment {
        Assessment(childId: child, level: level, score: 0, suggestions: [], rules: [], incidentIds: ["I-\(child)"],
                   newestIncidentAt: Fixture.asOf.addingTimeInterval(-days * Fixture.day))
    }

    static let input = [
        assessment("C-s", .standard, newestDaysBefore: 0),
        assessment("C-m-old", .medium, newestDaysBefore: 50),
        assessment("C-h-b", .high, newestDaysBefore: 10),
        assessment("C-m-new", .medium, newestDaysBefore: 1),
        assessment("C-h-a", .high, newestDaysBefore: 10),
        assessment("C-h-new", .high, newestDaysBefore: 2),
        assessment("C-s-old", .standard, newestDaysBefore: 300),
    ]

    @Test(arguments: [
        (false, ["C-h-new", "C-h-a", "C-h-b", "C-m-new", "C-m-old"]),
        (true, ["C-h-new", "C-h-a", "C-h-b", "C-m-new", "C-m-old", "C-s", "C-s-old"]),
    ])
    func highestLevelThenNewestThenChildId(includeAll: Bool, expected: [String]) {
        #expect(RiskRules.reviewQueue(Self.input, includeAll: includeAll).map(\.childId) == expected)
        #expect(RiskRules.reviewQueue(Self.input.reversed(), includeAll: includeAll).map(\.childId) == expected)
    }

    @Test func queueFromRealAssessments() throws {
        let children: [(String, [IncidentFact])] = [
            ("C-1", [Fixture.fact("I-1", daysBefore: 5)]),
            ("C-2", [Fixture.fact("I-2", daysBefore: 40, .high)]),
            ("C-3", [Fixture.fact("I-3", daysBefore: 1, .medium)]),
            ("C-4", [Fixture.fact("I-4", daysBefore: 400, .high)]),
        ]
        let assessments = children.compactMap { Fixture.assess($0.1, child: $0.0) }
        #expect(assessments.count == 3)
        #expect(RiskRules.reviewQueue(assessments, includeAll: false).map(\.childId) == ["C-2", "C-3"])
        #expect(RiskRules.reviewQueue(assessments, includeAll: true).map(\.childId) == ["C-2", "C-3", "C-1"])
    }
}
