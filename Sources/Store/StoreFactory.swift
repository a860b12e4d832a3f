import Foundation

public enum StoreFactory {
    /// `sqlite:PATH` (or `sqlite://PATH`) opens the embedded store; `postgres://` is reserved for the
    /// shared store.
    public static func open(_ url: String) throws -> any Store & AlertStore {
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

    /// The file of a `sqlite:PATH` or `sqlite://PATH` URL; nil for any other URL or an empty path.
    static func sqlitePath(_ url: String) -> String? {
        guard url.hasPrefix("sqlite:") else { return nil }
        var path = String(url.dropFirst("sqlite:".count))
        if path.hasPrefix("//") { path.removeFirst(2) }
        return path.isEmpty ? nil : path
    }
}
