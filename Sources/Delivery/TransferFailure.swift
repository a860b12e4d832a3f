/// libcurl's result for one transfer, sorted into what decides an outcome.
enum TransferFailure: Sendable, Hashable {
    case none
    /// The receiver's TLS: the handshake broke, or its certificate did not verify.
    case tls
    /// The receiver's certificate is not signed by a CA we trust (curl 60).
    case untrustedCertificate
    /// Our own TLS material: the CA file (or a CRL, a client certificate) could not be used.
    case tlsSettings
    /// `smtp://` with STARTTLS required, and the relay does not offer it.
    case startTLSUnavailable
    /// The relay refused our login.
    case login
    /// Name not resolved, connection refused, or no connection within the connect timeout.
    case unreachable
    /// Connected, then the receiver took longer than the timeouts allow.
    case timeout
    /// The connection broke mid-way.
    case network
    /// A setting libcurl rejected before it sent anything (a malformed URL, say).
    case setup
    case other
}

/// Outcome rules (SPEC §7): the receiver's reply code decides first; where there is none,
/// libcurl's error does.
enum FailureClassifier {
    static let authenticationReplies: Set<Int> = [530, 534, 535, 538]

    static func smtp(failure: TransferFailure, reply: Int) -> DeliveryOutcome.Status {
        if failure == .none { return .delivered }
        switch reply {
        case 400..<500: return .temporary
        // Authentication required or refused: a fault in our settings, not in this recipient.
        case _ where authenticationReplies.contains(reply): return .configuration
        case 500..<600: return .permanent
        // No reply at all because no connection was made: our relay is down, not the school.
        default: return failure == .unreachable ? .relayUnreachable : byFailure(failure)
        }
    }

    /// The reply that stands for an SMTP message: libcurl's `reply` (the last it read), unless the
    /// relay refused every one of two or more recipients at RCPT. Then each recipient's code
    /// decides, not the last one's alone, which is all libcurl keeps with
    /// `CURLOPT_MAIL_RCPT_ALLOWFAILS`: the order of a school's addresses decided whether its alert
    /// failed for good (audit 23, F3). An address refused for now (4xx: greylisting) may take it
    /// on the next try, so its code stands for the message (temporary) wherever that address
    /// comes; our login refused at any RCPT is our settings, first; only when each refused it for
    /// good is it permanent. `refused`: the code each refused RCPT got, in order.
    static func deciding(reply: Int, recipients: Int, refused: [Int]) -> Int {
        guard refusedEvery(recipients: recipients, refused: refused) else { return reply }
        return refused.first(where: authenticationReplies.contains)
            ?? refused.first(where: { (400..<500).contains($0) })
            ?? reply
    }

    /// Every one of a message's two or more recipients refused at RCPT: nothing was sent.
    static func refusedEvery(recipients: Int, refused: [Int]) -> Bool {
        recipients > 1 && refused.count == recipients
    }

    static func https(failure: TransferFailure, status: Int) -> DeliveryOutcome.Status {
        // The receiver answered 2xx: it has the alert. A reply body that then trickled past the
        // timeouts or broke off does not undo that, and a retry would post the alert again
        // (audit 22, resilience: a 200 then a body at half a byte a second was posted twice).
        if (200..<300).contains(status), [.timeout, .network, .other].contains(failure) { return .delivered }
        // One school's endpoint failing TLS (a certificate we do not trust) is that endpoint's
        // problem: retried, and overdue with the hub's notice at the deadline. Not permanent: a
        // wrong https.ca_file of ours looks the same, and must not fail every webhook alert for good.
        if failure == .tls || failure == .untrustedCertificate { return .temporary }
        guard failure == .none else { return byFailure(failure) }
        switch status {
        case 200..<300: return .delivered
        case 408, 429, 500..<600: return .temporary
        // Other 4xx, and 1xx/3xx, which a signed POST must not follow elsewhere.
        default: return .permanent
        }
    }

    private static func byFailure(_ failure: TransferFailure) -> DeliveryOutcome.Status {
        switch failure {
        case .tls, .untrustedCertificate, .tlsSettings, .startTLSUnavailable, .login, .setup: .configuration
        case .none, .unreachable, .timeout, .network, .other: .temporary
        }
    }
}
