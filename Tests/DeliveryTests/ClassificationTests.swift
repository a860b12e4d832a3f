import AlertLifecycle
@testable import Delivery
import Foundation
import InputRules
import Testing

@Suite struct ClassificationTests {
    @Test(arguments: [
        (TransferFailure.none, 250, DeliveryOutcome.Status.delivered),
        (.network, 451, .temporary),
        (.network, 421, .temporary),
        (.network, 550, .permanent),
        (.network, 554, .permanent),
        // Authentication required or refused: our settings, not this recipient.
        (.login, 535, .configuration),
        (.network, 530, .configuration),
        // Our relay: its TLS failing, and our CA file, are both our settings.
        (.tls, 220, .configuration),
        (.tlsSettings, 0, .configuration),
        (.startTLSUnavailable, 250, .configuration),
        (.login, 0, .configuration),
        (.setup, 0, .configuration),
        // Our relay not reached at all: the channel is down (not a school's temporary failure).
        (.unreachable, 0, .relayUnreachable),
        (.timeout, 250, .temporary),
        (.network, 0, .temporary),
        (.other, 0, .temporary),
    ])
    func smtpReplyCodeFirstThenLibcurl(failure: TransferFailure, reply: Int, expected: DeliveryOutcome.Status) {
        #expect(FailureClassifier.smtp(failure: failure, reply: reply) == expected)
    }

    @Test(arguments: [
        (TransferFailure.none, 200, DeliveryOutcome.Status.delivered),
        (.none, 202, .delivered),
        (.none, 204, .delivered),
        (.none, 429, .temporary),
        (.none, 408, .temporary),
        (.none, 500, .temporary),
        (.none, 503, .temporary),
        (.none, 400, .permanent),
        (.none, 401, .permanent),
        (.none, 404, .permanent),
        (.none, 410, .permanent),
        (.none, 301, .permanent),
        // One school's endpoint failing TLS is that endpoint's problem; our CA file is ours.
        (.tls, 0, .temporary),
        (.tlsSettings, 0, .configuration),
        (.timeout, 0, .temporary),
        (.unreachable, 0, .temporary),
        (.network, 0, .temporary),
        // A 2xx status line came before the body broke off or trickled: the receiver has it.
        (.network, 200, .delivered),
        (.timeout, 204, .delivered),
        (.network, 503, .temporary),
        (.timeout, 400, .temporary),
    ])
    func httpsStatusDecides(failure: TransferFailure, status: Int, expected: DeliveryOutcome.Status) {
        #expect(FailureClassifier.https(failure: failure, status: status) == expected)
    }

    /// Audit 23, F3: a school's two addresses, one refused for good (550) and one for now (451),
    /// both refused at RCPT. libcurl keeps the last code only; each recipient's decides instead,
    /// so the message is temporary (the greylisted one may take it next time) in either order.
    /// Only when each refused it for good is it permanent; our login refused anywhere is ours.
    @Test(arguments: [
        (550, [451, 550], DeliveryOutcome.Status.temporary),
        (451, [550, 451], .temporary),
        (550, [550, 451, 550], .temporary),
        (553, [550, 553], .permanent),
        (550, [550, 550], .permanent),
        (451, [451, 451], .temporary),
        (451, [530, 451], .configuration),
        // Not every recipient refused (one took it, then DATA was refused): libcurl's reply decides.
        (554, [451], .permanent),
    ])
    func aMessageEveryRecipientRefusedIsClassifiedByAllTheirCodes(reply: Int, refused: [Int], expected: DeliveryOutcome.Status) {
        let recipients = max(refused.count, 2)
        let decided = FailureClassifier.deciding(reply: reply, recipients: recipients, refused: refused)
        #expect(FailureClassifier.smtp(failure: .network, reply: decided) == expected)
    }

    /// The outcome of such a message: its detail leads with the code that decided and the relay's
    /// words for it, then every recipient's code (in numeric order: the same detail whatever the
    /// order of the addresses), on one line with no address; the refused recipients are kept, so
    /// the run can see whether the relay refused them all alike.
    @Test(arguments: [["greylist-a@school.example", "reject-b@school.example"],
                      ["reject-a@school.example", "greylist-b@school.example"]])
    func aMessageEveryRecipientRefusedSaysEachCodeAndNoAddress(_ addresses: [String]) throws {
        let envelope = TransferRequest.SMTPEnvelope(mailFrom: "alerts@police.example", recipients: addresses,
                                                    security: .plaintext, username: "", password: "")
        let request = TransferRequest(reference: "ENC-I-1-abc", channel: .smtp, url: "smtp://127.0.0.1:2525", body: Data(),
                                      kind: .smtp(envelope), caFile: "", resolve: [], lane: .relay, breakerKey: "smtp")
        let refused = addresses.map { RefusedAddress(address: $0, replyCode: $0.hasPrefix("reject") ? 550 : 451) }
        let greylisted = "451 4.7.1 Greylisted <\(addresses[0])>, please try again later"
        let outcome = OutcomeText.finished(
            request, failure: .network, reply: refused[1].replyCode, message: "RCPT failed: \(refused[1].replyCode) (last error)",
            replyText: refused[1].replyCode == 550 ? "550 5.1.1 Recipient address rejected" : greylisted,
            refusedRecipients: refused, recipientWords: [550: "550 5.1.1 Recipient address rejected", 451: greylisted])

        #expect(outcome.status == .temporary)
        #expect(outcome.replyCode == 451)
        #expect(outcome.detail.hasPrefix("smtp reply 451 4.7.1 Greylisted <address> please try again later "
                                          + "(all 2 recipients refused: 451, 550), will retry: RCPT failed: "), "\(outcome.detail)")
        #expect(!outcome.detail.contains("@") && !outcome.detail.contains("\n"))
        #expect(outcome.refusedRecipients == refused)
        #expect(outcome.refusalCodes == [451, 550])
    }

    @Test func detailIsOneLineWithoutAddresses() {
        let line = OutcomeText.scrub("550 5.1.1 <zoe.pupil@school.example>: Recipient\r\nrejected\tnow")
        #expect(line == "550 5.1.1 <address> Recipient rejected now")
        #expect(OutcomeText.scrub(String(repeating: "x", count: 500)).count == 240)
    }
}

@Suite struct PlaintextRuleTests {
    @Test(arguments: [
        ("smtp://127.0.0.1:2525", true, SMTPRelay.Security.plaintext),
        ("smtp://127.9.8.7:25", true, .plaintext),
        ("smtp://localhost:25", true, .plaintext),
        ("smtp://[::1]:25", true, .plaintext),
        ("smtp://127.0.0.1:2525", false, .requireSTARTTLS),
        ("smtp://relay.police.example:587", true, .requireSTARTTLS),
        ("smtp://10.0.0.1:25", true, .requireSTARTTLS),
        ("smtp://128.0.0.1:25", true, .requireSTARTTLS),
        ("smtp://127.0.0.1.nip.example:25", true, .requireSTARTTLS),
        ("smtp://localhost.police.example:25", true, .requireSTARTTLS),
        ("smtp://[::2]:25", true, .requireSTARTTLS),
        ("smtps://127.0.0.1:465", true, .implicitTLS),
        ("smtps://relay.police.example:465", false, .implicitTLS),
    ])
    func plaintextOnlyToLoopbackAndOnlyWithTheFlag(url: String, allow: Bool, expected: SMTPRelay.Security) throws {
        let relay = SMTPRelay(url: url, from: "encompass@police.example", allowPlaintextLoopback: allow)
        #expect(try relay.security().get() == expected)
    }

    @Test(arguments: ["http://relay.example", "relay.example:25", "smtp://", "smtp:///path"])
    func aRelayURLThatIsNotSMTPIsAConfigurationProblem(url: String) {
        let relay = SMTPRelay(url: url, from: "encompass@police.example")
        #expect(throws: ConfigurationProblem.self) { try relay.security().get() }
    }

    @Test(arguments: [
        ("::ffff:127.0.0.1", true), ("::ffff:10.0.0.1", false), ("LOCALHOST", true), ("0.0.0.0", false),
        ("127.0.0.1", true), ("127.255.255.254", true), ("1.127.0.0", false),
    ])
    func loopbackHosts(host: String, loopback: Bool) {
        #expect(LoopbackHost.contains(host) == loopback)
    }
}

/// The relay's TLS and login refusals name what is wrong, in libcurl's or the relay's own words
/// where they say it (audit 22, resilience F4).
@Suite("Relay refusals worded by their cause")
struct RelayRefusalWordingTests {
    @Test func aCertificateRefusalSaysWhatWasWrongWithIt() {
        #expect(OutcomeText.certificate("SSL certificate problem: certificate has expired").contains("has expired: the relay's operator must renew it"))
        #expect(OutcomeText.certificate("SSL certificate problem: self-signed certificate").contains("self-signed"))
        #expect(OutcomeText.certificate("SSL: no alternative certificate subject name matches target host name '127.0.0.2'")
            .contains("does not name the host in smtp.url"))
        #expect(OutcomeText.certificate("SSL certificate problem: certificate is not yet valid").contains("not valid yet"))
        #expect(OutcomeText.certificate("SSL certificate problem: unable to get local issuer certificate").hasSuffix("set smtp.ca_file"))
    }

    @Test func aRelayWantingSTARTTLSIsNotTakenForALoginRefused() {
        #expect(OutcomeText.authentication(said: "530 5.7.0 Must issue a STARTTLS command first").contains("wants STARTTLS first"))
        #expect(OutcomeText.authentication(said: "535 5.7.8 Authentication credentials invalid").contains("refused our login"))
    }
}
