import InputRules

/// One field of a CSV record: a byte range of the file, without its surrounding quotes.
struct CSVField {
    var start: Int
    var end: Int
    /// Quoted, with doubled quotes inside that must be undoubled before use.
    var hasDoubledQuotes: Bool
    var quoted: Bool
    /// Holds a byte of 0x80 or more, so it must be checked as UTF-8.
    var nonASCII: Bool
}

/// Splits RFC 4180 text into records, counting physical lines so every record knows the line it
/// starts on (a quoted field may span lines). A line ends with LF, CRLF or a lone CR (old Mac
/// exports): all three are one line end. Works on raw bytes: no String per field.
struct CSVScanner {
    enum Event {
        case record(line: Int)
        case end
        /// A record that cannot be split; the scanner has moved past it.
        case malformed(line: Int, fieldIndex: Int, message: String)
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position: Int
    private var line = 1
    /// Whether any field of the last record holds a non-ASCII byte.
    private(set) var recordHasNonASCII = false

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        // A UTF-8 byte-order mark, as spreadsheet programs write, is not part of the header.
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        position = bom ? 3 : 0
    }

    mutating func next(into fields: inout [CSVField]) -> Event {
        fields.removeAll(keepingCapacity: true)
        recordHasNonASCII = false
        let n = bytes.count
        guard position < n else { return .end }
        let b = bytes
        let startLine = line
        var p = position
        while true {
            if p < n, b[p] == 0x22 {
                p += 1
                let start = p
                var doubled = false
                var nonASCII = false
                while true {
                    guard p < n else {
                        position = n
                        return .malformed(line: startLine, fieldIndex: fields.count,
                                          message: "a quoted field is not closed before the end of the file")
                    }
                    let c = b[p]
                    if c == 0x22 {
                        if p + 1 < n, b[p + 1] == 0x22 {
                            doubled = true
                            p += 2
                            continue
                        }
                        break
                    }
                    if c == 0x0A {
                        line += 1
                    } else if c == 0x0D {
                        // A lone CR ends a line; the CR of a CRLF is counted at its LF.
                        if p + 1 >= n || b[p + 1] != 0x0A { line += 1 }
                    } else if c >= 0x80 {
                        nonASCII = true
                    }
                    p += 1
                }
                if nonASCII { recordHasNonASCII = true }
                fields.append(CSVField(start: start, end: p, hasDoubledQuotes: doubled, quoted: true, nonASCII: nonASCII))
                p += 1
                guard p < n else { break }
                let c = b[p]
                if c == 0x2C { p += 1; continue }
                if c == 0x0A { p += 1; line += 1; break }
                if c == 0x0D { p += p + 1 < n && b[p + 1] == 0x0A ? 2 : 1; line += 1; break }
                let fieldIndex = fields.count - 1
                skipLine(from: p)
                return .malformed(line: startLine, fieldIndex: fieldIndex,
                                  message: "text after the closing quote of a quoted field")
            } else {
                let start = p
                var nonASCII = false
                p = Self.skipOrdinary(b, from: p)
                while p < n {
                    let c = b[p]
                    // Fast path: everything above ',' and below 0x80 is ordinary text.
                    if c > 0x2C, c < 0x80 { p += 1; continue }
                    if c == 0x2C || c == 0x0A || c == 0x0D { break }
                    if c == 0x22 {
                        // RFC 4180 has no quote in an unquoted field, and the config files' reader
                        // (CSVTable) refuses it: `A"my` may be a field whose opening quote was lost.
                        let fieldIndex = fields.count
                        skipLine(from: p)
                        return .malformed(line: startLine, fieldIndex: fieldIndex, message: "a quote inside an unquoted field")
                    }
                    if c >= 0x80 { nonASCII = true }
                    p += 1
                }
                if nonASCII { recordHasNonASCII = true }
                fields.append(CSVField(start: start, end: p, hasDoubledQuotes: false, quoted: false, nonASCII: nonASCII))
                guard p < n else { break }
                let c = b[p]
                if c == 0x2C { p += 1; continue }
                p += c == 0x0D && p + 1 < n && b[p + 1] == 0x0A ? 2 : 1
                line += 1
                break
            }
        }
        position = p
        return .record(line: startLine)
    }

    /// The index of the first byte at or after `p` that is at most ',' (0x2C) or not ASCII, eight
    /// bytes at a time: most bytes of an export are letters and digits, which need no look.
    @inline(__always)
    private static func skipOrdinary(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = b.baseAddress else { return start }
        var p = start
        let lows: UInt64 = 0x2D2D_2D2D_2D2D_2D2D
        let highs: UInt64 = 0x8080_8080_8080_8080
        while p + 8 <= b.count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self))
            // A byte's high bit ends up set if it is >= 0x80 or < 0x2D; the lowest such byte is exact,
            // since a borrow only runs upward from a byte that is itself flagged.
            let flagged = ((word &- lows) | word) & highs
            if flagged != 0 { return p + flagged.trailingZeroBitCount / 8 }
            p += 8
        }
        return p
    }

    private mutating func skipLine(from start: Int) {
        let (end, next, _) = LineEnds.line(in: bytes, from: start)
        if end < bytes.count {
            line += 1
            position = next
        } else {
            position = end
        }
    }
}

extension [CSVField] {
    /// An empty physical line: skipped wherever it appears.
    var isBlankRecord: Bool { count == 1 && !self[0].quoted && self[0].start == self[0].end }
}
