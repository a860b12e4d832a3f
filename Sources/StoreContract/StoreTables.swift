import Foundation

/// One stored value, as both databases hold it: what `copy-store` carries from one to the other.
public enum StoreValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
}

/// A table both stores keep under the same name and columns, in an order that keeps every
/// reference to a row after the row it refers to.
public struct StoreTable: Sendable, Equatable {
    public let name: String
    public let columns: [String]
    /// The column whose values a store hands out itself (its sequence is moved past them on import).
    public let key: String?
    /// Config/'s directory, which every writing command writes into a store: replaced by the copy,
    /// not a sign that the target holds records.
    public var fromConfig: Bool { ["schools", "key_adults", "directory_imports"].contains(name) }

    public init(_ name: String, key: String? = nil, _ columns: [String]) {
        self.name = name
        self.key = key
        self.columns = columns
    }

    /// Everything a hub keeps: the record, the decisions, the audit, the alerts and the accounts.
    /// Sessions are left behind (everyone signs in again on the new database) and the schema's own
    /// bookkeeping is each database's.
    public static let all: [StoreTable] = [
        StoreTable("schools", ["urn", "name", "la_code", "telephone"]),
        StoreTable("key_adults", ["urn", "name", "email", "channel", "endpoint"]),
        // What Config/key-adults.csv last said: copied, so the copy keeps the admins' changes.
        StoreTable("directory_imports", ["kind", "content", "imported_at"]),
        StoreTable("incidents", key: "incident_key", [
            "incident_key", "incident_id", "reported_at", "risk_tool", "officer_grade", "dash_yes_count", "supervisor_grade",
            "effective_grade", "flags", "victim_id", "perpetrator_id", "fingerprint", "first_ingested_at", "updated_at", "child_keys",
        ]),
        StoreTable("children", key: "child_key", ["child_key", "child_id", "given_name", "family_name", "dob", "school_urn", "latest_reported_at"]),
        StoreTable("incident_children", [
            "child_key", "incident_key", "incident_id", "reported_at", "effective_grade", "school_urn", "present", "spoken_to",
            "child_voice", "bwv_used",
        ]),
        StoreTable("decisions", key: "decision_key", ["decision_key", "child_id", "marac", "on_date", "reason", "decided_by", "recorded_at"]),
        StoreTable("decision_strategy", ["decision_key", "strategy_discussion"]),
        StoreTable("episodes", key: "episode_key", [
            "episode_key", "episode_id", "child_id", "school_urn", "missing_at", "returned_at", "risk", "return_interview_at",
            "fingerprint", "first_ingested_at", "updated_at",
        ]),
        StoreTable("strategy_meetings", key: "meeting_key", ["meeting_key", "child_id", "outcome", "on_date", "reason", "decided_by", "recorded_at"]),
        StoreTable("regrades", key: "regrade_key", ["regrade_key", "incident_id", "old_grade", "new_grade", "reason", "regraded_by", "at"]),
        StoreTable("audit", key: "audit_key", ["audit_key", "at", "actor", "action", "subject", "detail"]),
        StoreTable("users", key: "user_key", ["user_key", "name", "role", "password_hash", "disabled", "failed_sign_ins", "locked_until", "created_at"]),
        StoreTable("password_resets", ["user_key", "reset_at", "reset_by"]),
        StoreTable("api_tokens", key: "token_key", ["token_key", "name", "token_hash", "created_at", "revoked_at", "expires_at", "last_used_at"]),
        StoreTable("alerts", key: "alert_key", [
            "alert_key", "reference", "incident_key", "child_key", "incident_id", "child_id", "school_urn", "channel", "recipient",
            "state", "unmatched_reason", "deadline", "attempts", "last_error", "next_attempt_at", "lease_owner", "lease_until",
            "created_at", "delivered_at", "ack_token_hash", "ack_expires_at", "acknowledged_at", "acknowledged_by",
        ]),
        StoreTable("alert_calls", key: "call_key", ["call_key", "alert_key", "called_by", "called_at", "note"]),
        StoreTable("hub_notices", key: "notice_key", ["notice_key", "alert_key", "kind", "detail", "created_at", "sent_at", "channel"]),
        StoreTable("hub_notice_alerts", ["notice_key", "alert_key"]),
        StoreTable("notify_runs", key: "run_key", [
            "run_key", "started_at", "finished_at", "outcome", "delivered", "retrying", "failed", "held_back", "overdue",
            "hub_notices_sent", "hub_notices_unsent", "detail", "relay_waiting",
        ]),
        StoreTable("plan_actions", key: "action_key", ["action_key", "child_id", "action_text", "agency", "due_date", "recorded_by", "recorded_at"]),
        StoreTable("plan_actions_done", ["action_key", "done_on", "done_by", "recorded_at"]),
    ]
}

/// Whole tables out of one store and into another (`encompass copy-store`).
public protocol StoreCopying: Sendable {
    /// Every row of `table`, its columns in the table's order, ordered by them.
    func rows(of table: StoreTable) async throws -> [[StoreValue]]
    /// Writes every table given, in one transaction: all of them or none. The tables from Config/
    /// are emptied first.
    func insert(_ tables: [(table: StoreTable, rows: [[StoreValue]])]) async throws
}

/// Why `copy-store` would not copy: the target already holds records (exit 65).
public struct TargetNotEmpty: Error, CustomStringConvertible {
    public let tables: [String]
    public init(tables: [String]) { self.tables = tables }
    public var description: String {
        "the target database is not empty (\(tables.joined(separator: ", ")) hold rows): copy-store copies only into an empty database"
    }
}

public enum StoreCopy {
    /// Copies every table from `source` into `target`, which must be migrated and empty. Returns the
    /// rows copied per table.
    public static func run(from source: any StoreCopying, to target: any StoreCopying) async throws -> [(String, Int)] {
        var full: [String] = []
        for table in StoreTable.all where !table.fromConfig {
            if try await !target.rows(of: table).isEmpty { full.append(table.name) }
        }
        guard full.isEmpty else { throw TargetNotEmpty(tables: full) }
        var tables: [(table: StoreTable, rows: [[StoreValue]])] = []
        for table in StoreTable.all { tables.append((table, try await source.rows(of: table))) }
        try await target.insert(tables)
        return tables.map { ($0.table.name, $0.rows.count) }
    }

    /// Every table's rows as text, each table's in one order whatever the database's: two stores
    /// (a copy and its original, a backup and the database it was taken from) hold the same when
    /// these are equal.
    public static func contents(of store: any StoreCopying) async throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for table in StoreTable.all {
            out[table.name] = try await store.rows(of: table).map { "\($0)" }.sorted()
        }
        return out
    }
}
