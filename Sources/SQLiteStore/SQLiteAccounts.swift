import Foundation
import GRDB
import StoreContract

extension SQLiteSchema {
    /// `v2-accounts`: the web application's tables (accounts, sessions, API tokens, the strategy flag
    /// beside each decision, regrades). Registered after `v1-core` in `migrator`.
    static func registerAccounts(_ m: inout DatabaseMigrator) {
        m.registerMigration("v2-accounts") { db in
            try db.execute(sql: """
                CREATE TABLE users (
                    user_key INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    role TEXT NOT NULL CHECK (role IN ('hub', 'supervisor', 'admin')),
                    password_hash TEXT NOT NULL,
                    disabled INTEGER NOT NULL DEFAULT 0,
                    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
                    locked_until REAL,
                    created_at REAL NOT NULL
                );
                -- Only the SHA-256 of a session token is kept, so a copy of the file signs no one in.
                CREATE TABLE sessions (
                    token_hash TEXT PRIMARY KEY,
                    user_key INTEGER NOT NULL REFERENCES users(user_key) ON DELETE CASCADE,
                    csrf_token TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    last_seen_at REAL NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE api_tokens (
                    token_key INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    token_hash TEXT NOT NULL UNIQUE,
                    created_at REAL NOT NULL,
                    revoked_at REAL
                );
                -- "Strategy discussion requested" beside the decision it was asked with.
                CREATE TABLE decision_strategy (
                    decision_key INTEGER PRIMARY KEY REFERENCES decisions(decision_key),
                    strategy_discussion INTEGER NOT NULL
                );
                CREATE TRIGGER decision_strategy_never_change BEFORE UPDATE ON decision_strategy
                    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
                CREATE TRIGGER decision_strategy_never_deleted BEFORE DELETE ON decision_strategy
                    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
                -- A hub supervisor's regrade of an incident, with the reason; the incident row carries
                -- the new supervisor_grade, this table the history.
                CREATE TABLE regrades (
                    regrade_key INTEGER PRIMARY KEY,
                    incident_id TEXT NOT NULL,
                    old_grade INTEGER,
                    new_grade INTEGER NOT NULL,
                    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
                    regraded_by TEXT NOT NULL,
                    at REAL NOT NULL
                );
                CREATE INDEX regrades_by_incident ON regrades(incident_id, regrade_key);
                CREATE TRIGGER regrades_never_change BEFORE UPDATE ON regrades
                    BEGIN SELECT RAISE(ABORT, 'regrades are append-only'); END;
                CREATE TRIGGER regrades_never_deleted BEFORE DELETE ON regrades
                    BEGIN SELECT RAISE(ABORT, 'regrades are append-only'); END;
                CREATE INDEX audit_by_subject ON audit(subject, audit_key);
                """)
        }
    }
}

extension SQLiteStore: AccountStore {
    public func addUser(name: String, role: Role, passwordHash: String, by actor: String, at: Date) async throws {
        try await pool.write { db in
            // The UNIQUE (NOCASE) constraint is the judge: another writer may have added the name since
            // anyone looked, and then this is the same answer as a name found first.
            do {
                try db.execute(sql: "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                               arguments: [name, role.rawValue, passwordHash, at.timeIntervalSince1970])
            } catch let e as DatabaseError where e.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                throw AccountError.nameTaken(name)
            }
            try SQLiteAudit.append(db, at: at, actor: actor, action: "user.added", subject: "user:\(name)",
                                   detail: ["role": role.rawValue])
        }
    }

    public func user(named name: String) async throws -> UserAccount? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "\(Self.userColumns) WHERE name = ?", arguments: [name]).map(Self.account)
        }
    }

    public func users() async throws -> [UserAccount] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "\(Self.userColumns) ORDER BY name").map(Self.account)
        }
    }

    public func setDisabled(_ disabled: Bool, name: String, by actor: String, at: Date) async throws {
        try await pool.write { db in
            guard let key = try Int64.fetchOne(db, sql: "SELECT user_key FROM users WHERE name = ?", arguments: [name]) else {
                throw AccountError.unknownUser(name)
            }
            if disabled {
                try db.execute(sql: "UPDATE users SET disabled = 1 WHERE user_key = ?", arguments: [key])
                try db.execute(sql: "DELETE FROM sessions WHERE user_key = ?", arguments: [key])
            } else {
                try db.execute(sql: "UPDATE users SET disabled = 0, failed_sign_ins = 0, locked_until = NULL WHERE user_key = ?",
                               arguments: [key])
            }
            try SQLiteAudit.append(db, at: at, actor: actor, action: disabled ? "user.disabled" : "user.enabled",
                                   subject: "user:\(name)", detail: nil)
        }
    }

    public func recordFailedSignIn(name: String, at: Date, threshold: Int, lockFor: TimeInterval) async throws -> UserAccount? {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "\(Self.userColumns) WHERE name = ?", arguments: [name]) else {
                return nil
            }
            let (account, action) = Self.account(row).failingSignIn(at: at, threshold: threshold, lockFor: lockFor)
            try db.execute(sql: "UPDATE users SET failed_sign_ins = ?, locked_until = ? WHERE name = ?",
                           arguments: [account.failedSignIns, account.lockedUntil?.timeIntervalSince1970, name])
            try SQLiteAudit.append(db, at: at, actor: "user:\(account.name)", action: action, subject: "user:\(account.name)", detail: nil)
            return account
        }
    }

    public func openSession(_ session: NewSession) async throws {
        try await pool.write { db in
            guard let key = try Int64.fetchOne(db, sql: "SELECT user_key FROM users WHERE name = ?", arguments: [session.userName]) else {
                throw AccountError.unknownUser(session.userName)
            }
            let now = session.at.timeIntervalSince1970
            try db.execute(sql: "UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE user_key = ?", arguments: [key])
            // Housekeeping: a session idle for a day is long dead; drop it here rather than in a timer.
            try db.execute(sql: "DELETE FROM sessions WHERE last_seen_at < ?", arguments: [now - 86_400])
            try db.execute(sql: """
                INSERT INTO sessions (token_hash, user_key, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [session.tokenHash, key, session.csrfToken, now, now])
            try SQLiteAudit.append(db, at: session.at, actor: "user:\(session.userName)", action: "sign-in",
                                   subject: "user:\(session.userName)", detail: nil)
        }
    }

    public func session(tokenHash: String) async throws -> SessionRecord? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT u.name, u.role, u.password_hash, u.disabled, u.failed_sign_ins, u.locked_until, u.created_at,
                       s.token_hash, s.csrf_token, s.created_at, s.last_seen_at
                FROM sessions s JOIN users u ON u.user_key = s.user_key WHERE s.token_hash = ?
                """, arguments: [tokenHash]) else { return nil }
            return SessionRecord(tokenHash: row[7], user: Self.account(row), csrfToken: row[8],
                                 createdAt: Date(timeIntervalSince1970: row[9]), lastSeenAt: Date(timeIntervalSince1970: row[10]))
        }
    }

    public func touchSession(tokenHash: String, at: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?",
                           arguments: [at.timeIntervalSince1970, tokenHash])
        }
    }

    public func endSession(tokenHash: String, at: Date, expired: Bool) async throws {
        try await pool.write { db in
            let name = try String.fetchOne(db, sql: """
                SELECT u.name FROM sessions s JOIN users u ON u.user_key = s.user_key WHERE s.token_hash = ?
                """, arguments: [tokenHash])
            try db.execute(sql: "DELETE FROM sessions WHERE token_hash = ?", arguments: [tokenHash])
            if let name {
                try SQLiteAudit.append(db, at: at, actor: "user:\(name)", action: expired ? "session.expired" : "sign-out",
                                       subject: "user:\(name)", detail: nil)
            }
        }
    }

    public func addAPIToken(name: String, tokenHash: String, scope: TokenScope, expiresAt: Date?, by actor: String, at: Date) async throws {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM api_tokens WHERE name = ? AND revoked_at IS NULL)",
                                 arguments: [name]) == true {
                throw AccountError.nameTaken(name)
            }
            try db.execute(sql: "INSERT INTO api_tokens (name, token_hash, scope, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [name, tokenHash, scope.rawValue, at.timeIntervalSince1970, expiresAt?.timeIntervalSince1970])
            try SQLiteAudit.append(db, at: at, actor: actor, action: "token.created", subject: "token:\(name)",
                                   detail: APIToken.createdDetail(scope: scope, expiresAt: expiresAt))
        }
    }

    public func liveAPIToken(tokenHash: String, at: Date) async throws -> LiveAPIToken? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT name, scope FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
                """, arguments: [tokenHash, at.timeIntervalSince1970]).map { LiveAPIToken(name: $0[0], scope: TokenScope(stored: $0[1])) }
        }
    }

    public func noteAPITokenUse(tokenHash: String, at: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?", arguments: [at.timeIntervalSince1970, tokenHash])
        }
    }

    public func apiTokens() async throws -> [APIToken] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, created_at, expires_at, last_used_at, revoked_at, scope FROM api_tokens ORDER BY token_key").map { r in
                APIToken(name: r[0], scope: TokenScope(stored: r[5]), createdAt: Date(timeIntervalSince1970: r[1]),
                         expiresAt: (r[2] as Double?).map(Date.init(timeIntervalSince1970:)),
                         lastUsedAt: (r[3] as Double?).map(Date.init(timeIntervalSince1970:)),
                         revokedAt: (r[4] as Double?).map(Date.init(timeIntervalSince1970:)))
            }
        }
    }

    public func resetPassword(name: String, passwordHash: String, by actor: String, at: Date) async throws {
        try await pool.write { db in
            guard let key = try Int64.fetchOne(db, sql: "SELECT user_key FROM users WHERE name = ?", arguments: [name]) else {
                throw AccountError.unknownUser(name)
            }
            try db.execute(sql: "UPDATE users SET password_hash = ?, failed_sign_ins = 0, locked_until = NULL WHERE user_key = ?",
                           arguments: [passwordHash, key])
            try db.execute(sql: "INSERT OR REPLACE INTO password_resets (user_key, reset_at, reset_by) VALUES (?, ?, ?)",
                           arguments: [key, at.timeIntervalSince1970, actor])
            try db.execute(sql: "DELETE FROM sessions WHERE user_key = ?", arguments: [key])
            try SQLiteAudit.append(db, at: at, actor: actor, action: "user.password-reset", subject: "user:\(name)", detail: nil)
        }
    }

    public func passwordResetPending(name: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM password_resets r JOIN users u ON u.user_key = r.user_key WHERE u.name = ?)
                """, arguments: [name]) ?? false
        }
    }

    public func changePassword(name: String, passwordHash: String, keepingSession: String?, at: Date) async throws {
        try await pool.write { db in
            guard let key = try Int64.fetchOne(db, sql: "SELECT user_key FROM users WHERE name = ?", arguments: [name]) else {
                throw AccountError.unknownUser(name)
            }
            try db.execute(sql: "UPDATE users SET password_hash = ? WHERE user_key = ?", arguments: [passwordHash, key])
            try db.execute(sql: "DELETE FROM password_resets WHERE user_key = ?", arguments: [key])
            try db.execute(sql: "DELETE FROM sessions WHERE user_key = ? AND token_hash IS NOT ?", arguments: [key, keepingSession])
            try SQLiteAudit.append(db, at: at, actor: "user:\(name)", action: "user.password-changed", subject: "user:\(name)", detail: nil)
        }
    }

    public func setRole(_ role: Role, name: String, by actor: String, at: Date) async throws {
        try await pool.write { db in
            guard let old = try String.fetchOne(db, sql: "SELECT role FROM users WHERE name = ?", arguments: [name]) else {
                throw AccountError.unknownUser(name)
            }
            try db.execute(sql: "UPDATE users SET role = ? WHERE name = ?", arguments: [role.rawValue, name])
            try SQLiteAudit.append(db, at: at, actor: actor, action: "user.role-changed", subject: "user:\(name)",
                                   detail: ["role": ["old": old, "new": role.rawValue]])
        }
    }

    public func revokeAPIToken(name: String, by actor: String, at: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                           arguments: [at.timeIntervalSince1970, name])
            guard db.changesCount > 0 else { throw AccountError.unknownToken(name) }
            try SQLiteAudit.append(db, at: at, actor: actor, action: "token.revoked", subject: "token:\(name)", detail: nil)
        }
    }

    public func appendAudit(actor: String, action: String, subject: String, at: Date) async throws {
        try await pool.write { db in
            try SQLiteAudit.append(db, at: at, actor: actor, action: action, subject: subject, detail: nil)
        }
    }

    private static let userColumns =
        "SELECT name, role, password_hash, disabled, failed_sign_ins, locked_until, created_at FROM users"

    /// The first seven columns of `row` in `userColumns` order.
    private static func account(_ row: Row) -> UserAccount {
        UserAccount(name: row[0], role: Role(rawValue: row[1]) ?? .hub, passwordHash: row[2], disabled: (row[3] as Int) != 0,
                    failedSignIns: row[4], lockedUntil: (row[5] as Double?).map(Date.init(timeIntervalSince1970:)),
                    createdAt: Date(timeIntervalSince1970: row[6]))
    }
}
