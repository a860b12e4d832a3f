import Foundation
import Logging
import PostgresNIO
import StoreContract

extension PostgresStore: AccountStore {
    public func addUser(name: String, role: Role, passwordHash: String, by actor: String, at: Date) async throws {
        let logger = self.logger
        try await write { conn in
            // The unique index on lower(name) is the judge: another server may have added the name
            // since anyone looked, and then this is the same answer as a name found first.
            let added = try await conn.row("""
                INSERT INTO users (name, role, password_hash, created_at) VALUES (\(name), \(role.rawValue), \(passwordHash), \(at.timeIntervalSince1970))
                ON CONFLICT DO NOTHING RETURNING user_key
                """, logger, as: (Int64).self)
            guard added != nil else { throw AccountError.nameTaken(name) }
            try await PostgresAudit.append(conn, logger, at: at, actor: actor, action: "user.added", subject: "user:\(name)",
                                           detail: ["role": role.rawValue])
        }
    }

    public func user(named name: String) async throws -> UserAccount? {
        let logger = self.logger
        return try await read { conn in
            try await conn.row("SELECT name, role, password_hash, disabled, failed_sign_ins, locked_until, created_at FROM users WHERE lower(name) = lower(\(name) COLLATE \"C\")", logger, as: UserTuple.self).map(Self.account)
        }
    }

    public func users() async throws -> [UserAccount] {
        let logger = self.logger
        return try await read { conn in
            // As SQLite's NOCASE column sorts them.
            try await conn.rows("SELECT name, role, password_hash, disabled, failed_sign_ins, locked_until, created_at FROM users ORDER BY lower(name) COLLATE \"C\", name COLLATE \"C\"", logger, as: UserTuple.self)
                .map(Self.account)
        }
    }

    public func setDisabled(_ disabled: Bool, name: String, by actor: String, at: Date) async throws {
        let logger = self.logger
        try await write { conn in
            guard let key = try await conn.row("SELECT user_key FROM users WHERE lower(name) = lower(\(name) COLLATE \"C\") FOR UPDATE", logger, as: (Int64).self) else {
                throw AccountError.unknownUser(name)
            }
            if disabled {
                try await conn.run("UPDATE users SET disabled = 1 WHERE user_key = \(key)", logger)
                try await conn.run("DELETE FROM sessions WHERE user_key = \(key)", logger)
            } else {
                try await conn.run("UPDATE users SET disabled = 0, failed_sign_ins = 0, locked_until = NULL WHERE user_key = \(key)", logger)
            }
            try await PostgresAudit.append(conn, logger, at: at, actor: actor, action: disabled ? "user.disabled" : "user.enabled",
                                           subject: "user:\(name)", detail: nil)
        }
    }

    public func recordFailedSignIn(name: String, at: Date, threshold: Int, lockFor: TimeInterval) async throws -> UserAccount? {
        let logger = self.logger
        return try await write { conn in
            guard let row = try await conn.row("SELECT name, role, password_hash, disabled, failed_sign_ins, locked_until, created_at FROM users WHERE lower(name) = lower(\(name) COLLATE \"C\") FOR UPDATE", logger, as: UserTuple.self) else {
                return nil
            }
            let (account, action) = Self.account(row).failingSignIn(at: at, threshold: threshold, lockFor: lockFor)
            try await conn.run("""
                UPDATE users SET failed_sign_ins = \(account.failedSignIns), locked_until = \(account.lockedUntil?.timeIntervalSince1970)
                WHERE lower(name) = lower(\(name) COLLATE \"C\")
                """, logger)
            try await PostgresAudit.append(conn, logger, at: at, actor: "user:\(account.name)", action: action, subject: "user:\(account.name)",
                                           detail: nil)
            return account
        }
    }

    public func openSession(_ session: NewSession) async throws {
        let logger = self.logger
        try await write { conn in
            guard let key = try await conn.row("SELECT user_key FROM users WHERE lower(name) = lower(\(session.userName) COLLATE \"C\")", logger,
                                               as: (Int64).self) else {
                throw AccountError.unknownUser(session.userName)
            }
            let now = session.at.timeIntervalSince1970
            try await conn.run("UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE user_key = \(key)", logger)
            // Housekeeping: a session idle for a day is long dead; drop it here rather than in a timer.
            try await conn.run("DELETE FROM sessions WHERE last_seen_at < \(now - 86_400)", logger)
            try await conn.run("""
                INSERT INTO sessions (token_hash, user_key, csrf_token, created_at, last_seen_at)
                VALUES (\(session.tokenHash), \(key), \(session.csrfToken), \(now), \(now))
                """, logger)
            try await PostgresAudit.append(conn, logger, at: session.at, actor: "user:\(session.userName)", action: "sign-in",
                                           subject: "user:\(session.userName)", detail: nil)
        }
    }

    public func session(tokenHash: String) async throws -> SessionRecord? {
        let logger = self.logger
        return try await read { conn in
            guard let r = try await conn.row("""
                SELECT u.name, u.role, u.password_hash, u.disabled, u.failed_sign_ins, u.locked_until, u.created_at,
                       s.token_hash, s.csrf_token, s.created_at, s.last_seen_at
                FROM sessions s JOIN users u ON u.user_key = s.user_key WHERE s.token_hash = \(tokenHash)
                """, logger, as: (String, String, String, Int, Int, Double?, Double, String, String, Double, Double).self) else { return nil }
            return SessionRecord(tokenHash: r.7, user: Self.account((r.0, r.1, r.2, r.3, r.4, r.5, r.6)), csrfToken: r.8,
                                 createdAt: Date(timeIntervalSince1970: r.9), lastSeenAt: Date(timeIntervalSince1970: r.10))
        }
    }

    public func touchSession(tokenHash: String, at: Date) async throws {
        let logger = self.logger
        try await write { conn in
            try await conn.run("UPDATE sessions SET last_seen_at = \(at.timeIntervalSince1970) WHERE token_hash = \(tokenHash)", logger)
        }
    }

    public func endSession(tokenHash: String, at: Date, expired: Bool) async throws {
        let logger = self.logger
        try await write { conn in
            let name = try await conn.row("""
                SELECT u.name FROM sessions s JOIN users u ON u.user_key = s.user_key WHERE s.token_hash = \(tokenHash)
                """, logger, as: (String).self)
            try await conn.run("DELETE FROM sessions WHERE token_hash = \(tokenHash)", logger)
            if let name {
                try await PostgresAudit.append(conn, logger, at: at, actor: "user:\(name)", action: expired ? "session.expired" : "sign-out",
                                               subject: "user:\(name)", detail: nil)
            }
        }
    }

    public func addAPIToken(name: String, tokenHash: String, scope: TokenScope, expiresAt: Date?, by actor: String, at: Date) async throws {
        let logger = self.logger
        try await write { conn in
            // A live token of the name, or the same hash: the partial unique index refuses it.
            let added = try await conn.row("""
                INSERT INTO api_tokens (name, token_hash, scope, created_at, expires_at)
                VALUES (\(name), \(tokenHash), \(scope.rawValue), \(at.timeIntervalSince1970), \(expiresAt?.timeIntervalSince1970))
                ON CONFLICT DO NOTHING RETURNING token_key
                """, logger, as: (Int64).self)
            guard added != nil else { throw AccountError.nameTaken(name) }
            try await PostgresAudit.append(conn, logger, at: at, actor: actor, action: "token.created", subject: "token:\(name)",
                                           detail: APIToken.createdDetail(scope: scope, expiresAt: expiresAt))
        }
    }

    public func liveAPIToken(tokenHash: String, at: Date) async throws -> LiveAPIToken? {
        let logger = self.logger
        return try await read { conn in
            try await conn.row("""
                SELECT name, scope FROM api_tokens WHERE token_hash = \(tokenHash) AND revoked_at IS NULL
                AND (expires_at IS NULL OR expires_at > \(at.timeIntervalSince1970))
                """, logger, as: (String, String).self).map { LiveAPIToken(name: $0.0, scope: TokenScope(stored: $0.1)) }
        }
    }

    public func noteAPITokenUse(tokenHash: String, at: Date) async throws {
        let logger = self.logger
        try await write { conn in
            try await conn.run("UPDATE api_tokens SET last_used_at = \(at.timeIntervalSince1970) WHERE token_hash = \(tokenHash)", logger)
        }
    }

    public func apiTokens() async throws -> [APIToken] {
        let logger = self.logger
        return try await read { conn in
            try await conn.rows("SELECT name, created_at, expires_at, last_used_at, revoked_at, scope FROM api_tokens ORDER BY token_key", logger,
                                as: (String, Double, Double?, Double?, Double?, String).self).map { r in
                APIToken(name: r.0, scope: TokenScope(stored: r.5), createdAt: Date(timeIntervalSince1970: r.1),
                         expiresAt: r.2.map(Date.init(timeIntervalSince1970:)),
                         lastUsedAt: r.3.map(Date.init(timeIntervalSince1970:)), revokedAt: r.4.map(Date.init(timeIntervalSince1970:)))
            }
        }
    }

    public func resetPassword(name: String, passwordHash: String, by actor: String, at: Date) async throws {
        let logger = self.logger
        try await write { conn in
            guard let key = try await conn.row("SELECT user_key FROM users WHERE lower(name) = lower(\(name) COLLATE \"C\") FOR UPDATE", logger, as: (Int64).self) else {
                throw AccountError.unknownUser(name)
            }
            try await conn.run("UPDATE users SET password_hash = \(passwordHash), failed_sign_ins = 0, locked_until = NULL WHERE user_key = \(key)", logger)
            try await conn.run("""
                INSERT INTO password_resets (user_key, reset_at, reset_by) VALUES (\(key), \(at.timeIntervalSince1970), \(actor))
                ON CONFLICT (user_key) DO UPDATE SET reset_at = EXCLUDED.reset_at, reset_by = EXCLUDED.reset_by
                """, logger)
            try await conn.run("DELETE FROM sessions WHERE user_key = \(key)", logger)
            try await PostgresAudit.append(conn, logger, at: at, actor: actor, action: "user.password-reset", subject: "user:\(name)", detail: nil)
        }
    }

    public func passwordResetPending(name: String) async throws -> Bool {
        let logger = self.logger
        return try await read { conn in
            try await conn.row("""
                SELECT 1 FROM password_resets r JOIN users u ON u.user_key = r.user_key WHERE lower(u.name) = lower(\(name) COLLATE \"C\")
                """, logger, as: (Int32).self) != nil
        }
    }

    public func changePassword(name: String, passwordHash: String, keepingSession: String?, at: Date) async throws {
        let logger = self.logger
        try await write { conn in
            guard let key = try await conn.row("SELECT user_key FROM users WHERE lower(name) = lower(\(name) COLLATE \"C\") FOR UPDATE", logger, as: (Int64).self) else {
                throw AccountError.unknownUser(name)
            }
            try await conn.run("UPDATE users SET password_hash = \(passwordHash) WHERE user_key = \(key)", logger)
            try await conn.run("DELETE FROM password_resets WHERE user_key = \(key)", logger)
            try await conn.run("DELETE FROM sessions WHERE user_key = \(key) AND token_hash IS DISTINCT FROM \(keepingSession)", logger)
            try await PostgresAudit.append(conn, logger, at: at, actor: "user:\(name)", action: "user.password-changed", subject: "user:\(name)", detail: nil)
        }
    }

    public func setRole(_ role: Role, name: String, by actor: String, at: Date) async throws {
        let logger = self.logger
        try await write { conn in
            guard let old = try await conn.row("SELECT role FROM users WHERE lower(name) = lower(\(name) COLLATE \"C\") FOR UPDATE", logger, as: (String).self) else {
                throw AccountError.unknownUser(name)
            }
            try await conn.run("UPDATE users SET role = \(role.rawValue) WHERE lower(name) = lower(\(name) COLLATE \"C\")", logger)
            try await PostgresAudit.append(conn, logger, at: at, actor: actor, action: "user.role-changed", subject: "user:\(name)",
                                           detail: ["role": ["old": old, "new": role.rawValue]])
        }
    }

    public func revokeAPIToken(name: String, by actor: String, at: Date) async throws {
        let logger = self.logger
        try await write { conn in
            guard try await conn.changed("""
                UPDATE api_tokens SET revoked_at = \(at.timeIntervalSince1970) WHERE name = \(name) AND revoked_at IS NULL
                """, logger) > 0 else { throw AccountError.unknownToken(name) }
            try await PostgresAudit.append(conn, logger, at: at, actor: actor, action: "token.revoked", subject: "token:\(name)", detail: nil)
        }
    }

    public func appendAudit(actor: String, action: String, subject: String, at: Date) async throws {
        let logger = self.logger
        try await write { conn in
            try await PostgresAudit.append(conn, logger, at: at, actor: actor, action: action, subject: subject, detail: nil)
        }
    }

    typealias UserTuple = (String, String, String, Int, Int, Double?, Double)

    private static func account(_ r: UserTuple) -> UserAccount {
        UserAccount(name: r.0, role: Role(rawValue: r.1) ?? .hub, passwordHash: r.2, disabled: r.3 != 0, failedSignIns: r.4,
                    lockedUntil: r.5.map(Date.init(timeIntervalSince1970:)), createdAt: Date(timeIntervalSince1970: r.6))
    }
}
