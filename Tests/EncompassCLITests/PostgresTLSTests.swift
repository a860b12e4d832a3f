import Foundation
import Testing
import TestSupport

/// `sslmode` and `sslrootcert` against real servers: one that takes connections over TLS only (its
/// certificate for 127.0.0.1 signed by a throwaway CA), and the plain test server, which offers no
/// TLS at all. Each refusal is exit 69 and one line saying what to change.
@Suite("PostgreSQL over TLS")
struct PostgresTLSTests {
    func refusal(_ out: CLIHarness.Outcome, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(out.status == 69, "\(out.stderr)", sourceLocation: sourceLocation)
        #expect(out.stderr.contains(text), "\(out.stderr)", sourceLocation: sourceLocation)
        #expect(out.stderr.split(separator: "\n").count == 1, "one line: \(out.stderr)", sourceLocation: sourceLocation)
    }

    /// The server rejects a connection without TLS, so a command that works went over TLS.
    @Test func requireAndPreferGoOverTLSAndDisableIsToldTheServerWantsIt() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let db = try PostgresServer.sharedTLS().makeDatabase()
        let samples = h.configDir.appendingPathComponent("sample-incidents.csv").path
        let ingest = try await h.run(["ingest", samples], database: db + "?sslmode=require")
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let alerts = try await h.run(["alerts", "--json"], database: db)
        #expect(alerts.status == 0 && alerts.stdout.contains("\"reference\""), "\(alerts.stderr)")
        await refusal(try h.run(["alerts"], database: db + "?sslmode=disable"), "the server takes connections over TLS only")
    }

    @Test func verifyFullChecksTheCertificateAgainstTheCAGiven() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let server = try PostgresServer.sharedTLS()
        let pki = try #require(server.pki)
        let db = try server.makeDatabase()
        let trusted = try await h.run(["migrate"], database: db + "?sslmode=verify-full&sslrootcert=\(pki.caFile)")
        #expect(trusted.status == 0, "\(trusted.stderr)")
        // By the other name the certificate carries, too.
        let byName = db.replacingOccurrences(of: "@127.0.0.1:", with: "@localhost:")
        #expect(try await h.run(["alerts"], database: byName + "?sslmode=verify-full&sslrootcert=\(pki.caFile)").stdout == "No alerts.\n")
        await refusal(try h.run(["alerts"], database: db + "?sslmode=verify-full&sslrootcert=\(pki.otherCAFile)"),
                "the server's certificate was not accepted (sslmode=verify-full checks it against the CA in sslrootcert \(pki.otherCAFile)")
        // The right CA, but an address the certificate does not name.
        let elsewhere = db.replacingOccurrences(of: "@127.0.0.1:", with: "@127.0.0.2:")
        #expect(try await h.run(["alerts"], database: elsewhere + "?sslmode=require").status == 0)
        await refusal(try h.run(["alerts"], database: elsewhere + "?sslmode=verify-full&sslrootcert=\(pki.caFile)"),
                "the server's certificate was not accepted (sslmode=verify-full checks it against the CA in sslrootcert \(pki.caFile) and the host name 127.0.0.2)")
        await refusal(try h.run(["alerts"], database: db + "?sslmode=verify-full"),
                "the server's certificate was not accepted (sslmode=verify-full checks it against the system's CAs")
        // A CA file that is not there is a missing file (66), as any other.
        let noCA = try await h.run(["alerts"], database: db + "?sslmode=verify-full&sslrootcert=\(h.dir.path)/no-such-ca.pem")
        #expect(noCA.status == 66 && noCA.stderr == "encompass: \(h.dir.path)/no-such-ca.pem: no such file (sslrootcert in the database URL)\n", "\(noCA.stderr)")
        let notPEM = h.dir.appendingPathComponent("not-a-ca.pem")
        try Data("not a certificate\n".utf8).write(to: notPEM)
        await refusal(try h.run(["alerts"], database: db + "?sslmode=verify-full&sslrootcert=\(notPEM.path)"),
                "cannot read sslrootcert \(notPEM.path) as PEM certificates")
    }

    @Test func requireAgainstAServerWithoutTLSIsRefused() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let db = try PostgresServer.shared().makeDatabase()
        await refusal(try h.run(["alerts"], database: db + "?sslmode=require"), "the server does not offer TLS, which sslmode=require requires")
        await refusal(try h.run(["alerts"], database: db + "?sslmode=verify-full"), "the server does not offer TLS, which sslmode=verify-full requires")
        // prefer (the default) goes on without it.
        #expect(try await h.run(["migrate"], database: db).status == 0)
    }
}
