import Foundation
import RiskModel
import Testing

/// `assess(minimumLevel:)` skips children below the queue without building their assessment; it
/// must skip exactly those the full assessment puts below it.
@Suite("Skipping children below the queue")
struct QuickLevelTests {
    /// A small deterministic generator, so a failure names a seed that replays it.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    static let settings: [ScoringSettings] = [
        ScoringSettings(),
        ScoringSettings(windowDays: 90, escalationCount: 2, halfLifeDays: 30),
        ScoringSettings(weights: [.standard: 2.5, .medium: 3, .high: 4], scoreMedium: 2.0, scoreHigh: 6.0),
        ScoringSettings(escalationCount: 10, scoreMedium: 0.5, scoreHigh: 100),
    ]

    @Test(arguments: 0..<settings.count)
    func theSkipAgreesWithTheFullAssessment(settingsIndex: Int) throws {
        let settings = Self.settings[settingsIndex]
        var g = Generator(state: UInt64(settingsIndex) + 1)
        var skipped = 0, kept = 0, leftOut = 0
        for seed in 0..<3_000 {
            // Up to five incidents in the last 400 days (some after as-of), oldest first, ids distinct.
            var facts: [IncidentFact] = []
            var days = Double(g.next(400)) - 5
            for i in 0..<(1 + g.next(5)) {
                facts.append(Fixture.fact("I-\(seed)-\(i)", daysBefore: days, [Grade.standard, .standard, .medium, .high][g.next(4)]))
                days = max(-5, days - Double(g.next(60)))
            }
            let history = ChildHistory(childId: "C-\(seed)", incidents: facts)
            let full = RiskRules.assess(history, asOf: Fixture.asOf, settings: settings)
            let quick = RiskRules.assess(history, asOf: Fixture.asOf, settings: settings, minimumLevel: .medium)
            if let full, full.level >= .medium {
                #expect(quick == full, "seed \(seed)")
                // A store's floor never leaves out a child the queue keeps.
                let window = facts.filter { $0.reportedAt <= Fixture.asOf && $0.reportedAt >= Fixture.asOf.addingTimeInterval(-Double(settings.windowDays) * RiskRules.secondsPerDay) }
                let floor = try #require(RiskRules.scanFloor(minimumLevel: .medium, settings: settings))
                #expect(floor.admits(count: window.count, top: window.map(\.grade).max() ?? .standard), "seed \(seed)")
                // Nor does the floor asked child by child, as PostgreSQL's scan asks it of what it read.
                #expect(ScanFloor.Check(floor).keeps(childId: history.childId, incidents: window, windowStart: Fixture.asOf.addingTimeInterval(-Double(settings.windowDays) * RiskRules.secondsPerDay), referred: false), "seed \(seed)")
                kept += 1
            } else {
                #expect(quick == nil, "seed \(seed)")
                skipped += 1
                let window = facts.filter { $0.reportedAt <= Fixture.asOf && $0.reportedAt >= Fixture.asOf.addingTimeInterval(-Double(settings.windowDays) * RiskRules.secondsPerDay) }
                let floor = try #require(RiskRules.scanFloor(minimumLevel: .medium, settings: settings))
                if !floor.admits(count: window.count, top: window.map(\.grade).max() ?? .standard) {
                    leftOut += 1
                    let windowStart = Fixture.asOf.addingTimeInterval(-Double(settings.windowDays) * RiskRules.secondsPerDay)
                    #expect(!ScanFloor.Check(floor).keeps(childId: history.childId, incidents: window, windowStart: windowStart, referred: false))
                    // Kept when RiskModel says so of the child (episodes) or of one of its incidents (serial).
                    var named = floor
                    named.alsoChildren = [history.childId]
                    #expect(ScanFloor.Check(named).keeps(childId: history.childId, incidents: window, windowStart: windowStart, referred: false))
                    named.alsoChildren = []
                    named.serial = SerialPerpetrators(findings: [:], perpetratorOfIncident: Dictionary(uniqueKeysWithValues: window.suffix(1).map { ($0.incidentId, "P-1") }))
                    #expect(ScanFloor.Check(named).keeps(childId: history.childId, incidents: window, windowStart: windowStart, referred: false) == !window.isEmpty)
                    #expect(ScanFloor.Check(floor).keeps(childId: history.childId, incidents: window, windowStart: windowStart, referred: true))
                }
            }
        }
        // The cases reach both sides of the line, and the floor leaves some out where it can
        // (with a standard weight at the medium score, one incident may reach it: nothing is left out).
        #expect(skipped > 100 && kept > 100)
        #expect(leftOut > 0 || settings.weight(of: .standard) >= settings.scoreMedium, "the floor leaves out no one")
    }

    /// The floor is as high as the rules allow: by default a child needs two incidents of the window
    /// (one standard scores at most 1 of the 2 medium needs) or one graded medium; it was 1, so
    /// every child with an incident was assessed.
    @Test func theFloorIsTheFewestIncidentsThatCanReachTheLevel() throws {
        let medium = try #require(RiskRules.scanFloor(minimumLevel: .medium, settings: ScoringSettings()))
        #expect(medium.incidents == 2 && medium.grade == .medium)
        #expect(try #require(RiskRules.scanFloor(minimumLevel: .medium, settings: Self.settings[2])).incidents == 1, "2.5 a standard incident reaches 2")
        #expect(try #require(RiskRules.scanFloor(minimumLevel: .medium, settings: ScoringSettings(weights: [.standard: 0.1, .medium: 2, .high: 4], scoreMedium: 0.3))).incidents == 3,
                "three incidents of 0.1 reach 0.3, within the score's tolerance; two do not")
    }

    @Test func aChildBelowTheMinimumIsNilOnTheFullPathToo() {
        // A referral (so no quick skip) dated after the child's one standard incident: nothing fires.
        let facts = [Fixture.fact("I-1", daysBefore: 20)]
        let history = ChildHistory(childId: "C-1", incidents: facts, maracReferrals: [Fixture.localDate("2026-11-20")])
        #expect(RiskRules.assess(history, asOf: Fixture.asOf, settings: Fixture.defaults)?.level == .standard)
        #expect(RiskRules.assess(history, asOf: Fixture.asOf, settings: Fixture.defaults, minimumLevel: .medium) == nil)
    }

    @Test func aReferredChildIsNeverSkippedUnassessed() {
        // One old standard incident after a referral: repeat-marac makes the child high.
        let facts = [Fixture.fact("I-1", daysBefore: 20)]
        let history = ChildHistory(childId: "C-1", incidents: facts, maracReferrals: [Fixture.localDate("2026-09-01")])
        let a = RiskRules.assess(history, asOf: Fixture.asOf, settings: Fixture.defaults, minimumLevel: .medium)
        #expect(a?.level == .high)
        #expect(a?.rules.map(\.rule) == [.repeatMarac])
    }
}
