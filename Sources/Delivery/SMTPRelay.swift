import Foundation
import InputRules

/// The force's mail relay (`smtp:` in encompass.yaml). Every e-mail goes through this one relay.
public struct SMTPRelay: Sendable, Hashable {
    /// `smtp://host:port` (STARTTLS required) or `smtps://host:port` (TLS from the first byte).
    public var url: String
    public var from: String
    /// Shown as the From display name, e.g. the hub's name.
    public var fromName: String?
    /// Empty for a relay that takes mail without login.
    public var username: String
    /// From ENCOMPASS_SMTP_PASSWORD only; the caller reads the environment.
    public var password: String
    /// Extra trusted CA certificates (PEM); empty for the system's store.
    public var caFile: String
    /// Plaintext only to a loopback relay (127.0.0.0/8, ::1, localhost), and only when true.
    public var allowPlaintextLoopback: Bool
    /// Pins the relay's address, as `curl --resolve` does: `HOST:PORT:ADDRESS` entries.
    /// The URL's host still decides TLS names and the loopback rule.
    public var resolve: [String]
    public var messageIDDomain: String
    /// The name we give in EHLO (`smtp.helo_name`); empty: the domain of `from`. A hardened relay
    /// refuses a short host name (Postfix `reject_non_fqdn_helo_hostname`).
    public var heloName: String

    public init(
        url: String, from: String, fromName: String? = nil, username: String = "", password: String = "",
        caFile: String = "", allowPlaintextLoopback: Bool = false, resolve: [String] = [],
        messageIDDomain: String? = nil, heloName: String = ""
    ) {
        self.heloName = heloName
        self.url = url
        self.from = from
        self.fromName = fromName
        self.username = username
        self.password = password
        self.caFile = caFile
        self.allowPlaintextLoopback = allowPlaintextLoopback
        self.resolve = resolve
        self.messageIDDomain = messageIDDomain ?? EmailComposer.domain(of: from)
    }

    /// `host:port` of a relay's URL, to name it in a message: never a user name or password.
    public static func address(of url: String) -> String {
        guard let parts = URLComponents(string: url), let host = parts.host, !host.isEmpty else { return "(smtp.url)" }
        let port = parts.port ?? (parts.scheme?.lowercased() == "smtps" ? 465 : 25)
        return (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
    }

    /// `host:port` of this relay.
    public var address: String { Self.address(of: url) }

    /// The EHLO name: `heloName`, or the domain of `from`.
    public var ehloName: String {
        if !heloName.isEmpty { return heloName }
        return from.contains("@") ? EmailComposer.domain(of: from) : ""
    }

    /// The URL libcurl is given: libcurl sends an SMTP URL's path as the EHLO name
    /// (`smtp://host:port/NAME`), and the machine's short host name when there is none.
    public var transferURL: String {
        let name = ehloName
        guard !name.isEmpty, HeloName.isValid(name), var parts = URLComponents(string: url) else { return url }
        parts.path = "/" + name
        return parts.string ?? url
    }

    public enum Security: String, Sendable, Hashable {
        /// `smtps://`: TLS from the first byte.
        case implicitTLS
        /// `smtp://`: the relay must offer STARTTLS, or nothing is sent.
        case requireSTARTTLS
        /// `smtp://` to a loopback host with `allowPlaintextLoopback`. Deliberately no TLS at
        /// all (not "TLS if offered"): the traffic never leaves the machine, and a local relay's
        /// certificate is usually a self-signed one that verification would refuse.
        case plaintext
    }

    /// How the relay is reached, or why it cannot be: a one-line configuration error.
    public func security() -> Result<Security, ConfigurationProblem> {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
              let host = parts.host, !host.isEmpty else {
            return .failure(ConfigurationProblem("smtp.url is not a URL with a host"))
        }
        switch scheme {
        case "smtps":
            return .success(.implicitTLS)
        case "smtp":
            return .success(allowPlaintextLoopback && LoopbackHost.contains(host) ? .plaintext : .requireSTARTTLS)
        default:
            return .failure(ConfigurationProblem("smtp.url must start with smtp:// or smtps://"))
        }
    }
}

/// Where the signed HTTPS POSTs are verified from (`https:` in encompass.yaml).
public struct WebhookConfiguration: Sendable, Hashable {
    /// From ENCOMPASS_WEBHOOK_SECRET only; the caller reads the environment.
    public var secret: String
    /// Extra trusted CA certificates (PEM); empty for the system's store.
    public var caFile: String

    public init(secret: String, caFile: String = "") {
        self.secret = secret
        self.caFile = caFile
    }
}

/// A setting that stops a channel from sending: one line, no secrets, no personal data.
public struct ConfigurationProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
