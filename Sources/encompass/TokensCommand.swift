import ArgumentParser
import Foundation
import HubWeb
import StoreContract

struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Bearer tokens for the JSON API.",
        subcommands: [Create.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a token and print it once. Only its SHA-256 is kept: a lost token is revoked and replaced.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "A name for the program that will use it, e.g. records-system.")
        var name: String

        func validate() throws {
            if let why = AccountRules.problem(withName: name) { throw ValidationError(why) }
        }

        func run() async throws {
            try await WebCommandSupport.perform(global) { store in
                try await APITokens.create(name: name, store: store, by: WebCommandSupport.actor, at: Date())
            }
        }
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

    static func open(_ global: GlobalOptions) async throws -> any HubStore {
        try await Context.open(global).store
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
