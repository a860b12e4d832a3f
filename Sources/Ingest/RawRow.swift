import InputRules

/// Where one column's raw bytes sit: in the input file, or in a side buffer for values that
/// had to be rewritten (CSV fields with doubled quotes, JSON strings with escapes).
struct FieldRef {
    var start: Int
    var count: Int
    var inScratch: Bool

    static let absent = FieldRef(start: 0, count: 0, inScratch: false)
}

/// One record's values by column, as bytes, borrowed for the time it takes to validate it.
struct RawRow {
    let file: UnsafeBufferPointer<UInt8>
    let scratch: UnsafeBufferPointer<UInt8>
    /// Indexed by `Column.rawValue`; absent columns are empty.
    let refs: [FieldRef]

    /// The column's value with surrounding spaces and tabs removed; empty when it is blank (only
    /// white space, line breaks and wide spaces included: `FieldText.isBlank`), so a blank field is
    /// an absent one for every column (the one place ingest reads a field: CSV and JSON Lines alike).
    @inline(__always)
    func bytes(_ column: Column) -> UnsafeBufferPointer<UInt8> {
        let ref = refs[column.rawValue]
        guard ref.count > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        let base = ref.inScratch ? scratch : file
        let value = UnsafeBufferPointer(rebasing: base[ref.start..<(ref.start + ref.count)]).trimmingSpaces()
        return FieldText.isBlank(utf8: value) ? UnsafeBufferPointer(start: nil, count: 0) : value
    }

    func isEmpty(_ column: Column) -> Bool { bytes(column).isEmpty }
}

extension UnsafeBufferPointer<UInt8> {
    @inline(__always)
    func trimmingSpaces() -> UnsafeBufferPointer<UInt8> {
        var lo = 0
        var hi = count
        while lo < hi, self[lo] == 0x20 || self[lo] == 0x09 { lo += 1 }
        while hi > lo, self[hi - 1] == 0x20 || self[hi - 1] == 0x09 { hi -= 1 }
        if lo == 0, hi == count { return self }
        return UnsafeBufferPointer(rebasing: self[lo..<hi])
    }

    var isValidUTF8: Bool { String(validating: self, as: UTF8.self) != nil }

    /// The bytes as text; callers have already checked they are valid UTF-8.
    var text: String { String(decoding: self, as: UTF8.self) }

    /// Equal to an ASCII word given in lower case, ignoring the case of ASCII letters here.
    @inline(__always)
    func equalsLowercased(_ word: StaticString) -> Bool {
        guard count == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for i in 0..<count {
            var c = self[i]
            if c >= 0x41, c <= 0x5A { c |= 0x20 }
            if c != w[i] { return false }
        }
        return true
    }
}
