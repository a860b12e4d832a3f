import Foundation
import StoreContract

/// What `encompass users` and `encompass tokens` do, kept here so the commands stay thin.
public enum UserAccounts {
    /// The one way an account is made, by `users add` and the admin page. Checks the name and password,
    /// refuses a name in use before the slow bcrypt hash, then stores the account. A name taken while
    /// hashing (two admins at once) comes back from the store as the same `AccountError.nameTaken`.
    public static func add(name: String, role: Role, password: String, store: any AccountStore, by actor: String,
                           at now: Date, cost: UInt8 = 12) async throws {
        if let why = problems(name: name, password: password).first { throw AccountInputProblem(message: why) }
        if try await store.user(named: name) != nil { throw AccountError.nameTaken(name) }
        let hash = await Passwords.hash(password, cost: cost)
        try await store.addUser(name: name, role: role, passwordHash: hash, by: actor, at: now)
    }

    /// An admin's reset: a temporary password for the account's owner, who must choose a new one at
    /// the next sign-in (every page leads to `/account/password` until then); its sessions end.
    public static func resetPassword(name: String, temporary password: String, store: any AccountStore, by actor: String,
                                     at now: Date, cost: UInt8 = 12) async throws {
        if let why = Passwords.problem(with: password) { throw AccountInputProblem(message: why) }
        guard try await store.user(named: name) != nil else { throw AccountError.unknownUser(name) }
        try await store.resetPassword(name: name, passwordHash: await Passwords.hash(password, cost: cost), by: actor, at: now)
    }

    /// What is wrong with a new account's name and password.
    static func problems(name: String?, password: String) -> [String] {
        [name.flatMap(AccountRules.problem(withName:)), Passwords.problem(with: password)].compactMap { $0 }
    }
}

public enum APITokens {
    /// A new bearer token: returned once, only its SHA-256 stored. `scope`: what it opens
    /// (`TokenScope`). `expiresAt`: the token stops working then; nil, until revoked.
    public static func create(name: String, scope: TokenScope = .standard, expiresAt: Date? = nil, store: any AccountStore, by actor: String,
                              at now: Date) async throws -> String {
        if let why = AccountRules.problem(withName: name) { throw AccountInputProblem(message: why) }
        if let expiresAt, expiresAt <= now { throw AccountInputProblem(message: "the expiry must be in the future") }
        let token = Secrets.newToken()
        try await store.addAPIToken(name: name, tokenHash: Secrets.hash(token), scope: scope, expiresAt: expiresAt, by: actor, at: now)
        return token
    }
}

/// A name or password that will not do, in words for the person typing it.
public struct AccountInputProblem: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
