import Foundation

/// A name we do not know that is a letter or two from one we do is most likely it, mistyped: said
/// beside the error (a required column missing from a file's header, an unknown setting), rather
/// than leave the operator to compare the two by eye.
public enum LikelyTypo {
    /// " (the header has "NAME": a typo?)" for a required column missing from a header that has
    /// NAME among the names we do not read, or "" when none is that close.
    public static func hint(for missing: String, among unknown: [String]) -> String {
        guard let name = unknown.first(where: { isTypo($0, of: missing) }) else { return "" }
        return words(name, in: "the header")
    }

    /// " (PLACE has "NAME": a typo?)", the name written safe for a terminal.
    static func words(_ name: String, in place: String) -> String {
        " (\(place) has \"\(FieldText.forTerminal(name))\": a typo?)"
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

/// The header's rule for the columns a file lacks: SPEC §2 ignores names not in its table (a
/// force's export carries many more), but a known column the file lacks, where the file has a
/// name we do not read a letter or two from it (`LikelyTypo.isTypo`), is that column misnamed, and
/// is refused rather than read as absent: under `Supervisor Grade` a supervisor's "high" was stored
/// as no grade and the officer's "standard" stood, under `childen` every child of the line was
/// dropped, under `Returned At` a child back home was never flagged for a return interview (audit
/// 26, F1 and F2). One rule for every column, required or optional, in every file ingest reads: a
/// CSV header, each JSON Lines object's keys, incidents and episodes alike.
public struct MisnamedColumns: Sendable {
    /// The file's known column names, as compared (`ColumnName.key`).
    public let known: [String]
    /// Each unknown name met, with the known columns it is a typo of (indices into `known`): a
    /// JSON Lines file repeats its keys on every line, so each name is compared once, and a line
    /// whose keys are all known compares nothing.
    private var nearMisses: [String: [Int]] = [:]

    public init(known: [String]) { self.known = known }

    /// For each known column the file lacks (`lacks(index)`), the first of `unknown` a letter or two
    /// from it, and the words naming it (`" (PLACE has "NAME": a typo?)"`), by the column's index in
    /// `known`. Empty when none is that close.
    public mutating func hints(unknown: [String], in place: String = "the header",
                               lacks: (Int) -> Bool) -> [Int: (name: String, hint: String)] {
        var found: [Int: (name: String, hint: String)] = [:]
        for name in unknown {
            for index in nearMisses(of: name) where found[index] == nil && lacks(index) {
                found[index] = (name, LikelyTypo.words(name, in: place))
            }
        }
        return found
    }

    private mutating func nearMisses(of name: String) -> [Int] {
        if let close = nearMisses[name] { return close }
        let close = known.indices.filter { LikelyTypo.isTypo(name, of: known[$0]) }
        // Bounded: a file of a million distinct keys, or of long ones, must not keep them all (a
        // name this long is no typo of a column's, and is answered at once without it).
        if nearMisses.count < 4096, name.utf8.count <= 256 { nearMisses[name] = close }
        return close
    }
}
