import NIOCore
import PostgresNIO
import StoreContract

/// A one-dimensional array in PostgreSQL's binary form (array_send): a header of the number of
/// dimensions, a null flag and the element type, each dimension's length and lower bound, then each
/// element as its length (-1 for NULL) and its bytes.
///
/// Why it exists: the queue's scan and the serial candidates' incidents come as a few rows of large
/// arrays instead of a row per value, and PostgresNIO's generic decoding (per row, per column) was
/// most of the client's time. The elements are read in place from the row's bytes: no buffer, no
/// retain, per element.
struct BinaryArray {
    private let buffer: ByteBuffer
    private let count: Int
    private let elementType: PostgresDataType
    /// What the array is part of, for errors (never a value).
    private let what: String

    init(_ cell: PostgresCell, what: String) throws {
        self.what = what
        guard cell.format == .binary, var buffer = cell.bytes,
              let dimensions = buffer.readInteger(as: Int32.self), buffer.readInteger(as: Int32.self) != nil,
              let element = buffer.readInteger(as: UInt32.self) else {
            throw StoreError.unavailable("\(what): column \(cell.columnIndex) is not a binary array")
        }
        switch dimensions {
        case 0: count = 0
        case 1:
            guard let length = buffer.readInteger(as: Int32.self), buffer.readInteger(as: Int32.self) != nil, length >= 0 else {
                throw StoreError.unavailable("\(what): column \(cell.columnIndex) has no length")
            }
            count = Int(length)
        default: throw StoreError.unavailable("\(what): column \(cell.columnIndex) has \(dimensions) dimensions")
        }
        self.buffer = buffer
        elementType = PostgresDataType(element)
    }

    /// How to read one element of a type from exactly its own bytes (nil: malformed).
    struct Element<T> {
        let type: PostgresDataType
        let decode: (UnsafeRawBufferPointer) -> T?
    }

    /// Appends the elements to `out`, NULL as nil.
    func readOptional<T>(into out: inout [T?], _ element: Element<T>) throws {
        try forEach(element) { out.append($0) }
    }

    /// The same, for a column that is never NULL (a NULL is a malformed array).
    func read<T>(into out: inout [T], _ element: Element<T>) throws {
        try forEach(element) { value in
            guard let value else { throw StoreError.unavailable("\(what): a NULL where none may be") }
            out.append(value)
        }
    }

    private func forEach<T>(_ element: Element<T>, _ body: (T?) throws -> Void) throws {
        guard count == 0 || elementType == element.type else {
            throw StoreError.unavailable("\(what): \(elementType) where \(element.type) was expected")
        }
        let short = StoreError.unavailable("\(what): the array ends inside an element")
        try buffer.withUnsafeReadableBytes { bytes in
            var at = 0
            for _ in 0..<count {
                guard at + 4 <= bytes.count else { throw short }
                let length = Int(Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int32.self)))
                at += 4
                if length < 0 {
                    try body(nil)
                    continue
                }
                guard at + length <= bytes.count, let value = element.decode(UnsafeRawBufferPointer(rebasing: bytes[at..<(at + length)])) else {
                    throw short
                }
                at += length
                try body(value)
            }
        }
    }

    /// A row's columns read one array after another.
    struct Columns {
        private var cells: PostgresRow.Iterator
        private let what: String

        init(_ row: PostgresRow, what: String) {
            cells = row.makeIterator()
            self.what = what
        }

        /// A plain value before the arrays.
        mutating func leading<T: PostgresDecodable>(_ type: T.Type) throws -> T {
            guard let cell = cells.next() else { throw StoreError.unavailable("\(what): too few columns") }
            return try cell.decode(T.self)
        }

        /// The next array, nil when it is NULL.
        mutating func next() throws -> BinaryArray? {
            guard let cell = cells.next() else { throw StoreError.unavailable("\(what): too few columns") }
            return cell.bytes == nil ? nil : try BinaryArray(cell, what: what)
        }

        /// The next array, which may not be NULL.
        mutating func required() throws -> BinaryArray {
            guard let array = try next() else { throw StoreError.unavailable("\(what): a NULL array where none may be") }
            return array
        }

        /// The next column as texts joined by `SeparatedText.separator`, appended to `out`: a NULL
        /// column (no texts) is an error.
        mutating func separated(into out: inout [String]) throws {
            SeparatedText.split(try nextText(), into: &out) { String(decoding: $0, as: UTF8.self) }
        }

        /// The same, an empty text read as nil (a column that is NULL in some rows, written with
        /// `coalesce(column, '')`, for values that are never empty).
        mutating func separatedOptional(into out: inout [String?]) throws {
            SeparatedText.split(try nextText(), into: &out) { $0.isEmpty ? nil : String(decoding: $0, as: UTF8.self) }
        }

        private mutating func nextText() throws -> ByteBuffer {
            guard let cell = cells.next() else { throw StoreError.unavailable("\(what): too few columns") }
            guard cell.dataType == .text, let bytes = cell.bytes else {
                throw StoreError.unavailable("\(what): column \(cell.columnIndex) is NULL or not text")
            }
            return bytes
        }
    }
}

extension BinaryArray.Element where T == Int64 {
    static var int8: Self { Self(type: .int8) { $0.count == 8 ? Int64(bigEndian: $0.loadUnaligned(as: Int64.self)) : nil } }
}

extension BinaryArray.Element where T == Double {
    static var float8: Self {
        Self(type: .float8) { $0.count == 8 ? Double(bitPattern: UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self))) : nil }
    }
}

extension BinaryArray.Element where T == String {
    /// Read as UTF-8, as PostgresNIO reads every text value.
    static var text: Self { Self(type: .text) { String(decoding: $0, as: UTF8.self) } }
}

/// Texts joined in one text value by the unit separator (U+001F): `string_agg(column, E'\\x1f')`.
///
/// Why: in PostgreSQL's binary array form each element costs the server a send function call and
/// an allocation, and the queue's scan sends three texts a link or a child; joined, the scan's
/// query took 0.34 s of server time instead of 0.45 s on the 1M store. Safe because no id or URN the
/// store holds has a control character (FieldText refuses them in every input); one that did would
/// split into one text too many, which the caller's count check turns into an error, never another
/// child's id.
enum SeparatedText {
    static let separator: UInt8 = 0x1F

    /// Appends the texts of `joined` to `out`, each made by `make`: a value with no separator is one
    /// text (an empty value, one empty text).
    static func split<T>(_ joined: ByteBuffer, into out: inout [T], _ make: (UnsafeRawBufferPointer) -> T) {
        joined.withUnsafeReadableBytes { bytes in
            var start = 0
            for i in 0..<bytes.count where bytes[i] == separator {
                out.append(make(UnsafeRawBufferPointer(rebasing: bytes[start..<i])))
                start = i + 1
            }
            out.append(make(UnsafeRawBufferPointer(rebasing: bytes[start..<bytes.count])))
        }
    }
}
