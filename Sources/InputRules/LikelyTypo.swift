import Foundation

/// A name we do not know that is a letter or two from one we do is most likely it, mistyped: said
/// beside the error (a required column missing from a file's header, an unknown setting), rather
/// than leave the operator to compare the two by eye.
public enum LikelyTypo {
    /// " (the header has "NAME": a typo?)" for a required column missing from a header that has
    /// NAME among the names we do not read, or "" when none is that close.
    public static func hint(for missing: String, among unknown: [String]) -> String {
        guard let name = unknown.first(where: { isTypo($0, of: missing) }) else { return "" }
        return " (the header has \"\(FieldText.forTerminal(name))\": a typo?)"
    }

    /// The known name an unknown one is likely a typo of, when exactly one is that close.
    public static func meant(_ unknown: String, among known: [String]) -> String? {
        let close = known.filter { isTypo(unknown, of: $0) }
        return close.count == 1 ? close[0] : nil
    }

    /// At most two letters added, removed or changed (case and surrounding spaces aside), and not
    /// the name itself.
    public static func isTypo(_ given: String, of name: String) -> Bool {
        // Lower-casing changes a text's UTF-8 length by at most three times, so one this much longer
        // than the name (its ASCII spaces and tabs around it aside, counted from the ends) is no
        // typo of it, and is neither trimmed nor lower-cased: a header of one 20 MB "name" was, for
        // every column missing, and took a minute to refuse (audit 22, resilience F2).
        let bytes = given.utf8
        let padding = bytes.prefix { $0 == 0x20 || $0 == 0x09 }.count
        let core = bytes.count - padding - (padding == bytes.count ? 0 : bytes.reversed().prefix { $0 == 0x20 || $0 == 0x09 }.count)
        guard core <= 3 * (name.utf8.count + 2) else { return false }
        let trimmed = given.trimmingCharacters(in: .whitespaces)
        // Both sides lower-cased: with the known name as written, each capital of a GIAS column
        // (`EstablishmentName`) counted as a letter changed, and no hint ever came for them.
        let a = Array(trimmed.lowercased().utf8), b = Array(name.lowercased().utf8)
        guard !a.isEmpty, !b.isEmpty, trimmed != name, abs(a.count - b.count) <= 2 else { return false }
        // Edit distance, a row at a time.
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var row = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = row
        }
        return previous[b.count] <= 2
    }
}
