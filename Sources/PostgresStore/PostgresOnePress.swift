import Logging
import PostgresNIO

/// `OnePress` on PostgreSQL: two presses at once, on one server or two, are one after the other.
/// Read committed lets two transactions read the same list and both append, so the one that
/// appends to a list first takes this transaction lock on it; the second waits, then reads what
/// the first wrote. A lock of its own (the two-key form, a key space apart from the program's
/// one-key locks) rather than a row's: a child's row is written by every ingest, and an alert's by
/// every notify run, which need not wait for a decision or a call.
enum PostgresOnePress {
    enum List: Int32 {
        // Arbitrary constants of this program's own ("Enc" and a number).
        case decisions = 0x456e_6301
        case plan = 0x456e_6302
        case calls = 0x456e_6303
        /// A channel's notices told once a day (a configuration problem, a refused key adult's
        /// address): two runs at once read "none today" and both wrote one (audit 22).
        case dailyNotices = 0x456e_6304
    }

    /// Locks `list` of `owner` (a child's id, an alert's reference) until the transaction ends.
    /// Two owners whose ids hash alike only wait for each other.
    static func lock(_ conn: PostgresConnection, _ logger: Logger, _ list: List, of owner: String) async throws {
        try await conn.run("SELECT pg_advisory_xact_lock(\(list.rawValue), hashtext(\(owner)))", logger)
    }
}
