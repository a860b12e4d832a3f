import GRDB

/// Inserts rows into one table many at a time, through multi-row `INSERT ... VALUES (...), (...)`
/// statements: a large ingest's cost is mostly SQLite's per-statement work (step, bind, halt,
/// reset), which this pays once per `rowsPerStatement` rows rather than once per row.
///
/// Rows go in when `rowsPerStatement` have gathered, and the rest at `flush()`; callers flush
/// before anything that must see the rows.
final class SQLiteBulkInsert {
    private let db: Database
    private let prefix: String
    private let columns: Int
    private let rowsPerStatement: Int
    private var statements: [Int: SQLiteRawStatement] = [:]
    /// Touched for every value of every row: no exclusivity check at run time (the class is used
    /// from one thread, and never re-entered).
    @exclusivity(unchecked) var row = EncodedRows()

    /// `prefix` is `INSERT INTO table (a, b, c)`; `columns` the number of names in it.
    init(_ db: Database, _ prefix: String, columns: Int, rowsPerStatement: Int = 64) {
        self.db = db
        self.prefix = prefix
        self.columns = columns
        // SQLite allows 32,766 parameters a statement.
        self.rowsPerStatement = max(1, min(rowsPerStatement, 32_766 / columns))
        row = EncodedRows(capacity: self.rowsPerStatement * columns)
    }

    /// Ends one row (its values added to `row`); writes the batch when it is full.
    func endRow() throws {
        if row.values.count >= rowsPerStatement * columns { try flush() }
    }

    /// Writes every row gathered so far.
    func flush() throws {
        let rows = row.values.count / columns
        guard rows > 0 else { return }
        precondition(row.values.count == rows * columns, "a row was left unfinished")
        try row.run(try statement(rows: rows))
        row.removeAll()
    }

    private func statement(rows: Int) throws -> SQLiteRawStatement {
        if let s = statements[rows] { return s }
        let one = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        let s = try SQLiteRawStatement(db, prefix + " VALUES " + Array(repeating: one, count: rows).joined(separator: ", "))
        statements[rows] = s
        return s
    }
}
