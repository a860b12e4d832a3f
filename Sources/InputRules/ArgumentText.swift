import Foundation

/// The rule for the command line's own bytes. Swift's `CommandLine.arguments` decodes them with
/// repair, so an argument that is not UTF-8 (a reason typed in a Latin-1 terminal, a batch file
/// in Windows-1252) would reach `FieldText` as valid text with U+FFFD in place of what was typed,
/// and be stored so. It is refused instead, as the web and the API refuse such bytes.
public enum ArgumentText {
    /// Nil when every argument (after the program's name) is UTF-8; otherwise the first bad one,
    /// named by its option and never quoted: `--reason: is not UTF-8 text`. An argument right after
    /// an option (`--reason VALUE`) or within one (`--reason=VALUE`) is that option's; any other is
    /// named by its place (`argument 2`).
    public static func problem(_ arguments: [[UInt8]]) -> String? {
        for (i, raw) in arguments.enumerated().dropFirst() where String(validating: raw, as: UTF8.self) == nil {
            if raw.starts(with: Array("--".utf8)), let eq = raw.firstIndex(of: UInt8(ascii: "=")),
               let option = String(validating: raw[..<eq], as: UTF8.self) {
                return "\(FieldText.forTerminal(option)): is not UTF-8 text"
            }
            if i > 1, let previous = String(validating: arguments[i - 1], as: UTF8.self), previous.hasPrefix("-"),
               !previous.contains("=") {
                return "\(FieldText.forTerminal(previous)): is not UTF-8 text"
            }
            return "argument \(i): is not UTF-8 text"
        }
        return nil
    }

    /// The first option taking one value that is given more than once (`--as-of A --as-of B`), as
    /// typed (`--as-of`); nil when none is. The argument parser took the last, the API the first of
    /// a query parameter given twice: neither is what was meant, so both are refused (64 here, 400
    /// there). `options`: every spelling of each option that takes a value (`--output`, `-o`), with
    /// the option's one name and whether it may repeat. A value (`--reason --as-of` is the reason
    /// `--as-of`) is never counted as an option, and nothing after `--` is one. A flag said twice
    /// says the same thing and is not counted.
    public static func repeatedOption(_ arguments: some Sequence<String>,
                                      options: [String: (option: String, repeats: Bool)]) -> String? {
        var seen: Set<String> = []
        var isValue = false
        for argument in arguments {
            if isValue {
                isValue = false
                continue
            }
            if argument == "--" { return nil }
            guard argument.hasPrefix("-") else { continue }
            let spelled = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            guard let named = options[spelled] else { continue }
            isValue = !argument.contains("=")
            if !named.repeats, !seen.insert(named.option).inserted { return spelled }
        }
        return nil
    }

    /// The argument parser's refusal with what was typed left out: "The value 'X' is invalid for
    /// '--marac <marac>'" and "Unexpected argument 'X'" quoted the value back, and a value can be
    /// a child's name or words typed in the wrong place (a reason without its quotes). The option
    /// named and the values allowed stay: they are the program's own words.
    public static func withoutTheValue(_ message: String) -> String {
        var text = message
        for (pattern, replacement) in [(#"The value '.*?' is invalid for '"#, "The value given is invalid for '"),
                                       (#"Unexpected arguments? '.*'"#, "Unexpected argument (not shown)"),
                                       (#"([0-9]+) unexpected arguments: '.*'"#, "$1 unexpected arguments (not shown)")] {
            text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return text
    }
}
