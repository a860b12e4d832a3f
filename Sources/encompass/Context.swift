import Foundation
import Ingest
import Outbox
import Settings
import StoreContract
import Stores

/// What most commands open first: the settings and calendar from Config/, and the migrated store
/// with the school directory from Config/ written into it.
struct Context {
    let config: LoadedConfig
    let store: any FullStore
    var alerts: any AlertStore { store }

    var planner: AlertPlanner {
        .standard(calendar: config.calendar, maxAge: config.settings.alerts.maxAge)
    }

    static func open(_ options: GlobalOptions) async throws -> Context {
        try await open(options, config: try ConfigDirectory.load(options.configDirectory, environment: options.environment))
    }

    /// With the settings already read: a command that checks its input against them first opens (and
    /// so sets up and writes) the store only for input it will use. A new database is set up here;
    /// an older or newer one is refused (SchemaRule): only `encompass migrate` moves it on.
    ///
    /// Config/'s directory is imported only once the command's input is accepted, so a refused
    /// command writes nothing of it either: `check` makes the command's checks that need the store
    /// (reads: the child is known, the action is not yet done) first. The command's own write
    /// checks again in its transaction; these only come first.
    static func open(_ options: GlobalOptions, config: LoadedConfig,
                     check: (any FullStore) async throws -> Void = { _ in }) async throws -> Context {
        let context = try await openUnimported(options, config: config)
        try await check(context.store)
        try await context.store.replaceDirectory(config.directory)
        try await context.followConfig()
        return context
    }

    /// What a writing command does once Config/'s directory is in the store: a corrected school
    /// calendar gives the alerts not yet sent its deadlines (SPEC §6), and a school or key adult
    /// added since has its waiting alerts queued.
    func followConfig() async throws {
        let planner = self.planner
        _ = try await store.followCalendar(planner: planner, actor: "cli:\(LoginName.current)", now: Date())
        _ = try await store.matchUnmatched(planner: planner, now: Date())
    }

    /// For an ingest, whose input is accepted only as its transaction ends: the store as `open`
    /// leaves it but with Config/'s directory not yet imported. The ingest imports it in the batch's
    /// own transaction (`IntakeTarget.directory`).
    static func openUnimported(_ options: GlobalOptions, config: LoadedConfig) async throws -> Context {
        let store = try StoreFactory.open(options.databaseURL)
        try await store.migrate(for: .write)
        return Context(config: config, store: store)
    }
}

/// What a command that only reads opens: the settings, and the store as it is. Nothing is written:
/// no database is made, migrated, or given Config/'s directory.
struct ReadingContext {
    let config: LoadedConfig
    let store: any FullStore

    static func open(_ options: GlobalOptions) async throws -> ReadingContext {
        let config = try ConfigDirectory.load(options.configDirectory, environment: options.environment)
        guard let store = try StoreFactory.openExisting(options.databaseURL) else {
            throw StoreError.missingDatabase(StoreFactory.place(options.databaseURL))
        }
        try await store.checkSchema()
        return ReadingContext(config: config, store: store)
    }
}

/// `--as-of`, `--now`, `--reported-at`: the same forms `reported_at` takes. The refused text is
/// never quoted back: it may hold an escape sequence for the terminal.
func parseInstant(_ text: String, option: String) throws -> Date {
    switch InstantText.parse(text) {
    case .success(let d): return d
    case .failure(.missingOffset): throw UsageProblem(message: "\(option): needs Z or an offset such as +01:00")
    case .failure(.invalid): throw UsageProblem(message: "\(option): is not an ISO 8601 date-time such as 2026-03-06T21:40:00Z")
    case .failure(.outOfRange): throw UsageProblem(message: "\(option): expected a date-time in \(InstantText.rangeWords)")
    }
}
