import Foundation
import StoreContract
import Stores
import Testing

/// API tokens that expire, are listed with their last use, and whose revoked names can be used again;
/// an account's role changed and audited (issue 14); an account's own password change ending its
/// other sessions; on both databases.
@Suite("Tokens and roles, on SQLite and PostgreSQL")
struct TokenAndRoleStoreTests {
    let now = at("2026-12-01T09:00:00Z")

    @Test(arguments: StoreKind.allCases)
    func aTokenWorksUntilItExpiresOrIsRevokedAndItsNameComesBack(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let s = t.store
        let ends = now.addingTimeInterval(86_400)
        try await s.addAPIToken(name: "records", tokenHash: "h1", scope: .api, expiresAt: ends, by: "cli:root", at: now)
        try await s.addAPIToken(name: "export", tokenHash: "h2", scope: .api, expiresAt: nil, by: "cli:root", at: now)
        #expect(try await s.liveAPIToken(tokenHash: "h1", at: ends.addingTimeInterval(-1))?.name == "records")
        #expect(try await s.liveAPIToken(tokenHash: "h1", at: ends) == nil, "expired at its end")
        #expect(try await s.liveAPIToken(tokenHash: "h2", at: ends.addingTimeInterval(365 * 86_400))?.name == "export")
        // A live name is taken; a revoked one may be given to the replacement.
        await #expect(throws: AccountError.nameTaken("export")) {
            try await s.addAPIToken(name: "export", tokenHash: "h3", scope: .api, expiresAt: nil, by: "cli:root", at: now)
        }
        try await s.revokeAPIToken(name: "export", by: "cli:root", at: now)
        #expect(try await s.liveAPIToken(tokenHash: "h2", at: now) == nil)
        try await s.addAPIToken(name: "export", tokenHash: "h3", scope: .api, expiresAt: nil, by: "cli:root", at: now)
        #expect(try await s.liveAPIToken(tokenHash: "h3", at: now)?.name == "export")

        try await s.noteAPITokenUse(tokenHash: "h3", at: now.addingTimeInterval(60))
        let listed = try await s.apiTokens()
        #expect(listed.map(\.name) == ["records", "export", "export"])
        #expect(listed.map { $0.state(at: ends) } == ["expired", "revoked", "live"])
        #expect(listed[0].expiresAt == ends && listed[2].lastUsedAt == now.addingTimeInterval(60) && listed[0].lastUsedAt == nil)
        let audit = try await s.auditEntries(limit: 10).filter { $0.subject == "token:records" }
        #expect(audit.first?.detail?.contains("expires_at") == true)
    }

    /// What a token opens is kept with it and listed, and its making audited with it.
    @Test(arguments: StoreKind.allCases)
    func aTokensScopeIsKeptListedAndAudited(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        try await t.store.addAPIToken(name: "prometheus", tokenHash: "h1", scope: .metrics, expiresAt: nil, by: "cli:root", at: now)
        try await t.store.addAPIToken(name: "records", tokenHash: "h2", scope: .api, expiresAt: nil, by: "cli:root", at: now)
        #expect(try await t.store.liveAPIToken(tokenHash: "h1", at: now) == LiveAPIToken(name: "prometheus", scope: .metrics))
        #expect(try await t.store.liveAPIToken(tokenHash: "h2", at: now) == LiveAPIToken(name: "records", scope: .api))
        #expect(try await t.store.apiTokens().map(\.scope) == [.metrics, .api])
        let made = try #require(try await t.store.auditEntries(limit: 5).first { $0.subject == "token:prometheus" })
        #expect(made.action == "token.created" && made.detail == #"{"scope":"metrics"}"#)
    }

    /// A token made before scopes (the version before v21 / pg17): after `migrate` it is `api`, which
    /// opens the JSON API and the metrics, everything it opened before.
    @Test(arguments: StoreKind.allCases)
    func aTokenMadeBeforeScopesOpensWhatItDidAfterMigrate(kind: StoreKind) async throws {
        let source = try await TempStore(kind)
        defer { source.cleanUp() }
        try await source.store.addAPIToken(name: "prometheus", tokenHash: "h-old", scope: .metrics, expiresAt: nil, by: "cli:root", at: now)
        let dir = try SchemaVersionStoreTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try SchemaVersionStoreTests.newURL(kind, in: dir)
        let older = try SchemaVersionStoreTests.store(kind, url, knownUpTo: kind == .sqlite ? "v20-hub-notice-claims" : "pg16-hub-notice-claims")
        _ = try await older.migrate(for: .write)
        // The token's row as that version kept it: no scope (the source's `metrics` is left behind).
        try await SchemaVersionStoreTests.fill(older, from: source.store, SchemaVersionStoreTests.tablesBefore())
        let current = try StoreFactory.open(url)
        #expect(try await current.migrate(for: .migrate)
            == (kind == .sqlite ? ["v21-token-scopes", "v22-hub-notice-rounds", "v23-idempotency-keys", "v24-hub-notice-schools", "v25-alert-school-rounds", "v26-hub-notice-settled", "v27-alerts-board-lists", "v28-foreign-key-indexes", "v29-routing-version"] : ["pg17-token-scopes", "pg18-retention-owner-only", "pg19-hub-notice-rounds", "pg20-idempotency-keys", "pg21-hub-notice-schools", "pg22-alert-school-rounds", "pg23-hub-notice-settled", "pg24-alerts-board-lists", "pg25-foreign-key-indexes", "pg26-routing-version"]))
        let token = try #require(try await current.liveAPIToken(tokenHash: "h-old", at: now))
        #expect(token == LiveAPIToken(name: "prometheus", scope: .api))
        #expect(token.scope.includes(.api) && token.scope.includes(.metrics), "the API and the metrics, as before")
        #expect(try await current.apiTokens().map(\.scope) == [.api])
    }

    @Test(arguments: StoreKind.allCases)
    func aRoleChangeIsKeptAndAudited(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        try await t.store.addUser(name: "sam", role: .hub, passwordHash: "x", by: "cli:root", at: now)
        try await t.store.setRole(.supervisor, name: "SAM", by: "user:ade", at: now)
        #expect(try await t.store.user(named: "sam")?.role == .supervisor)
        let audit = try #require(try await t.store.auditEntries(limit: 5).first { $0.action == "user.role-changed" })
        #expect(audit.actor == "user:ade" && audit.subject == "user:SAM")
        #expect(audit.detail == #"{"role":{"new":"supervisor","old":"hub"}}"#)
        await #expect(throws: AccountError.unknownUser("nobody")) {
            try await t.store.setRole(.admin, name: "nobody", by: "user:ade", at: now)
        }
    }

    /// Names compare without case for ASCII letters only, on both databases (README): Zoë and ZOË
    /// are two accounts, and each command finds the one named. PostgreSQL lower-cased the name typed
    /// by the database's locale and the stored one as bytes, so `users disable ZOË` disabled Zoë
    /// (audit 22, differential F1).
    @Test(arguments: StoreKind.allCases)
    func namesDifferingInANonASCIILettersCaseAreTwoAccountsEachFoundByItsOwnName(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        try await t.store.addUser(name: "Zoë", role: .hub, passwordHash: "x", by: "cli:root", at: now)
        try await t.store.addUser(name: "ZOË", role: .admin, passwordHash: "y", by: "cli:root", at: now)
        #expect(try await t.store.user(named: "ZOË")?.name == "ZOË")
        #expect(try await t.store.user(named: "zoë")?.name == "Zoë", "ASCII letters still fold")
        try await t.store.setDisabled(true, name: "ZOË", by: "cli:root", at: now)
        try await t.store.setRole(.supervisor, name: "ZOË", by: "cli:root", at: now)
        let zoe = try #require(try await t.store.user(named: "Zoë"))
        #expect(!zoe.disabled && zoe.role == .hub, "Zoë untouched")
        let upper = try #require(try await t.store.user(named: "ZOË"))
        #expect(upper.disabled && upper.role == .supervisor)
    }

    /// Whoever else holds a session of the account is thrown out by its owner's change of password;
    /// the session that changed it, and other accounts' sessions, stay.
    @Test(arguments: StoreKind.allCases)
    func changingOnesPasswordEndsEveryOtherSessionOfTheAccount(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        let s = t.store
        try await s.addUser(name: "hana", role: .hub, passwordHash: "old", by: "cli:root", at: now)
        try await s.addUser(name: "sam", role: .hub, passwordHash: "x", by: "cli:root", at: now)
        for (hash, user) in [("mine", "hana"), ("stolen", "hana"), ("other-pc", "hana"), ("sams", "sam")] {
            try await s.openSession(NewSession(tokenHash: hash, userName: user, csrfToken: "c-" + hash, at: now))
        }
        try await s.changePassword(name: "hana", passwordHash: "new", keepingSession: "mine", at: now)
        #expect(try await s.session(tokenHash: "mine")?.user.passwordHash == "new")
        #expect(try await s.session(tokenHash: "stolen") == nil)
        #expect(try await s.session(tokenHash: "other-pc") == nil)
        #expect(try await s.session(tokenHash: "sams") != nil, "another account's session")
        // Without a session to keep (none is named), every one of the account's ends.
        try await s.changePassword(name: "HANA", passwordHash: "newer", keepingSession: nil, at: now)
        #expect(try await s.session(tokenHash: "mine") == nil)
        #expect(try await s.session(tokenHash: "sams") != nil)
    }
}
