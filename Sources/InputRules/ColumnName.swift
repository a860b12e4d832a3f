/// The one rule for the names of a file's columns, a CSV header's or a JSON object's keys: two names
/// are the same column when they match with surrounding spaces and tabs trimmed, in any case, and a
/// column named twice is refused, never resolved by taking the first or the last (a second
/// `child_id`, a carer's say, decided whose missing episode it was; a repeated `marac` in the API,
/// which decision was recorded).
public enum ColumnName {
    /// The name as compared: spaces and tabs trimmed, lower case.
    public static func key(_ name: String) -> String {
        var s = Substring(name)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s.lowercased()
    }

    /// The key (`key(_:)`) of the first name given again, or nil when every name is given once.
    public static func firstRepeated(_ names: some Sequence<String>) -> String? {
        var seen: Set<String> = []
        for name in names where !seen.insert(key(name)).inserted { return key(name) }
        return nil
    }
}
