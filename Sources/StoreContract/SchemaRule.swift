/// Which migrations a database has had, beside the ones this program knows: what a store reports.
/// The store only reads the two lists; what they mean for a command is `SchemaRule`'s to say.
public struct MigrationStatus: Sendable, Equatable {
    /// This program's migrations, oldest first.
    public var known: [String]
    /// The migrations the database records as applied, in any order (empty for a new database).
    public var applied: Set<String>

    public init(known: [String], applied: Set<String>) {
        self.known = known
        self.applied = applied
    }

    /// The known migrations the database has not had, oldest first.
    public var pending: [String] { known.filter { !applied.contains($0) } }

    /// The database's migrations this program does not know (a newer version ran them), oldest first
    /// by their number (`v11-...`, `pg7-...`).
    public var unknown: [String] {
        applied.subtracting(known).sorted { (SchemaRule.number($0), $0) < (SchemaRule.number($1), $1) }
    }

    /// Nothing applied yet: a database no command has set up.
    public var isNew: Bool { applied.isEmpty }
}

/// What a command means to do with the database, which decides what it may migrate.
public enum SchemaAccess: Sendable, Equatable {
    /// Reads only: migrates nothing, ever.
    case read
    /// Writes: sets up a new database (any number at once, under the store's lock), and migrates
    /// nothing else, so an upgrade never changes a database mid-morning.
    case write
    /// `encompass migrate` (and `copy-store`'s target): brings an older database up to date.
    case migrate
}

/// The one rule for a database's version (issue 14, SPEC §8): given what the database has had and
/// what this program knows, which migrations a command runs, or why it may not go on. Both stores
/// ask it (under their migration lock when they would run something) and do only what it says.
public enum SchemaRule {
    /// The migrations to run, oldest first (empty: the database is ready as it is).
    /// - Throws: `StoreError.newerDatabase` for a database a newer version has migrated (every
    ///   access), `StoreError.needsMigration` for one this version has not finished migrating,
    ///   unless `access` may run them.
    public static func migrationsToRun(_ status: MigrationStatus, for access: SchemaAccess) throws(StoreError) -> [String] {
        let unknown = status.unknown
        if let newest = unknown.last {
            throw .newerDatabase(newest: newest, unknownCount: unknown.count, knownNewest: status.known.last ?? "none")
        }
        let pending = status.pending
        if pending.isEmpty { return [] }
        switch access {
        case .migrate: return pending
        case .write where status.isNew: return pending
        // Nothing set up yet is not an upgrade to run: as a missing SQLite file (66), on either database.
        case .read where status.isNew: throw .emptyDatabase
        case .write, .read: throw .needsMigration(pending: pending)
        }
    }

    /// The number a migration's name starts with after its letters (`v10-...` is 10), 0 if none.
    static func number(_ id: String) -> Int {
        Int(String(id.drop { !$0.isNumber }.prefix { $0.isNumber })) ?? 0
    }
}
