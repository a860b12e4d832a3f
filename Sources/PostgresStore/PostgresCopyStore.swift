import Foundation
import Logging
import NIOCore
import PostgresNIO
import StoreContract

extension PostgresStore: StoreCopying {
    public func rows(of table: StoreTable) async throws -> [[StoreValue]] {
        let list = table.columns.joined(separator: ", ")
        return try await rows(PostgresQuery(unsafeSQL: "SELECT \(list) FROM \(table.name) ORDER BY \(list)"))
    }

    public func rows(of table: StoreTable, after: [StoreValue]?, limit: Int) async throws -> [[StoreValue]] {
        guard let key = table.pageKey else { return after == nil ? try await rows(of: table) : [] }
        var binds = PostgresBindings()
        for value in after ?? [] {
            switch value {
            case .null: binds.appendNull()
            case .int(let i): binds.append(i)
            case .double(let d): binds.append(d)
            case .text(let s): binds.append(s)
            case .blob(let b): binds.append(ByteBuffer(bytes: b))
            }
        }
        let keys = key.joined(separator: ", ")
        let from = after == nil ? "" : "WHERE (\(keys)) > (\((1...max(1, binds.count)).map { "$\($0)" }.joined(separator: ", ")))"
        return try await rows(PostgresQuery(unsafeSQL: """
            SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name) \(from) ORDER BY \(keys) LIMIT \(limit)
            """, binds: binds))
    }

    /// In every schema but the server's own: another program's tables in a schema of its own
    /// make the database another's as much as tables in `public` do.
    public func tableNames() async throws -> [String] {
        let logger = self.logger
        return try await read { conn in
            try await conn.rows("""
                SELECT schemaname || '.' || tablename FROM pg_tables
                WHERE schemaname <> 'information_schema' AND schemaname NOT LIKE 'pg\\_%'
                ORDER BY 1
                """, logger, as: (String).self)
        }
    }

    private func rows(_ query: PostgresQuery) async throws -> [[StoreValue]] {
        let logger = self.logger
        return try await read { conn in
            var out: [[StoreValue]] = []
            for try await row in try await conn.query(query, logger: logger) {
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

    public func insert(_ tables: [StoreTable], next: @escaping @Sendable (StoreTable) async throws -> [[StoreValue]]?) async throws {
        let logger = self.logger
        try await write { conn in
            for table in tables {
                if table.fromConfig { try await conn.run(PostgresQuery(unsafeSQL: "DELETE FROM \(table.name)"), logger) }
                while let rows = try await next(table) {
                    try await PostgresCopy.rows(conn, logger, table: table.name, columns: table.columns, rows)
                }
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
