import ArgumentParser
import Foundation
import StoreContract
import Stores

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Move the database to this version's schema.",
        discussion: """
            Runs the migrations this database has not had, each once, under a lock, so several processes
            may run it at once. Commands that only read (escalations, alerts) never migrate: they ask for
            this instead. With --dry-run, lists the migrations it would run and changes nothing.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "List the migrations that would run, and change nothing.")
    var dryRun = false

    func run() async throws {
        try await Failure.run {
            let store: any FullStore
            if dryRun {
                // A dry run on a missing file must not make one: every migration would run.
                guard let existing = try StoreFactory.openExisting(global.databaseURL) else {
                    print("a new database: every migration would run")
                    return
                }
                store = existing
            } else {
                store = try StoreFactory.open(global.databaseURL)
            }
            let pending = try await store.pendingMigrations()
            if pending.isEmpty {
                print("the database is up to date: no migration to run")
                return
            }
            if dryRun {
                print("would run \(pending.count) migration(s): \(pending.joined(separator: ", "))")
                return
            }
            try await store.migrate()
            print("ran \(pending.count) migration(s): \(pending.joined(separator: ", "))")
        }
    }
}
