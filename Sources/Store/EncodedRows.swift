/// Rows of values ready to bind to an INSERT: text is copied into one buffer and referred to by
/// place, so building a row allocates nothing, and the rows can be built on one thread and bound
/// on another.
struct EncodedRows: Sendable {
    enum Value: Sendable {
        case null
        case int(Int64)
        case double(Double)
        case text(start: Int, count: Int)
    }

    private(set) var values: [Value] = []
    private(set) var text: [UInt8] = []

    init(capacity: Int = 0) {
        values.reserveCapacity(capacity)
        text.reserveCapacity(capacity * 8)
    }

    mutating func add(_ value: String?) {
        guard var value else { values.append(.null); return }
        let start = text.count
        value.withUTF8 { text.append(contentsOf: $0) }
        values.append(.text(start: start, count: text.count - start))
    }

    mutating func add(_ value: Int64?) { values.append(value.map(Value.int) ?? .null) }
    mutating func add(_ value: Int?) { add(value.map(Int64.init)) }
    mutating func add(_ value: Bool?) { add(value.map { $0 ? Int64(1) : 0 }) }
    mutating func add(_ value: Double) { values.append(.double(value)) }

    /// Appends values `range` of `other`, with their text.
    mutating func append(_ other: EncodedRows, _ range: Range<Int>) {
        for v in other.values[range] {
            if case .text(let start, let count) = v {
                let at = text.count
                text.append(contentsOf: other.text[start..<start + count])
                values.append(.text(start: at, count: count))
            } else {
                values.append(v)
            }
        }
    }

    mutating func removeAll() {
        values.removeAll(keepingCapacity: true)
        text.removeAll(keepingCapacity: true)
    }

    /// Binds every value, in order, from parameter 1, then runs the statement. The statement points
    /// into `text` until it is reset, which `run` does before returning.
    func run(_ statement: SQLiteRawStatement) throws {
        try text.withUnsafeBufferPointer { bytes in
            for (i, v) in values.enumerated() {
                let index = Int32(i + 1)
                switch v {
                case .null: statement.bindNull(index)
                case .int(let x): statement.bind(index, x)
                case .double(let x): statement.bind(index, x)
                case .text(let start, let count): statement.bindStatic(index, UnsafeBufferPointer(rebasing: bytes[start..<start + count]))
                }
            }
            try statement.run()
        }
    }
}
