import GRDB
import GRDBSQLite

/// Inserts rows into one table many at a time, through multi-row `INSERT ... VALUES (...), (...)`
/// statements: a large ingest's cost is mostly SQLite's per-statement work (step, bind, halt,
/// reset), which this pays once per `rowsPerStatement` rows rather than once per row.
///
/// Values are kept until the batch is written: text is copied into one reused buffer and bound in
/// place, so no value costs an allocation. Rows go in when `rowsPerStatement` have gathered, and
/// the rest at `flush()`; callers flush before anything that must see the rows, such as a row of
/// another table that refers to them.
final class SQLiteBulkInsert {
    private enum Value {
        case null
        case int(Int64)
        case double(Double)
        case text(start: Int, count: Int)
    }

    private let db: Database
    private let prefix: String
    private let columns: Int
    private let rowsPerStatement: Int
    private var statements: [Int: SQLiteRawStatement] = [:]
    // Touched for every value of every row: no exclusivity check at run time (the class is used
    // from one thread, and never re-entered).
    @exclusivity(unchecked) private var values: [Value] = []
    @exclusivity(unchecked) private var text: [UInt8] = []

    /// `prefix` is `INSERT INTO table (a, b, c)`; `columns` the number of names in it.
    init(_ db: Database, _ prefix: String, columns: Int, rowsPerStatement: Int = 64) {
        self.db = db
        self.prefix = prefix
        self.columns = columns
        // SQLite allows 32,766 parameters a statement.
        self.rowsPerStatement = max(1, min(rowsPerStatement, 32_766 / columns))
        values.reserveCapacity(self.rowsPerStatement * columns)
        text.reserveCapacity(64 * 1024)
    }

    func add(_ value: String?) {
        guard var value else { values.append(.null); return }
        let start = text.count
        value.withUTF8 { text.append(contentsOf: $0) }
        values.append(.text(start: start, count: text.count - start))
    }

    func add(_ value: Int64?) { values.append(value.map(Value.int) ?? .null) }
    func add(_ value: Int?) { add(value.map(Int64.init)) }
    func add(_ value: Bool?) { add(value.map { $0 ? Int64(1) : 0 }) }
    func add(_ value: Double) { values.append(.double(value)) }
    func add(_ value: Double?) { values.append(value.map(Value.double) ?? .null) }

    /// Ends one row; writes the batch when it is full.
    func endRow() throws {
        if values.count >= rowsPerStatement * columns { try flush() }
    }

    /// Tables this one's rows refer to: their gathered rows are written first, so every reference
    /// is checked against rows already in.
    var refersTo: [SQLiteBulkInsert] = []

    /// Writes every row gathered so far.
    func flush() throws {
        for parent in refersTo { try parent.flush() }
        let rows = values.count / columns
        guard rows > 0 else { return }
        precondition(values.count == rows * columns, "a row was left unfinished")
        let statement = try self.statement(rows: rows)
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
            // The statement points into `text` until it is reset, which `run` does before returning.
            try statement.run()
        }
        values.removeAll(keepingCapacity: true)
        text.removeAll(keepingCapacity: true)
    }

    private func statement(rows: Int) throws -> SQLiteRawStatement {
        if let s = statements[rows] { return s }
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        let s = try SQLiteRawStatement(db, prefix + " VALUES " + Array(repeating: row, count: rows).joined(separator: ", "))
        statements[rows] = s
        return s
    }
}
