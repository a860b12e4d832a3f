import Foundation
import Logging
import NIOCore
import PostgresNIO
import StoreContract

extension PostgresStore: StoreCopying {
    public func rows(of table: StoreTable) async throws -> [[StoreValue]] {
        let logger = self.logger
        let list = table.columns.joined(separator: ", ")
        return try await read { conn in
            var out: [[StoreValue]] = []
            for try await row in try await conn.query(PostgresQuery(unsafeSQL: "SELECT \(list) FROM \(table.name) ORDER BY \(list)"), logger: logger) {
                var values: [StoreValue] = []
                for cell in row {
                    guard cell.bytes != nil else {
                        values.append(.null)
                        continue
                    }
                    switch cell.dataType {
                    case .int8, .int4, .int2: values.append(.int(try cell.decode(Int64.self)))
                    case .float8, .float4: values.append(.double(try cell.decode(Double.self)))
                    case .bytea: values.append(.blob(Array(try cell.decode(ByteBuffer.self).readableBytesView)))
                    default: values.append(.text(try cell.decode(String.self)))
                    }
                }
                out.append(values)
            }
            return out
        }
    }

    public func insert(_ tables: [(table: StoreTable, rows: [[StoreValue]])]) async throws {
        let logger = self.logger
        try await write { conn in
            for (table, rows) in tables {
                if table.fromConfig { try await conn.run(PostgresQuery(unsafeSQL: "DELETE FROM \(table.name)"), logger) }
                try await PostgresCopy.rows(conn, logger, table: table.name, columns: table.columns, rows.map { row in
                    row.map { value -> CopyValue in
                        switch value {
                        case .null: .null
                        case .int(let i): .int(i)
                        case .double(let d): .double(d)
                        case .text(let s): .text(s)
                        case .blob(let b): .bytes(b)
                        }
                    }
                })
                // Keys handed out later follow the copied ones.
                if let key = table.key {
                    try await conn.run(PostgresQuery(unsafeSQL: """
                        SELECT setval(pg_get_serial_sequence('\(table.name)', '\(key)'), coalesce(max(\(key)), 0) + 1, false) FROM \(table.name)
                        """), logger)
                }
            }
            try await PostgresSchema.noteChange(conn, logger)
        }
    }
}
