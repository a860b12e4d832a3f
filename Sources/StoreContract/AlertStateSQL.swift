import Foundation

/// The SQL both stores select and order alerts by when they read states as the hub does at `now`
/// (`AlertLifecycle.stateAsRead`): the same text for SQLite and PostgreSQL, so both list the same
/// rows in the same order. `now` is written into the text as seconds since 1970, the way `deadline`
/// is kept.
public enum AlertStateSQL {
    static func list(_ states: [AlertState]) -> String {
        "(" + states.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
    }

    /// Not delivered, and the deadline before `now`: overdue as read, whatever is stored.
    static func late(_ now: Date) -> String {
        "(state IN \(list(AlertLifecycle.overdueOnceLate)) AND deadline < \(now.timeIntervalSince1970))"
    }

    /// The alerts in `state` as read at `now`, or as stored when `now` is nil. Each is selected by
    /// its stored states first (`state IN`), so the index on the state picks the rows: overdue is
    /// the stored ones and those of `overdueOnceLate` past their deadline, never every alert.
    public static func inState(_ state: AlertState, now: Date?) -> String {
        guard let now else { return "state = '\(state.rawValue)'" }
        if state == .overdue {
            return "(state IN \(list([.overdue] + AlertLifecycle.overdueOnceLate)) AND (state = 'overdue' OR \(late(now))))"
        }
        guard AlertLifecycle.overdueOnceLate.contains(state) else { return "state = '\(state.rawValue)'" }
        return "(state = '\(state.rawValue)' AND (deadline IS NULL OR deadline >= \(now.timeIntervalSince1970)))"
    }

    /// `alerts`' order of states: overdue and failed before the rest; by the state as read at `now`
    /// (stored when nil). The stores add the deadline and the reference after it.
    public static func urgency(now: Date?) -> String {
        "CASE WHEN state = 'overdue'\(now.map { " OR " + late($0) } ?? "") THEN 0 WHEN state = 'failed' THEN 1 "
            + "WHEN state = 'unmatched' THEN 2 WHEN state = 'sending' THEN 3 WHEN state = 'retrying' THEN 4 "
            + "WHEN state = 'queued' THEN 5 ELSE 6 END"
    }

    /// Delivered with a link nobody acknowledged: `AlertLifecycle.isUnacknowledged`'s candidates,
    /// which the stores select by (and their partial indexes `alerts_awaiting_ack` and
    /// `alerts_links_open` are made for: the text matches their WHERE, so SQLite may use them).
    public static let unacknowledged = "state = 'delivered' AND acknowledged_at IS NULL AND ack_expires_at IS NOT NULL"

    /// How many alerts of `overdueOnceLate` have a deadline before `now`, by stored state
    /// (`AlertLifecycle.countsAsRead`'s `late`).
    public static func lateCounts(now: Date) -> String {
        "SELECT state, count(*) FROM alerts WHERE \(late(now)) GROUP BY state"
    }
}
