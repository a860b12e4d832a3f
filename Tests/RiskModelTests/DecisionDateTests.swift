import CivilTime
import Foundation
import RiskModel
import Testing

/// Which decision stands and whether a child still awaits one follow the decision's own date (`on`,
/// SPEC §5), never when it was typed in, by the rule the suggestions use (audit 19, F4).
@Suite("decisions count by their date")
struct DecisionDateTests {
    static func decision(_ outcome: Decision.Outcome, kind: Decision.Kind = .marac, on: String, entered: String) -> Decision {
        Decision(childId: "C-1", kind: kind, outcome: outcome, on: Fixture.localDate(on),
                 reason: outcome == .declined ? "Already supported" : nil, by: "hub.lead", recordedAt: Fixture.date(entered))
    }

    @Test func theDecisionDatedLatestStandsHoweverLateAnOlderOneWasTypedIn() {
        let referred = Self.decision(.referred, on: "2026-10-10", entered: "2026-12-06T10:00:00Z")
        // Taken on 6 October, typed in after the referral: it does not supersede it.
        let backfilled = Self.decision(.declined, on: "2026-10-06", entered: "2026-12-06T11:00:00Z")
        let meeting = Self.decision(.held, kind: .strategyMeeting, on: "2026-10-12", entered: "2026-12-06T09:00:00Z")
        #expect(!backfilled.supersedes(earlierEntry: referred))
        #expect(Decision.standing([meeting, referred, backfilled]) == [.strategyMeeting: 0, .marac: 1])
        // Dated later and typed in later: it stands, as before.
        let later = Self.decision(.declined, on: "2026-10-11", entered: "2026-12-06T12:00:00Z")
        #expect(Decision.standing([referred, backfilled, later]) == [.marac: 2])
    }

    @Test func twoDecisionsOfTheSameDateAreToldApartByEntryOrder() {
        let first = Self.decision(.declined, on: "2026-10-10", entered: "2026-12-06T10:00:00Z")
        let second = Self.decision(.referred, on: "2026-10-10", entered: "2026-12-06T10:00:00Z")
        #expect(second.supersedes(earlierEntry: first) && first.supersedes(earlierEntry: second))
        #expect(Decision.standing([first, second]) == [.marac: 1])
        #expect(Decision.standing([second, first]) == [.marac: 1])
        // Alike in every field, still two entries: the second stands, not both.
        #expect(Decision.standing([first, first]) == [.marac: 1])
        #expect(Decision.standing([]) == [:])
    }

    /// The queue's "no decision yet" and the report's undecided children ask the suggestion's
    /// question: a child awaits a decision exactly when `marac-referral` would be suggested for want
    /// of a referral dated since the newest incident (a referral after as-of aside: those callers
    /// give only the decisions they know of by then).
    @Test(arguments: RepeatMaracTests.suggestions.filter { s in
        s.referral.map { Fixture.localDate($0) <= Zone.london.localDate(of: Fixture.date(s.asOf)) } ?? true
    })
    func aChildAwaitsADecisionExactlyWhenTheSuggestionSaysNoneWasMade(s: RepeatMaracTests.Suggestion) throws {
        let newest = Fixture.fact("I-3", at: s.newest)
        let facts = [Fixture.fact("I-1", daysBefore: 3, asOf: newest.reportedAt), Fixture.fact("I-2", daysBefore: 2, asOf: newest.reportedAt), newest]
        let asOf = Fixture.date(s.asOf)
        let without = try #require(Fixture.assess(facts, asOf: asOf))
        let day = s.referral.map(Fixture.localDate)
        #expect(without.awaitsDecision(latestDecisionOn: day, zone: .london) == s.suggested)
    }

    @Test func aDecisionOnTheIncidentsLondonDayAnswersItAndTheDayBeforeDoesNot() throws {
        // 00:30 BST on 2 July is 23:30 UTC on 1 July: the incident is of 2 July in London.
        let a = try #require(Fixture.assess([Fixture.fact("I-1", at: "2026-07-01T23:30:00Z", .high)], asOf: Fixture.date("2026-07-10T00:00:00Z")))
        #expect(a.awaitsDecision(latestDecisionOn: nil, zone: .london))
        #expect(a.awaitsDecision(latestDecisionOn: Fixture.localDate("2026-07-01"), zone: .london))
        #expect(!a.awaitsDecision(latestDecisionOn: Fixture.localDate("2026-07-02"), zone: .london))
        #expect(!a.awaitsDecision(latestDecisionOn: Fixture.localDate("2026-07-03"), zone: .london))
    }
}
