import Foundation
import PostgresStore
import Testing

/// `--database postgres://...`: what is taken from the URL, and what is refused without repeating it.
@Suite("PostgreSQL database URLs")
struct PostgresLocationTests {
    @Test func aURLNamesUserHostPortAndDatabase() throws {
        let l = try PostgresLocation(url: "postgres://hub@db.police.example:6543/encompass")
        #expect((l.user, l.host, l.port, l.database, l.tls) == ("hub", "db.police.example", 6543, "encompass", .require))
        #expect(l.place == "db.police.example:6543/encompass")
        #expect(try PostgresLocation(url: "postgresql://hub@localhost/encompass").port == 5432)
    }

    @Test(arguments: [("disable", PostgresLocation.TLSMode.disable), ("prefer", .prefer), ("require", .require),
                      ("verify-full", .verifyFull), ("verify-ca", .verifyFull), ("allow", .prefer)])
    func sslmodeIsHonoured(mode: String, tls: PostgresLocation.TLSMode) throws {
        #expect(try PostgresLocation(url: "postgres://hub@db/encompass?sslmode=\(mode)").tls == tls)
    }

    /// Without sslmode, another machine is reached over TLS or not at all; this one as libpq would.
    @Test(arguments: [("db.police.example", PostgresLocation.TLSMode.require), ("10.0.0.7", .require), ("127.0.0.1", .prefer),
                      ("127.0.1.1", .prefer), ("localhost", .prefer), ("LocalHost", .prefer), ("[::1]", .prefer), ("[fd00::7]", .require),
                      // A name that only starts like a loopback address is another machine's.
                      ("127.db.police.example", .require)])
    func withoutSslmodeOnlyThisMachineMayGoWithoutTLS(host: String, tls: PostgresLocation.TLSMode) throws {
        #expect(try PostgresLocation(url: "postgres://hub@\(host):5432/encompass").tls == tls)
        #expect(try PostgresLocation(url: "postgres://hub@\(host):5432/encompass?sslmode=disable").tls == .disable)
    }

    @Test func aCAForTheServersCertificateIsTakenWithVerifyFull() throws {
        let l = try PostgresLocation(url: "postgres://hub@db/encompass?sslrootcert=/etc/encompass/db%20ca.pem&sslmode=verify-full")
        #expect((l.tls, l.rootCertificate) == (.verifyFull, "/etc/encompass/db ca.pem"))
        #expect(try PostgresLocation(url: "postgres://hub@db/encompass?sslmode=require").rootCertificate == nil)
    }

    @Test(arguments: [
        ("postgres://hub:hunter2-secret@db/encompass", "carries a password"),
        ("postgres://db/encompass", "names no user"),
        ("postgres://hub@db", "names no database"),
        ("postgres://hub@db/", "names no database"),
        ("postgres://hub@db/encompass?sslmode=sometimes", "sslmode must be"),
        ("postgres://hub@db/encompass?password=hunter2-secret", "is not known"),
        ("postgres://hub@db/encompass?sslmode=require&sslrootcert=/etc/encompass/db-ca.pem", "sslrootcert is used with sslmode=verify-full"),
        ("postgres://hub@db/encompass?sslrootcert=/etc/encompass/db-ca.pem", "sslrootcert is used with sslmode=verify-full"),
        ("postgres://hub@db/encompass?sslmode=verify-full&sslrootcert=", "sslrootcert names no file"),
    ])
    func aURLThatCannotBeUsedIsRefusedWithoutRepeatingASecret(url: String, why: String) {
        #expect {
            _ = try PostgresLocation(url: url)
        } throws: { error in
            let text = "\(error)"
            return text.contains(why) && !text.contains("hunter2")
        }
    }
}
