import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL for the tests: Debian's server, initdb in a temp folder (as the `postgres` user
/// when the tests run as root: initdb refuses root), on a free loopback port, started once per test
/// process and stopped when it exits. Each test takes a database of its own from `makeDatabase()`.
public final class PostgresServer: Sendable {
    public let port: Int
    public let folder: String
    /// The binaries: the newest version Debian installed.
    public let bin: String

    /// The TLS-only server's throwaway CA (nil for the plain one).
    public let pki: TestPKI?

    /// The servers started, plain (false) and TLS-only (true).
    private static let started = Mutex<[Bool: Result<PostgresServer, TestSetupError>]>([:])
    private static let databases = Atomic<Int>(0)

    /// The server, started by the first caller.
    public static func shared() throws -> PostgresServer {
        try server(tls: false)
    }

    /// A second server, started by the first caller, that accepts connections over TLS only (its
    /// certificate for 127.0.0.1 signed by `pki`'s CA): for the `sslmode` tests. The plain server
    /// offers no TLS at all.
    public static func sharedTLS() throws -> PostgresServer {
        try server(tls: true)
    }

    private static func server(tls: Bool) throws -> PostgresServer {
        try started.withLock { state in
            if state[tls] == nil {
                state[tls] = Result { try PostgresServer.start(tls: tls) }.mapError { $0 as? TestSetupError ?? TestSetupError("\($0)") }
            }
            return try state[tls]!.get()
        }
    }

    /// A new, empty database; its URL (user `encompass`, no password: the server trusts loopback).
    public func makeDatabase() throws -> String {
        let name = "t\(getpid())_\(Self.databases.add(1, ordering: .relaxed).newValue)"
        let result = try Command.runBlocking(bin + "/psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres",
                                                     "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE \(name) OWNER encompass"])
        guard result.exitCode == 0 else { throw TestSetupError("createdb failed: \(result.output)") }
        return "postgres://encompass@127.0.0.1:\(port)/\(name)"
    }

    /// Runs SQL as the superuser in database `name` (a URL's last part) and returns psql's output.
    public func psql(_ database: String, _ sql: String) async throws -> (exitCode: Int32, output: String) {
        try await offThePool { [self] in try psqlBlocking(database, sql) }
    }

    /// `psql` on this thread: for the server's own set-up, and for SQL run from inside a store's
    /// synchronous visit (which cannot await), where it must wait for nothing this process holds.
    public func psqlBlocking(_ database: String, _ sql: String) throws -> (exitCode: Int32, output: String) {
        try Command.runBlocking(bin + "/psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database,
                                                "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    /// Fills a migrated store's `alerts` with `count` queued alerts (one incident, a child each),
    /// each row some 300 bytes on the wire: a read of them all streams megabytes, more than the
    /// socket buffers between the server and a reader hold, so the server is still sending when a
    /// reader that stops reading has stopped.
    public func seedAlerts(_ database: String, count: Int) throws {
        let result = try psqlBlocking(database, """
            INSERT INTO incidents (incident_id, reported_at, risk_tool, officer_grade, effective_grade, victim_id, fingerprint,
                                   first_ingested_at, updated_at)
                VALUES ('I-1', 0, 'DASH', 1, 1, 'V-1', '\\x00', 0, 0);
            INSERT INTO children (child_id, given_name, family_name, dob, latest_reported_at)
                SELECT 'C-' || i, 'Given', 'Family', '2015-01-01', 0 FROM generate_series(1, \(count)) i;
            INSERT INTO alerts (reference, incident_key, child_key, incident_id, child_id, state, created_at, last_error)
                SELECT 'ENC-' || c.child_key, i.incident_key, c.child_key, 'I-1', c.child_id, 'queued', 0, repeat('x', 200)
                FROM children c CROSS JOIN incidents i;
            """)
        guard result.exitCode == 0 else { throw TestSetupError("seeding alerts failed: \(result.output)") }
    }

    private init(port: Int, folder: String, bin: String, pki: TestPKI?) {
        self.port = port
        self.folder = folder
        self.bin = bin
        self.pki = pki
    }

    private static func start(tls: Bool) throws -> PostgresServer {
        let root = "/usr/lib/postgresql"
        guard let version = (try? FileManager.default.contentsOfDirectory(atPath: root))?.compactMap(Int.init).max() else {
            throw TestSetupError("PostgreSQL is not installed (Debian's postgresql package; scripts/test installs it)")
        }
        let bin = "\(root)/\(version)/bin"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("encompass-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // The TLS server's certificate and key, in its folder: the server reads them as `postgres`,
        // and refuses a key others may read.
        let pki = tls ? try TestPKI(in: folder + "/pki") : nil
        if let pki {
            guard chmod(pki.keyFile, 0o600) == 0 else { throw TestSetupError("chmod of \(pki.keyFile) failed") }
        }
        let asRoot = geteuid() == 0
        if asRoot {
            // The server runs as `postgres`: it must own its folder.
            let chown = try Command.runBlocking("/bin/chown", ["-R", "postgres:postgres", folder])
            guard chown.exitCode == 0 else { throw TestSetupError("chown failed: \(chown.output)") }
        }
        // As `postgres` when the tests run as root, by setpriv, which execs the tool itself: the
        // server is then this process's own child, stopped at exit. Output goes to files.
        func process(_ tool: String, _ args: [String], log: String) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: asRoot ? "/usr/bin/setpriv" : bin + "/" + tool)
            process.arguments = asRoot ? ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", bin + "/" + tool] + args : args
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            try process.runSerially()
            try? handle.close()
            return process
        }
        let data = folder + "/data"
        let initdb = try process("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                                 log: folder + "/initdb.log")
        guard initdb.waitForExitBlocking().status == 0 else {
            throw TestSetupError("initdb failed: see \(folder)/initdb.log")
        }
        var tlsSettings: [String] = []
        if let pki {
            // TCP over TLS only: a connection without it is rejected, so one that succeeds used it.
            // Also on 127.0.0.2, a name the certificate does not carry (for the host name check).
            let hba = "local all all trust\nhostssl all all 127.0.0.0/8 trust\nhostnossl all all 127.0.0.0/8 reject\n"
            guard FileManager.default.createFile(atPath: data + "/pg_hba.conf", contents: Data(hba.utf8)) else {
                throw TestSetupError("writing \(data)/pg_hba.conf failed")
            }
            tlsSettings = ["-c", "listen_addresses=127.0.0.1,127.0.0.2", "-c", "ssl=on", "-c", "ssl_cert_file=\(pki.certFile)", "-c", "ssl_key_file=\(pki.keyFile)"]
        }
        // A port taken between choosing and starting stops the server at once: choose again.
        for attempt in 0..<5 {
            let port = try freePort()
            let server = try process("postgres", ["-D", data, "-p", String(port), "-k", folder, "-c", "listen_addresses=127.0.0.1",
                                                  "-c", "fsync=off", "-c", "max_connections=300"] + tlsSettings, log: folder + "/server-\(attempt).log")
            // Waiting for start-up is set-up, not a measurement: bounded, and a clear failure.
            var ready = false
            for _ in 0..<300 where server.isRunning {
                if try Command.runBlocking(bin + "/pg_isready", ["-q", "-h", "127.0.0.1", "-p", String(port)]).exitCode == 0 {
                    ready = true
                    break
                }
                usleep(100_000)
            }
            guard ready else {
                if server.isRunning { server.terminate() }
                continue
            }
            let pid = server.processIdentifier
            // Stopped at exit and its folder removed (each test database is a few MB; a run makes
            // hundreds). Waiting for postmaster.pid to go is teardown, bounded, not a measurement.
            if stopAtExit.isEmpty { atexit { PostgresServer.stopAll() } }
            stopAtExit.append {
                kill(pid, SIGQUIT)
                for _ in 0..<100 where access(data + "/postmaster.pid", F_OK) == 0 { usleep(50_000) }
                try? FileManager.default.removeItem(atPath: folder)
            }
            try watch(data: data, folder: folder)
            let postgres = PostgresServer(port: port, folder: folder, bin: bin, pki: pki)
            let role = try postgres.psqlBlocking("postgres", "CREATE ROLE encompass LOGIN CREATEDB; CREATE ROLE encompass_pw LOGIN PASSWORD 'right-password'")
            guard role.exitCode == 0 else { throw TestSetupError("creating the test roles failed: \(role.output)") }
            return postgres
        }
        throw TestSetupError("PostgreSQL did not start: see \(folder)/server-*.log")
    }

    /// Each server's stop, run at exit (started under `started`'s lock, one at a time).
    nonisolated(unsafe) private static var stopAtExit: [() -> Void] = []

    private static func stopAll() {
        for stop in stopAtExit { stop() }
    }

    /// A test process stopped by a signal (Ctrl-C, a closed pipe, a kill) runs no `atexit`, and its
    /// server would run on, orphaned, holding its port and folder. A shell of its own waits for
    /// this process to go, then stops the server (if its `postmaster.pid` is still there: a clean
    /// exit has removed it, so no other process is ever signalled) and removes the folder. The
    /// once-a-second look is teardown, not a measurement.
    private static func watch(data: String, folder: String) throws {
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/bin/sh")
        watcher.arguments = ["-c", """
            while kill -0 "$1" 2>/dev/null; do sleep 1; done
            if [ -f "$2/postmaster.pid" ]; then
                kill -QUIT "$(head -n 1 "$2/postmaster.pid")" 2>/dev/null
                n=0; while [ -f "$2/postmaster.pid" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
            fi
            rm -rf "$3"
            """, "watch", String(getpid()), data, folder]
        watcher.standardInput = FileHandle.nullDevice
        watcher.standardOutput = FileHandle.nullDevice
        watcher.standardError = FileHandle.nullDevice
        try watcher.runSerially()
    }

    /// A loopback port nothing listens on now.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSetupError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestSetupError("bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
