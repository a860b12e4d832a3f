import Foundation
import Logging
import NIOCore
import PostgresNIO
import StoreContract

/// Rows for one `COPY ... FROM STDIN` in PostgreSQL's text format, each value written into the
/// bytes as it is given. An ingest's rows were first made as arrays of enum values and encoded
/// when sent: the arrays' allocation, retains and releases and the encoding of each enum were
/// about a quarter of a first load's client CPU (perf, 1M rows).
struct CopyRows {
    /// An array of our own, not a ByteBuffer: each write into a ByteBuffer checked exclusive access
    /// to its storage at run time (about 7% of a first load's client CPU, perf); a piece is copied
    /// into one when sent.
    private(set) var bytes: [UInt8] = []
    /// Rows ended so far.
    private(set) var count = 0
    /// The columns each row must have, and the first row that had another number of fields.
    let columns: Int
    private(set) var malformedRow: Int?
    private var fields = 0

    init(columns: Int, capacity: Int = 0) {
        self.columns = columns
        bytes.reserveCapacity(capacity)
    }

    mutating func null() {
        separate()
        write("\\N")
    }

    mutating func int(_ i: Int64) {
        separate()
        writeDecimal(i)
    }

    mutating func int(_ i: Int?) {
        if let i { int(Int64(i)) } else { null() }
    }

    /// 1 for true, 0 for false (the stores keep flags as integers).
    mutating func flag(_ b: Bool?) {
        if let b { int(b ? 1 : 0) } else { null() }
    }

    mutating func double(_ d: Double) {
        separate()
        // A whole number (every time of an incident) as its digits, without a String made and
        // freed per value; otherwise Swift's description, the shortest text that reads back as the
        // same double. (-0 keeps its sign that way.)
        if d == d.rounded(.towardZero), abs(d) < 1e15, d != 0 || d.sign == .plus {
            writeDecimal(Int64(d))
        } else {
            var text = d.description
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }
    }

    mutating func double(_ d: Double?) {
        if let d { double(d) } else { null() }
    }

    /// A backslash, tab, newline or carriage return escaped.
    mutating func text(_ s: String) {
        separate()
        var s = s
        s.withUTF8 { utf8 in
            // Most values need no escape: copied whole rather than byte by byte.
            guard utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) else {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\\"): write("\\\\")
                case UInt8(ascii: "\t"): write("\\t")
                case UInt8(ascii: "\n"): write("\\n")
                case UInt8(ascii: "\r"): write("\\r")
                default: bytes.append(byte)
                }
            }
        }
    }

    mutating func text(_ s: String?) {
        if let s { text(s) } else { null() }
    }

    /// Integers as a JSON array, `[1,2]` (an incident's children's keys), without a String made.
    mutating func intList<Values: Sequence<Int64>>(_ values: Values) {
        separate()
        bytes.append(UInt8(ascii: "["))
        var first = true
        for value in values {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            writeDecimal(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// bytea as `\\x` and hex (the backslash itself escaped).
    mutating func bytes(_ value: [UInt8]) {
        separate()
        write("\\\\x")
        for b in value {
            bytes.append(Self.hex[Int(b >> 4)])
            bytes.append(Self.hex[Int(b & 0x0f)])
        }
    }

    /// One value of a row made generically (copy-store's tables).
    mutating func value(_ value: StoreValue) {
        switch value {
        case .null: null()
        case .int(let i): int(i)
        case .double(let d): double(d)
        case .text(let s): text(s)
        case .blob(let b): bytes(b)
        }
    }

    mutating func endRow() {
        if fields != columns, malformedRow == nil { malformedRow = count + 1 }
        bytes.append(UInt8(ascii: "\n"))
        fields = 0
        count += 1
    }

    /// Empties the rows, keeping the memory.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        count = 0
        fields = 0
        malformedRow = nil
    }

    private mutating func separate() {
        if fields > 0 { bytes.append(UInt8(ascii: "\t")) }
        fields += 1
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func write(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `i` in decimal digits, without a String made and freed.
    private mutating func writeDecimal(_ i: Int64) {
        if i < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = i.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }
}

/// Bulk rows by `COPY ... FROM STDIN`: the fastest way into PostgreSQL, inside the caller's
/// transaction, so a batch is still all or nothing.
enum PostgresCopy {
    /// Bytes handed to the connection at a time.
    static let piece = 64 * 1024

    /// Sends `rows` (nothing when there are none).
    static func send(_ conn: PostgresConnection, _ logger: Logger, table: String, columns: [String], _ rows: CopyRows) async throws {
        guard rows.count > 0 else { return }
        guard rows.columns == columns.count, rows.malformedRow == nil else {
            throw StoreError.unavailable("a row for \(table) has another number of fields than its \(columns.count) columns")
        }
        try await conn.copyFrom(table: table, columns: columns, logger: logger) { writer in
            for start in stride(from: 0, to: rows.bytes.count, by: piece) {
                try await writer.write(ByteBuffer(bytes: rows.bytes[start..<min(start + piece, rows.bytes.count)]))
            }
        }
    }

    /// A temporary table's columns: name and type.
    typealias Columns = [(name: String, type: String)]

    /// Copies `rows` into a temporary table of the transaction's own (made the first time, emptied
    /// after) and runs `statement`, which reads it: how a set of rows, NULLs and all, reaches one
    /// INSERT or UPDATE (a statement a row was a round trip each). Nothing when there are no rows.
    static func through(_ conn: PostgresConnection, _ logger: Logger, table: String, columns: Columns, _ rows: CopyRows,
                        _ statement: PostgresQuery) async throws {
        guard rows.count > 0 else { return }
        let definition = columns.map { "\($0.name) \($0.type)" }.joined(separator: ", ")
        try await conn.run(PostgresQuery(unsafeSQL: "CREATE TEMPORARY TABLE IF NOT EXISTS \(table) (\(definition)) ON COMMIT DROP"), logger)
        try await send(conn, logger, table: table, columns: columns.map(\.name), rows)
        try await conn.run(statement, logger)
        try await conn.run(PostgresQuery(unsafeSQL: "TRUNCATE \(table)"), logger)
    }

    /// Rows made by `write` from each item as they are sent, in pieces: the server reads one while
    /// the next is made, and a long table is never held whole. (Rows made first and sent after left
    /// the server idle while they were made: a first load of 1M rows took 8.8-9.4 s against
    /// 8.3-8.8 s.)
    static func stream<Items: Sequence>(_ conn: PostgresConnection, _ logger: Logger, table: String, columns: [String], _ items: Items,
                                        _ write: (Items.Element, inout CopyRows) -> Void) async throws {
        var iterator = items.makeIterator()
        guard let first = iterator.next() else { return }
        try await conn.copyFrom(table: table, columns: columns, logger: logger) { writer in
            var out = CopyRows(columns: columns.count, capacity: piece + 4096)
            var next: Items.Element? = first
            while let item = next {
                next = iterator.next()
                write(item, &out)
                if out.malformedRow != nil {
                    throw StoreError.unavailable("a row for \(table) has another number of fields than its \(columns.count) columns")
                }
                if out.bytes.count >= piece {
                    try await writer.write(ByteBuffer(bytes: out.bytes))
                    out.removeAll()
                }
            }
            if !out.bytes.isEmpty { try await writer.write(ByteBuffer(bytes: out.bytes)) }
        }
    }

    /// Rows made generically (copy-store's tables); `rows` may be lazy.
    static func rows<Rows: Sequence<[StoreValue]>>(_ conn: PostgresConnection, _ logger: Logger, table: String, columns: [String],
                                                  _ rows: Rows) async throws {
        try await stream(conn, logger, table: table, columns: columns, rows) { row, out in
            for value in row { out.value(value) }
            out.endRow()
        }
    }
}
