import CivilTime
import Foundation
import RiskModel
import Testing

/// `repeat-missing`, `serial-perpetrator` and the `return-interview-overdue` flag (SPEC §4, §10), at their edges.
@Suite("missing episodes and the serial perpetrator")
struct EpisodeAndSerialRuleTests {
    static let day = Fixture.day
    static let asOf = Fixture.asOf

    static func episode(_ id: String, daysBefore days: Double, seconds: Double = 0, returnedAfterHours: Double? = nil,
                        interviewAfterHours: Double? = nil) -> EpisodeFact {
        let missing = asOf.addingTimeInterval(-(days * day + seconds))
        let returned = returnedAfterHours.map { missing.addingTimeInterval($0 * 3600) }
        return EpisodeFact(episodeId: id, missingAt: missing, returnedAt: returned,
                           returnInterviewAt: interviewAfterHours.flatMap { h in returned.map { $0.addingTimeInterval(h * 3600) } })
    }

    static func assess(_ incidents: [IncidentFact] = [], episodes: [EpisodeFact] = [], meetings: [LocalDate] = [],
                       referrals: [LocalDate] = [], serial: SerialPerpetrators = .none,
                       settings: ScoringSettings = Fixture.defaults, minimumLevel: Level = .standard) -> Assessment? {
        RiskRules.assess(ChildHistory(childId: "C-1", incidents: incidents, maracReferrals: referrals, episodes: episodes,
                                      strategyMeetings: meetings),
                         asOf: asOf, settings: settings, serial: serial, minimumLevel: minimumLevel)
    }

    // MARK: repeat-missing

    @Test(arguments: [
        // The third episode fires it; two do not.
        ([10.0, 20, 30], true),
        ([10.0, 20], false),
        // The 90th day is inside; a second older is outside.
        ([10.0, 20, 90], true),
        ([10.0, 20, 90.000_01], false),
        // An episode after as-of is not counted.
        ([10.0, 20, -1], false),
    ])
    func repeatMissingAtItsEdges(days: [Double], fires: Bool) {
        let episodes = days.enumerated().map { Self.episode("E-\($0.offset)", daysBefore: $0.element) }
        let a = Self.assess(episodes: episodes)
        #expect((a?.hit(.repeatMissing) != nil) == fires)
        if fires {
            #expect(a?.level == .high)
            #expect(a?.hit(.repeatMissing)?.incidentIds == [])
            #expect(a?.hit(.repeatMissing)?.episodeIds == episodes.sorted { $0.missingAt < $1.missingAt }.map(\.episodeId))
        }
    }

    @Test func aChildWithEpisodesAndNoIncidentIsAssessedAndQueuedByTheNewestEpisode() throws {
        let a = try #require(Self.assess(episodes: [Self.episode("E-1", daysBefore: 40), Self.episode("E-2", daysBefore: 5),
                                                    Self.episode("E-3", daysBefore: 20)], minimumLevel: .medium))
        #expect(a.level == .high)
        #expect(a.score == 0)
        #expect(a.incidentIds == [])
        #expect(a.rules.map(\.rule) == [.repeatMissing])
        #expect(a.suggestions == ["strategy-meeting"], "not marac-referral: only repeat-missing made it high")
        #expect(a.newestIncidentAt == Self.asOf.addingTimeInterval(-5 * Self.day))
    }

    @Test func anEpisodeWithNoReturnStillCounts() throws {
        let a = Self.assess(episodes: [Self.episode("E-1", daysBefore: 3), Self.episode("E-2", daysBefore: 2),
                                       Self.episode("E-3", daysBefore: 1)])
        #expect(a?.hit(.repeatMissing)?.episodeIds == ["E-1", "E-2", "E-3"])
    }

    @Test func theSameEpisodeGivenTwiceCountsOnce() {
        let e = Self.episode("E-1", daysBefore: 3)
        #expect(Self.assess(episodes: [e, e, Self.episode("E-2", daysBefore: 2)]) == nil)
    }

    @Test(arguments: [
        // A meeting decision on or after the newest episode's date (London), not after as-of's date, answers it.
        ("2026-11-17", false),
        ("2026-11-22", false),
        // Before the newest episode: the episodes since need a meeting of their own.
        ("2026-11-16", true),
        // After as-of: not known then.
        ("2026-11-23", true),
    ])
    func aStrategyMeetingDecisionSinceTheNewestEpisodeAnswersTheSuggestion(on: String, suggested: Bool) {
        // The newest episode is 5 days before 2026-11-22T08:00Z: 2026-11-17.
        let a = Self.assess(episodes: [Self.episode("E-1", daysBefore: 30), Self.episode("E-2", daysBefore: 10),
                                       Self.episode("E-3", daysBefore: 5)], meetings: [Fixture.localDate(on)])
        #expect(a?.suggestions.contains("strategy-meeting") == suggested)
        #expect(a?.level == .high)
    }

    @Test func bothSuggestionsWhenAnotherRuleIsHighToo() {
        let a = Self.assess([Fixture.fact("I-1", daysBefore: 2, .high)],
                            episodes: (1...3).map { Self.episode("E-\($0)", daysBefore: Double($0)) })
        #expect(a?.suggestions == ["marac-referral", "strategy-meeting"])
        #expect(a?.rules.map(\.rule) == [.visibleHighRisk, .cumulativeScore, .repeatMissing])
    }

    @Test func theCountAndDaysAreSettings() {
        var settings = Fixture.defaults
        settings.missingCount = 2
        settings.missingDays = 10
        let two = [Self.episode("E-1", daysBefore: 9), Self.episode("E-2", daysBefore: 1)]
        #expect(Self.assess(episodes: two, settings: settings)?.hit(.repeatMissing) != nil)
        #expect(Self.assess(episodes: two + [Self.episode("E-3", daysBefore: 11)], settings: settings)?.hit(.repeatMissing)?.episodeIds
            == ["E-1", "E-2"])
    }

    // MARK: return-interview-overdue

    @Test(arguments: [
        // Back 72 hours and a second before as-of, no interview: overdue.
        (72.0 * 3600 + 1, nil, true),
        // Exactly 72 hours: not yet.
        (72.0 * 3600, nil, false),
        // Interviewed (late, but before as-of): not overdue now.
        (100.0 * 3600, 80.0, false),
        // Interviewed after as-of: as of then, still overdue.
        (100.0 * 3600, 200.0, true),
    ] as [(Double, Double?, Bool)])
    func aReturnInterviewIsOverdueSeventyTwoHoursAfterTheReturn(secondsSinceReturn: Double, interviewAfterHours: Double?,
                                                                overdue: Bool) {
        let returned = Self.asOf.addingTimeInterval(-secondsSinceReturn)
        let e = EpisodeFact(episodeId: "E-1", missingAt: returned.addingTimeInterval(-3600), returnedAt: returned,
                            returnInterviewAt: interviewAfterHours.map { returned.addingTimeInterval($0 * 3600) })
        #expect(e.flags(asOf: Self.asOf) == (overdue ? [.returnInterviewOverdue] : []))
    }

    @Test func aChildNotYetBackHasNoInterviewDue() {
        #expect(EpisodeFact(episodeId: "E-1", missingAt: Self.asOf.addingTimeInterval(-30 * Self.day)).flags(asOf: Self.asOf) == [])
    }

    // MARK: serial-perpetrator

    static func named(_ perpetrator: String, _ victim: String, _ incident: String, daysBefore days: Double) -> PerpetratorIncident {
        PerpetratorIncident(perpetratorId: perpetrator, victimId: victim, incidentId: incident,
                            reportedAt: asOf.addingTimeInterval(-days * day))
    }

    @Test(arguments: [
        // Two victims exactly 1,095 days apart: both inside the span.
        (1095.0, true),
        (1095.000_01, false),
    ])
    func twoVictimsAtTheEdgeOfTheSpan(olderDaysBefore: Double, serial: Bool) {
        let found = RiskRules.serialPerpetrators([Self.named("P-1", "V-1", "I-old", daysBefore: olderDaysBefore),
                                                  Self.named("P-1", "V-2", "I-1", daysBefore: 0)],
                                                 asOf: Self.asOf, settings: Fixture.defaults)
        #expect((found.findings["P-1"] != nil) == serial)
        let a = Self.assess([Fixture.fact("I-1", daysBefore: 0)], serial: found)
        #expect((a?.hit(.serialPerpetrator) != nil) == serial)
        if serial {
            #expect(a?.level == .medium)
            #expect(a?.hit(.serialPerpetrator)?.incidentIds == ["I-1"])
            #expect(found.findings["P-1"]?.since == Self.asOf.addingTimeInterval(-olderDaysBefore * Self.day))
        }
    }

    @Test func onePerpetratorWithOneVictimAcrossManyIncidentsIsNotSerial() {
        let incidents = (1...10).map { Self.named("P-1", "V-1", "I-\($0)", daysBefore: Double($0 * 30)) }
        #expect(RiskRules.serialPerpetrators(incidents, asOf: Self.asOf, settings: Fixture.defaults).isEmpty)
    }

    @Test func incidentsWithoutAPerpetratorAreNotSerial() {
        // The store never hands over an incident with no perpetrator; a child's incident the map
        // does not name fires nothing.
        let found = RiskRules.serialPerpetrators([Self.named("P-1", "V-1", "I-9", daysBefore: 3),
                                                  Self.named("P-1", "V-2", "I-8", daysBefore: 2)],
                                                 asOf: Self.asOf, settings: Fixture.defaults)
        #expect(Self.assess([Fixture.fact("I-1", daysBefore: 1)], serial: found) == Self.assess([Fixture.fact("I-1", daysBefore: 1)]))
        #expect(Self.assess([Fixture.fact("I-1", daysBefore: 1)], serial: found)?.hit(.serialPerpetrator) == nil)
    }

    @Test func itCountsIncidentsWithNoChildAndNamesOnlyTheChildsWindowIncidents() throws {
        // V-2's incident has no child; it makes P-1 serial for the child in V-1's household.
        let found = RiskRules.serialPerpetrators([Self.named("P-1", "V-1", "I-1", daysBefore: 400),
                                                  Self.named("P-1", "V-1", "I-2", daysBefore: 10),
                                                  Self.named("P-1", "V-2", "I-no-child", daysBefore: 5)],
                                                 asOf: Self.asOf, settings: Fixture.defaults)
        #expect(found.findings["P-1"]?.victims == 2)
        let a = try #require(Self.assess([Fixture.fact("I-1", daysBefore: 400), Fixture.fact("I-2", daysBefore: 10)], serial: found,
                                         minimumLevel: .medium))
        #expect(a.hit(.serialPerpetrator)?.incidentIds == ["I-2"], "I-1 is outside the 365-day window")
        #expect(a.suggestions == [])
    }

    @Test func theOrderOfTheIncidentsChangesNothingAndManyVictimsAreCountedOnce() {
        // P-many: 40 victims, each named twice (past the short list the count keeps); P-2: two
        // victims with P-1's rows between them; P-1: one victim; one of P-3's two outside the span.
        var rows = (0..<80).map { Self.named("P-many", "V-\($0 % 40)", "M-\($0)", daysBefore: Double($0 + 1)) }
        rows += [Self.named("P-2", "V-a", "A-1", daysBefore: 3), Self.named("P-1", "V-b", "B-1", daysBefore: 4),
                 Self.named("P-1", "V-b", "B-2", daysBefore: 5), Self.named("P-2", "V-c", "A-2", daysBefore: 900),
                 Self.named("P-3", "V-d", "C-1", daysBefore: 1), Self.named("P-3", "V-e", "C-2", daysBefore: 1200)]
        let sorted = RiskRules.serialPerpetrators(rows.sorted { ($0.perpetratorId, $0.incidentId) < ($1.perpetratorId, $1.incidentId) },
                                                  asOf: Self.asOf, settings: Fixture.defaults)
        #expect(sorted.findings["P-many"]?.victims == 40)
        #expect(sorted.findings["P-many"]?.since == Self.asOf.addingTimeInterval(-80 * Self.day))
        #expect(sorted.findings["P-2"]?.victims == 2)
        #expect(sorted.findings["P-1"] == nil && sorted.findings["P-3"] == nil)
        #expect(sorted.perpetratorOfIncident.count == 82, "every incident of P-many and P-2")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5 {
            #expect(RiskRules.serialPerpetrators(rows.shuffled(using: &generator), asOf: Self.asOf, settings: Fixture.defaults) == sorted)
        }
    }

    @Test func theVictimCountAndLevelAreSettings() {
        var settings = Fixture.defaults
        settings.serialVictims = 3
        settings.serialLevel = .high
        let two = [Self.named("P-1", "V-1", "I-1", daysBefore: 1), Self.named("P-1", "V-2", "I-2", daysBefore: 2)]
        #expect(RiskRules.serialPerpetrators(two, asOf: Self.asOf, settings: settings).isEmpty)
        let three = RiskRules.serialPerpetrators(two + [Self.named("P-1", "V-3", "I-3", daysBefore: 3)], asOf: Self.asOf, settings: settings)
        let a = Self.assess([Fixture.fact("I-1", daysBefore: 1)], serial: three, settings: settings)
        #expect(a?.level == .high)
        #expect(a?.suggestions == ["marac-referral"], "high by a rule other than repeat-missing")
    }

    @Test func storeKeysGiveTheSameAnswersAsIds() {
        // Incident n has key n + 1 (key 0 is "none"); P-1 and P-3 are serial, P-2 is not.
        let rows = (0..<300).map { (n: Int) -> PerpetratorIncident in
            let victim = n % 3 == 1 ? "V-x" : "V-\(n)"
            let days = Double(n % 200 + 1)
            return PerpetratorIncident(perpetratorId: "P-\(n % 3 + 1)", victimId: victim, incidentId: "I-\(n)",
                                       reportedAt: Self.asOf.addingTimeInterval(-days * Self.day), storeKey: UInt32(n + 1))
        }
        let keyed = RiskRules.serialPerpetrators(rows, asOf: Self.asOf, settings: Fixture.defaults)
        let byId = RiskRules.serialPerpetrators(rows.map { PerpetratorIncident(perpetratorId: $0.perpetratorId, victimId: $0.victimId,
                                                                               incidentId: $0.incidentId, reportedAt: $0.reportedAt) },
                                                asOf: Self.asOf, settings: Fixture.defaults)
        // One incident without a key: the whole set is looked up by id.
        var mixedRows = rows
        mixedRows[0] = PerpetratorIncident(perpetratorId: "P-1", victimId: "V-0", incidentId: "I-0", reportedAt: rows[0].reportedAt)
        let mixed = RiskRules.serialPerpetrators(mixedRows, asOf: Self.asOf, settings: Fixture.defaults)
        #expect(keyed.perpetratorOfIncident.count == 200)
        for n in 0..<400 {
            let id = "I-\(n)"
            let serial = n < 300 && n % 3 != 1
            for fact in [IncidentFact(incidentId: id, reportedAt: Self.asOf, grade: .standard, storeKey: UInt32(n + 1)),
                         IncidentFact(incidentId: id, reportedAt: Self.asOf, grade: .standard)] {
                #expect(keyed.names(fact) == serial, "\(id) keyed")
                #expect(byId.names(fact) == serial, "\(id) by id")
                #expect(mixed.names(fact) == serial, "\(id) mixed")
            }
        }
        // A key far past the set's largest is answered, not out of range.
        #expect(!keyed.names(IncidentFact(incidentId: "I-x", reportedAt: Self.asOf, grade: .standard, storeKey: .max)))
        #expect(IncidentFact.storeKey(Int64(UInt32.max) + 1) == 0 && IncidentFact.storeKey(7) == 7)
    }

    @Test func theQuickSkipNeverDropsASerialChild() {
        let found = RiskRules.serialPerpetrators([Self.named("P-1", "V-1", "I-1", daysBefore: 1), Self.named("P-1", "V-2", "I-2", daysBefore: 2)],
                                                 asOf: Self.asOf, settings: Fixture.defaults)
        #expect(Self.assess([Fixture.fact("I-1", daysBefore: 1)], serial: found, minimumLevel: .medium)?.level == .medium)
        #expect(Self.assess([Fixture.fact("I-1", daysBefore: 1)], serial: found, minimumLevel: .high) == nil)
    }
}
