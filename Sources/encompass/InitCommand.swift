import ArgumentParser
import Settings

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a blank configuration folder: every setting, no sample people.",
        discussion: """
            DIR gets encompass.yaml with every setting commented out at its default, key-adults.csv, \
            schools.csv and term-dates.csv with their headers only, and bank-holidays.json with no holidays \
            (fetch GOV.UK's: README, 'Operations'). A folder that is not empty is refused (exit 64). Then fill \
            it in, and check it with `encompass doctor --config DIR` (a new install has no database for `notify` yet). The hub's telephone and e-mail stay placeholders, \
            which `notify` refuses, until they are set.
            """)

    @Argument(help: "The new (or empty) folder to write, e.g. /etc/encompass (or give it as --config).")
    var dir: String?

    /// Taken as every command takes them (SPEC §8): `--config` names the folder to write when DIR is
    /// not given; `init` writes no database, so `--database` is accepted and not used.
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await Failure.run {
            if let dir, let config = global.config, dir != config {
                throw UsageProblem(message: "init: DIR (\(dir)) and --config (\(config)) name two folders: give one")
            }
            guard let dir = dir ?? global.config else {
                throw UsageProblem(message: "init: name the folder to write (encompass init DIR)")
            }
            try ConfigTemplate.write(to: dir)
            print("wrote a blank configuration to \(dir): fill in encompass.yaml (hub.*, smtp.*) and the files, then check it with encompass doctor --config \(dir)")
        }
    }
}
