import Foundation
import GRDB
import StoreContract

enum SQLiteSchools {
    static let upsert = """
        INSERT INTO schools (urn, name, la_code, telephone) VALUES (?, ?, ?, ?)
        ON CONFLICT (urn) DO UPDATE SET name = excluded.name, la_code = excluded.la_code,
            telephone = coalesce(excluded.telephone, schools.telephone)
        """

    /// Those of `urns` the database holds a school for.
    static func held(_ db: Database, _ urns: [String]) throws -> Set<String> {
        guard !urns.isEmpty else { return [] }
        let statement = try db.makeStatement(sql: "SELECT 1 FROM schools WHERE urn = ?")
        return Set(try urns.filter { try Bool.fetchOne(statement, arguments: [$0]) ?? false })
    }
}

extension SQLiteStore: SchoolDirectoryStore {
    public func importSchools(_ schools: [School]) async throws -> Int {
        try await pool.write { db in
            let statement = try db.makeStatement(sql: SQLiteSchools.upsert)
            for s in schools {
                try statement.execute(arguments: [s.urn, s.name, s.laCode, s.telephone])
            }
            return schools.count
        }
    }

    public func school(urn: String) async throws -> School? {
        try await pool.read { db in
            guard try db.tableExists("schools") else { return nil }
            return try Row.fetchOne(db, sql: "SELECT urn, name, la_code, telephone FROM schools WHERE urn = ?", arguments: [urn]).map {
                School(urn: $0[0], name: $0[1], laCode: $0[2], telephone: $0[3])
            }
        }
    }
}
