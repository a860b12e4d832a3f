import Foundation

/// One rendered message, ready for a transport. The e-mail's MIME text is built from it at send
/// time (the sender's address belongs to the relay settings); `jsonBody` is what an HTTPS
/// endpoint receives and what its signature covers.
public struct AlertMessage: Sendable, Hashable {
    /// Stable across retries: the Message-ID's left part and the Idempotency-Key.
    public var reference: String
    public var channel: DeliveryChannel
    /// An e-mail address for `smtp` and `file`, the endpoint URL for `https`.
    public var recipient: String
    /// Never carries a name.
    public var subject: String
    public var textBody: String
    /// Nil for a plain-text message (hub notices).
    public var htmlBody: String?
    /// The webhook document; nil for messages that only go by e-mail (hub notices).
    public var jsonBody: Data?
    /// The e-mail's Date header. Fixed at render time so a retry sends the same bytes.
    public var date: Date

    public init(
        reference: String, channel: DeliveryChannel, recipient: String, subject: String,
        textBody: String, htmlBody: String?, jsonBody: Data?, date: Date
    ) {
        self.reference = reference
        self.channel = channel
        self.recipient = recipient
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.jsonBody = jsonBody
        self.date = date
    }
}
