import AlertLifecycle

/// What became of one message. The outbox maps it onto the alert's state:
/// delivered -> `delivered`; temporary -> `retrying` (with backoff); permanent -> `failed` and a
/// hub notice; configuration -> stays queued, and the hub is told once; relayUnreachable -> waits,
/// due at once, while the run stops sending e-mail (the relay's state, not the alert's).
public struct DeliveryOutcome: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, Codable {
        case delivered
        /// SMTP 4xx, HTTP 429 or 5xx, a timeout, a network error, or a school endpoint whose
        /// TLS fails: try again later.
        case temporary
        /// SMTP 5xx, HTTP 4xx other than 429: this receiver will not take it.
        case permanent
        /// Our side is wrong (the relay's TLS, our CA file, STARTTLS not offered, login, a missing
        /// secret or relay): no retry helps until the settings change.
        case configuration
        /// Our relay cannot be reached at all (connection refused, no connection within the
        /// connect timeout, its name not resolved): the channel is down, not this message's
        /// receiver. E-mail only: a school's endpoint that cannot be reached is `temporary`.
        case relayUnreachable = "relay_unreachable"
    }

    public var reference: String
    public var channel: DeliveryChannel
    public var status: Status
    /// The SMTP reply code or HTTP status read from the receiver, when there was one.
    public var replyCode: Int?
    /// One line, no personal data: fit for `last_error` and for logs.
    public var detail: String
    /// False when nothing was sent to the receiver, because the message was refused before
    /// sending or an earlier failure in the same run showed the relay or endpoint cannot take it.
    public var attempted: Bool
    /// A delivered e-mail's recipients the relay refused at RCPT (others took it): a school's key
    /// adult's address, which the hub is told of so it can correct Config/key-adults.csv. Also an
    /// e-mail's that every recipient refused, whose codes decided its status. Never in `detail`,
    /// which goes to logs.
    public var refusedRecipients: [RefusedAddress] = []

    /// On a refused message, every code it was refused with: each recipient's at RCPT (where they
    /// all refused it), and the reply. A relay that refuses everything alike because of our
    /// settings gives them all one code.
    public var refusalCodes: Set<Int> {
        Set(refusedRecipients.map(\.replyCode) + (replyCode.map { [$0] } ?? []))
    }

    public init(reference: String, channel: DeliveryChannel, status: Status, replyCode: Int?, detail: String, attempted: Bool) {
        self.reference = reference
        self.channel = channel
        self.status = status
        self.replyCode = replyCode
        self.detail = detail
        self.attempted = attempted
    }

    /// The alert's `last_error`: nil once delivered.
    public var lastError: String? { status == .delivered ? nil : detail }
}

