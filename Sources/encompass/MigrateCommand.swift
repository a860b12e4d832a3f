import ArgumentParser
import Foundation
import StoreContract
import Stores

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Move the database to this version's schema.",
        discussion: """
            Runs the migrations this database has not had, each once, under a lock, so several processes \
            may run it at once. Other commands set up a new database themselves but never move an existing \
            one on: after an upgrade they exit 69 and ask for this. A database a newer version migrated is \
            refused (69), here too. With --dry-run, lists the migrations it would run and changes nothing.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "List the migrations that would run, and change nothing.")
    var dryRun = false

    func run() async throws {
        try await Failure.run {
            if dryRun {
                // A dry run on a missing file must not make one; as the other reading commands, it
                // says the file is not there (66): before an upgrade, most likely a wrong path.
                guard let existing = try StoreFactory.openExisting(global.databaseURL) else {
                    throw StoreError.missingDatabase(StoreFactory.place(global.databaseURL))
                }
                let pending = try SchemaRule.migrationsToRun(try await existing.migrationStatus(), for: .migrate)
                print(pending.isEmpty ? MigrateCommand.upToDate
                      : "would run \(pending.count) migration(s): \(pending.joined(separator: ", "))")
                return
            }
            // Said when the file is new, so an upgrade given a wrong path does not pass for done.
            let made = StoreFactory.isMissingFile(global.databaseURL)
            let ran = try await StoreFactory.open(global.databaseURL).migrate(for: .migrate)
            print((made ? "no database was at \(StoreFactory.place(global.databaseURL)): made a new one and " : "")
                  + (ran.isEmpty ? MigrateCommand.upToDate : "ran \(ran.count) migration(s): \(ran.joined(separator: ", "))"))
        }
    }

    static let upToDate = "the database is up to date: no migration to run"
}
