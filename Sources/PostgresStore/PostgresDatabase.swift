import Foundation
import InputRules
import Logging
import NIOSSL
import PostgresNIO
import StoreContract
import Synchronization
import TimeLimit

/// A pool of connections to the shared database, and the transactions the store runs on them.
public final class PostgresDatabase: Sendable {
    let client: PostgresClient
    /// The review queue's scan has a pool of its own. Its parts hold their connections while the
    /// queue reads what it needs beside them through `client` (`Store.scanChildHistories`' start):
    /// from one pool, the parts of a few queues built at once (`serve`) could hold every connection
    /// those reads wait for, and all would wait for ever.
    let scanClient: PostgresClient
    let logger: Logger
    let location: PostgresLocation
    private let running: Task<Void, Never>
    /// One direct connection, made before the pool's first use: the pool retries a server it cannot
    /// reach for a minute before it gives up, where an operator needs the reason at once.
    private let probe: PostgresConnection.Configuration
    private let reached = Mutex(false)
    /// The migrations this program knows, oldest first: all of PostgresSchema's, or (for tests that
    /// play an older version of the program) those up to one of them.
    let knownMigrations: [PostgresSchema.Migration]

    /// Connects lazily: a database that cannot be reached is found at the first query, as
    /// `PostgresProblem` (exit 69, one line).
    public convenience init(location: PostgresLocation, password: String?) throws {
        try self.init(location: location, password: password, knownUpTo: nil)
    }

    /// How long a transaction waits for a connection before the database is reported unreachable.
    /// The driver's pool keeps trying to connect to a server that has gone (a restart, a failover)
    /// and fails its waiting requests only after a minute; a page or a command should say so
    /// sooner, as a database problem (503, exit 69), not hang. Long enough that a busy pool's
    /// queue (8 connections) does not trip it.
    static let defaultLeaseWait: Duration = .seconds(20)
    let leaseWait: Duration

    /// `knownUpTo`: act as the version whose newest migration that was (tests). `leaseWait`: see
    /// `defaultLeaseWait` (tests shorten it).
    init(location: PostgresLocation, password: String?, knownUpTo: String?, leaseWait: Duration = PostgresDatabase.defaultLeaseWait) throws {
        self.leaseWait = leaseWait
        let all = PostgresSchema.migrations
        knownMigrations = knownUpTo.flatMap { last in all.firstIndex { $0.id == last }.map { Array(all[...$0]) } } ?? all
        var logger = Logger(label: "encompass.postgres")
        // The driver's own messages are for debugging; what an operator needs arrives as an error.
        logger.logLevel = .critical
        self.logger = logger
        self.location = location
        let tls: PostgresClient.Configuration.TLS
        let probeTLS: PostgresConnection.Configuration.TLS
        switch location.tls {
        case .disable:
            tls = .disable
            probeTLS = .disable
        case .prefer, .require, .verifyFull:
            var config = TLSConfiguration.makeClientConfiguration()
            if location.tls != .verifyFull { config.certificateVerification = .none }
            if let ca = location.rootCertificate {
                // A file named and not there is SPEC §9's 66, as for every other file we are given.
                guard FileManager.default.fileExists(atPath: ca) else { throw MissingRootCertificate(path: ca) }
                // Read here, so a CA that cannot be used is one line before any connection.
                guard let certificates = try? NIOSSLCertificate.fromPEMFile(ca), !certificates.isEmpty else {
                    throw PostgresProblem(location: location, problem: "cannot read sslrootcert \(ca) as PEM certificates: "
                                          + "check the path and that the service's user may read it")
                }
                config.trustRoots = .certificates(certificates)
            }
            tls = location.tls == .prefer ? .prefer(config) : .require(config)
            let context = try NIOSSLContext(configuration: config)
            probeTLS = location.tls == .prefer ? .prefer(context) : .require(context)
        }
        var probe = PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                     password: password, database: location.database, tls: probeTLS)
        probe.options.connectTimeout = .seconds(10)
        self.probe = probe
        var configuration = PostgresClient.Configuration(host: location.host, port: location.port, username: location.user,
                                                         password: password, database: location.database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.maximumConnections = 8
        // No JIT compilation of plans: our statements are short or stream their rows, and once a
        // plan's estimated cost passes the server's threshold (row estimates right after a bulk load
        // are large) LLVM compiling it costs more than running it: 1.7 s before the queue's 1 s scan,
        // seen on a busy machine. For the session, so every statement of every connection has it
        // (it was set for the queue's scan alone).
        configuration.options.additionalStartupParameters = [("jit", "off")]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let scanClient = PostgresClient(configuration: configuration, backgroundLogger: logger)
        (self.client, self.scanClient) = (client, scanClient)
        running = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await client.run() }
                group.addTask { await scanClient.run() }
            }
        }
    }

    deinit {
        running.cancel()
    }

    /// One transaction: committed if `body` returns, rolled back if it throws. Errors come out as
    /// `PostgresProblem` when they are the database's, as they were otherwise.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await transaction(on: client, body)
    }

    /// A transaction on the scan's own pool (see `scanClient`).
    func scanTransaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await transaction(on: scanClient, body)
    }

    private func transaction<T: Sendable>(on client: PostgresClient, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await leased(on: client) { conn in
            try await conn.run("BEGIN ISOLATION LEVEL READ COMMITTED", logger)
            do {
                let value = try await body(conn)
                try await conn.run("COMMIT", logger)
                return value
            } catch {
                try? await conn.run("ROLLBACK", logger)
                throw error
            }
        }
    }

    /// Runs `body` on one connection outside a transaction (the migrations' lock is the session's).
    func session<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await leased(on: client, body)
    }

    /// `body` on a connection of `client`'s, waiting at most `leaseWait` for one. Past that the
    /// caller is told the database cannot be reached at once, and the pool's request is cancelled
    /// (not waited for: see `FirstAnswer`); a connection that comes later is handed back unused, so
    /// a write reported failed never happens after all. Errors before a connection was had are the
    /// connection's.
    private func leased<T: Sendable>(on client: PostgresClient, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await reach()
        let lease = LeaseClaim()
        let location = self.location
        let waited = leaseWait
        let answer: T?
        do {
            answer = try await FirstAnswer.within(waited, giveUpIf: { lease.abandon() }) {
                try await client.withConnection { conn in
                    guard lease.start() else { throw LeaseClaim.Abandoned() }
                    return try await ConnectionWatch.whileOpen(conn) { try await body(conn) }
                }
            }
        } catch let e as PSQLError {
            throw PostgresProblem(e, location: location)
        } catch is ConnectionWatch.ConnectionLost {
            throw PostgresProblem(location: location, problem: "the server closed the connection during a transaction (a restart, a "
                                  + "failover, or the session ended by an administrator): check that PostgreSQL is running; "
                                  + "a change being committed at that moment may or may not have been saved")
        } catch where !lease.started && !(error is CancellationError) && !(error is PostgresProblem) {
            // The pool gave up connecting (its circuit breaker): the database's problem, not ours.
            try await refusal()
            throw PostgresProblem(location: location, problem: "cannot connect: the server has not answered "
                                  + "(check that PostgreSQL is running and reachable)")
        }
        guard let answer else {
            try await refusal()
            throw PostgresProblem(location: location, problem: "no connection within \(waited.components.seconds) s: the server has gone or stopped answering "
                                  + "(check that PostgreSQL is running and reachable; a failover takes a minute or two)")
        }
        return answer
    }

    /// Throws what the server says when it refuses a connection now, found by connecting once
    /// directly (as `reach`, bounded by its connect timeout); returns when it does not refuse (it
    /// cannot be reached, or it takes the connection). The pool keeps retrying a refused login and
    /// says only that no connection came: a password changed or a database dropped after the run
    /// began was waited out for the whole lease as a server not answering, and the line told the
    /// operator to check that PostgreSQL ran, which it did (audit 30, F1: 538 s). Named by its
    /// SQLSTATE, the run gives it half a minute (`PostgresProblem.mayClearItself`).
    private func refusal() async throws {
        do {
            try await connectDirectly()
        } catch let e as PSQLError where e.code == .server {
            throw PostgresProblem(e, location: location)
        } catch {
            return
        }
    }
}

extension PostgresDatabase {
    /// One connection of our own, outside the pool, closed at once: what the server says to it
    /// (`reach`, `refusal`), bounded by the probe's connect timeout.
    func connectDirectly() async throws {
        let connection = try await PostgresConnection.connect(configuration: probe, id: 0, logger: logger)
        try? await connection.close()
    }

    /// Connects once directly, the first time: a server that cannot be reached, or refuses us, is
    /// reported now in one line.
    func reach() async throws {
        guard !reached.withLock({ $0 }) else { return }
        do {
            try await connectDirectly()
            reached.withLock { $0 = true }
        } catch let e as PSQLError {
            throw PostgresProblem(e, location: location)
        }
    }
}

/// One transaction's wait for a connection, settled once: by the connection arriving (`start`)
/// or by the wait running out (`abandon`).
final class LeaseClaim: Sendable {
    struct Abandoned: Error {}
    private enum State { case waiting, started, abandoned }
    private let state = Mutex(State.waiting)

    var started: Bool { state.withLock { $0 == .started } }

    /// With a connection in hand: true to go on, false when the wait had already run out.
    func start() -> Bool { settle(.started) }

    /// The wait ran out: true when no connection had come.
    func abandon() -> Bool { settle(.abandoned) }

    private func settle(_ to: State) -> Bool {
        state.withLock { s in
            guard s == .waiting else { return false }
            s = to
            return true
        }
    }
}

/// The database URL's `sslrootcert` names a file that is not there: exit 66, as any missing file.
public struct MissingRootCertificate: KindedError, CustomStringConvertible {
    public let path: String
    public var failureKind: FailureKind { .missing }
    public var description: String { "\(path): no such file (sslrootcert in the database URL)" }
}

/// A database failure in one line: what went wrong and what to check, never a password or a value.
public struct PostgresProblem: Error, StoreFailure, CustomStringConvertible {
    public let problem: String
    /// The server's SQLSTATE, when the server said it.
    public let sqlState: String?

    init(location: PostgresLocation, problem: String) {
        self.init(whole: "\(location.place): \(problem)")
    }

    /// A line that names the database itself.
    init(whole problem: String) {
        self.problem = problem
        sqlState = nil
    }

    init(_ error: PSQLError, location: PostgresLocation) {
        let server = error.serverInfo
        sqlState = server?[.sqlState]
        switch error.code {
        case .server:
            let message = server?[.message] ?? "an error"
            switch sqlState ?? "" {
            case "28000" where message.contains("no encryption"):
                problem = "\(location.place): the server takes connections over TLS only (\(message)): use sslmode=require or verify-full"
            case "28P01", "28000":
                problem = "\(location.place): the server refused user \(location.user) (\(message)): check the user and ENCOMPASS_DATABASE_PASSWORD"
            case "3D000":
                problem = "\(location.place): no such database: create it, or check the URL"
            case "25006":
                // A write to a standby, or to a database set read-only (a failover not followed).
                problem = Self.readOnly(location, message)
            case "42501":
                // A role running `migrate` or a purge that does not own the tables, or one not granted them.
                problem = "\(location.place): \(message): the role \(location.user) lacks a privilege there: run `encompass migrate` "
                    + "and `retention --purge` as the role that owns the tables, and grant the others their rows (README: Running on PostgreSQL)"
            default:
                problem = "\(location.place): \(message)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "")
            }
        case .sslUnsupported:
            problem = "\(location.place): the server does not offer TLS, which sslmode=\(location.tls.rawValue) requires"
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed:
            let underlying = error.underlying.map { String(describing: $0) } ?? ""
            if Self.isCertificateRefused(underlying) {
                let against = location.rootCertificate.map { "the CA in sslrootcert \($0)" } ?? "the system's CAs"
                problem = "\(location.place): the server's certificate was not accepted (sslmode=verify-full checks it against \(against) "
                    + "and the host name \(location.host)): give the CA that signed it with sslrootcert, or connect by the name it carries"
            } else {
                problem = "cannot connect to \(location.place) (\(Self.reason(underlying))): check the host, the port and that PostgreSQL is running"
            }
        case .authMechanismRequiresPassword:
            problem = "\(location.place): the server asks for a password: set ENCOMPASS_DATABASE_PASSWORD"
        default:
            problem = "\(location.place): \(error.code.description)"
        }
    }

    public var description: String { problem }

    /// Whether the same write may go through soon without anyone's help (`StoreFailure`): by the
    /// server's SQLSTATE, read here only. A failure with none (a connection lost or refused, no
    /// connection in time) is the network's or a restart's, and may.
    public var mayClearItself: Bool { sqlState.map(Self.mayClearItself(sqlState:)) ?? true }

    /// The SQLSTATEs only an operator clears, as SQLite's full disk, read-only store and damaged
    /// file (`DatabaseError.mayClearItself`): a run keeping an outcome tries them half a minute, not
    /// its lease (`OutcomeKeeping.lastingFor`: PostgreSQL's full disk held the morning run 9 minutes
    /// before its exit 69). Class 53, insufficient resources: the disk full (53100), out of memory
    /// (53200), a configured limit (53400), but not too many connections (53300), which other
    /// sessions' ending clears; a read-only transaction (25006: a standby, or a database set
    /// read-only); a damaged table or index (XX001, XX002); a privilege the role lacks (42501); met
    /// on reconnecting part way, a login refused (class 28: the password changed, the role dropped)
    /// or a database that is not there (3D000), which the lease's ten minutes would only delay; a
    /// disk or file error in the server (class 58).
    /// Everything else may: a restart or failover (57P01, 57P03, class 08), a serialization failure
    /// or deadlock (class 40), a lock or statement timeout (55P03, 57014).
    public static func mayClearItself(sqlState: String) -> Bool {
        switch sqlState {
        case "53300": true
        case "25006", "XX001", "XX002", "42501", "3D000": false
        default: !["53", "28", "58"].contains(sqlState.prefix(2))
        }
    }

    /// A database that takes no writes, and what to do: the units' URL must name the primary.
    static func readOnly(_ location: PostgresLocation, _ why: String) -> String {
        "the database \(location.place) takes no writes (\(why)): point --database (ENCOMPASS_DATABASE) at the primary, "
            + "a managed service's writer endpoint, not a standby or a read replica"
    }

    /// The TLS handshake failed on our side: the certificate's chain or host name did not verify.
    static func isCertificateRefused(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.contains("certificate_verify_failed") || lower.contains("certificate verify failed")
            || lower.contains("failedtovalidatehostname") || lower.contains("unable to validate hostname")
    }

    /// The network's reason in a few words (the driver's own text names every address it tried).
    static func reason(_ text: String) -> String {
        let lower = text.lowercased()
        if lower.contains("refused") { return "connection refused" }
        if lower.contains("timed out") || lower.contains("timeout") { return "timed out" }
        if lower.contains("resolve") || lower.contains("name or service") { return "host name not found" }
        if lower.contains("unreachable") { return "network unreachable" }
        return "connection failed"
    }
}
