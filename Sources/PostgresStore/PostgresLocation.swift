import Foundation
import InputRules

/// Where the shared database is: `postgres://USER@HOST:PORT/DB[?sslmode=...]` (or `postgresql://`).
/// The password comes only from `ENCOMPASS_DATABASE_PASSWORD`: a URL carrying one is refused, and no
/// message ever repeats it.
public struct PostgresLocation: Sendable, Equatable {
    public enum TLSMode: String, Sendable, CaseIterable {
        /// No TLS (a loopback or socket connection inside one host).
        case disable
        /// TLS when the server offers it (libpq's default; ours for a loopback host only).
        case prefer
        /// TLS or nothing, the certificate not checked (libpq's meaning).
        case require
        /// TLS, the certificate checked against the system's CAs and the host name.
        case verifyFull = "verify-full"
    }

    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    public var tls: TLSMode
    /// `sslrootcert=PATH`: the CA (PEM) that signed the server's certificate, checked instead of the
    /// system's CAs (a managed database's own CA, as libpq's option). Only with verify-full.
    public var rootCertificate: String?

    /// The URL's problem, in words that never include a password.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(url: String) throws {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"), let parts = URLComponents(string: url) else {
            throw Invalid(description: "a PostgreSQL URL is postgres://USER@HOST:PORT/DATABASE")
        }
        if parts.password != nil {
            throw Invalid(description: "the database URL carries a password: remove it, and set ENCOMPASS_DATABASE_PASSWORD instead")
        }
        guard let user = parts.user, !user.isEmpty else {
            throw Invalid(description: "the database URL names no user: postgres://USER@HOST:PORT/DATABASE")
        }
        guard let host = parts.host, !host.isEmpty else {
            throw Invalid(description: "the database URL names no host: postgres://USER@HOST:PORT/DATABASE")
        }
        // URLComponents takes any number as a port; one past 65535 is a typo, not a server to try.
        if let port = parts.port, !(1...65535).contains(port) {
            throw Invalid(description: "the database URL's port must be 1 to 65535")
        }
        let database = String(parts.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw Invalid(description: "the database URL names no database: postgres://USER@HOST:PORT/DATABASE")
        }
        // With no sslmode, a host on another machine gets TLS or nothing: libpq's `prefer` would go
        // on without it (or be talked out of it on the way), sending children's records across the
        // network in clear. A force whose server has no TLS says `sslmode=disable` itself. On this
        // machine (loopback) there is no network to cross: `prefer`, as libpq.
        var tls = LoopbackHost.contains(host) ? TLSMode.prefer : TLSMode.require
        var rootCertificate: String?
        for item in parts.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                // libpq's allow is prefer here; verify-ca checks the chain as verify-full does.
                let value = item.value ?? ""
                guard let mode = TLSMode(rawValue: value == "allow" ? "prefer" : value == "verify-ca" ? "verify-full" : value) else {
                    throw Invalid(description: "sslmode must be disable, prefer, require or verify-full")
                }
                tls = mode
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty else {
                    throw Invalid(description: "sslrootcert names no file: sslrootcert=PATH of the CA's certificate (PEM)")
                }
                rootCertificate = path
            default:
                throw Invalid(description: "the database URL's option \(item.name) is not known (only sslmode and sslrootcert are)")
            }
        }
        // A CA given is for checking the certificate, which only verify-full does: not silently unused.
        if rootCertificate != nil, tls != .verifyFull {
            throw Invalid(description: "sslrootcert is used with sslmode=verify-full, which checks the server's certificate against it")
        }
        self.user = user.removingPercentEncoding ?? user
        self.host = host
        self.port = parts.port ?? 5432
        self.database = database.removingPercentEncoding ?? database
        self.tls = tls
        self.rootCertificate = rootCertificate
    }

    /// HOST:PORT/DATABASE, for messages.
    public var place: String { "\(host):\(port)/\(database)" }
}
