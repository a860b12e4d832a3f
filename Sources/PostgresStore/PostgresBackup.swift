import StoreContract

/// A shared database is backed up by PostgreSQL's own tool, which takes one snapshot of every
/// table while the hub works on (README, 'Operations', gives the command).
extension PostgresStore: StoreBackup {
    public func backup(to path: String) async throws {
        throw StoreError.backupRefused("backup copies an SQLite database; on PostgreSQL use "
            + "pg_dump --format=custom --file=\(path) with the database's URL (README, 'Operations')")
    }
}
