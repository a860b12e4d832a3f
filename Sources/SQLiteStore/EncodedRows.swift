import StoreContract

/// Rows of values ready to bind to an INSERT: text is copied into one buffer and referred to by
/// place, so building a row allocates nothing, and the rows can be built on one thread and bound
/// on another.
struct EncodedRows: Sendable {
    enum Value: Sendable {
        case null
        case int(Int64)
        case double(Double)
        case text(start: Int, count: Int)
        case blob(start: Int, count: Int)
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

    mutating func add(_ digest: Fingerprint.Digest) {
        let start = text.count
        digest.withBytes { text.append(contentsOf: $0) }
        values.append(.blob(start: start, count: 16))
    }

    mutating func add(_ value: Int64?) { values.append(value.map(Value.int) ?? .null) }
    mutating func add(_ value: Int?) { add(value.map(Int64.init)) }
    mutating func add(_ value: Bool?) { add(value.map { $0 ? Int64(1) : 0 }) }
    mutating func add(_ value: Double) { values.append(.double(value)) }

    /// The values and the buffer their text and bytes are in, for binding.
    func withValues<R>(_ body: (UnsafeBufferPointer<Value>, UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try values.withUnsafeBufferPointer { v in try text.withUnsafeBufferPointer { try body(v, $0) } }
    }

    /// Binds one value, whose text is in `text`. The statement points into `text` until it is reset.
    @inline(__always)
    static func bind(_ value: Value, _ text: UnsafeBufferPointer<UInt8>, to statement: SQLiteRawStatement, at index: Int32) {
        switch value {
        case .null: statement.bindNull(index)
        case .int(let x): statement.bind(index, x)
        case .double(let x): statement.bind(index, x)
        case .text(let start, let count): statement.bindStatic(index, UnsafeBufferPointer(rebasing: text[start..<start + count]))
        case .blob(let start, let count): statement.bindStaticBlob(index, UnsafeBufferPointer(rebasing: text[start..<start + count]))
        }
    }
}
