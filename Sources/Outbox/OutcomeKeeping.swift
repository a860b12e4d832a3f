import Foundation

/// How a run keeps an alert's outcome it could not record: the message went (or was refused), and
/// the database is away (a restart, a failover, a session ended by an administrator). Ending the
/// run there left the alert `sending` under a lease of a process no longer running, and the next
/// run took it back at once and sent it again: a school got the same child's notification twice
/// (audit 22, resilience F1). So the run tries again on a new connection, waiting longer each time,
/// for as long as the batch's lease holds; past it, another host's run may have taken the alert
/// back, and this run stops as before (exit 69), the outcome lost and the alert sent again, which
/// is the price of never losing one.
public struct OutcomeKeeping: Sendable, Equatable {
    /// The first wait, doubled each time up to `longestWait`.
    public var firstWait: TimeInterval = 1
    public var longestWait: TimeInterval = 15
    /// Stopped this long before the lease ends: the hosts' clocks, which judge the lease, may
    /// differ by that much, and the last try's own wait for a connection (20 s) fits in it.
    public var margin: TimeInterval = 60
    /// How long a failure that does not clear itself (`StoreFailure.mayClearItself`: a full disk, a
    /// read-only or damaged store) is tried: an operator's quick fix or a log rotation, not the
    /// lease. A full SQLite disk held the morning run 9 minutes before its exit 69 told anyone
    /// (audit 28, F1); the alerts it holds stay `sending` under its lease either way.
    public var lastingFor: TimeInterval = 30

    public init() {}

    /// The wait before try `attempt` (1: the first try again) with `left` seconds of the lease to
    /// go; nil: stop trying.
    public func wait(beforeAttempt attempt: Int, leaseLeft left: TimeInterval, mayClearItself: Bool = true) -> TimeInterval? {
        let usable = left - margin
        guard usable > 0 else { return nil }
        if !mayClearItself {
            guard attempt <= 64, (1...max(attempt, 1)).reduce(0, { $0 + step($1) }) <= lastingFor else { return nil }
        }
        return min(step(attempt), usable)
    }

    /// Whether a worker may send another message of a batch whose lease has `left` seconds to go:
    /// only while the longest a transfer can take and then this margin both fit in what is left.
    /// Past that, another host's run may take the batch back when the lease ends while this run
    /// still sends it: a recording held 640 s by a lock, and 59 of 64 alerts went twice (audit 29, F2).
    public func maySend(leaseLeft left: TimeInterval, longestTransfer: TimeInterval) -> Bool {
        left - margin > longestTransfer
    }

    /// The wait before try `attempt`, the lease aside: doubling up to `longestWait`.
    private func step(_ attempt: Int) -> TimeInterval {
        min(longestWait, firstWait * pow(2, Double(min(max(attempt - 1, 0), 30))))
    }
}
