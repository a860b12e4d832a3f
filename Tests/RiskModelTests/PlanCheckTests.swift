import CivilTime
import Foundation
import RiskModel
import Testing

@Suite("checking a MARAC plan action before it is recorded")
struct PlanCheckTests {
    static let today = Fixture.localDate("2026-11-22")

    func problems(_ action: String?, _ agency: String?, _ due: String?) -> [PlanAction.Problem] {
        switch PlanAction.check(action: action, agency: agency, due: due) {
        case .success: []
        case .failure(let p): p.list
        }
    }

    @Test func aGoodActionIsTrimmedAndItsDueDateRead() throws {
        let checked = try PlanAction.check(action: "  Safety plan visit.\nWeekly. ", agency: " Children's Social Care ",
                                           due: " 2026-12-01 ").get()
        #expect(checked.action == "Safety plan visit.\nWeekly.")
        #expect(checked.agency == "Children's Social Care")
        #expect(checked.due == Fixture.localDate("2026-12-01"))
        #expect(try PlanAction.check(action: "Visit", agency: "Police", due: "  ").get().due == nil, "a blank due date is none")
        #expect(try PlanAction.check(action: "Visit", agency: "Police", due: "2020-01-01").get().due != nil,
                "a plan may be recorded after its due date")
    }

    @Test(arguments: [
        (nil, nil, nil, [PlanAction.Problem.noAction, .noAgency]),
        (" \n ", "Police", nil, [.noAction]),
        ("Visit", "   ", nil, [.noAgency]),
        ("\u{2060}\u{FEFF}", "\u{200B} \u{200F}", nil, [.noAction, .noAgency]),  // no visible character (audit 20, F6)
        ("Visit", "Police", "01/12/2026", [.dueNotADate]),
        ("Visit", "Police", "2026-02-30", [.dueNotADate]),
        ("Visit\u{1B}[2J", "Police", nil, [.actionHasControlCharacter]),
        ("Visit", "Police\nand Health", nil, [.agencyHasControlCharacter]),
        ("Visit\u{0}", "Po\u{7F}lice", "soon", [.actionHasControlCharacter, .agencyHasControlCharacter, .dueNotADate]),
    ] as [(String?, String?, String?, [PlanAction.Problem])])
    func everyProblemIsListedInOrder(_ action: String?, _ agency: String?, _ due: String?, _ expected: [PlanAction.Problem]) {
        #expect(problems(action, agency, due) == expected)
    }

    @Test func anActionMayHaveFourThousandCharactersAndAnAgencyAHundred() {
        let most = String(repeating: "é", count: PlanAction.maximumActionLength)
        #expect(problems(most, "Police", nil).isEmpty)
        #expect(problems(most + "x", "Police", nil) == [.actionTooLong])
        let agency = String(repeating: "a", count: PlanAction.maximumAgencyLength)
        #expect(problems("Visit", agency, nil).isEmpty)
        #expect(problems("Visit", agency + "a", nil) == [.agencyTooLong])
    }

    @Test(arguments: [
        ("2026-11-22", nil), ("2026-11-21", nil), (" 2026-01-01 ", nil),
        ("2026-11-23", PlanAction.Problem.doneInTheFuture), ("22/11/2026", .doneNotADate), ("", .doneNotADate),
    ] as [(String, PlanAction.Problem?)])
    func aDoneDateIsADateNotInTheFuture(_ on: String, _ expected: PlanAction.Problem?) {
        switch PlanAction.checkDone(on: on, today: Self.today) {
        case .success(let date): #expect(expected == nil && date <= Self.today)
        case .failure(let p): #expect(p.list == [expected].compactMap { $0 })
        }
    }
}
