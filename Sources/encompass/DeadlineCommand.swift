import ArgumentParser
import Foundation
import InputRules
import RiskModel
import SchoolCalendar
import Schools
import Settings
import StoreContract
import Stores

struct DeadlineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deadline",
        abstract: "When a school must have an incident's alert: the start of the first school day at least the minimum notice later.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "When the incident was reported (ISO 8601 with Z or an offset).")
    var reportedAt: String

    @Option(help: "The school's URN, for its own calendar and start time.")
    var urn: String?

    func validate() throws {
        if let urn, !URN.isValid(urn) {
            throw ValidationError("--urn: expected 6 digits")
        }
    }

    func run() async throws {
        try await Failure.run {
            let reported = try parseInstant(reportedAt, option: "--reported-at")
            let config = try ConfigDirectory.load(global.configDirectory, environment: global.environment)
            var school = urn.flatMap { u in config.directory.schools.first { $0.urn == u } }
            // A school loaded by `schools import`: read from the store only if there is one already.
            if school == nil, let urn, let store = try StoreFactory.openExisting(global.databaseURL) {
                do {
                    try await store.checkSchema()
                    school = try await store.school(urn: urn)
                } catch StoreError.emptyDatabase {
                    // Nothing set up yet (a new PostgreSQL database): as no SQLite file, no imported school.
                }
            }
            let la = school?.laCode
            let due = config.calendar.deadline(reportedAt: reported, urn: urn, laCode: la)
            print(config.settings.scoring.zone.iso8601(due))
            // Still the deadline the SPEC defines (exit 0), but a URN mistyped, or a school imported
            // into a database not given, lost its local authority's term dates without a word.
            if urn != nil, school == nil {
                Failure.printError("note: --urn: no such school in Config/schools.csv or the database: the deadline uses no local "
                                   + "authority's term dates (only the school's own rows in term-dates.csv, if any)")
            }
        }
    }
}
