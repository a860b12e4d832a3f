import CivilTime
import Foundation
import RiskModel
import Testing

@Suite("repeat-marac and the marac-referral suggestion")
struct RepeatMaracTests {
    struct Edge: Sendable, CustomTestStringConvertible {
        let name: String
        let referral: String
        let incident: String
        let counted: Bool
        var testDescription: String { name }
    }

    // London local dates: GMT in winter, BST (+01:00) in summer.
    static let edges: [Edge] = [
        Edge(name: "late on day R (GMT) led to the referral", referral: "2026-03-10",
             incident: "2026-03-10T23:59:59Z", counted: false),
        Edge(name: "first second of R+1 (GMT)", referral: "2026-03-10",
             incident: "2026-03-11T00:00:00Z", counted: true),
        Edge(name: "last second of R+365 (GMT)", referral: "2026-03-10",
             incident: "2027-03-10T23:59:59Z", counted: true),
        Edge(name: "first second of R+366 (GMT)", referral: "2026-03-10",
             incident: "2027-03-11T00:00:00Z", counted: false),
        Edge(name: "before R", referral: "2026-03-10",
             incident: "2026-03-09T12:00:00Z", counted: false),
        Edge(name: "half way through the year", referral: "2026-03-10",
             incident: "2026-09-01T12:00:00Z", counted: true),
        Edge(name: "23:59:59 BST on R is still day R", referral: "2026-07-01",
             incident: "2026-07-01T22:59:59Z", counted: false),
        Edge(name: "00:30 BST on R+1 is 23:30 UTC on R", referral: "2026-07-01",
             incident: "2026-07-01T23:30:00Z", counted: true),
        Edge(name: "23:59:59 BST on R+365", referral: "2026-07-01",
             incident: "2027-07-01T22:59:59Z", counted: true),
        Edge(name: "00:00 BST on R+366", referral: "2026-07-01",
             incident: "2027-07-01T23:00:00Z", counted: false),
    ]

    @Test(arguments: edges)
    func incidentAfterReferralWithinAYear(edge: Edge) throws {
        let incident = Fixture.fact("I-1", at: edge.incident)
        let asOf = incident.reportedAt.addingTimeInterval(3600)
        let a = try #require(Fixture.assess(
            [incident], referrals: [Fixture.localDate(edge.referral)], asOf: asOf))
        if edge.counted {
            #expect(a.rules == [RuleHit(rule: .repeatMarac, level: .high, incidentIds: ["I-1"])])
            #expect(a.level == .high)
        } else {
            #expect(a.hit(.repeatMarac) == nil)
            #expect(a.level == .standard)
        }
    }

    @Test func incidentsNeedNotBeInTheWindow() throws {
        let facts = [
            Fixture.fact("I-old", at: "2026-01-20T10:00:00Z"),
            Fixture.fact("I-new", at: "2027-01-20T10:00:00Z"),
        ]
        let a = try #require(Fixture.assess(
            facts, referrals: [Fixture.localDate("2026-01-10")], asOf: Fixture.date("2027-02-01T00:00:00Z"),
            settings: ScoringSettings(windowDays: 30)))
        #expect(a.incidentIds == ["I-new"])
        // I-new is after R + 365 (2027-01-10); I-old is outside the window but within the year.
        #expect(a.hit(.repeatMarac)?.incidentIds == ["I-old"])
        #expect(a.level == .high)
    }

    /// Audit 19 (risk, F3): a referred child whose repeat incident lies before the window, and
    /// nothing in it, was in no queue at all, while a sibling with the same incident and referral
    /// and three missing episodes was high without the MARAC suggestion. Both are assessed now,
    /// and the suggestion answers the repeat incident.
    @Test func aRepeatIncidentBeforeTheWindowAloneMakesTheChildHighWithTheSuggestion() throws {
        let asOf = Fixture.date("2026-08-01T00:00:00Z")
        let repeatIncident = Fixture.fact("M-1", at: "2025-07-01T10:00:00Z")
        let a = try #require(Fixture.assess([repeatIncident], referrals: [Fixture.localDate("2025-06-01")], asOf: asOf))
        #expect(a.level == .high)
        #expect(a.rules == [RuleHit(rule: .repeatMarac, level: .high, incidentIds: ["M-1"])])
        #expect(a.incidentIds.isEmpty, "nothing in the window")
        #expect(a.suggestions == [Assessment.maracReferralSuggestion])
        #expect(a.newestIncidentAt == repeatIncident.reportedAt, "its place in the queue")

        // Referred again after the repeat incident: still high, the referral answers it.
        let answered = try #require(Fixture.assess([repeatIncident], referrals: [Fixture.localDate("2025-06-01"), Fixture.localDate("2025-07-02")],
                                                   asOf: asOf))
        #expect(answered.level == .high && answered.suggestions.isEmpty)

        // A referred child whose only incident is before the referral (the one that led to it), or
        // more than a year after it, is not in the queue: no rule fires and nothing is in the window.
        #expect(Fixture.assess([Fixture.fact("M-0", at: "2025-05-20T10:00:00Z")], referrals: [Fixture.localDate("2025-06-01")], asOf: asOf) == nil)
        #expect(Fixture.assess([repeatIncident], referrals: [Fixture.localDate("2024-06-01")], asOf: asOf) == nil)
    }

    @Test func severalReferralsListEachIncidentOnceOldestFirst() throws {
        let facts = [
            Fixture.fact("I-3", at: "2026-10-01T10:00:00Z"),
            Fixture.fact("I-1", at: "2026-05-01T10:00:00Z"),
            Fixture.fact("I-2", at: "2026-08-01T10:00:00Z"),
            Fixture.fact("I-0", at: "2026-02-01T10:00:00Z"),
        ]
        let referrals = ["2026-07-01", "2026-04-01"].map(Fixture.localDate)
        let a = try #require(Fixture.assess(facts, referrals: referrals))
        #expect(a.hit(.repeatMarac)?.incidentIds == ["I-1", "I-2", "I-3"])
    }

    @Test func aReferralAfterAsOfIsNotYetKnown() throws {
        let facts = [Fixture.fact("I-1", at: "2026-11-21T10:00:00Z")]
        // R is the day after as-of's local date; even a later incident cannot be ≤ as-of, so nothing fires.
        let a = try #require(Fixture.assess(facts, referrals: [Fixture.localDate("2026-11-23")]))
        #expect(a.hit(.repeatMarac) == nil)
    }

    @Test func incidentsAfterAsOfDoNotRepeat() throws {
        let facts = [
            Fixture.fact("I-1", at: "2026-11-01T10:00:00Z"),
            Fixture.fact("I-2", at: "2026-11-22T08:00:01Z"),
        ]
        let a = try #require(Fixture.assess(facts, referrals: [Fixture.localDate("2026-11-01")]))
        #expect(a.hit(.repeatMarac) == nil)
        #expect(a.incidentIds == ["I-1"])
    }

    struct Suggestion: Sendable, CustomTestStringConvertible {
        let name: String
        let newest: String
        let referral: String?
        var asOf = "2026-11-22T08:00:00Z"
        let suggested: Bool
        var testDescription: String { name }
    }

    static let suggestions: [Suggestion] = [
        Suggestion(name: "no referral", newest: "2026-11-20T10:00:00Z", referral: nil, suggested: true),
        Suggestion(name: "referral on the newest incident's day", newest: "2026-11-20T10:00:00Z",
                   referral: "2026-11-20", suggested: false),
        Suggestion(name: "referral the day after", newest: "2026-11-20T10:00:00Z",
                   referral: "2026-11-21", suggested: false),
        Suggestion(name: "referral on as-of's day", newest: "2026-11-20T10:00:00Z",
                   referral: "2026-11-22", suggested: false),
        Suggestion(name: "newest at midnight starting R+1", newest: "2026-11-21T00:00:00Z",
                   referral: "2026-11-20", suggested: true),
        Suggestion(name: "newest a second before midnight on R", newest: "2026-11-20T23:59:59Z",
                   referral: "2026-11-20", suggested: false),
        Suggestion(name: "referral before the newest incident", newest: "2026-11-20T10:00:00Z",
                   referral: "2026-11-19", suggested: true),
        Suggestion(name: "referral after as-of is not yet recorded", newest: "2026-11-20T10:00:00Z",
                   referral: "2026-11-23", suggested: true),
        Suggestion(name: "newest at 00:30 BST is the day after R", newest: "2026-07-01T23:30:00Z",
                   referral: "2026-07-01", asOf: "2026-07-10T00:00:00Z", suggested: true),
        Suggestion(name: "newest at 23:30 BST is day R", newest: "2026-07-01T22:30:00Z",
                   referral: "2026-07-01", asOf: "2026-07-10T00:00:00Z", suggested: false),
    ]

    @Test(arguments: suggestions)
    func maracReferralSuggestion(s: Suggestion) throws {
        let asOf = Fixture.date(s.asOf)
        let newest = Fixture.fact("I-3", at: s.newest)
        // Three standard incidents: potential-escalation makes the child high.
        let facts = [
            Fixture.fact("I-1", daysBefore: 3, asOf: newest.reportedAt),
            Fixture.fact("I-2", daysBefore: 2, asOf: newest.reportedAt),
            newest,
        ]
        let a = try #require(Fixture.assess(facts, referrals: s.referral.map { [Fixture.localDate($0)] } ?? [],
                                            asOf: asOf))
        #expect(a.level == .high)
        #expect(a.hit(.potentialEscalation) != nil)
        #expect(a.suggestions == (s.suggested ? ["marac-referral"] : []))
    }

    @Test func noSuggestionBelowHigh() throws {
        let a = try #require(Fixture.assess([Fixture.fact("I-1", .medium)]))
        #expect(a.level == .medium)
        #expect(a.suggestions.isEmpty)
    }
}
