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
    static func open(_ options: GlobalOptions, config: LoadedConfig) async throws -> Context {
        let store = try StoreFactory.open(options.databaseURL)
        try await store.migrate(for: .write)
        try await store.replaceDirectory(config.directory)
        let context = Context(config: config, store: store)
        // A school or key adult added to Config/ since: its waiting alerts are queued now.
        _ = try await store.matchUnmatched(planner: context.planner, now: Date())
        return context
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

/// `--as-of`, `--now`, `--reported-at`: the same forms `reported_at` takes.
func parseInstant(_ text: String, option: String) throws -> Date {
    switch InstantText.parse(text) {
    case .success(let d): return d
    case .failure(.missingOffset): throw UsageProblem(message: "\(option): \(text) needs Z or an offset such as +01:00")
    case .failure(.invalid): throw UsageProblem(message: "\(option): \(text) is not an ISO 8601 date-time such as 2026-03-06T21:40:00Z")
    case .failure(.outOfRange): throw UsageProblem(message: "\(option): expected a date-time in \(InstantText.rangeWords)")
    }
}
