import Foundation
import PostgresStore
import SQLiteStore
import StoreContract

/// The one place a database URL becomes a store: the composition root's choice of SQLite or
/// PostgreSQL. Nothing above it names either.
public enum StoreFactory {
    /// The database version this program makes and reads, as `--version` tells it: two builds of one
    /// release number differ here when one adds a migration, which is what an upgrade must know.
    public static var schemaVersions: String { "database schema \(SQLiteStore.newestMigration), \(PostgresStore.newestMigration)" }

    /// `sqlite:PATH` (or `sqlite://PATH`) opens the embedded store; `postgres://` the shared store.
    public static func open(_ url: String) throws -> any FullStore {
        if url.hasPrefix("sqlite:") {
            guard let path = sqlitePath(url) else { throw StoreError.unsupportedURL("sqlite: with no path") }
            return try SQLiteStore(path: path)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            let location: PostgresLocation
            do {
                location = try PostgresLocation(url: url)
            } catch let e as PostgresLocation.Invalid {
                throw StoreError.invalidURL(e.description)
            }
            return PostgresStore(try PostgresDatabase(location: location,
                                                      password: ProcessInfo.processInfo.environment["ENCOMPASS_DATABASE_PASSWORD"]))
        }
        // Only the scheme is echoed: a URL may carry a password.
        throw StoreError.unsupportedURL(String(url.prefix { $0 != ":" }))
    }

    /// The store at `url` only if it already exists: nil for a `sqlite:` file that is not there, so a
    /// command that only reads never makes one. A shared database is always there (whether it is set
    /// up is `pendingMigrations()`'s answer).
    public static func openExisting(_ url: String) throws -> (any FullStore)? {
        isMissingFile(url) ? nil : try open(url)
    }

    /// An SQLite URL whose file is not there (opening it would make a new, empty store).
    public static func isMissingFile(_ url: String) -> Bool {
        sqlitePath(url).map { !FileManager.default.fileExists(atPath: $0) } ?? false
    }

    /// Why the first command that writes could not make the store at `url`: for an SQLite file not
    /// yet there, its folder missing or not writable by this user (the words the writer would
    /// print); nil when it could, or the URL is not a file's.
    public static func whyNotMade(_ url: String) -> String? {
        guard isMissingFile(url), let path = sqlitePath(url) else { return nil }
        return SQLiteStore.whyNotOpened(path)
    }

    /// Why no command could write the existing store at `url` (an SQLite file on a read-only file
    /// system), in the words its writers print; nil when it could, or the URL is not a file's.
    public static func whyNotWritable(_ url: String) -> String? {
        guard !isMissingFile(url), let path = sqlitePath(url), let why = SQLiteStore.whyNotWritable(path) else { return nil }
        return "cannot write \(path): \(why)"
    }

    /// Where the URL points, for messages: the file, or the host and database without user or password.
    public static func place(_ url: String) -> String {
        if let path = sqlitePath(url) { return path }
        return (try? PostgresLocation(url: url))?.place ?? "the database URL"
    }

    /// The file of a `sqlite:PATH` or `sqlite://PATH` URL; nil for any other URL or an empty path.
    static func sqlitePath(_ url: String) -> String? {
        guard url.hasPrefix("sqlite:") else { return nil }
        var path = String(url.dropFirst("sqlite:".count))
        if path.hasPrefix("//") { path.removeFirst(2) }
        return path.isEmpty ? nil : path
    }
}
