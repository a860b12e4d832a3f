import AlertLifecycle

/// Builds outcomes and their one-line `detail`: what failed and how to read it, with the
/// receiver's reply code and libcurl's message, and never an e-mail address or other personal data.
enum OutcomeText {
    /// `replyText`: the relay's refusal line as it sent it (`550 5.1.1 ...`), kept in the detail
    /// (one line, cut at 200 characters, any address replaced) so the hub can tell a mailbox
    /// unavailable from a relay access denied.
    /// `refusedRecipients`: the recipients the relay refused at RCPT; kept on a message that went
    /// (to the others), where the hub is to hear of them, and on one they all refused, where their
    /// codes decided it (`FailureClassifier.deciding`). Only their codes reach the detail.
    /// `recipientWords`: the relay's line for each code it refused an RCPT with.
    static func finished(_ request: TransferRequest, failure: TransferFailure, reply libcurlReply: Int, message: String,
                         replyText libcurlReplyText: String? = nil, refusedRecipients: [RefusedAddress] = [],
                         recipientWords: [Int: String] = [:]) -> DeliveryOutcome {
        let status: DeliveryOutcome.Status
        var text: String
        let recipients = if case .smtp(let envelope) = request.kind { envelope.recipients.count } else { 0 }
        let codes = refusedRecipients.map(\.replyCode)
        let refusedEvery = failure != .none && FailureClassifier.refusedEvery(recipients: recipients, refused: codes)
        let reply = request.channel == .https
            ? libcurlReply : FailureClassifier.deciding(reply: libcurlReply, recipients: recipients, refused: codes)
        let replyText = reply == libcurlReply ? libcurlReplyText : recipientWords[reply] ?? libcurlReplyText
        switch request.channel {
        case .https:
            status = FailureClassifier.https(failure: failure, status: reply)
            text = failure == .none ? "HTTP \(reply)" : what(failure)
        case .smtp, .file:
            status = FailureClassifier.smtp(failure: failure, reply: reply)
            if FailureClassifier.authenticationReplies.contains(reply) {
                text = "reply \(reply): " + authentication(said: replyText ?? message)
            } else if failure == .none || reply >= 400 {
                text = "reply \(reply)"
                if let said = replyText.map(relayWords), !said.isEmpty { text += " " + said }
                // The codes, in order of their number (the addresses' order is no matter), and
                // never the addresses: this line goes to logs.
                if refusedEvery {
                    text += " (all \(codes.count) recipients refused: " + codes.sorted().map(String.init).joined(separator: ", ") + ")"
                }
            } else if status == .relayUnreachable {
                // After the channel's prefix: "smtp relay HOST:PORT ...", where "smtp our relay" read
                // as a glitch (audit 25, F10).
                text = "relay \(SMTPRelay.address(of: request.url)) could not be reached (smtp.url)"
            } else if failure == .timeout, reply == 0 {
                // Connected, and not one reply, not even the greeting: the relay is named with the
                // likeliest cause, where "timed out" alone sent the operator looking at the schools.
                text = "relay \(SMTPRelay.address(of: request.url)) took the connection but never answered "
                    + "(smtp.url: smtp:// on an implicit-TLS port such as 465 needs smtps://; or the relay hangs)"
            } else if Self.isPlainAnswerToTLS(failure, url: request.url, message: message) {
                // The reverse of the case above: TLS sent at once, and the relay answered in plain
                // SMTP, which OpenSSL reads as a "wrong version number" (audit 25, F8).
                text = "relay \(SMTPRelay.address(of: request.url)) does not start TLS at once (smtp.url: smtps:// is TLS from the "
                    + "first byte; use smtp:// for a STARTTLS port such as 587, or the relay's smtps:// port such as 465)"
            } else {
                text = whatSMTP(failure, message: message)
            }
        }
        if status == .temporary { text += ", will retry" }
        if failure != .none { text += ": " + scrub(message) }
        let code = reply > 0 ? reply : nil
        var outcome = DeliveryOutcome(
            reference: request.reference, channel: request.channel, status: status, replyCode: code,
            detail: prefix(request.channel) + " " + text, attempted: true)
        if status == .delivered || refusedEvery { outcome.refusedRecipients = refusedRecipients }
        return outcome
    }

    /// An smtps:// URL whose TLS handshake met a plain-text answer: a STARTTLS (or plain) port.
    static func isPlainAnswerToTLS(_ failure: TransferFailure, url: String, message: String) -> Bool {
        failure == .tls && url.lowercased().hasPrefix("smtps://") && message.lowercased().contains("wrong version number")
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

    /// A relay's failure, naming the setting that fixes it where one does.
    private static func whatSMTP(_ failure: TransferFailure, message: String) -> String {
        switch failure {
        case .untrustedCertificate: "TLS failed: " + certificate(message)
        case .tlsSettings: "TLS failed: smtp.ca_file cannot be used"
        case .login: "the relay refused our login: check smtp.username and ENCOMPASS_SMTP_PASSWORD"
        case .startTLSUnavailable: "the relay does not offer STARTTLS and plaintext is not allowed (smtp.url, smtp.allow_plaintext_loopback)"
        default: what(failure)
        }
    }

    /// What was wrong with the relay's certificate, in libcurl's words where they say it: an
    /// expired one is the relay's to renew, and every refusal read "not signed by a CA we trust: set
    /// smtp.ca_file" with the right CA file set (audit 22, resilience F4).
    static func certificate(_ curlSaid: String) -> String {
        let said = curlSaid.lowercased()
        if said.contains("expired") { return "the relay's certificate has expired: the relay's operator must renew it" }
        if said.contains("not yet valid") { return "the relay's certificate is not valid yet: check this host's clock and the relay's certificate" }
        if said.contains("self-signed") || said.contains("self signed") {
            return "the relay's certificate is self-signed: give the relay one from a CA, or set smtp.ca_file to it"
        }
        if said.contains("subject name") || said.contains("does not match") {
            return "the relay's certificate does not name the host in smtp.url: connect by a name it carries"
        }
        return "the relay's certificate is not signed by a CA we trust: set smtp.ca_file"
    }

    /// A 530 (and its kin) refuses our login, unless the relay says it wants STARTTLS first: then
    /// no login was tried, and the setting to look at is the plaintext one.
    static func authentication(said: String) -> String {
        said.uppercased().contains("STARTTLS")
            ? "the relay wants STARTTLS first, and this connection is plaintext (smtp.allow_plaintext_loopback): turn that off, or use smtps://"
            : "the relay refused our login: check smtp.username and ENCOMPASS_SMTP_PASSWORD"
    }

    private static func what(_ failure: TransferFailure) -> String {
        switch failure {
        case .none: "done"
        case .tls, .untrustedCertificate: "TLS failed"
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

    /// The relay's refusal after its reply code: `5.1.1 Recipient address rejected`, one line, at
    /// most 200 characters, any address replaced.
    static func relayWords(_ line: String) -> String {
        var words = scrub(line)
        // The code is already in the detail: drop it (and the multi-line marker) from the text.
        if words.count >= 4, words.prefix(3).allSatisfy(\.isNumber), words.dropFirst(3).first == " " || words.dropFirst(3).first == "-" {
            words = String(words.dropFirst(4))
        }
        return words.count > 200 ? String(words.prefix(199)) + "…" : words
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
