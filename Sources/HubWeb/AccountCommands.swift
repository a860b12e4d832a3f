import Foundation
import Store

/// What `encompass users` and `encompass tokens` do, kept here so the commands stay thin.
public enum UserAccounts {
    /// Checks the name and password, hashes the password with bcrypt and stores the account.
    public static func add(name: String, role: Role, password: String, store: any AccountStore, by actor: String,
                           at now: Date, cost: UInt8 = 12) async throws {
        if let why = AccountRules.problem(withName: name) { throw AccountInputProblem(message: why) }
        if let why = Passwords.problem(with: password) { throw AccountInputProblem(message: why) }
        let hash = await Passwords.hash(password, cost: cost)
        try await store.addUser(name: name, role: role, passwordHash: hash, by: actor, at: now)
    }
}

public enum APITokens {
    /// A new bearer token: returned once, only its SHA-256 stored.
    public static func create(name: String, store: any AccountStore, by actor: String, at now: Date) async throws -> String {
        if let why = AccountRules.problem(withName: name) { throw AccountInputProblem(message: why) }
        let token = Secrets.newToken()
        try await store.addAPIToken(name: name, tokenHash: Secrets.hash(token), by: actor, at: now)
        return token
    }
}

/// A name or password that will not do, in words for the person typing it.
public struct AccountInputProblem: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
