import CivilTime
import Foundation
import RiskModel
import Testing

@Suite("checking a decision before it is recorded")
struct DecisionCheckTests {
    static let today = Fixture.localDate("2026-11-22")

    func problems(_ outcome: Decision.Outcome?, _ on: String?, _ reason: String?) -> [Decision.Problem] {
        switch Decision.check(outcome: outcome, on: on, reason: reason, today: Self.today) {
        case .success: []
        case .failure(let p): p.list
        }
    }

    @Test func aGoodDecisionIsTrimmed() throws {
        let checked = try Decision.check(outcome: .declined, on: " 2026-11-22 ", reason: "  Safety plan in place.\n",
                                         today: Self.today).get()
        #expect(checked.outcome == .declined)
        #expect(checked.on == Self.today)
        #expect(checked.reason == "Safety plan in place.")
        #expect(try Decision.check(outcome: .referred, on: "2026-11-21", reason: "   ", today: Self.today).get().reason == nil)
    }

    @Test(arguments: [
        (Decision.Outcome.declined, "2026-11-21", nil, [Decision.Problem.noReason]),
        (.declined, "2026-11-21", " \n ", [.noReason]),
        (.referred, "2026-11-23", nil, [.inTheFuture]),
        (.referred, "21/11/2026", nil, [.notADate]),
        (.referred, "2026-02-30", nil, [.notADate]),
        (nil, nil, nil, [.noOutcome, .notADate]),
        (.declined, "tomorrow", "", [.notADate, .noReason]),
    ] as [(Decision.Outcome?, String?, String?, [Decision.Problem])])
    func everyProblemIsListedInOrder(_ outcome: Decision.Outcome?, _ on: String?, _ reason: String?,
                                     _ expected: [Decision.Problem]) {
        #expect(problems(outcome, on, reason) == expected)
    }

    /// A reason with no visible character is none (audit 20, F6: a word joiner and a byte order
    /// mark passed as a decline's reason), for MARAC and strategy meetings alike.
    @Test(arguments: ["\u{200B}\u{2060}\u{FEFF}", "\u{2060}\u{FEFF}", "\u{200E}\u{200F}", " \u{202E}\u{2066}\u{2069}\n", "\u{061C}\u{00AD}"])
    func aReasonOfOnlyInvisibleCharactersIsNoReason(reason: String) throws {
        #expect(problems(.declined, "2026-11-21", reason) == [.noReason])
        let meeting = Decision.check(kind: .strategyMeeting, outcome: .declined, on: "2026-11-21", reason: reason, today: Self.today)
        #expect((try? meeting.get()) == nil)
        if case .failure(let found) = meeting { #expect(found.list == [.noReason]) }
        #expect(try Decision.check(outcome: .referred, on: "2026-11-21", reason: reason, today: Self.today).get().reason == nil)
    }

    @Test func aReasonMayHaveFourThousandCharactersAndNoMore() {
        let most = String(repeating: "é", count: Decision.maximumReasonLength)
        #expect(problems(.declined, "2026-11-22", most).isEmpty)
        #expect(problems(.declined, "2026-11-22", most + "x") == [.reasonTooLong])
        #expect(problems(.referred, "2026-11-22", "  " + most + "  ").isEmpty, "spaces at the ends are not counted")
    }
}
