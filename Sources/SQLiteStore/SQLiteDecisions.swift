import Foundation
import GRDB
import RiskModel
import StoreContract

/// Both kinds of decision: MARAC in `decisions`, strategy meetings in `strategy_meetings`, read
/// together through the `all_decisions` view.
enum SQLiteDecisions {
    /// The view's columns in the order `decision(_:)` reads them.
    static let columns = "d.kind, d.child_id, d.outcome, d.on_date, d.reason, d.decided_by, d.recorded_at"
    /// Oldest first: by the time recorded, then kind and key, so both kinds interleave as they were made.
    static let order = "d.recorded_at, d.kind, d.decision_key"

    /// Appends the decision to its kind's table; the MARAC decision's key, nil for a strategy meeting.
    @discardableResult
    static func insert(_ db: Database, _ d: Decision) throws -> Int64? {
        let table = d.kind == .marac ? "decisions (child_id, marac," : "strategy_meetings (child_id, outcome,"
        try db.execute(sql: "INSERT INTO \(table) on_date, reason, decided_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [d.childId, d.outcome.rawValue, d.on.description, d.reason, d.by, d.recordedAt.timeIntervalSince1970])
        return d.kind == .marac ? db.lastInsertedRowID : nil
    }

    /// Columns: `columns`.
    static func decision(_ r: Row) -> Decision? {
        guard let kind = Decision.Kind(rawValue: r[0]), let outcome = Decision.Outcome(rawValue: r[2]),
              let on = LocalDate(iso: r[3] as String) else { return nil }
        return Decision(childId: r[1], kind: kind, outcome: outcome, on: on, reason: r[4], by: r[5],
                        recordedAt: Date(timeIntervalSince1970: r[6]))
    }
}
