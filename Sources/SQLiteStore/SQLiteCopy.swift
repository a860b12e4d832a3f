import Foundation
import GRDB
import StoreContract

extension SQLiteStore: StoreCopying {
    public func rows(of table: StoreTable) async throws -> [[StoreValue]] {
        let list = table.columns.joined(separator: ", ")
        return try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(list) FROM \(table.name) ORDER BY \(list)").map { row in
                row.databaseValues.map { value in
                    switch value.storage {
                    case .null: .null
                    case .int64(let i): .int(i)
                    case .double(let d): .double(d)
                    case .string(let s): .text(s)
                    case .blob(let data): .blob(Array(data))
                    }
                }
            }
        }
    }

    public func insert(_ tables: [(table: StoreTable, rows: [[StoreValue]])]) async throws {
        try await pool.write { db in
            for (table, rows) in tables {
                if table.fromConfig { try db.execute(sql: "DELETE FROM \(table.name)") }
                let statement = try db.makeStatement(sql: """
                    INSERT INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES (\(table.columns.map { _ in "?" }.joined(separator: ", ")))
                    """)
                for row in rows {
                    try statement.execute(arguments: StatementArguments(row.map { value -> DatabaseValue in
                        switch value {
                        case .null: .null
                        case .int(let i): i.databaseValue
                        case .double(let d): d.databaseValue
                        case .text(let s): s.databaseValue
                        case .blob(let b): Data(b).databaseValue
                        }
                    }))
                }
            }
            try SQLiteSchema.noteChange(db)
        }
    }
}
