import ArgumentParser
import Foundation
import StoreContract
import Stores

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "A consistent copy of the SQLite database, taken while it is in use.",
        discussion: """
            Uses SQLite's online backup API: the copy is the database as of one moment, the newest commits \
            included, while serve, ingest and notify go on. FILE must not exist (exit 64: a backup never \
            overwrites); it is made 0600 and appears only once complete. Any schema version is copied, so a \
            backup may be taken before `encompass migrate`. To restore: stop the units, remove the database \
            and its -wal and -shm files, copy FILE into its place (owned by the service user), start them.
            On PostgreSQL this exits 64: use pg_dump --format=custom (README, 'Operations').
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The new file to write the copy to.")
    var file: String

    func run() async throws {
        try await Failure.run {
            guard let store = try StoreFactory.openExisting(global.databaseURL) else {
                throw StoreError.missingDatabase(StoreFactory.place(global.databaseURL))
            }
            try await store.backup(to: file)
            print("backed up \(StoreFactory.place(global.databaseURL)) to \(file)")
        }
    }
}
