/// Builds outcomes and their one-line `detail`: what failed and how to read it, with the
/// receiver's reply code and libcurl's message, and never an e-mail address or other personal data.
enum OutcomeText {
    static func finished(_ request: TransferRequest, failure: TransferFailure, reply: Int, message: String) -> DeliveryOutcome {
        let status: DeliveryOutcome.Status
        var text: String
        switch request.channel {
        case .https:
            status = FailureClassifier.https(failure: failure, status: reply)
            text = failure == .none ? "HTTP \(reply)" : what(failure)
        case .smtp, .file:
            status = FailureClassifier.smtp(failure: failure, reply: reply)
            text = failure == .none || reply >= 400 ? "reply \(reply)" : what(failure)
        }
        if status == .temporary { text += ", will retry" }
        if failure != .none { text += ": " + scrub(message) }
        let code = reply > 0 ? reply : nil
        return DeliveryOutcome(
            reference: request.reference, channel: request.channel, status: status, replyCode: code,
            detail: prefix(request.channel) + " " + text, attempted: true)
    }

    /// Not sent, because an earlier message in the run found the same relay or endpoint unusable.
    static func skipped(_ request: TransferRequest, cause: DeliveryOutcome) -> DeliveryOutcome {
        DeliveryOutcome(
            reference: request.reference, channel: request.channel, status: cause.status, replyCode: nil,
            detail: "not sent, as an earlier message in this run found: " + cause.detail, attempted: false)
    }

    /// Refused before anything reached the receiver.
    static func notStarted(_ request: TransferRequest, status: DeliveryOutcome.Status, reason: String) -> DeliveryOutcome {
        refused(request.reference, channel: request.channel, status: status, reason: reason)
    }

    static func refused(_ reference: String, channel: DeliveryChannel, status: DeliveryOutcome.Status, reason: String) -> DeliveryOutcome {
        DeliveryOutcome(
            reference: reference, channel: channel, status: status, replyCode: nil,
            detail: prefix(channel) + " not sent: " + reason, attempted: false)
    }

    private static func prefix(_ channel: DeliveryChannel) -> String {
        switch channel {
        case .smtp: "smtp"
        case .https: "https"
        case .file: "file"
        }
    }

    private static func what(_ failure: TransferFailure) -> String {
        switch failure {
        case .none: "done"
        case .tls: "TLS failed"
        case .tlsSettings: "TLS failed: our CA file or certificate cannot be used"
        case .startTLSUnavailable: "relay does not offer STARTTLS and plaintext is not allowed"
        case .login: "login refused"
        case .unreachable: "cannot connect"
        case .timeout: "timed out"
        case .network: "connection broke"
        case .setup: "request refused by libcurl"
        case .other: "transfer failed"
        }
    }

    /// One line, at most 240 characters, with any e-mail address replaced.
    static func scrub(_ text: String) -> String {
        let words = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline }).map { word in
            word.contains("@") ? "<address>" : String(word)
        }
        let line = words.joined(separator: " ").filter { !$0.isASCII || $0.asciiValue! >= 32 }
        return line.count > 240 ? String(line.prefix(239)) + "…" : line
    }
}
