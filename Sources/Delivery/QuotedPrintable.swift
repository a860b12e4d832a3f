import Foundation

/// RFC 2045 quoted-printable, for UTF-8 text bodies: readable where the text is ASCII, safe for
/// any byte, lines of at most 76 characters.
enum QuotedPrintable {
    private static let hex = Array("0123456789ABCDEF".utf8)

    /// Encodes text whose lines end in LF or CRLF; the result's lines end in CRLF.
    static func encode(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        var first = true
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            if !first { out += [13, 10] }
            first = false
            encodeLine(Array(line.utf8), into: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func encodeLine(_ bytes: [UInt8], into out: inout [UInt8]) {
        var column = 0
        for (i, byte) in bytes.enumerated() {
            let isLast = i == bytes.count - 1
            // A space or tab at the end of a line would be stripped in transit.
            let literal = (byte >= 33 && byte <= 126 && byte != 61) || ((byte == 32 || byte == 9) && !isLast)
            let width = literal ? 1 : 3
            // Leave room for the "=" of a soft break unless this is the line's last piece.
            let limit = isLast ? 76 : 75
            if column + width > limit {
                out += [61, 13, 10]
                column = 0
            }
            if literal {
                out.append(byte)
            } else {
                out += [61, hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
            column += width
        }
    }
}
