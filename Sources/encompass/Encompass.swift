import ArgumentParser
import Foundation
import InputRules
import Settings

@main
struct Encompass: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encompass",
        abstract: "Cumulative domestic-abuse risk for children, and Operation Encompass alerts to schools.",
        discussion: """
            Exit status: 0 success, 64 bad command line, 65 bad input data, 66 a named file is missing, \
            69 a service (SMTP, HTTP, database) is unavailable, 70 an internal error.
            """,
        version: EncompassVersion.line,
        subcommands: [
            IngestCommand.self, EscalationsCommand.self, DecideCommand.self, PlanCommand.self, DeadlineCommand.self,
            NotifyCommand.self, AlertsCommand.self, ServeCommand.self, UsersCommand.self, TokensCommand.self,
            SynthCommand.self, SchoolsCommand.self, MigrateCommand.self, CopyStoreCommand.self, BackupCommand.self, InitCommand.self, ReportCommand.self, DoctorCommand.self, RetentionCommand.self,
        ])

    /// ArgumentParser's own answer to a bad command line is the error, a help line and the whole usage
    /// (up to a dozen lines, `--state` listing every state); SPEC §9 wants one line, as every other
    /// error here is. Help and version requests, and the errors `Failure` has already printed (an
    /// `ExitCode`), go through ArgumentParser as before.
    static func main() async {
        // Before ArgumentParser, which sees the arguments already decoded with repair (U+FFFD).
        let raw = (0..<Int(CommandLine.argc)).map { i in
            CommandLine.unsafeArgv[i].map { Array(UnsafeBufferPointer(start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: strlen($0))) } ?? []
        }
        if let problem = ArgumentText.problem(raw) {
            Failure.printError(problem)
            exit(withError: ExitCode.validationFailure)
        }
        do {
            var command = try await asyncParseAsRoot(nil)
            if let repeated = ArgumentText.repeatedOption(CommandLine.arguments.dropFirst(), options: OptionSpellings.of(type(of: command))) {
                Failure.printError("\(FieldText.forTerminal(repeated)): is given more than once; give it once" + helpHint)
                exit(withError: ExitCode.validationFailure)
            }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            guard !(error is ExitCode), exitCode(for: error) == .validationFailure else { exit(withError: error) }
            let message = ArgumentText.withoutTheValue(message(for: error).split(whereSeparator: \.isNewline).joined(separator: " "))
            Failure.printError(message + helpHint)
            exit(withError: ExitCode.validationFailure)
        }
    }

    /// " (`encompass help COMMAND` lists what it takes)", with the command's own name, so the hint
    /// can be typed as it is; COMMAND when none was given.
    static var helpHint: String {
        let names = Set(configuration.subcommands.map { $0.configuration.commandName ?? "" })
        let given = CommandLine.arguments.dropFirst().first.flatMap { names.contains($0) ? $0 : nil }
        return " (`encompass help \(given ?? "COMMAND")` lists what it takes)"
    }
}

/// `--config` and `--database`, taken by every command (SPEC §8).
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The settings folder (default ./Config, or $ENCOMPASS_CONFIG).")
    var config: String?

    @Option(name: .long, help: "sqlite:PATH (default sqlite:encompass.sqlite, or $ENCOMPASS_DATABASE) or postgres://...")
    var database: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }
    var configDirectory: String { config ?? environment[EnvironmentVariables.config] ?? "Config" }
    var databaseURL: String { database ?? environment[EnvironmentVariables.database] ?? "sqlite:encompass.sqlite" }

    /// Templates/ when no --templates is given: $ENCOMPASS_TEMPLATES, else the folder beside the
    /// settings folder (CONFIG/../Templates), so a run from cron or from another folder with
    /// `--config /etc/encompass/Config` finds them without depending on the working directory.
    var templatesDirectory: String {
        if let set = environment[EnvironmentVariables.templates], !set.isEmpty { return set }
        return URL(fileURLWithPath: configDirectory, isDirectory: true).standardizedFileURL
            .deletingLastPathComponent().appendingPathComponent("Templates", isDirectory: true).path
    }
}

/// Every spelling of each option a command takes a value for (`--as-of`; `--output` and `-o`), from
/// the argument parser's own description of the command (its `--experimental-dump-help`), so an
/// option added later is covered with no list kept here (`ArgumentText.repeatedOption`).
enum OptionSpellings {
    private struct Tool: Decodable {
        struct Command: Decodable { let arguments: [Argument]? }
        struct Argument: Decodable {
            struct Name: Decodable {
                let kind: String
                let name: String
            }
            let kind: String
            let isRepeating: Bool
            let names: [Name]?
        }
        let command: Command
    }

    static func of(_ command: any ParsableCommand.Type) -> [String: (option: String, repeats: Bool)] {
        guard let tool = try? JSONDecoder().decode(Tool.self, from: Data(command._dumpHelp().utf8)) else { return [:] }
        var out: [String: (option: String, repeats: Bool)] = [:]
        for argument in tool.command.arguments ?? [] where argument.kind == "option" {
            let spellings = (argument.names ?? []).map { ($0.kind == "long" ? "--" : "-") + $0.name }
            guard let option = spellings.first else { continue }
            for spelling in spellings { out[spelling] = (option, argument.isRepeating) }
        }
        return out
    }
}
