import InputRules
import Testing

/// `ArgumentText.repeatedOption`: the command line's rule for an option given twice.
@Suite struct RepeatedOptionTests {
    static let options: [String: (option: String, repeats: Bool)] = [
        "--as-of": ("--as-of", false), "--reason": ("--reason", false), "--output": ("--output", false),
        "-o": ("--output", false), "--file": ("--file", true),
    ]

    @Test(arguments: [
        (["escalations", "--as-of", "A", "--as-of", "B"], "--as-of"),
        (["escalations", "--as-of=A", "--as-of=B"], "--as-of"),
        // One option under both its names.
        (["synth", "-o", "a", "--output", "b"], "--output"),
    ])
    func givenTwiceIsNamed(_ arguments: [String], _ named: String) {
        #expect(ArgumentText.repeatedOption(arguments, options: Self.options) == named)
    }

    @Test(arguments: [
        ["escalations", "--as-of", "A"],
        // A value is the option's, whatever it looks like.
        ["decide", "--reason", "--as-of", "--as-of", "B"],
        // One that may repeat, and what follows `--`.
        ["x", "--file", "a", "--file", "b"],
        ["x", "--as-of", "A", "--", "--as-of", "B"],
    ])
    func onceOrRepeatableIsNil(_ arguments: [String]) {
        #expect(ArgumentText.repeatedOption(arguments, options: Self.options) == nil)
    }
}
