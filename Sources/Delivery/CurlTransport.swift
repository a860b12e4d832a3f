import Foundation
import InputRules
import Schools

/// Sends e-mail through the relay and signed JSON to schools' endpoints, both over libcurl.
/// Each `deliver` call runs its batch on worker threads of its own (see `TransferPool`); hand it
/// the whole run's batch so connections are reused from one message to the next.
public struct CurlTransport: Transport {
    public var relay: SMTPRelay?
    public var webhooks: WebhookConfiguration?
    public var timeouts: TransferTimeouts
    public var relayLimits: ConnectionLimits
    public var endpointLimits: ConnectionLimits

    /// - Parameters:
    ///   - relay: nil when no relay is configured: e-mails then come back `.configuration`.
    ///   - webhooks: nil (or an empty secret) when no signing secret is set: HTTPS alerts then
    ///     come back `.configuration`, as an unsigned POST must never go out.
    public init(
        relay: SMTPRelay?, webhooks: WebhookConfiguration?, timeouts: TransferTimeouts = TransferTimeouts(),
        relayLimits: ConnectionLimits = .relay, endpointLimits: ConnectionLimits = .endpoints
    ) {
        self.relay = relay
        self.webhooks = webhooks
        self.timeouts = timeouts
        self.relayLimits = relayLimits
        self.endpointLimits = endpointLimits
    }

    public func deliver(_ batch: [AlertMessage], pacing: DeliveryPacing?) -> AsyncStream<DeliveryOutcome> {
        let (stream, continuation) = AsyncStream.makeStream(of: DeliveryOutcome.self, bufferingPolicy: .unbounded)
        var requests: [TransferRequest] = []
        requests.reserveCapacity(batch.count)
        for message in batch {
            switch prepare(message) {
            case .ready(let request): requests.append(request)
            case .refused(let outcome): continuation.yield(outcome)
            }
        }
        guard !requests.isEmpty else {
            continuation.finish()
            return stream
        }
        let pool = TransferPool(
            requests: requests, limits: [.relay: relayLimits, .endpoints: endpointLimits], timeouts: timeouts,
            pacing: pacing, report: { continuation.yield($0) }, finished: { continuation.finish() })
        continuation.onTermination = { termination in
            if case .cancelled = termination { pool.cancel() }
        }
        pool.start()
        return stream
    }

    /// Connects to the relay, starts TLS, logs in and says NOOP, sending nothing: `delivered` when
    /// all of that worked, otherwise the outcome a message would have met, with its reason.
    public func probeRelay() async -> DeliveryOutcome {
        let check = AlertMessage(reference: "relay-check", channel: .smtp, recipient: relay?.from ?? "", subject: "",
                                 textBody: "", htmlBody: nil, jsonBody: nil, date: Date())
        switch smtpRequest(check, probeOnly: true) {
        case .refused(let outcome): return outcome
        case .ready(let request):
            let (stream, continuation) = AsyncStream.makeStream(of: DeliveryOutcome.self, bufferingPolicy: .unbounded)
            let pool = TransferPool(requests: [request], limits: [.relay: relayLimits], timeouts: timeouts, pacing: nil,
                                    report: { continuation.yield($0) }, finished: { continuation.finish() })
            pool.start()
            for await outcome in stream { return outcome }
            return OutcomeText.refused("relay-check", channel: .smtp, status: .temporary, reason: "the check ended without an answer")
        }
    }

    private func prepare(_ message: AlertMessage) -> Prepared {
        switch message.channel {
        case .smtp: smtpRequest(message)
        case .https: httpsRequest(message)
        case .file:
            .refused(OutcomeText.refused(
                message.reference, channel: .file, status: .configuration,
                reason: "file messages go to a FileTransport, not to the network"))
        }
    }

    private func smtpRequest(_ message: AlertMessage, probeOnly: Bool = false) -> Prepared {
        func refuse(_ status: DeliveryOutcome.Status, _ reason: String) -> Prepared {
            .refused(OutcomeText.refused(message.reference, channel: .smtp, status: status, reason: reason))
        }
        guard let relay else { return refuse(.configuration, "no SMTP relay is configured (smtp.url)") }
        let security: SMTPRelay.Security
        switch relay.security() {
        case .success(let value): security = value
        case .failure(let problem): return refuse(.configuration, problem.message)
        }
        guard ContactAddress.isEmail(relay.from) else {
            return refuse(.configuration, "smtp.from is not an e-mail address")
        }
        if !relay.username.isEmpty, relay.password.isEmpty {
            return refuse(.configuration, "ENCOMPASS_SMTP_PASSWORD is not set (smtp.username is)")
        }
        if !relay.heloName.isEmpty, !HeloName.isValid(relay.heloName) {
            return refuse(.configuration, "smtp.helo_name is not a dotted host name")
        }
        guard let recipients = ContactAddress.recipients(message.recipient) else {
            return refuse(.permanent, "the recipient is not a valid e-mail address")
        }
        let composer = EmailComposer(from: relay.from, fromName: relay.fromName, messageIDDomain: relay.messageIDDomain)
        let envelope = TransferRequest.SMTPEnvelope(
            mailFrom: relay.from, recipients: recipients, security: security,
            username: relay.username, password: relay.password, probeOnly: probeOnly)
        return .ready(TransferRequest(
            reference: message.reference, channel: .smtp, url: relay.transferURL, body: composer.compose(message),
            kind: .smtp(envelope), caFile: relay.caFile, resolve: relay.resolve, lane: .relay,
            breakerKey: "smtp " + relay.url))
    }

    private func httpsRequest(_ message: AlertMessage) -> Prepared {
        func refuse(_ status: DeliveryOutcome.Status, _ reason: String) -> Prepared {
            .refused(OutcomeText.refused(message.reference, channel: .https, status: status, reason: reason))
        }
        guard let webhooks, !webhooks.secret.isEmpty else {
            return refuse(.configuration, "no signing secret is set (ENCOMPASS_WEBHOOK_SECRET)")
        }
        guard let endpoint = ContactAddress.endpoint(message.recipient) else {
            return refuse(.configuration, "the school's endpoint is not an https:// URL")
        }
        guard let body = message.jsonBody else {
            return refuse(.configuration, "the message has no JSON body")
        }
        let headers = [
            "Content-Type: application/json",
            "X-Encompass-Signature: " + WebhookSignature.header(body: body, secret: webhooks.secret),
            "Idempotency-Key: " + message.reference,
            "User-Agent: encompass-delivery/1",
            // No 100-continue round trip: the body is small.
            "Expect:",
        ]
        let port = endpoint.port.map { ":\($0)" } ?? ""
        return .ready(TransferRequest(
            reference: message.reference, channel: .https, url: message.recipient, body: body,
            kind: .https(headers: headers), caFile: webhooks.caFile, resolve: [], lane: .endpoints,
            breakerKey: "https \(endpoint.host.lowercased())\(port)"))
    }
}

/// A message made ready for libcurl, or the outcome that says why it cannot be sent.
private enum Prepared {
    case ready(TransferRequest)
    case refused(DeliveryOutcome)
}
