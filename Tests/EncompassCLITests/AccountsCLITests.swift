import Foundation
import Testing

/// `tokens create --expires`, `tokens list`, a revoked name used again, and `users role`, from the
/// command line on both databases: every refusal one line with its exit status.
@Suite("tokens and roles from the command line")
struct AccountsCLITests {
    @Test(arguments: TestDatabase.allCases)
    func tokensAreListedWithTheirStateAndARevokedNameIsFreeAgain(kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        #expect(try await h.run(["tokens", "list"]).stdout == "No API tokens.\n")
        let made = try await h.run(["tokens", "create", "records", "--expires", "2099-03-31"])
        #expect(made.status == 0, "\(made.stderr)")
        let token = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.count >= 43)
        let taken = try await h.run(["tokens", "create", "records"])
        #expect(taken.status == 65 && taken.stderr == "encompass: the name records is already in use\n")
        #expect(try await h.run(["tokens", "revoke", "records"]).status == 0)
        #expect(try await h.run(["tokens", "create", "records"]).status == 0, "a revoked name is free again")
        let list = try await h.run(["tokens", "list"])
        let lines = list.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("name") && lines[0].hasSuffix("last used"))
        #expect(lines[1].contains("revoked") && lines[1].contains("2099-03-31 23:00Z") && lines[1].hasSuffix("never"))
        #expect(lines[2].contains("live") && lines[2].contains(" - "))
        #expect(!list.stdout.contains(token), "never the token")
        let past = try await h.run(["tokens", "create", "old", "--expires", "2020-01-01"])
        #expect(past.status == 64 && past.stderr == "encompass: the expiry must be in the future\n")
        #expect(try await h.run(["tokens", "create", "bad", "--expires", "soon"]).status == 64)
    }

    @Test(arguments: TestDatabase.allCases)
    func aRoleIsChangedByName(kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        #expect(try await h.run(["users", "add", "sam", "--role", "hub"], environment: ["ENCOMPASS_PASSWORD": "a long enough password"]).status == 0)
        let changed = try await h.run(["users", "role", "sam", "supervisor"])
        #expect(changed.status == 0 && changed.stdout == "role: sam is now supervisor\n", "\(changed.stderr)")
        #expect(try await h.run(["users", "list"]).stdout.contains("supervisor"))
        let unknown = try await h.run(["users", "role", "nobody", "admin"])
        #expect(unknown.status == 65 && unknown.stderr == "encompass: no account has that name\n")
        #expect(try await h.run(["users", "role", "sam", "chief"]).status == 64)

        let reset = try await h.run(["users", "reset-password", "sam"], environment: ["ENCOMPASS_PASSWORD": "a temporary password"])
        #expect(reset.status == 0 && reset.stdout == "reset: sam must choose a new password at the next sign-in\n", "\(reset.stderr)")
        let short = try await h.run(["users", "reset-password", "sam"], environment: ["ENCOMPASS_PASSWORD": "short"])
        #expect(short.status == 64 && short.stderr == "encompass: A password needs at least 12 characters.\n")
        let nobody = try await h.run(["users", "reset-password", "nobody"], environment: ["ENCOMPASS_PASSWORD": "a temporary password"])
        #expect(nobody.status == 65 && nobody.stderr == "encompass: no account has that name\n")
    }

    /// A role no account can have is one line naming the option and the roles, exit 64, never the
    /// value typed (ArgumentParser's own refusal quoted it back), and nothing is made.
    @Test(arguments: [["users", "add", "sam", "--role", "bo\u{1B}[31mgus"], ["users", "role", "sam", "bo\u{1B}[31mgus"]])
    func anUnknownRoleIsOneLineWithoutTheValue(args: [String]) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let refused = try await h.run(args, environment: ["ENCOMPASS_PASSWORD": "a long enough password"])
        let option = args[1] == "add" ? "--role" : "ROLE"
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr == "encompass: \(option) must be hub, supervisor, admin or officer (`encompass help users` lists what it takes)\n",
                "\(refused.stderr)")
        #expect(refused.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: h.databasePath), "nothing opened, nothing made")
    }

    /// What was typed is never quoted back by the argument parser's refusals either: a value of the
    /// wrong kind, and words left over (a reason typed without its quotes), on every command.
    @Test(arguments: [
        (["alerts", "--state", "Zoe-Nobody"], "encompass: The value given is invalid for '--state <state>'"),
        (["decide", "C-1", "--marac", "Zoe-Nobody", "--on", "2026-11-20"], "encompass: The value given is invalid for '--marac <marac>'"),
        (["decide", "C-1", "--strategy-meeting", "Zoe-Nobody", "--on", "2026-11-20"], "encompass: The value given is invalid for '--strategy-meeting <strategy-meeting>'"),
        (["plan", "done", "Zoe-Nobody", "--on", "2026-11-20"], "encompass: The value given is invalid for '<action-id>'"),
        (["decide", "C-1", "--marac", "declined", "--on", "2026-11-20", "--reason", "Zoe", "Nobody", "said"], "encompass: 2 unexpected arguments (not shown)"),
        (["decide", "C-1", "--marac", "declined", "--on", "2026-11-20", "--reason", "Zoe", "Nobody"], "encompass: Unexpected argument (not shown)"),
    ])
    func theParsersRefusalsDoNotQuoteWhatWasTyped(args: [String], starts: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let refused = try await h.run(args)
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.hasPrefix(starts), "\(refused.stderr)")
        #expect(!refused.stderr.contains("Zoe") && !refused.stderr.contains("Nobody"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1)
    }
}
