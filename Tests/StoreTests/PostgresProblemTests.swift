import Delivery
import Foundation
import Outbox
import PostgresStore
import StoreContract
import Synchronization
import Testing
import TestSupport

/// Which of PostgreSQL's failures a run keeping an outcome waits out for its lease, and which only
/// an operator clears, tried for `OutcomeKeeping.lastingFor` (PostgreSQL's full disk was tried for
/// the lease, some 9 minutes, before the morning run's exit 69; SQLite's for 30 s).
@Suite("PostgreSQL's problems that do not clear themselves")
struct PostgresProblemTests {
    @Test func aFullDiskAReadOnlyOrDamagedDatabaseDoesNotClearItself() {
        // Insufficient resources (class 53) but too many connections; read-only; damaged; a privilege;
        // a login refused, a database not there, the server's disk or files.
        for state in ["53100", "53200", "53400", "53000", "25006", "XX001", "XX002", "42501", "28P01", "28000", "3D000", "58030", "58P01"] {
            #expect(!PostgresProblem.mayClearItself(sqlState: state), "\(state)")
        }
        // Too many connections, a restart, a failover, a lost connection, a serialization failure,
        // a deadlock, a lock or statement timeout, and what is none of these.
        for state in ["53300", "57P01", "57P03", "08006", "40001", "40P01", "55P03", "57014", "23505", "XX000"] {
            #expect(PostgresProblem.mayClearItself(sqlState: state), "\(state)")
        }
    }

    /// Says every message went, having first made the server refuse every change to an alert with
    /// `sqlState` (a trigger raising it: the server's own error, through the store as any other).
    final class RefusedOnceSent: Transport {
        let database: String
        let sqlState: String

        init(database: String, sqlState: String) {
            self.database = database
            self.sqlState = sqlState
        }

        func deliver(_ batch: [AlertMessage], pacing _: DeliveryPacing?) -> AsyncStream<DeliveryOutcome> {
            let made = try? PostgresServer.shared().psqlBlocking(database, """
                CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'refused for the test' USING ERRCODE = '\(sqlState)'; END $$;
                CREATE TRIGGER refuse BEFORE UPDATE ON alerts FOR EACH ROW EXECUTE FUNCTION refuse();
                """)
            let (stream, continuation) = AsyncStream.makeStream(of: DeliveryOutcome.self)
            guard made?.exitCode == 0 else {
                Issue.record("the trigger was not made: \(made?.output ?? "no server")")
                continuation.finish()
                return stream
            }
            for message in batch {
                continuation.yield(DeliveryOutcome(reference: message.reference, channel: .smtp, status: .delivered,
                                                   replyCode: 250, detail: "smtp reply 250", attempted: true))
            }
            continuation.finish()
            return stream
        }

        /// The server takes changes again.
        func mend() {
            _ = try? PostgresServer.shared().psqlBlocking(database, "DROP TRIGGER refuse ON alerts")
        }
    }

    /// The disk full, or a standby the run was pointed at: the outcome of a message that went is
    /// tried for `lastingFor` (here 1 s, not 30), then the run stops with the server's problem, and
    /// the alerts stay `sending` under its lease. Were the failure taken as one that clears itself,
    /// the run would say it waits "while its lease lasts": the trigger is then dropped, the outcome
    /// recorded and the run ends well, failing the test rather than waiting out the lease.
    @Test(arguments: ["53100", "25006"])
    func aRunWhoseOutcomeTheServerRefusesForGoodStopsAfterLastingFor(sqlState: String) async throws {
        let outbox = OutboxStoreTests()
        let t = try await outbox.store(.postgres)
        defer { t.cleanUp() }
        let transport = RefusedOnceSent(database: String(t.url.split(separator: "/").last!), sqlState: sqlState)
        var run = NotifyRun(store: t.store, transport: transport, renderer: try AlertRenderer(templatesDirectory: Repository.templates),
                            hub: HubContact(name: "Police Safeguarding Hub", phone: "0000 000 0000", email: "hub@police.example"),
                            retry: RetryPolicy(), owner: "test:1", isDead: { _ in false })
        run.keeping.firstWait = 0.1
        run.keeping.longestWait = 0.2
        run.keeping.lastingFor = 1
        let said = Mutex<[String]>([])
        run.waitingForDatabase = { line in
            said.withLock { $0.append(line) }
            if line.contains("while its lease lasts") { transport.mend() }
        }
        let stopped = await #expect(throws: PostgresProblem.self) { try await run.run(now: outbox.now) }
        #expect(stopped?.sqlState == sqlState)
        #expect(stopped?.mayClearItself == false)
        let lines = said.withLock { $0 }
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.first?.hasSuffix("); trying again for 1 s: unrecorded, it would be sent again by the next run") == true, "\(lines)")
        #expect(lines.last?.contains("still could not be recorded") == true && lines.last?.contains("the next run sends it again") == true,
                "the give-up says the alert goes again (audit 29, F3): \(lines)")
        transport.mend()
        #expect(try await t.store.alerts(state: .sending).count == 3, "no outcome recorded")
    }
}
