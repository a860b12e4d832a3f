import Foundation
import Synchronization

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
    /// Columns whose values are unique and never NULL in every row, by which `copy-store` reads the
    /// table a page at a time (nil: read whole, a table of Config/'s few rows).
    public let pageKey: [String]?
    /// Config/'s directory, which every writing command writes into a store: replaced by the copy,
    /// not a sign that the target holds records.
    public var fromConfig: Bool { ["schools", "key_adults", "directory_imports"].contains(name) }

    public init(_ name: String, key: String? = nil, pageKey: [String]? = nil, _ columns: [String]) {
        self.name = name
        self.key = key
        self.pageKey = pageKey ?? key.map { [$0] }
        self.columns = columns
    }

    /// The page key's values in `row` (a row of this table's columns, in their order).
    public func pageKeyValues(of row: [StoreValue]) -> [StoreValue]? {
        pageKey.map { keys in keys.compactMap { key in columns.firstIndex(of: key).map { row[$0] } } }
    }

    /// Everything a hub keeps: the record, the decisions, the audit, the alerts and the accounts.
    /// Sessions are left behind (everyone signs in again on the new database), and so are the JSON
    /// API's idempotency keys (`idempotency_keys`: a client's retry spans minutes, not a move of
    /// database); the schema's own bookkeeping is each database's.
    public static let all: [StoreTable] = [
        StoreTable("schools", ["urn", "name", "la_code", "telephone"]),
        StoreTable("key_adults", ["urn", "name", "email", "channel", "endpoint"]),
        // What Config/key-adults.csv last said: copied, so the copy keeps the admins' changes.
        StoreTable("directory_imports", ["kind", "content", "imported_at"]),
        StoreTable("incidents", key: "incident_key", [
            "incident_key", "incident_id", "reported_at", "risk_tool", "officer_grade", "dash_yes_count", "supervisor_grade",
            "effective_grade", "flags", "victim_id", "perpetrator_id", "fingerprint", "first_ingested_at", "updated_at", "child_keys",
            "bwv_used",
        ]),
        StoreTable("children", key: "child_key", ["child_key", "child_id", "given_name", "family_name", "dob", "school_urn", "latest_reported_at"]),
        StoreTable("incident_children", pageKey: ["child_key", "reported_at", "incident_key"], [
            "child_key", "incident_key", "incident_id", "reported_at", "effective_grade", "school_urn", "present", "spoken_to",
            "child_voice", "bwv_used", "given_name", "family_name", "dob",
        ]),
        StoreTable("decisions", key: "decision_key", ["decision_key", "child_id", "marac", "on_date", "reason", "decided_by", "recorded_at"]),
        StoreTable("decision_strategy", pageKey: ["decision_key"], ["decision_key", "strategy_discussion"]),
        StoreTable("episodes", key: "episode_key", [
            "episode_key", "episode_id", "child_id", "school_urn", "missing_at", "returned_at", "risk", "return_interview_at",
            "fingerprint", "first_ingested_at", "updated_at",
        ]),
        StoreTable("strategy_meetings", key: "meeting_key", ["meeting_key", "child_id", "outcome", "on_date", "reason", "decided_by", "recorded_at"]),
        StoreTable("regrades", key: "regrade_key", ["regrade_key", "incident_id", "old_grade", "new_grade", "reason", "regraded_by", "at"]),
        StoreTable("audit", key: "audit_key", ["audit_key", "at", "actor", "action", "subject", "detail"]),
        StoreTable("users", key: "user_key", ["user_key", "name", "role", "password_hash", "disabled", "failed_sign_ins", "locked_until", "created_at"]),
        StoreTable("password_resets", pageKey: ["user_key"], ["user_key", "reset_at", "reset_by"]),
        StoreTable("api_tokens", key: "token_key", ["token_key", "name", "token_hash", "created_at", "revoked_at", "expires_at", "last_used_at", "scope"]),
        StoreTable("alerts", key: "alert_key", [
            "alert_key", "reference", "incident_key", "child_key", "incident_id", "child_id", "school_urn", "channel", "recipient",
            "state", "unmatched_reason", "deadline", "attempts", "last_error", "next_attempt_at", "lease_owner", "lease_until",
            "created_at", "delivered_at", "ack_expires_at", "acknowledged_at", "acknowledged_by", "school_round",
        ]),
        StoreTable("alert_ack_tokens", pageKey: ["token_hash"], ["token_hash", "alert_key", "issued_at", "expires_at"]),
        StoreTable("alert_calls", key: "call_key", ["call_key", "alert_key", "called_by", "called_at", "note", "school_round"]),
        StoreTable("hub_notices", key: "notice_key", [
            "notice_key", "alert_key", "kind", "detail", "created_at", "sent_at", "channel", "rerouted_at", "school_urn", "delivered_at",
            "settled_at",
        ]),
        StoreTable("hub_notice_alerts", pageKey: ["notice_key", "alert_key"], ["notice_key", "alert_key"]),
        StoreTable("notify_runs", key: "run_key", [
            "run_key", "started_at", "finished_at", "outcome", "delivered", "retrying", "failed", "held_back", "overdue",
            "hub_notices_sent", "hub_notices_unsent", "detail", "relay_waiting",
        ]),
        StoreTable("plan_actions", key: "action_key", ["action_key", "child_id", "action_text", "agency", "due_date", "recorded_by", "recorded_at"]),
        StoreTable("plan_actions_done", pageKey: ["action_key"], ["action_key", "done_on", "done_by", "recorded_at"]),
    ]
}

/// Tables out of one store and into another (`encompass copy-store`), a page at a time.
public protocol StoreCopying: Sendable {
    /// Every row of `table`, its columns in the table's order, ordered by them.
    func rows(of table: StoreTable) async throws -> [[StoreValue]]
    /// At most `limit` rows of `table` whose page key comes after `after` (nil: from the first), in
    /// the page key's order; a table without one is read whole (`after` nil) or not at all.
    func rows(of table: StoreTable, after: [StoreValue]?, limit: Int) async throws -> [[StoreValue]]
    /// Writes every table given, in this order and in one transaction: all of them or none, each
    /// table's rows asked of `next` until it answers nil. The tables from Config/ are emptied first.
    func insert(_ tables: [StoreTable], next: @escaping @Sendable (StoreTable) async throws -> [[StoreValue]]?) async throws
    /// Every table the database holds, whoever made it, sorted (`copy-store` asks a new target),
    /// less this program's own book of migrations while it is empty: SQLite's migrator makes it
    /// before the first migration's transaction, so a first command stopped there leaves it alone.
    func tableNames() async throws -> [String]
}

/// Why `copy-store` would not copy: the target already holds records, or tables of another
/// program's (exit 65).
public struct TargetNotEmpty: Error, CustomStringConvertible {
    public let tables: [String]
    /// The tables are not this program's: the database is another's (a mistyped name on a shared server).
    public let foreign: Bool
    public init(tables: [String], foreign: Bool = false) {
        self.tables = tables
        self.foreign = foreign
    }
    public var description: String {
        let named = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? " and \(tables.count - 5) more" : "")
        return foreign
            ? "the target database holds tables this program did not make (\(named)): copy-store copies only into an empty database"
            : "the target database is not empty (\(named) hold rows): copy-store copies only into an empty database"
    }
}

public enum StoreCopy {
    /// Makes `target` ready for `run`: a database never set up by this program must hold no table
    /// at all (SPEC §12: it refuses a target that is not empty; another program's tables mean the
    /// wrong database), then it is migrated.
    public static func prepare(_ target: any Store & StoreCopying) async throws {
        if try await target.migrationStatus().applied.isEmpty {
            let tables = try await target.tableNames()
            guard tables.isEmpty else { throw TargetNotEmpty(tables: tables, foreign: true) }
        }
        try await target.migrate(for: .migrate)
    }

    /// Copies every table from `source` into `target`, which must be migrated and empty. Returns the
    /// rows copied per table.
    ///
    /// A page of `pageRows` rows at a time, read from the source and written before the next is
    /// read: every table whole in memory took 1.9-2.1 GB for a store of a million rows.
    public static func run(from source: any StoreCopying, to target: any StoreCopying, pageRows: Int = 10_000) async throws -> [(String, Int)] {
        var full: [String] = []
        for table in StoreTable.all where !table.fromConfig {
            if try await !target.rows(of: table, after: nil, limit: 1).isEmpty { full.append(table.name) }
        }
        guard full.isEmpty else { throw TargetNotEmpty(tables: full) }
        let pages = Pages(source: source, pageRows: pageRows)
        try await target.insert(StoreTable.all) { table in try await pages.next(table) }
        return StoreTable.all.map { ($0.name, pages.count(of: $0)) }
    }

    /// Where each table's reading has got to. The target asks for one table's pages at a time.
    private final class Pages: Sendable {
        struct Place {
            var after: [StoreValue]?
            var done = false
            var count = 0
        }
        let source: any StoreCopying
        let pageRows: Int
        let places = Mutex<[String: Place]>([:])

        init(source: any StoreCopying, pageRows: Int) {
            self.source = source
            self.pageRows = max(1, pageRows)
        }

        func next(_ table: StoreTable) async throws -> [[StoreValue]]? {
            let place = places.withLock { $0[table.name] ?? Place() }
            guard !place.done else { return nil }
            let rows = try await source.rows(of: table, after: place.after, limit: pageRows)
            places.withLock { places in
                var p = places[table.name] ?? Place()
                p.count += rows.count
                // A table read whole, or its last page: nothing more.
                p.done = rows.isEmpty || table.pageKey == nil || rows.count < pageRows
                p.after = rows.last.flatMap(table.pageKeyValues(of:))
                places[table.name] = p
            }
            return rows.isEmpty ? nil : rows
        }

        func count(of table: StoreTable) -> Int { places.withLock { $0[table.name]?.count ?? 0 } }
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
