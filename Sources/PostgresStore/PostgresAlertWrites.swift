import Foundation
import Logging
import PostgresNIO
import RiskModel
import StoreContract

/// What deciding stored alerts writes (`PostgresAlertQueue.replan`, an ingest's withdrawals, an
/// alert delivered to a school the record no longer names), gathered as each alert is decided and
/// then written by `write` a kind at a time: a few statements for however many alerts. A
/// correction's end wrote each re-planned alert in four statements of its own (its row, and its
/// acknowledgement forgotten in three), which were most of a correction-only feed's ingest.
///
/// Between two writes each alert is decided once, and what is written for one alert touches only
/// its own row, its tokens and its own notices. So the kinds are written one after another, each
/// alert's in the order it had (its row, its round closed, its notices, its links closed), and
/// across alerts only the notices' order matters: they are told in the order decided, which numbers
/// them as SQLite does.
struct AlertWrites {
    private var replans = BoundRows(columns: Self.replanColumns)
    private var moved: [Int64] = []
    private var withdrawn: [Int64] = []
    private var removed: [Int64] = []
    private var newRounds: [Int64] = []
    private var closingLinks: [Int64] = []
    private var told: [Told] = []

    private enum Told {
        case notices(Int64, [AlertLifecycle.Notice])
        /// `AlertLifecycle.reroutedNotices`, asked once the alert's round is closed: it depends on
        /// what the round's notices had told.
        case rerouted(Int64, from: AlertState, sentURN: String?, deliveredAt: Date?, urn: String?)
    }

    private static let replanColumns: PostgresCopy.Columns = [
        ("alert_key", "bigint"), ("school_urn", "text"), ("channel", "text"), ("recipient", "text"), ("state", "text"),
        ("unmatched_reason", "text"), ("deadline", "double precision"), ("last_error", "text"),
    ]

    private static let withdrawal = AlertLifecycle.failure(AlertLifecycle.withdrawnReason)

    /// A stored alert re-planned (`AlertLifecycle.replan`: `.update`) to `urn`, from `state` and the
    /// school it had (`sentURN`, delivered there at `deliveredAt`): moved to another school, its
    /// acknowledgement is forgotten; one that had gone starts a new round, the hub told of the move.
    mutating func replanned(alertKey: Int64, urn: String?, plan p: AlertPlan, lastError: String?, from state: AlertState,
                            sentURN: String?, deliveredAt: Date?) {
        replans.append([.int(alertKey), .text(urn), .text(p.channel), .text(p.recipient), .text(p.state.rawValue), .text(p.reason),
                        .double(p.deadline?.timeIntervalSince1970), .text(lastError)])
        if sentURN != urn { moved.append(alertKey) }
        if AlertLifecycle.startsNewRound(from: state) {
            newRounds.append(alertKey)
            told.append(.rerouted(alertKey, from: state, sentURN: sentURN, deliveredAt: deliveredAt, urn: urn))
        }
    }

    /// An alert not yet sent for a child its incident no longer names (`AlertLifecycle.withdrawal`).
    mutating func withdraw(alertKey: Int64) {
        withdrawn.append(alertKey)
        told.append(.notices(alertKey, Self.withdrawal.notices))
    }

    mutating func remove(alertKey: Int64) {
        removed.append(alertKey)
    }

    /// A delivered alert kept where it went while the record no longer names that school for its
    /// child and incident (see SQLiteStore.noLongerNamed).
    mutating func noLongerNamed(alertKey: Int64, state: AlertState, sentURN: String?, deliveredAt: Date?, namedURN: String?) {
        let notices = AlertLifecycle.noLongerNamedNotices(state: state, sentURN: sentURN, deliveredAt: deliveredAt, namedURN: namedURN)
        guard !notices.isEmpty else { return }
        told.append(.notices(alertKey, notices))
        if AlertLifecycle.closesLinks(notices) { closingLinks.append(alertKey) }
    }

    /// Writes what was gathered, in the caller's transaction (its alerts' rows locked by it).
    func write(_ conn: PostgresConnection, _ logger: Logger, now: Date) async throws {
        // Never a `sending` one: its run holds it.
        let replannable = PostgresAlerts.names(AlertLifecycle.notYetSent + AlertLifecycle.reroutable)
        try await replans.run(conn, logger, as: "r", binds: [.texts(replannable)]) { values in
            """
            UPDATE alerts a SET school_urn = r.school_urn, channel = r.channel, recipient = r.recipient, state = r.state,
                unmatched_reason = r.unmatched_reason, deadline = r.deadline, next_attempt_at = 0, last_error = r.last_error
            FROM \(values) WHERE a.alert_key = r.alert_key AND a.state = ANY($1)
            """
        }
        try await PostgresAlerts.forgetAcknowledgements(conn, logger, alertKeys: moved)
        try await PostgresAlerts.apply(Self.withdrawal, conn, logger, alertKeys: withdrawn)
        if !removed.isEmpty { try await conn.run("DELETE FROM alerts WHERE alert_key = ANY(\(removed))", logger) }
        let heldTold = try await PostgresAlerts.closeRounds(conn, logger, alertKeys: newRounds, now: now)
        var notices: [(alertKey: Int64, notice: AlertLifecycle.Notice)] = []
        for t in told {
            switch t {
            case .notices(let key, let list): notices += list.map { (key, $0) }
            case .rerouted(let key, let state, let sentURN, let deliveredAt, let urn):
                // After the round is closed: the notice is the new round's, once in it.
                notices += AlertLifecycle.reroutedNotices(from: state, sentURN: sentURN, deliveredAt: deliveredAt, urn: urn,
                                                          heldTold: heldTold[key]).map { (key, $0) }
            }
        }
        try await PostgresAlerts.notices(notices, conn, logger, now: now)
        try await PostgresAlerts.closeLinks(conn, logger, alertKeys: closingLinks)
    }
}

/// Rows given to one statement as its parameters, `(VALUES ($2::bigint, $3::text), ...) AS
/// name(ord, a, b)`, `ord` numbering them from 0: a set of rows, NULLs and all, in one round trip.
/// (`PostgresCopy.through` takes four, a table made, filled, read and emptied, which one alert's
/// notice, told by a run at an outcome, did not pay.) In pieces: a statement has at most 65,535
/// parameters.
struct BoundRows {
    enum Value {
        case int(Int64?)
        case text(String?)
        case double(Double?)
        case texts([String])

        func bind(into binds: inout PostgresBindings) {
            switch self {
            case .int(let i): binds.append(i)
            case .text(let s): binds.append(s)
            case .double(let d): binds.append(d)
            case .texts(let a): binds.append(a)
            }
        }
    }

    let columns: PostgresCopy.Columns
    private(set) var rows: [[Value]] = []

    init(columns: PostgresCopy.Columns) {
        self.columns = columns
    }

    mutating func append(_ row: [Value]) {
        precondition(row.count == columns.count, "a row of another number of fields than its columns")
        rows.append(row)
    }

    /// Runs `statement` for each piece of the rows in turn, given the piece's `(VALUES ...) AS
    /// name(...)`; `binds` are its own parameters, `$1` on. Nothing when there are no rows.
    func run(_ conn: PostgresConnection, _ logger: Logger, as name: String, binds: [Value] = [],
             _ statement: (_ values: String) -> String) async throws {
        let piece = 30_000 / (columns.count + 1)
        let names = (["ord"] + columns.map(\.name)).joined(separator: ", ")
        for start in stride(from: 0, to: rows.count, by: piece) {
            var bound = PostgresBindings()
            for value in binds { value.bind(into: &bound) }
            var values = "(VALUES "
            for (n, row) in rows[start..<min(start + piece, rows.count)].enumerated() {
                if n > 0 { values += ", " }
                bound.append(Int64(start + n))
                values += "($\(bound.count)::bigint"
                for (column, value) in zip(columns, row) {
                    value.bind(into: &bound)
                    values += ", $\(bound.count)::\(column.type)"
                }
                values += ")"
            }
            values += ") AS \(name)(\(names))"
            try await conn.run(PostgresQuery(unsafeSQL: statement(values), binds: bound), logger)
        }
    }
}
