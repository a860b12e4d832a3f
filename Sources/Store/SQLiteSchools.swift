import Foundation
import GRDB

/// The school directory beyond Config/: a full GIAS file loaded by `encompass schools import`, kept
/// across commands (Config/'s own schools are upserted over it on every start, never cleared).
public protocol SchoolDirectoryStore: Sendable {
    /// Adds or updates each school by URN (name, LA code); returns how many were written.
    func importSchools(_ schools: [School]) async throws -> Int
    /// The stored school with this URN, or nil (also nil on a database with no schools table yet).
    func school(urn: String) async throws -> School?
}

enum SQLiteSchools {
    static let upsert = """
        INSERT INTO schools (urn, name, la_code) VALUES (?, ?, ?)
        ON CONFLICT (urn) DO UPDATE SET name = excluded.name, la_code = excluded.la_code
        """
}

extension SQLiteStore: SchoolDirectoryStore {
    public func importSchools(_ schools: [School]) async throws -> Int {
        try await pool.write { db in
            let statement = try db.makeStatement(sql: SQLiteSchools.upsert)
            for s in schools {
                try statement.execute(arguments: [s.urn, s.name, s.laCode])
            }
            return schools.count
        }
    }

    public func school(urn: String) async throws -> School? {
        try await pool.read { db in
            guard try db.tableExists("schools") else { return nil }
            return try Row.fetchOne(db, sql: "SELECT urn, name, la_code FROM schools WHERE urn = ?", arguments: [urn]).map {
                School(urn: $0[0], name: $0[1], laCode: $0[2])
            }
        }
    }
}

extension StoreFactory {
    /// The store at `url` only if it already exists: a `sqlite:` file that is there. Nil for a missing
    /// file or another kind of database, so a command that only reads (`deadline`) never creates one.
    public static func openExisting(_ url: String) throws -> (any Store & SchoolDirectoryStore)? {
        guard let path = sqlitePath(url), FileManager.default.fileExists(atPath: path) else { return nil }
        return try SQLiteStore(path: path)
    }
}
