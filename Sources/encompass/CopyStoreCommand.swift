import ArgumentParser
import Foundation
import StoreContract
import Stores

struct CopyStoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy-store",
        abstract: "Copy everything from --database into an empty database at --to (SQLite to PostgreSQL, or back).",
        discussion: """
            Copies the incidents, children, links, decisions, regrades, audit, alerts, hub notices, accounts \
            and API tokens, in one transaction: all of it or nothing. Sessions are left behind (everyone signs \
            in again). The target is migrated first and must hold nothing: no records, and no table another program made (exit 65 otherwise). Stop serve, \
            ingest and notify on the source while it runs.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "The database to copy into: postgres://USER@HOST:PORT/DB or sqlite:PATH (password from ENCOMPASS_DATABASE_PASSWORD).")
    var to: String

    func run() async throws {
        try await Failure.run {
            guard let source = try StoreFactory.openExisting(global.databaseURL) else {
                throw StoreError.missingDatabase(StoreFactory.place(global.databaseURL))
            }
            try await source.checkSchema()
            let target = try StoreFactory.open(to)
            try await StoreCopy.prepare(target)
            let copied = try await StoreCopy.run(from: source, to: target)
            let rows = copied.reduce(0) { $0 + $1.1 }
            print("copied \(rows) rows in \(copied.count) tables from \(StoreFactory.place(global.databaseURL)) to \(StoreFactory.place(to))")
            for (table, count) in copied where count > 0 { print("  \(table): \(count)") }
        }
    }
}
