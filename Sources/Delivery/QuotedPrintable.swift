import Foundation

/// RFC 2045 quoted-printable, for UTF-8 text bodies: readable where the text is ASCII, safe for
/// any byte, lines of at most 76 characters.
enum QuotedPrintable {
    private static let hex = Array("0123456789ABCDEF".utf8)

    /// Encodes text whose lines end in LF or CRLF; the result's lines end in CRLF, and any other CR
    /// is encoded. One pass over the UTF-8 bytes: splitting the text into Strings and arrays a line
    /// at a time was a fifth of a morning run's CPU (19,869 alerts written to files), and Swift's
    /// splitting by Character took "\r\r\n" for one line (a CRLF is one Character).
    static func encode(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + bytes.count / 8)
            var start = 0
            while true {
                // The line: up to the next LF (a CR just before it is part of the line end).
                var end = start
                while end < bytes.count, bytes[end] != 10 { end += 1 }
                let atLF = end < bytes.count
                let lineEnd = atLF && end > start && bytes[end - 1] == 13 ? end - 1 : end
                encodeLine(UnsafeBufferPointer(rebasing: bytes[start..<lineEnd]), into: &out)
                guard atLF else { break }
                out += [13, 10]
                start = end + 1
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    private static func encodeLine(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var column = 0
        for i in bytes.indices {
            let byte = bytes[i]
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
