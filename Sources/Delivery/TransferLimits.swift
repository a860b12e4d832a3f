/// Time limits on every transfer, so no relay or endpoint can hold a message forever.
public struct TransferTimeouts: Sendable, Hashable {
    /// TCP (and, for smtps and https, TLS) connection set-up.
    public var connect: Duration
    /// Abort when fewer than `lowSpeedBytesPerSecond` move for this long.
    public var lowSpeedTime: Duration
    public var lowSpeedBytesPerSecond: Int
    /// The whole transfer, from start to the receiver's last reply.
    public var total: Duration

    public init(connect: Duration = .seconds(15), lowSpeedTime: Duration = .seconds(60), lowSpeedBytesPerSecond: Int = 1, total: Duration = .seconds(120)) {
        self.connect = connect
        self.lowSpeedTime = lowSpeedTime
        self.lowSpeedBytesPerSecond = lowSpeedBytesPerSecond
        self.total = total
    }
}

/// How many transfers run at once on one lane (the relay, or the schools' endpoints).
///
/// `connections` transfers run side by side. A transfer still running after `stallAfter` no
/// longer counts against that number, so a tarpitted recipient or a stalled endpoint ties up
/// one connection of its own and nobody else's alert waits behind it; `maxTransfers` bounds the
/// total when many stall at once.
public struct ConnectionLimits: Sendable, Hashable {
    public var connections: Int
    public var stallAfter: Duration
    public var maxTransfers: Int

    public init(connections: Int, stallAfter: Duration = .seconds(2), maxTransfers: Int? = nil) {
        self.connections = max(1, connections)
        self.stallAfter = stallAfter
        self.maxTransfers = max(self.connections, maxTransfers ?? self.connections * 4)
    }

    /// Eight connections to the relay: a relay across a network answers each SMTP command
    /// after some tens of milliseconds, so throughput grows with connections, and most relays
    /// accept ten or more at once from one client.
    public static let relay = ConnectionLimits(connections: 8)
    /// Schools' endpoints are separate hosts, so as many at once as the relay gets.
    public static let endpoints = ConnectionLimits(connections: 8)
}
