import Foundation
import InputRules
@testable import PostgresStore
import StoreContract
import Synchronization
import Testing
import TimeLimit
import TestSupport

/// A PostgreSQL that stops answering after the store has reached it (a restart, a failover): the
/// driver's pool would keep a transaction waiting for a connection for a minute and then fail it
/// as an error of ours (a page: 500 after 66 s). The store says, after its wait, that the database
/// cannot be reached, and the write it refused is never made.
@Suite("PostgreSQL going away under a store")
struct PostgresOutageTests {
    /// A new database on the test server: the server, the database's URL and its name (for psql).
    static func database() throws -> (server: PostgresServer, url: String, name: String) {
        let server = try PostgresServer.shared()
        let url = try server.makeDatabase()
        return (server, url, String(url.split(separator: "/").last!))
    }

    static func store(_ url: String, leaseWait: Duration = PostgresDatabase.defaultLeaseWait) throws -> PostgresStore {
        PostgresStore(try PostgresDatabase(location: try PostgresLocation(url: url), password: nil, knownUpTo: nil, leaseWait: leaseWait))
    }

    @Test func aTransactionThatGetsNoConnectionIsADatabaseProblemAndNothingIsWrittenLater() async throws {
        let (server, url, name) = try Self.database()
        // Set up through a store with the usual wait: on a busy machine a first connection can take
        // longer than the second the store under test waits.
        let patient = try Self.store(url)
        _ = try await patient.migrate(for: .write)
        _ = try await patient.ingest([incident("I-1", "2026-11-19T21:40:00Z", children: [child("C-1")])], actor: "test", at: Date(), planner: nil)
        let store = try Self.store(url, leaseWait: .seconds(1))
        // The store reaches the server before it goes (as often as a busy machine needs to give it
        // a connection within its second).
        var reached = false
        for _ in 0..<30 where !reached {
            reached = (try? await store.counts().incidents) == 1
        }
        try #require(reached, "the store never reached the server")

        // The server refuses new connections to the database and ends the store's.
        let cut = try await server.psql("postgres", """
            ALTER DATABASE \(name) ALLOW_CONNECTIONS false;
            SELECT count(pg_terminate_backend(pid)) >= 0 FROM pg_stat_activity WHERE datname = '\(name)';
            """)
        try #require(cut.exitCode == 0, "\(cut.output)")
        // A connection the pool held may not yet be known to be closed: a read on it fails as a
        // closed connection and the pool drops it. Spend any such (at most the pool's 8) first, so
        // the write below must ask for a new connection.
        for _ in 0..<8 {
            do { _ = try await store.counts() } catch let e as PostgresProblem where e.problem.contains("no connection within") { break }
            catch {}
        }
        await #expect {
            _ = try await store.ingest([incident("I-2", "2026-11-19T22:40:00Z", children: [child("C-2")])], actor: "test", at: Date(), planner: nil)
        } throws: { error in
            // The server's own reason, asked of it once the pool found no connection (`refusal`).
            let problem = (error as? PostgresProblem)?.problem ?? "\(error)"
            return problem.contains("is not currently accepting connections") && (error as? any KindedError)?.failureKind == .unavailable
        }

        let back = try await server.psql("postgres", "ALTER DATABASE \(name) ALLOW_CONNECTIONS true")
        try #require(back.exitCode == 0, "\(back.output)")
        // The refused write was never made, then or later (read by a store of its own: the first
        // one's pool comes back after its back-off, which is the driver's business).
        let fresh = try Self.store(url)
        #expect(try await fresh.counts().incidents == 1)
    }

    /// Audit 30 (F1): a database dropped, or a password changed, after the store reached the server.
    /// The pool retries the refused login and says only that no connection came, which a morning run
    /// waited out for its whole lease (538 s) as a server not answering, telling the operator to check
    /// that PostgreSQL ran. The store asks the server once and names its refusal, SQLSTATE and all:
    /// not one that clears itself, so the run gives it half a minute (`OutcomeKeeping.lastingFor`).
    @Test func aDatabaseGoneAfterTheStoreReachedItIsNamedByTheServersRefusal() async throws {
        let (server, url, name) = try Self.database()
        let patient = try Self.store(url)
        _ = try await patient.migrate(for: .write)
        let store = try Self.store(url, leaseWait: .seconds(1))
        var reached = false
        for _ in 0..<30 where !reached {
            reached = (try? await store.counts().incidents) == 0
        }
        try #require(reached, "the store never reached the server")
        let dropped = try await server.psql("postgres", "DROP DATABASE \(name) WITH (FORCE)")
        try #require(dropped.exitCode == 0, "\(dropped.output)")
        // Any connection the pool held is spent first (see above), so the read asks for a new one.
        for _ in 0..<8 {
            do { _ = try await store.counts() } catch let e as PostgresProblem where e.sqlState == "3D000" { break }
            catch {}
        }
        let refused = await #expect(throws: PostgresProblem.self) { _ = try await store.counts() }
        #expect(refused?.sqlState == "3D000" && refused?.mayClearItself == false, "\(String(describing: refused))")
        #expect(refused?.problem.contains("no such database") == true, "\(String(describing: refused))")
    }

    /// The server ends the sessions of a store's pooled connections (a restart, a failover, an
    /// administrator's `pg_terminate_backend`) while transactions start on them. Each transaction
    /// then ends, with the rows or with the database's problem, and the store goes on working. On
    /// PostgresNIO 1.33.2 alone, a statement sent on a connection just ended waited for good: this
    /// hung at its first round every time, and a whole test run with it.
    @Test func transactionsOnConnectionsTheServerEndsAllEnd() async throws {
        let (server, url, name) = try Self.database()
        let store = try Self.store(url)
        _ = try await store.migrate(for: .write)
        // A limit far past what the rounds take (seconds), so that a transaction left waiting fails
        // the test rather than hanging the run; not a measurement.
        let ended = try await FirstAnswer.within(.seconds(120)) { () -> [String] in
            var problems: [String] = []
            for _ in 0..<30 {
                // Connections in the pool, then their sessions ended while more transactions start.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<6 { group.addTask { _ = try? await store.counts() } }
                    try await group.waitForAll()
                }
                async let cut = server.psql("postgres", "SELECT count(pg_terminate_backend(pid)) >= 0 FROM pg_stat_activity WHERE datname = '\(name)'")
                let outcomes = await withTaskGroup(of: String?.self) { group in
                    for _ in 0..<6 {
                        group.addTask {
                            do { _ = try await store.counts(); return nil } catch { return "\(error)" }
                        }
                    }
                    return await group.reduce(into: [String]()) { if let problem = $1 { $0.append(problem) } }
                }
                problems += outcomes
                #expect(try await cut.exitCode == 0)
            }
            return problems
        }
        let problems = try #require(ended, "a transaction on a connection the server ended never returned")
        // Whatever failed failed as the database's problem, in one line naming what to check.
        for problem in Set(problems) {
            #expect(problem.contains("PostgreSQL is running") || problem.contains("terminating connection"), "\(problem)")
            #expect(!problem.contains("\n"), "\(problem)")
        }
        // The store works on: a connection ended in the last round may fail one more transaction.
        var worked = false
        for _ in 0..<10 where !worked { worked = (try? await store.counts())?.incidents == 0 }
        #expect(worked, "the store works on afterwards")
    }

    /// The server ends the session while a read's rows stream and the reader is behind them (a
    /// page being rendered, a command writing to a pipe nobody is emptying). PostgresNIO 1.33.2 then
    /// trapped when the socket was read to its end with no read asked for, and the process died
    /// (SIGILL, a backtrace; `serve` with it). The read fails as the database's problem, in one line,
    /// and the store works on.
    @Test func aSessionEndedWhileRowsStreamFailsTheReadAndTheStoreWorksOn() async throws {
        let (server, url, name) = try Self.database()
        let store = try Self.store(url)
        _ = try await store.migrate(for: .write)
        try server.seedAlerts(name, count: 60_000)
        let seen = Atomic<Int>(0)
        let cut = Mutex<(exitCode: Int32, output: String)?>(nil)
        await #expect {
            try await store.alerts(state: nil, passes: 1) { _, _ in
                // At the first row, the rest still coming: this reader holds it while the session
                // is ended, as one busy with what it has would.
                guard seen.add(1, ordering: .relaxed).newValue == 1 else { return }
                let ended = try server.psqlBlocking("postgres", """
                    SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(name)'
                    """)
                cut.withLock { $0 = ended }
            }
        } throws: { error in
            let problem = (error as? PostgresProblem)?.problem ?? "\(error)"
            return (error as? any KindedError)?.failureKind == .unavailable && !problem.contains("\n")
        }
        let ended = try #require(cut.withLock { $0 })
        #expect(ended.exitCode == 0 && ended.output != "0\n", "\(ended.output)")
        // The store works on: the next transaction takes a new connection.
        var worked = false
        for _ in 0..<10 where !worked { worked = (try? await store.counts())?.incidents == 1 }
        #expect(worked, "the store works on afterwards")
    }
}
