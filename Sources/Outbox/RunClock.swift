import Foundation

/// The clock a `notify` run keeps its times by.
///
/// Without `--now`, the database's: runs on several hosts judge one another's leases by the
/// times they write, and a host whose clock was minutes fast took over alerts a run on another
/// host was still sending and sent them again (audit 22, resilience F0). The run reads the
/// database's clock once, at its start, and goes on by this host's, less the difference; on
/// SQLite (a file on this host) the two are the same. And the clock moves: an alert is recorded
/// delivered (or late, or to retry) when its outcome came, not when the run began, so a message
/// that reached the school after its deadline, in a run begun before it, is late and the hub is
/// told (F0b: every alert of a run was recorded at the run's start).
///
/// With `--now` (tests and replays), that instant, standing still for the whole run (SPEC §7:
/// "the clock for deadlines, retries and the times a run records").
public struct RunClock: Sendable {
    /// The run's start on this clock.
    public let start: Date
    /// This host's clock less the database's (seconds; positive: this host is ahead). Zero with `--now`.
    public let skew: TimeInterval
    private let given: Date?
    /// This host's clock.
    private let host: @Sendable () -> Date

    /// A difference past this is told to the operator: hosts kept by NTP are within a second.
    public static let toldAbove: TimeInterval = 60

    /// `databaseNow`: the database's clock read a moment ago (nil: this host's is the database's).
    public init(given: Date?, databaseNow: Date?, host: @escaping @Sendable () -> Date = { Date() }) {
        self.given = given
        self.host = host
        let hostNow = host()
        skew = given == nil ? databaseNow.map { hostNow.timeIntervalSince($0) } ?? 0 : 0
        start = given ?? hostNow.addingTimeInterval(-skew)
    }

    /// The time now on this clock.
    public func now() -> Date { given ?? host().addingTimeInterval(-skew) }

    /// One line for the operator when this host's clock is far from the database's; nil otherwise.
    public var warning: String? {
        guard abs(skew) > Self.toldAbove else { return nil }
        return "this host's clock is \(Int(abs(skew).rounded())) s \(skew > 0 ? "ahead of" : "behind") the database's: "
            + "the run keeps the database's time (leases, deliveries, deadlines), but fix this host's clock (NTP)"
    }
}
