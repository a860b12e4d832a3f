import Foundation
import GRDB
import RiskModel
import StoreContract

extension SQLiteSchema {
    /// `v12-marac-plans`: a child's MARAC plan. An action row is never edited; "done" is a row of its
    /// own beside it (one at most, its key the action's), so nothing is edited away. Both tables are
    /// append-only, kept so by triggers as the decisions are.
    static func registerPlans(_ m: inout DatabaseMigrator) {
        m.registerMigration("v12-marac-plans") { db in
            try db.execute(sql: """
                CREATE TABLE plan_actions (
                    action_key INTEGER PRIMARY KEY,
                    child_id TEXT NOT NULL,
                    action_text TEXT NOT NULL CHECK (length(trim(action_text)) > 0),
                    agency TEXT NOT NULL CHECK (length(trim(agency)) > 0),
                    due_date TEXT,
                    recorded_by TEXT NOT NULL,
                    recorded_at REAL NOT NULL
                );
                CREATE INDEX plan_actions_by_child ON plan_actions(child_id, action_key);
                CREATE TABLE plan_actions_done (
                    action_key INTEGER PRIMARY KEY REFERENCES plan_actions(action_key),
                    done_on TEXT NOT NULL,
                    done_by TEXT NOT NULL,
                    recorded_at REAL NOT NULL
                );
                CREATE TRIGGER plan_actions_never_change BEFORE UPDATE ON plan_actions
                    BEGIN SELECT RAISE(ABORT, 'plan actions are append-only'); END;
                CREATE TRIGGER plan_actions_never_deleted BEFORE DELETE ON plan_actions
                    BEGIN SELECT RAISE(ABORT, 'plan actions are append-only'); END;
                CREATE TRIGGER plan_actions_done_never_change BEFORE UPDATE ON plan_actions_done
                    BEGIN SELECT RAISE(ABORT, 'plan actions are append-only'); END;
                CREATE TRIGGER plan_actions_done_never_deleted BEFORE DELETE ON plan_actions_done
                    BEGIN SELECT RAISE(ABORT, 'plan actions are append-only'); END;
                """)
        }
    }
}

extension SQLiteSchema {
    /// `v13-officer-role`: accounts may have the role `officer` (reads a child's page and nothing
    /// else). SQLite cannot change a CHECK constraint, so the table is made again with its rows;
    /// sessions keep their accounts' keys (foreign keys are checked once the migration ends).
    static func registerOfficerRole(_ m: inout DatabaseMigrator) {
        m.registerMigration("v13-officer-role") { db in
            try db.execute(sql: """
                CREATE TABLE users_v11 (
                    user_key INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    role TEXT NOT NULL CHECK (role IN ('hub', 'supervisor', 'admin', 'officer')),
                    password_hash TEXT NOT NULL,
                    disabled INTEGER NOT NULL DEFAULT 0,
                    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
                    locked_until REAL,
                    created_at REAL NOT NULL
                );
                INSERT INTO users_v11 (user_key, name, role, password_hash, disabled, failed_sign_ins, locked_until, created_at)
                    SELECT user_key, name, role, password_hash, disabled, failed_sign_ins, locked_until, created_at FROM users;
                DROP TABLE users;
                ALTER TABLE users_v11 RENAME TO users;
                """)
        }
    }
}

extension SQLiteSchema {
    /// `v14-token-lifecycle`: a token may expire, its last use is kept, and a revoked token's name
    /// may be given to its replacement (unique among live tokens only). SQLite cannot drop an inline
    /// UNIQUE, so the table is made again with its rows.
    static func registerTokenLifecycle(_ m: inout DatabaseMigrator) {
        m.registerMigration("v14-token-lifecycle") { db in
            try db.execute(sql: """
                CREATE TABLE api_tokens_v14 (
                    token_key INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    created_at REAL NOT NULL,
                    revoked_at REAL,
                    expires_at REAL,
                    last_used_at REAL
                );
                INSERT INTO api_tokens_v14 (token_key, name, token_hash, created_at, revoked_at)
                    SELECT token_key, name, token_hash, created_at, revoked_at FROM api_tokens;
                DROP TABLE api_tokens;
                ALTER TABLE api_tokens_v14 RENAME TO api_tokens;
                CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens(name) WHERE revoked_at IS NULL;
                """)
        }
    }
}

extension SQLiteSchema {
    /// `v21-token-scopes`: what a token opens (`TokenScope`). Every token made before opened the
    /// JSON API and the metrics, so each is given `api`, which still does: none stops working.
    static func registerTokenScopes(_ m: inout DatabaseMigrator) {
        m.registerMigration("v21-token-scopes") { db in
            try db.execute(sql: """
                ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'api' CHECK (scope IN ('api', 'metrics'));
                """)
        }
    }
}

extension SQLiteSchema {
    /// `v15-password-resets`: an account an admin reset must choose a new password at its next sign-in.
    static func registerPasswordResets(_ m: inout DatabaseMigrator) {
        m.registerMigration("v15-password-resets") { db in
            try db.execute(sql: """
                CREATE TABLE password_resets (
                    user_key INTEGER PRIMARY KEY REFERENCES users(user_key),
                    reset_at REAL NOT NULL,
                    reset_by TEXT NOT NULL
                );
                """)
        }
    }
}

extension SQLiteStore: PlanStore {
    static let planColumns = """
        SELECT a.action_key, a.child_id, a.action_text, a.agency, a.due_date, a.recorded_by, a.recorded_at,
               d.done_on, d.done_by, d.recorded_at
        FROM plan_actions a LEFT JOIN plan_actions_done d ON d.action_key = a.action_key
        """

    public func addPlanAction(_ new: NewPlanAction, seen: Int?) async throws -> PlanAction {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM children WHERE child_id = ?)", arguments: [new.childId]) == true else {
                throw StoreError.unknownChild(new.childId)
            }
            // One press, one action: the one writer reads the plan as it is before appending.
            if seen != nil {
                let plan = try Row.fetchAll(db, sql: Self.planColumns + " WHERE a.child_id = ? ORDER BY a.action_key",
                                            arguments: [new.childId]).map(Self.planAction)
                try OnePress.check(seen: seen, plan: plan, adding: new)
            }
            try db.execute(sql: """
                INSERT INTO plan_actions (child_id, action_text, agency, due_date, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [new.childId, new.action, new.agency, new.due?.description, new.by, new.recordedAt.timeIntervalSince1970])
            let action = PlanAction(id: db.lastInsertedRowID, childId: new.childId, action: new.action, agency: new.agency, due: new.due,
                                    recordedBy: new.by, recordedAt: new.recordedAt)
            let audit = PlanAudit.added(action)
            try SQLiteAudit.append(db, at: new.recordedAt, actor: new.actor, action: audit.action, subject: audit.subject, detail: audit.detail)
            return action
        }
    }

    public func markPlanActionDone(id: Int64, on: LocalDate, by: String, at: Date, actor: String) async throws -> PlanAction {
        try await pool.write { db in
            var action = try PlanError.markable(try Self.planAction(db, id: id), id: id)
            try db.execute(sql: "INSERT INTO plan_actions_done (action_key, done_on, done_by, recorded_at) VALUES (?, ?, ?, ?)",
                           arguments: [id, on.description, by, at.timeIntervalSince1970])
            action.done = PlanAction.Done(on: on, by: by, recordedAt: at)
            let audit = PlanAudit.done(action)
            try SQLiteAudit.append(db, at: at, actor: actor, action: audit.action, subject: audit.subject, detail: audit.detail)
            return action
        }
    }

    public func planActions(childId: String) async throws -> [PlanAction] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: Self.planColumns + " WHERE a.child_id = ? ORDER BY a.action_key", arguments: [childId])
                .map(Self.planAction)
        }
    }

    public func planAction(id: Int64) async throws -> PlanAction? {
        try await pool.read { db in try Self.planAction(db, id: id) }
    }

    static func planAction(_ db: Database, id: Int64) throws -> PlanAction? {
        try Row.fetchOne(db, sql: Self.planColumns + " WHERE a.action_key = ?", arguments: [id]).map(planAction)
    }

    /// Columns as `planColumns` reads them.
    static func planAction(_ r: Row) -> PlanAction {
        let doneOn = (r[7] as String?).flatMap(LocalDate.init(iso:))
        return PlanAction(id: r[0], childId: r[1], action: r[2], agency: r[3], due: (r[4] as String?).flatMap(LocalDate.init(iso:)),
                          recordedBy: r[5], recordedAt: Date(timeIntervalSince1970: r[6]),
                          done: doneOn.map { PlanAction.Done(on: $0, by: r[8], recordedAt: Date(timeIntervalSince1970: r[9])) })
    }
}
