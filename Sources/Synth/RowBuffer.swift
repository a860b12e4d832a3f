import CivilTime

/// CSV bytes under construction. Bytes, not String, because appending digits and cached fields
/// to a reserved byte array is what keeps a million rows to a few seconds.
struct RowBuffer {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    var count: Int { bytes.count }

    mutating func append(_ field: [UInt8]) { bytes.append(contentsOf: field) }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(byte: UInt8) { bytes.append(byte) }

    mutating func comma() { bytes.append(UInt8(ascii: ",")) }

    mutating func endRow() {
        bytes.append(UInt8(ascii: "\r"))
        bytes.append(UInt8(ascii: "\n"))
    }

    /// `value` in decimal, left-padded with zeros to at least `width` digits.
    mutating func append(_ value: Int, width: Int = 1) {
        precondition(value >= 0)
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(48 + v % 10)
                v /= 10
                n += 1
            } while v > 0
            while n < width && n < 20 {
                d[n] = 48
                n += 1
            }
            for i in stride(from: n - 1, through: 0, by: -1) { bytes.append(d[i]) }
        }
    }

    mutating func append(_ date: LocalDate) {
        append(date.year, width: 4)
        bytes.append(UInt8(ascii: "-"))
        append(date.month, width: 2)
        bytes.append(UInt8(ascii: "-"))
        append(date.day, width: 2)
    }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }
}

/// The bytes of a CSV field, quoted per RFC 4180 when it holds a comma, a quote or a line break.
func csvField(_ text: String) -> [UInt8] {
    let raw = Array(text.utf8)
    let special: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "\n"), UInt8(ascii: "\r")]
    guard raw.contains(where: special.contains) else { return raw }
    var out: [UInt8] = [UInt8(ascii: "\"")]
    for b in raw {
        if b == UInt8(ascii: "\"") { out.append(b) }
        out.append(b)
    }
    out.append(UInt8(ascii: "\""))
    return out
}
