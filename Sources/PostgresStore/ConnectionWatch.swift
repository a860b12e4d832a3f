import NIOCore
import PostgresNIO
import Synchronization
import TimeLimit

/// A transaction's work on a connection, ended with `ConnectionLost` the moment the connection
/// closes. PostgresNIO 1.33.2 can leave a statement sent on a connection the server has just ended
/// (a restart, a failover, `pg_terminate_backend`) waiting for good: seen here as transactions that
/// never returned, no connection left to the server, nothing scheduled, and in the test suite as
/// the whole run hanging. A closed connection commits nothing more, so leaving its work is safe.
///
/// Each connection's close is watched once, for its lifetime; a transaction only sets and clears
/// what its close should end (a callback per transaction would pile up on a long-lived connection).
enum ConnectionWatch {
    struct ConnectionLost: Error {}

    /// What one connection's close ends: the transaction running on it now, if any.
    private final class Watched: Sendable {
        /// Held until it closes, so no later connection can take its identity meanwhile.
        let connection: PostgresConnection
        init(_ connection: PostgresConnection) { self.connection = connection }
        /// nil between transactions; `closed` once the connection has gone.
        let current = Mutex<(end: (@Sendable () -> Void)?, closed: Bool)>((nil, false))
    }

    /// The connections being watched, by identity, until each closes.
    private static let watched = Mutex<[ObjectIdentifier: Watched]>([:])

    /// `work`, or `ConnectionLost` once `conn` closes (`FirstAnswer.until`, stopped by the close).
    static func whileOpen<T: Sendable>(_ conn: PostgresConnection, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let (watch, isNew) = watching(conn)
        // Before our first statement on it: see `ReadCompleteGate`.
        if isNew { await ReadCompleteGate.install(on: conn) }
        let answer = try await FirstAnswer.until(arm: { stop in
            let closedAlready = watch.current.withLock { state in
                if !state.closed { state.end = stop }
                return state.closed
            }
            if closedAlready { stop() }
        }, disarm: { watch.current.withLock { $0.end = nil } }, work)
        guard let answer else { throw ConnectionLost() }
        return answer
    }

    /// The watch of `conn`, set up on first sight (`isNew`).
    private static func watching(_ conn: PostgresConnection) -> (watch: Watched, isNew: Bool) {
        let key = ObjectIdentifier(conn)
        let (watch, isNew) = watched.withLock { all in
            if let known = all[key] { return (known, false) }
            let made = Watched(conn)
            all[key] = made
            return (made, true)
        }
        if isNew {
            conn.closeFuture.whenComplete { _ in
                let end = watch.current.withLock { state in
                    state.closed = true
                    defer { state.end = nil }
                    return state.end
                }
                _ = watched.withLock { $0.removeValue(forKey: key) }
                end?()
            }
        }
        return (watch, isNew)
    }
}
