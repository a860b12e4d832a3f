import Foundation

/// One message made ready for libcurl: everything the transfer thread needs, already checked,
/// as plain values it can carry across threads.
struct TransferRequest: Sendable {
    enum Lane: Hashable, Sendable {
        case relay
        case endpoints
    }

    struct SMTPEnvelope: Sendable {
        let mailFrom: String
        /// The school's key adult and deputies: one message, one RCPT each.
        let recipients: [String]
        let security: SMTPRelay.Security
        let username: String
        let password: String
        /// Connect, STARTTLS, log in and say NOOP: no message (`encompass doctor`).
        var probeOnly = false
    }

    enum Kind: Sendable {
        case smtp(SMTPEnvelope)
        /// Header lines, `Name: value`.
        case https(headers: [String])
    }

    let reference: String
    let channel: DeliveryChannel
    let url: String
    let body: Data
    let kind: Kind
    let caFile: String
    let resolve: [String]
    let lane: Lane
    /// Transfers to the same relay or endpoint host share it: once one shows the receiver
    /// cannot be reached, its TLS fails, or our settings are wrong, the rest of the run does not try it.
    let breakerKey: String
}
