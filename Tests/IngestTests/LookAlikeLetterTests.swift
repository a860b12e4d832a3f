import Foundation
import Ingest
import InputRules
import Testing

/// Audit 26, F5: beyond ASCII an id takes only Latin letters in their own form.
@Suite struct LookAlikeLetterTests {
    /// F5: a letter from another script, or another form of a Latin one, prints as the id it is not:
    /// three incidents of one child became two children, and a HIGH child was missed.
    @Test(arguments: [
        "\u{421}-9001", "C-9\u{39F}01", "\u{FF23}-9001", "C-\u{FF19}001", "C-\u{133}1", "C-\u{17F}1", "C\u{2010}9001",
        "C\u{2013}9001", "C-9001\u{2019}", "C-\u{661}", "e\u{301}-1",
    ])
    func anIdThatPrintsAsAnotherIsRefused(id: String) {
        #expect(FieldText.problem(id, as: .identifier) == .lookAlikeLetter)
        #expect(FieldText.problem(id, as: .name) == nil)
        let errors = Fixture.errors(Fixture.ingest(Fixture.csv([["child_id": id, "perpetrator_id": id]])))
        #expect(errors == [
            "in.csv:2: perpetrator_id: \(FieldText.Problem.lookAlikeLetter)",
            "in.csv:2: child_id: \(FieldText.Problem.lookAlikeLetter)",
        ])
        let episode = BadInputRuleTests.episodeRow.replacingOccurrences(of: "E-1", with: id)
        #expect(BadInputRuleTests.episodeErrors(BadInputRuleTests.episodes(BadInputRuleTests.episodeHeader + "\n" + episode + "\n"))
            == ["missing.csv:2: episode_id: \(FieldText.Problem.lookAlikeLetter)"])
    }

    @Test(arguments: ["C-9001", "PPN/2026/0042", "\u{C9}-1", "D\u{F8}-1", "Stra\u{DF}e-1", "\u{141}-1", "\u{1EA0}-1"])
    func latinLettersAreIds(id: String) {
        #expect(FieldText.problem(id, as: .identifier) == nil)
    }
}
