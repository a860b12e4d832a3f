import ArgumentParser
import Foundation
import Schools
import Settings
import StoreContract

struct SchoolsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schools",
        abstract: "The school directory in the store.",
        subcommands: [SchoolsImportCommand.self])
}

struct SchoolsImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load a full GIAS edubasealldata CSV (Windows-1252) into the store: open establishments only, by URN.",
        discussion: """
            Each school's name and LA code are added or updated; closed establishments are skipped. Imported \
            schools stay when Config/schools.csv changes; key adults still come only from Config/key-adults.csv.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The GIAS file, e.g. edubasealldata20261101.csv.")
    var file: String

    func run() async throws {
        try await Failure.run {
            // Read and check the whole file before opening the store: a bad file writes nothing.
            let extract = try SchoolDirectory.readGIAS(try ConfigDirectory.data(file), fileName: file)
            try extract.checkLoadable(fileName: file)
            let config = try ConfigDirectory.load(global.configDirectory, environment: global.environment)
            // The extract before Config/'s directory (`Context.open`'s check runs first): key-adults.csv
            // may name schools only it has, and a key adult at a school no directory knows is refused
            // (SchoolDirectory.checkNamedSchools).
            _ = try await Context.open(global, config: config) { store in
                let loaded = try await store.importSchools(extract.schools)
                print("schools: \(loaded) open establishments loaded (\(extract.closed) closed skipped) from \(file)")
            }
        }
    }
}
