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
}
