import ArgumentParser
import Doctor
import Foundation
import StoreContract
import Stores

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the install: settings and the files they name, the database, a year of calendar, key adults, the relay. Writes nothing.",
        discussion: "Each check prints one line; each problem names what to fix. Exit 0 when all is well, 65 for a problem in our settings or files, 69 when something we depend on (the database, the relay) cannot be used.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Also send a test e-mail to hub.email through the relay.")
    var sendTest = false

    @Option(help: "The e-mail templates notify uses (default $ENCOMPASS_TEMPLATES, or Templates beside the --config folder).")
    var templates: String?

    @Option(help: "Check the calendar, and what a retention purge would keep, as of this instant (ISO 8601 with Z or an offset). Default: now.")
    var now: String?

    func run() async throws {
        var at = Date()
        try await Failure.run { at = try now.map { try parseInstant($0, option: "--now") } ?? Date() }
        let url = global.databaseURL
        let findings = await Doctor.run(
            configDirectory: global.configDirectory, templatesDirectory: templates ?? global.templatesDirectory,
            environment: global.environment, now: at,
            database: StoreFactory.place(url), openStore: {
                // "None yet; the first command that writes sets it up" only when it could.
                if let why = StoreFactory.whyNotMade(url) {
                    throw StoreError.unavailable("cannot make \(StoreFactory.place(url)): \(why)")
                }
                // One that opens and reads may still refuse every write, the morning run's included.
                if let why = StoreFactory.whyNotWritable(url) { throw StoreError.unavailable(why) }
                return try StoreFactory.openExisting(url)
            }, sendTest: sendTest)
        for f in findings {
            if f.kind == .ok {
                print("ok: " + f.line)
            } else {
                Failure.printLine("problem: " + f.line)
            }
        }
        let status = Doctor.exitStatus(findings)
        if status != 0 { throw ExitCode(status) }
    }
}
