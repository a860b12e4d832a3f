import ArgumentParser
import Foundation
import HubWeb
import Settings
import StoreContract
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Accounts for the hub's web application.",
        subcommands: [Add.self, Disable.self, Enable.self, ChangeRole.self, ResetPassword.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an account. The password comes from ENCOMPASS_PASSWORD, or is asked for without echo.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The sign-in name.")
        var name: String

        // Text, checked in validate(): ArgumentParser's own refusal would quote the value back.
        @Option(help: "hub (reviews and decides), supervisor (also regrades), admin (also accounts and the audit), or officer (reads a child's page and nothing else).")
        var role: String

        func validate() throws { _ = try Role.named(role, option: "--role") }

        func run() async throws {
            let role = try Role.named(role, option: "--role")
            try await WebCommandSupport.perform(global) { store in
                let password = try global.environment[EnvironmentVariables.password] ?? PasswordPrompt.ask()
                try await UserAccounts.add(name: name, role: role, password: password, store: store,
                                           by: WebCommandSupport.actor, at: Date())
                return "added: \(name) (\(role.rawValue))"
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop an account signing in; its sessions end at once.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The sign-in name.")
        var name: String

        func run() async throws {
            try await WebCommandSupport.perform(global) { store in
                try await store.setDisabled(true, name: name, by: WebCommandSupport.actor, at: Date())
                return "disabled: \(name)"
            }
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Give an account a temporary password (from ENCOMPASS_PASSWORD, or asked for); its owner must choose a new one at the next sign-in. Its sessions end at once.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The sign-in name.")
        var name: String

        func run() async throws {
            try await WebCommandSupport.perform(global) { store in
                let password = try global.environment[EnvironmentVariables.password] ?? PasswordPrompt.ask()
                try await UserAccounts.resetPassword(name: name, temporary: password, store: store, by: WebCommandSupport.actor, at: Date())
                return "reset: \(name) must choose a new password at the next sign-in"
            }
        }
    }

    struct ChangeRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "role",
            abstract: "Change an account's role; it takes effect at the account's next page. Audited with the old and new role.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The sign-in name.")
        var name: String

        // Text, checked in validate(), as --role is.
        @Argument(help: ArgumentHelp("\(Role.choices)."))
        var role: String

        func validate() throws { _ = try Role.named(role, option: "ROLE") }

        func run() async throws {
            let role = try Role.named(role, option: "ROLE")
            try await WebCommandSupport.perform(global) { store in
                try await store.setRole(role, name: name, by: WebCommandSupport.actor, at: Date())
                return "role: \(name) is now \(role.rawValue)"
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a disabled or locked account sign in again.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The sign-in name.")
        var name: String

        func run() async throws {
            try await WebCommandSupport.perform(global) { store in
                try await store.setDisabled(false, name: name, by: WebCommandSupport.actor, at: Date())
                return "enabled: \(name)"
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the accounts: name, role and state.")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await WebCommandSupport.perform(global) { store in
                let now = Date()
                return try await store.users().map { u in
                    let state = u.disabled ? "disabled" : u.isLocked(at: now) ? "locked" : "active"
                    return "\(u.name)\t\(u.role.rawValue)\t\(state)"
                }.joined(separator: "\n")
            }
        }
    }
}

extension Role {
    /// The role a command line names, or its one-line refusal (exit 64) naming the option and the
    /// roles, never the value given (it could hold an escape sequence for the terminal).
    static func named(_ text: String, option: String) throws -> Role {
        guard let role = Role(rawValue: text) else { throw ValidationError("\(option) must be \(Role.choices)") }
        return role
    }
}

/// Reads a password from the terminal with echo off, twice, so a typing slip is caught.
enum PasswordPrompt {
    static func ask() throws -> String {
        guard isatty(STDIN_FILENO) == 1 else {
            throw UsageProblem(message: "no password: set ENCOMPASS_PASSWORD or run in a terminal")
        }
        let first = try read(prompt: "Password: ")
        let second = try read(prompt: "Password again: ")
        guard first == second else { throw UsageProblem(message: "the two passwords are not the same") }
        return first
    }

    private static func read(prompt: String) throws -> String {
        try? FileHandle.standardError.write(contentsOf: Data(prompt.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            try? FileHandle.standardError.write(contentsOf: Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true) else { throw UsageProblem(message: "no password given") }
        return line
    }
}
