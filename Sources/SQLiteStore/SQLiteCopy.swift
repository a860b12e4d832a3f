import Foundation
import GRDB
import StoreContract

extension SQLiteStore: StoreCopying {
    public func rows(of table: StoreTable) async throws -> [[StoreValue]] {
        let list = table.columns.joined(separator: ", ")
        return try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(list) FROM \(table.name) ORDER BY \(list)").map(Self.storeValues)
        }
    }

    public func rows(of table: StoreTable, after: [StoreValue]?, limit: Int) async throws -> [[StoreValue]] {
        guard let key = table.pageKey else { return after == nil ? try await rows(of: table) : [] }
        let keys = key.joined(separator: ", ")
        let from = after == nil ? "" : "WHERE (\(keys)) > (\(key.map { _ in "?" }.joined(separator: ", ")))"
        let arguments = StatementArguments((after ?? []).map(Self.databaseValue))
        return try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name) \(from) ORDER BY \(keys) LIMIT \(limit)",
                             arguments: arguments).map(Self.storeValues)
        }
    }

    public func tableNames() async throws -> [String] {
        try await pool.read { db in
            let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
            // GRDB's migrator makes its table outside the first migration's transaction (audit 21, crash F1).
            guard names.contains("grdb_migrations"), try Int.fetchOne(db, sql: "SELECT count(*) FROM grdb_migrations") == 0 else { return names }
            return names.filter { $0 != "grdb_migrations" }
        }
    }

    public func insert(_ tables: [StoreTable], next: @escaping @Sendable (StoreTable) async throws -> [[StoreValue]]?) async throws {
        try await pool.write { db in
            for table in tables {
                if table.fromConfig { try db.execute(sql: "DELETE FROM \(table.name)") }
                let statement = try db.makeStatement(sql: """
                    INSERT INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES (\(table.columns.map { _ in "?" }.joined(separator: ", ")))
                    """)
                while let rows = try Self.waitFor({ try await next(table) }) {
                    for row in rows { try statement.execute(arguments: StatementArguments(row.map(Self.databaseValue))) }
                }
            }
            try SQLiteSchema.noteChange(db)
        }
    }

    /// Runs `operation` and waits for it on this thread. The writer's transaction is a synchronous
    /// closure on GRDB's own writer thread (not one of Swift's cooperative threads, which a wait
    /// could starve), and the pages it writes come from another store, read asynchronously.
    private static func waitFor<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
        let outcome = Outcome<T>()
        Task {
            do { outcome.finish(.success(try await operation())) } catch { outcome.finish(.failure(error)) }
        }
        return try outcome.wait()
    }

    private final class Outcome<T: Sendable>: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        /// Written once, before `done` is signalled; read after it is.
        private var result: Result<T, any Error>?

        func finish(_ result: Result<T, any Error>) {
            self.result = result
            done.signal()
        }

        func wait() throws -> T {
            done.wait()
            return try result!.get()
        }
    }

    static func storeValues(_ row: Row) -> [StoreValue] {
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

    static func databaseValue(_ value: StoreValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case .int(let i): i.databaseValue
        case .double(let d): d.databaseValue
        case .text(let s): s.databaseValue
        case .blob(let b): Data(b).databaseValue
        }
    }
}
