import ArgumentParser
import Foundation
import CivilTime
import HubWeb
import RiskModel
import Settings
import StoreContract

struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Bearer tokens for the JSON API and the metrics.",
        subcommands: [Create.self, Revoke.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a token and print it once. Only its SHA-256 is kept: a lost token is revoked and replaced.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "A name for the program that will use it, e.g. records-system. A revoked token's name may be used again.")
        var name: String

        @Option(help: "The last day it works (YYYY-MM-DD, the hub's time zone: it stops at the end of that day). Default: until revoked.")
        var expires: String?

        // Text, checked in validate(): ArgumentParser's own refusal would quote the value back.
        @Option(help: ArgumentHelp("What it opens: \(TokenScope.choices). Default: \(TokenScope.standard.rawValue). A Prometheus scraper needs only metrics."))
        var scope: String?

        func validate() throws {
            if let why = AccountRules.problem(withName: name) { throw ValidationError(why) }
            if let expires, LocalDate(entered: expires) == nil { throw ValidationError("--expires must be a date as YYYY-MM-DD, such as 2027-03-31") }
            _ = try checkedScope()
        }

        /// `--scope` as a `TokenScope` (the default without it), or its one-line refusal (exit 64).
        func checkedScope() throws -> TokenScope {
            guard let scope else { return .standard }
            guard let named = TokenScope(rawValue: scope) else { throw ValidationError("--scope must be \(TokenScope.choices)") }
            return named
        }

        func run() async throws {
            let scope = try checkedScope()
            try await WebCommandSupport.perform(global) { store in
                let zone = try ConfigDirectory.load(global.configDirectory, environment: global.environment).settings.scoring.zone
                let end = expires.flatMap { LocalDate(entered: $0) }.map { zone.instant(on: $0.adding(days: 1)) }
                return try await APITokens.create(name: name, scope: scope, expiresAt: end, store: store,
                                                  by: WebCommandSupport.actor, at: Date())
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every token: name, scope, state (live, expired, revoked), created, expires, last used (to the minute). Never the token.")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await WebCommandSupport.perform(global) { store in
                let now = Date()
                let rows = try await store.apiTokens().map { t in
                    [t.name, t.scope.rawValue, t.state(at: now), Self.time(t.createdAt), t.expiresAt.map(Self.time) ?? "-", t.lastUsedAt.map(Self.time) ?? "never"]
                }
                guard !rows.isEmpty else { return "No API tokens." }
                let header = ["name", "scope", "state", "created", "expires", "last used"]
                let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max()! }
                return ([header] + rows).map { row in
                    row.indices.map { $0 == row.count - 1 ? row[$0] : row[$0].padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined()
                }.joined(separator: "\n")
            }
        }

        static func time(_ d: Date) -> String { String(d.formatted(.iso8601).prefix(16)).replacingOccurrences(of: "T", with: " ") + "Z" }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a token working, at once.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The token's name.")
        var name: String

        func run() async throws {
            try await WebCommandSupport.perform(global) { store in
                try await store.revokeAPIToken(name: name, by: WebCommandSupport.actor, at: Date())
                return "revoked: \(name)"
            }
        }
    }
}

/// What the web application's commands share: the store with its account tables, and the errors
/// Failure.run does not know, turned into one line and an exit status.
enum WebCommandSupport {
    static var actor: String { "cli:\(NSUserName())" }

    /// Without Config/'s directory: accounts and tokens use none of it, and their refusals (a name in
    /// use, an unknown name) come from the store's own write, after an import would have been
    /// written. The next command that uses the directory imports it.
    static func open(_ global: GlobalOptions) async throws -> any HubStore {
        let config = try ConfigDirectory.load(global.configDirectory, environment: global.environment)
        return try await Context.openUnimported(global, config: config).store
    }

    /// Opens the store, runs `body` and prints what it returns (nothing if empty). An account error (a
    /// name in use, an unknown name) is bad input (exit 65); a name or password that will not do is a
    /// bad command line (exit 64).
    static func perform(_ global: GlobalOptions, _ body: (any HubStore) async throws -> String) async throws {
        try await Failure.run {
            let store = try await open(global)
            let line: String
            do {
                line = try await body(store)
            } catch let e as AccountError {
                Failure.printError(e.description)
                throw ExitCode(65)
            } catch let e as AccountInputProblem {
                throw UsageProblem(message: e.message)
            }
            if !line.isEmpty { print(line) }
        }
    }
}
