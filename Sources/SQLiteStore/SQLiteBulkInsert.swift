import GRDB

/// Inserts rows into one table many at a time, through multi-row `INSERT ... VALUES (...), (...)`
/// statements: a large ingest's cost is mostly SQLite's per-statement work (step, bind, halt,
/// reset), which this pays once per `rowsPerStatement` rows rather than once per row.
///
/// A row is its keys (handed out by the writer), then one row of values already encoded by the
/// feed, then the same trailing values for every row (the batch's timestamps), then optionally one
/// text of the writer's (an incident's child keys). The values are bound
/// straight from the feed's buffer at `flush`, never copied; callers flush with that buffer before
/// it goes, and before anything that must see the rows.
final class SQLiteBulkInsert {
    private let db: Database
    private let prefix: String
    private let keysPerRow: Int
    private let valuesPerRow: Int
    private let trailing: [Double]
    private let rowsPerStatement: Int
    private var statements: [Int: SQLiteRawStatement] = [:]
    /// Whether each row ends with a text of the writer's own (after the trailing values).
    private let writerText: Bool
    /// The rows gathered: `keysPerRow` keys each, the index of each one's values, and its text.
    private var keys: [Int64] = []
    private var valueRows: [Int] = []
    private var texts: [String] = []

    /// `prefix` is `INSERT INTO table (a, b, c)`, naming the keys, the values, the trailing columns,
    /// then the writer's text column if `writerText`.
    init(_ db: Database, _ prefix: String, keys: Int, values: Int, trailing: [Double] = [], writerText: Bool = false,
         rowsPerStatement: Int = 64) {
        self.db = db
        self.prefix = prefix
        keysPerRow = keys
        valuesPerRow = values
        self.trailing = trailing
        self.writerText = writerText
        // SQLite allows 32,766 parameters a statement.
        self.rowsPerStatement = max(1, min(rowsPerStatement, 32_766 / (keys + values + trailing.count + (writerText ? 1 : 0))))
    }

    /// Adds a row: its keys (`keysPerRow` of them), the number of its row of values in the buffer
    /// that `flush` will be given, and (when the table has one) the writer's text.
    func add(_ key: Int64, _ secondKey: Int64 = 0, valuesRow: Int, text: String = "") {
        keys.append(key)
        if keysPerRow > 1 { keys.append(secondKey) }
        valueRows.append(valuesRow)
        if writerText { texts.append(text) }
    }

    /// Writes every row gathered so far, their values read from `values`.
    func flush(_ values: EncodedRows) throws {
        guard !valueRows.isEmpty else { return }
        try values.withValues { encoded, text in
            var row = 0
            while row < valueRows.count {
                let count = min(rowsPerStatement, valueRows.count - row)
                let s = try statement(rows: count)
                var p: Int32 = 1
                for r in row..<(row + count) {
                    for k in 0..<keysPerRow {
                        s.bind(p, keys[r * keysPerRow + k])
                        p += 1
                    }
                    let first = valueRows[r] * valuesPerRow
                    for v in first..<(first + valuesPerRow) {
                        EncodedRows.bind(encoded[v], text, to: s, at: p)
                        p += 1
                    }
                    for t in trailing {
                        s.bind(p, t)
                        p += 1
                    }
                    if writerText {
                        s.bind(p, texts[r])
                        p += 1
                    }
                }
                try s.run()
                row += count
            }
        }
        keys.removeAll(keepingCapacity: true)
        valueRows.removeAll(keepingCapacity: true)
        texts.removeAll(keepingCapacity: true)
    }

    private func statement(rows: Int) throws -> SQLiteRawStatement {
        if let s = statements[rows] { return s }
        let columns = keysPerRow + valuesPerRow + trailing.count + (writerText ? 1 : 0)
        let one = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        let s = try SQLiteRawStatement(db, prefix + " VALUES " + Array(repeating: one, count: rows).joined(separator: ", "))
        statements[rows] = s
        return s
    }
}
