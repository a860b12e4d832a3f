import Foundation
import InputRules
import RiskModel
@_exported import Schools

/// Everything the program keeps. One protocol so SQLite (the embedded default) and PostgreSQL
/// (a force's shared database) serve the same commands; each method is one transaction.
public protocol Store: Sendable {
    /// The migrations this program knows and those the database has had, as they are now.
    func migrationStatus() async throws -> MigrationStatus
    /// How the records travel between this process and the database (`doctor` says it).
    func transport() async throws -> StoreTransport
    /// The first damage the database's own check finds in its pages, or nil (`doctor` asks). A
    /// damaged index page can read as a valid page with fewer rows, with no error: the review
    /// queue then came back short, exit 0 (audit 21, crash F2).
    func damage() async throws -> String?
    /// What `damage()` checks, in `doctor`'s words ("its pages checked (...)"), or nil when it
    /// checks nothing: doctor says only what it checked (on PostgreSQL it said "its pages checked"
    /// of a check that returns nil, and called a restore that restored nothing good: audit 25, F2).
    var damageCheck: String? { get }
    /// Why this store takes no writes, with what to do, or nil when it takes them (`doctor` asks;
    /// every writer is refused the same way when it migrates): a SQLite file on a read-only file
    /// system, a PostgreSQL standby or a database set read-only. Reads still work there, so
    /// `serve` started and every page's audit, every decision and the morning run failed.
    func whyNotWritable() async throws -> String?
    /// Under the store's migration lock (so many processes at once on a new database set it up
    /// once): reads the status again, runs what `SchemaRule` says for `access`, or throws what it
    /// throws. Returns the migrations it ran.
    @discardableResult
    func migrate(for access: SchemaAccess) async throws -> [String]

    /// Writes a validated batch all or nothing: new incidents added, changed ones updated with the
    /// old and new values in the audit, identical ones left alone, and, when a planner is given, an
    /// alert queued (or listed unmatched) for each newly linked child in the same transaction.
    func ingest(_ incidents: [Incident], actor: String, at: Date, planner: AlertPlanner?) async throws -> IngestSummary

    /// The same, for a batch still being read: incidents are written as the feed hands them over,
    /// in one transaction committed only if the feed ends `complete`. An `abandoned` feed throws
    /// `IngestAbandoned` with nothing written. `directory`: Config/'s, imported as `replaceDirectory`
    /// does, first in that same transaction, so a batch refused late leaves it unwritten too.
    func ingest(_ feed: IncidentFeed, actor: String, at: Date, planner: AlertPlanner?,
                directory: SchoolDirectory?) async throws -> IngestSummary

    /// A feed for `ingest(_:…)` carrying this store's encoder, so its rows are made ready on the
    /// thread that reads the files. `expectedRows`: about how many rows the batch has; `episodes`:
    /// the batch's missing episodes, written in the same transaction.
    func makeIncidentFeed(expectedRows: Int, episodes: [Episode]?) -> IncidentFeed

    /// What the rules need for every child with an incident in `[windowStart, asOf]`, plus, for
    /// children with a MARAC referral, their incidents up to `asOf` (repeat-marac reaches back past
    /// the window). Handed over one child at a time, each child's incidents oldest first, so a
    /// large store is never held in memory at once. `summary` gives the child's latest school, and
    /// costs a lookup, so a visitor calls it only for children it keeps.
    ///
    /// The children are split into `parts` disjoint ranges scanned at once (one core each), so
    /// `visit` is called concurrently, but in order within one part, which it is given.
    ///
    /// `start` gives what the scan needs before it hands over a child: the floor, and whatever the
    /// visitor reads beside each history (the queue's serial perpetrators and episodes), handed to
    /// every `visit` and returned at the end. A store calls it once and may start reading before it
    /// has it (PostgreSQL's server then reads the first chunks while the queue reads the rest).
    /// With a floor, a store may leave out children it says cannot reach the queue (RiskModel
    /// decides it; a store only applies it): it is a hint, and visiting them as well is correct.
    func scanChildHistories<Context: Sendable>(
        windowStart: Date, asOf: Date, parts: Int, start: @escaping @Sendable () async throws -> ScanStart<Context>,
        _ visit: @escaping @Sendable (_ part: Int, ChildHistory, _ summary: () throws -> ChildSummary, Context) throws -> Void
    ) async throws -> Context

    /// What the rules read beside each child's incidents (SPEC §4): the episodes with `missing_at`
    /// in `[missingFrom, asOf]` of the children with `minimumEpisodes` or more of them there (fewer
    /// cannot fire `repeat-missing`; a hint, as the scan's floor is: handing over more is correct),
    /// and those children's strategy-meeting decisions' dates, both by child id.
    func riskContext(missingFrom: Date, asOf: Date, minimumEpisodes: Int) async throws -> RiskContext

    /// The incidents reported in `[from, to]` that name a perpetrator ever named against
    /// `minimumVictims` or more victims (every perpetrator when that is 1 or less): a superset of
    /// what `RiskRules.serialPerpetrators` needs, read from an index rather than every incident.
    /// Separate from `riskContext` so the queue reads both at once and works the rule out meanwhile.
    func serialCandidateIncidents(from: Date, to: Date, minimumVictims: Int) async throws -> [PerpetratorIncident]

    /// Every incident reported in `[from, to]` naming one of `perpetrators`, child or not: what one
    /// child's page needs for `serial-perpetrator`.
    func perpetratorIncidents(_ perpetrators: [String], from: Date, to: Date) async throws -> [PerpetratorIncident]

    /// What the review table shows beside each child: latest known school and its name.
    func childSummaries(_ childIds: [String]) async throws -> [String: ChildSummary]

    /// A number that changes whenever something the review queue reads changes: an ingest that
    /// changed anything, a decision, a regrade, a school recorded. Every server on one database
    /// reads the same number, so each knows when its cached queue is stale.
    func changeVersion() async throws -> Int64

    func childExists(_ childId: String) async throws -> Bool
    /// Appends a decision and its audit row; decisions are never edited or deleted.
    func record(_ decision: Decision) async throws
    func decisions(childId: String) async throws -> [Decision]

    /// Writes Config/'s directory: schools are upserted (so a GIAS import survives); key adults are
    /// replaced whole when Config/key-adults.csv says something other than at its last import (an
    /// admin's changes in the app stand until the file changes), and waiting alerts follow them.
    /// Throws `EmptyKeyAdultsFile`, writing nothing, for a changed file of no rows over key adults held,
    /// and `InputError`, writing nothing, for a key adult at a school no directory knows
    /// (`SchoolDirectory.checkNamedSchools`), changed or not.
    func replaceDirectory(_ directory: SchoolDirectory) async throws
    func auditEntries(limit: Int) async throws -> [AuditEntry]
    func counts() async throws -> StoreCounts
}

extension Store {
    /// A feed's batch with no directory to import.
    public func ingest(_ feed: IncidentFeed, actor: String, at: Date, planner: AlertPlanner?) async throws -> IngestSummary {
        try await ingest(feed, actor: actor, at: at, planner: planner, directory: nil)
    }

    /// Brings the schema up to date, as `encompass migrate` does (tests, a new store).
    public func migrate() async throws { try await migrate(for: .migrate) }

    /// The migrations this database has not had yet, oldest first (all of them for a new database).
    public func pendingMigrations() async throws -> [String] { try await migrationStatus().pending }

    /// Checks the database may be used by a command that only reads (SchemaRule): migrates nothing.
    public func checkSchema() async throws {
        _ = try SchemaRule.migrationsToRun(try await migrationStatus(), for: .read)
    }

    /// A plain feed: the writer encodes for itself.
    public func makeIncidentFeed(expectedRows: Int, episodes: [Episode]?) -> IncidentFeed { IncidentFeed(episodes: episodes) }

    /// The scan with a floor known beforehand and nothing beside it.
    public func scanChildHistories(windowStart: Date, asOf: Date, parts: Int, floor: ScanFloor?,
                                   _ visit: @escaping @Sendable (_ part: Int, ChildHistory, _ summary: () throws -> ChildSummary) throws -> Void) async throws {
        try await scanChildHistories(windowStart: windowStart, asOf: asOf, parts: parts,
                                     start: { ScanStart(floor: floor, context: ()) }) { part, h, summary, _ in try visit(part, h, summary) }
    }

    /// Every child's history at once (tests, small stores).
    public func childHistories(windowStart: Date, asOf: Date) async throws -> [ChildHistory] {
        let collected = ScanResults<ChildHistory>(parts: 1)
        try await scanChildHistories(windowStart: windowStart, asOf: asOf, parts: 1, floor: nil) { part, h, _ in
            collected.append(h, to: part)
        }
        return collected.all
    }
}

/// What `Store.scanChildHistories` needs before it hands over its first child.
public struct ScanStart<Context: Sendable>: Sendable {
    public var floor: ScanFloor?
    public var context: Context

    public init(floor: ScanFloor?, context: Context) {
        self.floor = floor
        self.context = context
    }
}

/// Gathers what a scan's `@Sendable` visitor keeps, one list per part. The parts are scanned at
/// once, so each part's list is an object of its own that only its part's thread touches; the lists
/// are read only after the scan returns.
public final class ScanResults<Element>: @unchecked Sendable {
    private final class Part {
        var items: [Element] = []
    }

    private let storage: [Part]

    public init(parts: Int) { storage = (0..<max(parts, 1)).map { _ in Part() } }

    public func append(_ item: Element, to part: Int) { storage[part].items.append(item) }

    public func append(contentsOf items: [Element], to part: Int) { storage[part].items.append(contentsOf: items) }

    /// One part's list.
    public subscript(part: Int) -> [Element] { storage[part].items }

    /// Every part's list, in part order.
    public var all: [Element] { storage.flatMap(\.items) }
}

public struct IngestSummary: Sendable, Equatable {
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    public var children = 0
    public var alertsQueued = 0
    /// (Incident, child) links no alert was made for: their incident reached the hub more than
    /// `alerts.max_age_days` (`maxAgeDays`) after it was reported (`TooOldLinks`).
    public var alertsTooOld = 0
    public var maxAgeDays = 0
    /// Nil when the batch named no episode file.
    public var episodes: EpisodeCounts?
    public init() {}

    /// Takes an ingest's too-old links into the summary.
    public mutating func tooOld(_ links: TooOldLinks) {
        alertsTooOld = links.children
        maxAgeDays = links.maxAgeDays
    }

    /// The one-line summary `ingest` prints (SPEC §2), with the links too old to alert about when
    /// there were any (SPEC §7: never silently dropped), and the episodes' counts after it when
    /// episode files were given.
    public var line: String {
        var incidents = "incidents: \(added) added, \(updated) updated, \(unchanged) unchanged; children: \(children); alerts queued: \(alertsQueued)"
        if alertsTooOld > 0 {
            incidents += "; not alerted, reported over \(maxAgeDays) \(maxAgeDays == 1 ? "day" : "days") before (alerts.max_age_days): \(alertsTooOld)"
        }
        guard let e = episodes else { return incidents }
        return incidents + "; episodes: \(e.added) added, \(e.updated) updated, \(e.unchanged) unchanged"
    }
}

/// See `Store.riskContext`.
public struct RiskContext: Sendable {
    public var episodes: [String: [EpisodeFact]]
    public var strategyMeetings: [String: [LocalDate]]

    public init(episodes: [String: [EpisodeFact]] = [:], strategyMeetings: [String: [LocalDate]] = [:]) {
        self.episodes = episodes
        self.strategyMeetings = strategyMeetings
    }
}

public struct ChildSummary: Sendable, Equatable {
    public var childId: String
    public var schoolURN: String?
    public var schoolName: String?
    public init(childId: String, schoolURN: String?, schoolName: String?) {
        self.childId = childId
        self.schoolURN = schoolURN
        self.schoolName = schoolName
    }
}

public struct AuditEntry: Sendable, Equatable {
    public var at: Date
    public var actor: String
    public var action: String
    public var subject: String
    /// JSON: for an incident update, each changed field with its old and new value.
    public var detail: String?

    public init(at: Date, actor: String, action: String, subject: String, detail: String? = nil) {
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
        self.detail = detail
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case unavailable(String)
    case unsupportedURL(String)
    /// A database URL of a known kind that cannot be used as written (never quoting a password).
    case invalidURL(String)
    case unknownChild(String)
    /// A command that only reads found no database there (exit 66): it never makes one.
    case missingDatabase(String)
    /// A command that only reads found a database no command has set up (a new PostgreSQL
    /// database): as `missingDatabase`, exit 66, and nothing is made.
    case emptyDatabase
    /// The database has migrations this version has not run on it (exit 69): `encompass migrate`.
    case needsMigration(pending: [String])
    /// A newer version migrated the database past this one (exit 69): `newest` is the newest of the
    /// `unknownCount` migrations this version does not know, `knownNewest` this version's newest.
    case newerDatabase(newest: String, unknownCount: Int, knownNewest: String)
    /// `encompass backup` to a file that is already there (exit 64): a backup never overwrites.
    case backupExists(String)
    /// `encompass backup` refused as asked (exit 64): a FILE that cannot be made, or a database
    /// with its own tool (PostgreSQL: pg_dump).
    case backupRefused(String)
    /// `encompass backup` that could not write FILE (a full disk; exit 69): the database is fine,
    /// so not "database unavailable" (audit 25, F6).
    case backupNotWritten(String)

    public var description: String {
        switch self {
        case .missingDatabase(let place): "no database at \(place): nothing has been ingested there (check --database)"
        case .emptyDatabase: "the database has no Encompass tables yet: nothing has been ingested there (check --database)"
        case .needsMigration(let pending):
            "the database needs \(pending.count) migration(s) (\(pending.joined(separator: ", "))): run `encompass migrate`"
        case .newerDatabase(let newest, let count, let known):
            "the database is newer than this encompass: it has \(newest)\(count > 1 ? " (and \(count - 1) more)" : "")"
                + " and this version knows up to \(known): run the newer encompass that migrated it"
        case .backupExists(let path): "\(path) already exists: a backup never overwrites a file (name a new one)"
        case .backupRefused(let why), .backupNotWritten(let why): why
        case .unavailable(let why): "database unavailable: \(why)"
        case .unsupportedURL(let scheme): "unsupported database URL scheme \(scheme) (use sqlite:PATH or postgres://...)"
        case .invalidURL(let why): "bad database URL: \(why)"
        case .unknownChild(let id): "no child with \(TypedId.named(id))"
        }
    }
}

/// How a store's records travel between this process and the database.
public enum StoreTransport: Sendable, Equatable {
    /// A file on this machine (SQLite): nothing crosses a network.
    case localFile
    /// A server at `host`: on this machine (`loopback`) or not, over TLS of that version or (nil) in clear.
    case server(host: String, loopback: Bool, tls: String?)
}

/// A failure of the database itself (busy, full, unreachable), as each store's library throws it:
/// the command line says `database unavailable: <problem>` (exit 69), the web answers 503. The
/// problem names tables and constraints, never the values or a password.
public protocol StoreFailure: KindedError {
    var problem: String { get }
    /// Whether the same write may go through soon without anyone's help: the database restarted,
    /// failed over, lost the connection, or another program held a lock (true, the default). Not a
    /// full disk, or a store read-only or damaged: those wait for an operator (`OutcomeKeeping`).
    var mayClearItself: Bool { get }
}

/// How much the store holds, for summaries and for tests that check nothing was written.
public struct StoreCounts: Sendable, Equatable {
    public var incidents: Int
    public var children: Int
    public var links: Int
    public var decisions: Int
    public var auditEntries: Int
    public init(incidents: Int, children: Int, links: Int, decisions: Int, auditEntries: Int) {
        self.incidents = incidents
        self.children = children
        self.links = links
        self.decisions = decisions
        self.auditEntries = auditEntries
    }
}

/// Everything a store keeps, as one type: what the composition root hands the commands and the web.
public typealias FullStore = Store & AlertStore & UnmatchedStore & AccountStore & ChildRecordStore & SchoolDirectoryStore & StoreCopying
    & PlanStore
    & StoreBackup
    & InspectionStore
    & RetentionStore

/// `encompass backup`: a consistent copy of the whole database, taken while others use it.
public protocol StoreBackup: Sendable {
    /// Copies the database, as of one moment, into a new file at `path` (0600), which must not exist:
    /// the copy is written beside it and linked into place only when complete, so `path` is never
    /// a partial copy. Throws `StoreError.backupExists` for an existing file and
    /// `StoreError.backupRefused` where the database has its own tool (PostgreSQL: pg_dump).
    func backup(to path: String) async throws
}
