import Foundation

/// The web application's accounts: people who sign in, their sessions, the API's bearer tokens, and the
/// audit rows the web writes (sign-ins, page views). Secrets are never stored: passwords as bcrypt
/// hashes, session and API tokens as SHA-256 hashes, so a copy of the database lets no one in.
/// Its tables come with `Store.migrate()` (migration `v2-accounts`).
public protocol AccountStore: Sendable {
    /// Adds an account; `AccountError.nameTaken` if the name is in use (names compare case-insensitively).
    func addUser(name: String, role: Role, passwordHash: String, by actor: String, at: Date) async throws
    func user(named name: String) async throws -> UserAccount?
    func users() async throws -> [UserAccount]
    /// Disables or re-enables an account. Re-enabling also lifts a sign-in lock. Disabling ends its sessions.
    func setDisabled(_ disabled: Bool, name: String, by actor: String, at: Date) async throws

    /// Counts a failed sign-in. At `threshold` failures in a row the account is locked until
    /// `at + lockFor` and the count starts again. Returns the account as it now stands.
    func recordFailedSignIn(name: String, at: Date, threshold: Int, lockFor: TimeInterval) async throws -> UserAccount?
    /// A good sign-in: clears the failure count and opens the session.
    func openSession(_ session: NewSession) async throws
    /// The session and its account, if the session exists (expiry is the caller's rule).
    func session(tokenHash: String) async throws -> SessionRecord?
    func touchSession(tokenHash: String, at: Date) async throws
    /// Ends a session: signed out (audited `sign-out`) or idle too long (audited `session.expired`).
    func endSession(tokenHash: String, at: Date, expired: Bool) async throws

    /// Stores a bearer token's hash under a name, with what it opens (`scope`, audited with it);
    /// `AccountError.nameTaken` if a live (not revoked) token has the name: a revoked token's name
    /// may be given to its replacement. `expiresAt`: the token stops working then (nil: until revoked).
    func addAPIToken(name: String, tokenHash: String, scope: TokenScope, expiresAt: Date?, by actor: String, at: Date) async throws
    /// The live token with this hash (not revoked, and not expired at `at`): its name and scope.
    func liveAPIToken(tokenHash: String, at: Date) async throws -> LiveAPIToken?
    /// Records that the token was used at `at` (the API does so at most once a minute per token).
    func noteAPITokenUse(tokenHash: String, at: Date) async throws
    /// Every token ever made, revoked ones too, oldest first: names and times, never a hash.
    func apiTokens() async throws -> [APIToken]
    func revokeAPIToken(name: String, by actor: String, at: Date) async throws

    /// An admin's reset: the account's password becomes `passwordHash` (a temporary one the admin
    /// hands over), its sessions end, and it must choose a new one at its next sign-in. Audited.
    func resetPassword(name: String, passwordHash: String, by actor: String, at: Date) async throws
    /// Whether the account must choose a new password before anything else.
    func passwordResetPending(name: String) async throws -> Bool
    /// The account's own new password; clears a pending reset and ends every session of the account
    /// but `keepingSession` (the one that changed it), as a reset or disable ends them: someone who
    /// suspects another has their session changes the password to throw them out. Audited.
    func changePassword(name: String, passwordHash: String, keepingSession: String?, at: Date) async throws

    /// Changes an account's role, audited with the old and new role (`user.role-changed`). It takes
    /// effect at the account's next request: a session reads its account's role each time.
    func setRole(_ role: Role, name: String, by actor: String, at: Date) async throws

    /// One audit row (a page view, a sign-in): who, what, about which record, when. Ids only.
    func appendAudit(actor: String, action: String, subject: String, at: Date) async throws
}

/// What a person may do in the hub's web application. The hub's staff are a ladder, each role able
/// to do what the one before it can: hub, supervisor, admin. An officer stands outside it: a police
/// officer who may read a child's page (to see the plan before attending) and nothing else.
public enum Role: String, Sendable, CaseIterable {
    /// Reviews the queue, reads a child's record, records decisions and plans.
    case hub
    /// Also regrades an incident, with a reason.
    case supervisor
    /// Also manages accounts and reads the audit.
    case admin
    /// Reads a child's page, found by the child's id, and nothing else.
    case officer

    /// The place on the staff ladder; nil for an officer, who is not on it.
    var rank: Int? {
        switch self {
        case .hub: 0
        case .supervisor: 1
        case .admin: 2
        case .officer: nil
        }
    }

    /// Whether this role may do what `needed` may: the same role, or one higher on the staff ladder.
    /// An officer includes no staff role, and no staff role needs to include an officer's.
    public func includes(_ needed: Role) -> Bool {
        if self == needed { return true }
        guard let mine = rank, let theirs = needed.rank else { return false }
        return mine >= theirs
    }

    /// One of the hub's staff (hub, supervisor or admin), as opposed to an officer.
    public var isStaff: Bool { rank != nil }

    /// The roles, for a refusal that names them (`users add --role`, the accounts page).
    public static let choices = "hub, supervisor, admin or officer"
}

public struct UserAccount: Sendable, Equatable {
    public var name: String
    public var role: Role
    public var passwordHash: String
    public var disabled: Bool
    /// Failed sign-ins since the last good one or the last lock.
    public var failedSignIns: Int
    public var lockedUntil: Date?
    public var createdAt: Date

    public init(name: String, role: Role, passwordHash: String, disabled: Bool, failedSignIns: Int,
                lockedUntil: Date?, createdAt: Date) {
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.disabled = disabled
        self.failedSignIns = failedSignIns
        self.lockedUntil = lockedUntil
        self.createdAt = createdAt
    }

    public func isLocked(at now: Date) -> Bool { lockedUntil.map { now < $0 } ?? false }

    /// The account after one more failed sign-in, and the audit action for it: at `threshold`
    /// failures in a row it is locked until `at + lockFor` and the count starts again. The rule
    /// both stores keep.
    public func failingSignIn(at: Date, threshold: Int, lockFor: TimeInterval) -> (account: UserAccount, action: String) {
        var account = self
        account.failedSignIns += 1
        guard account.failedSignIns >= threshold else { return (account, "sign-in.failed") }
        account.failedSignIns = 0
        account.lockedUntil = at.addingTimeInterval(lockFor)
        return (account, "sign-in.locked")
    }
}

public struct NewSession: Sendable {
    public var tokenHash: String
    public var userName: String
    /// Sent in every form and checked on every POST; kept in the clear because pages must show it.
    public var csrfToken: String
    public var at: Date

    public init(tokenHash: String, userName: String, csrfToken: String, at: Date) {
        self.tokenHash = tokenHash
        self.userName = userName
        self.csrfToken = csrfToken
        self.at = at
    }
}

public struct SessionRecord: Sendable, Equatable {
    public var tokenHash: String
    public var user: UserAccount
    public var csrfToken: String
    public var createdAt: Date
    public var lastSeenAt: Date

    public init(tokenHash: String, user: UserAccount, csrfToken: String, createdAt: Date, lastSeenAt: Date) {
        self.tokenHash = tokenHash
        self.user = user
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
    }
}

/// What a bearer token opens: the rule for every token, kept in the stores as its raw value (the
/// column `api_tokens.scope`). Least privilege: a scraper's token opens the metrics and nothing else.
public enum TokenScope: String, Sendable, CaseIterable {
    /// The JSON API (children's records, escalations, ingest, decisions) and the metrics: what every
    /// token opened before scopes, so a token made then (migrated to `api`) works as it did, a
    /// Prometheus scraping with one included. The metrics are counts, no child's data: a token that
    /// may read every child's record reveals nothing more by reading them.
    case api
    /// `GET /metrics` only: Prometheus text, counts without a child's data.
    case metrics

    /// What `tokens create` makes without `--scope`: `api`, as before scopes, so a force's scripts
    /// and runbooks that make a token for their records system keep working after the upgrade.
    public static let standard = TokenScope.api

    /// The scopes and what each opens, for `--scope`'s help and its error.
    public static let choices = "api (the JSON API and /metrics) or metrics (GET /metrics only)"

    /// A scope as a store read it. The databases' CHECK allows only the raw values; anything else
    /// would open the least, never the most.
    public init(stored text: String) { self = TokenScope(rawValue: text) ?? .metrics }

    /// Whether a token of this scope opens what `needed` opens: the same scope, or `api`, which
    /// opens everything a token can.
    public func includes(_ needed: TokenScope) -> Bool { self == needed || self == .api }
}

/// The live token a request's bearer token is: who is asking, and what it may open.
public struct LiveAPIToken: Sendable, Equatable {
    public var name: String
    public var scope: TokenScope

    public init(name: String, scope: TokenScope) {
        self.name = name
        self.scope = scope
    }
}

/// A bearer token as `tokens list` shows it.
public struct APIToken: Sendable, Equatable {
    public var name: String
    public var scope: TokenScope
    public var createdAt: Date
    public var expiresAt: Date?
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(name: String, scope: TokenScope, createdAt: Date, expiresAt: Date?, lastUsedAt: Date?, revokedAt: Date?) {
        self.name = name
        self.scope = scope
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    /// The `token.created` audit row's detail, the same from both stores: what it opens, and its end.
    public static func createdDetail(scope: TokenScope, expiresAt: Date?) -> [String: String] {
        var detail = ["scope": scope.rawValue]
        if let expiresAt { detail["expires_at"] = expiresAt.formatted(.iso8601) }
        return detail
    }

    /// `live`, `revoked` or `expired`, as of `now`.
    public func state(at now: Date) -> String {
        if revokedAt != nil { return "revoked" }
        if let expiresAt, expiresAt <= now { return "expired" }
        return "live"
    }
}

public enum AccountError: Error, Equatable, CustomStringConvertible {
    case nameTaken(String)
    case unknownUser(String)
    case unknownToken(String)

    public var description: String {
        switch self {
        case .nameTaken(let name): "the name \(name) is already in use"
        // The name is not quoted back: one typed on the command line may hold an escape sequence.
        case .unknownUser: "no account has that name"
        case .unknownToken: "no API token has that name"
        }
    }
}
