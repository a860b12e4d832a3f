import Foundation
import StoreContract

/// A shared database is backed up by PostgreSQL's own tool, which takes one snapshot of every
/// table while the hub works on (README, 'Operations', gives the command).
extension PostgresStore: StoreBackup {
    public func backup(to path: String) async throws {
        // The command to run, whole: the URL has no password (ENCOMPASS_DATABASE_PASSWORD goes in
        // as PGPASSWORD), and the dump, which holds children's records, is made owner-only.
        let l = database.location
        var url = "postgres://\(l.user)@\(l.host):\(l.port)/\(l.database)?sslmode=\(l.tls.rawValue)"
        if let ca = l.rootCertificate { url += "&sslrootcert=\(ca)" }
        // The path in single quotes, as the URL: one with a space broke the pasted command (audit 25, F12).
        let file = "'" + path.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
        throw StoreError.backupRefused("backup copies an SQLite database; on PostgreSQL run "
            + "(umask 077; PGPASSWORD=\"$ENCOMPASS_DATABASE_PASSWORD\" pg_dump --format=custom --file=\(file) '\(url)') "
            + "(docs/operations.md, 'Backup and restore')")
    }
}
