import Foundation
import SQLiteStore
import StoreContract

/// The one place a database URL becomes a store: the composition root's choice of SQLite or
/// PostgreSQL. Nothing above it names either.
public enum StoreFactory {
    /// `sqlite:PATH` (or `sqlite://PATH`) opens the embedded store; `postgres://` the shared store.
    public static func open(_ url: String) throws -> any FullStore {
        if url.hasPrefix("sqlite:") {
            guard let path = sqlitePath(url) else { throw StoreError.unsupportedURL("sqlite: with no path") }
            return try SQLiteStore(path: path)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            throw StoreError.unavailable("PostgreSQL is not built into this version yet; use sqlite:PATH")
        }
        // Only the scheme is echoed: a URL may carry a password.
        throw StoreError.unsupportedURL(String(url.prefix { $0 != ":" }))
    }

    /// The store at `url` only if it already exists: a `sqlite:` file that is there. Nil for a missing
    /// file, so a command that only reads (`deadline`) never creates one.
    public static func openExisting(_ url: String) throws -> (any FullStore)? {
        guard let path = sqlitePath(url), FileManager.default.fileExists(atPath: path) else { return nil }
        return try SQLiteStore(path: path)
    }

    /// The file of a `sqlite:PATH` or `sqlite://PATH` URL; nil for any other URL or an empty path.
    static func sqlitePath(_ url: String) -> String? {
        guard url.hasPrefix("sqlite:") else { return nil }
        var path = String(url.dropFirst("sqlite:".count))
        if path.hasPrefix("//") { path.removeFirst(2) }
        return path.isEmpty ? nil : path
    }
}
