import Foundation
import Logging
import NIOCore
import PostgresNIO

/// One value of a row sent by COPY in PostgreSQL's text format.
enum CopyValue {
    case null
    case text(String)
    case int(Int64)
    case double(Double)
    case bytes([UInt8])

    init(_ s: String?) { self = s.map(CopyValue.text) ?? .null }
    init(_ i: Int?) { self = i.map { .int(Int64($0)) } ?? .null }
    init(_ i: Int64?) { self = i.map(CopyValue.int) ?? .null }
    init(_ d: Double?) { self = d.map(CopyValue.double) ?? .null }
    init(_ b: Bool?) { self = b.map { .int($0 ? 1 : 0) } ?? .null }
}

/// Bulk rows by `COPY ... FROM STDIN`: the fastest way into PostgreSQL, inside the caller's
/// transaction, so a batch is still all or nothing.
enum PostgresCopy {
    /// `rows` may be lazy: each row is made as it is sent, so a long table is never held whole.
    static func rows<Rows: Sequence<[CopyValue]>>(_ conn: PostgresConnection, _ logger: Logger, table: String, columns: [String],
                                                  _ rows: Rows) async throws {
        var iterator = rows.makeIterator()
        guard let first = iterator.next() else { return }
        try await conn.copyFrom(table: table, columns: columns, logger: logger) { writer in
            var buffer = ByteBuffer()
            buffer.reserveCapacity(64 * 1024)
            var next: [CopyValue]? = first
            while let row = next {
                next = iterator.next()
                for (n, value) in row.enumerated() {
                    if n > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
                    encode(value, into: &buffer)
                }
                buffer.writeInteger(UInt8(ascii: "\n"))
                if buffer.readableBytes >= 60 * 1024 {
                    try await writer.write(buffer)
                    buffer.clear()
                }
            }
            if buffer.readableBytes > 0 { try await writer.write(buffer) }
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// The text format: `\N` for null; a backslash, tab, newline or carriage return escaped; bytea
    /// as `\\x` and hex (the backslash itself escaped).
    static func encode(_ value: CopyValue, into buffer: inout ByteBuffer) {
        switch value {
        case .null:
            buffer.writeString("\\N")
        case .int(let i):
            writeDecimal(i, into: &buffer)
        case .double(let d):
            // A whole number (every time of an incident) as its digits, without a String made and
            // freed per value; otherwise Swift's description, the shortest text that reads back as
            // the same double. (-0 keeps its sign that way.)
            if d == d.rounded(.towardZero), abs(d) < 1e15, d != 0 || d.sign == .plus {
                writeDecimal(Int64(d), into: &buffer)
            } else {
                buffer.writeString(d.description)
            }
        case .bytes(let bytes):
            buffer.writeString("\\\\x")
            for b in bytes {
                buffer.writeInteger(hex[Int(b >> 4)])
                buffer.writeInteger(hex[Int(b & 0x0f)])
            }
        case .text(var s):
            s.withUTF8 { bytes in
                // Most values need no escape: copied whole rather than byte by byte.
                guard bytes.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) else {
                    buffer.writeBytes(bytes)
                    return
                }
                for byte in bytes {
                    switch byte {
                    case UInt8(ascii: "\\"): buffer.writeString("\\\\")
                    case UInt8(ascii: "\t"): buffer.writeString("\\t")
                    case UInt8(ascii: "\n"): buffer.writeString("\\n")
                    case UInt8(ascii: "\r"): buffer.writeString("\\r")
                    default: buffer.writeInteger(byte)
                    }
                }
            }
        }
    }

    /// `i` in decimal digits, written straight into the buffer.
    static func writeDecimal(_ i: Int64, into buffer: inout ByteBuffer) {
        if i < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
        var magnitude = i.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(digits)[start...]))
        }
    }
}
