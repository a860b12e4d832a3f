import Crypto
import Foundation

/// The link each alert carries so the school can say it has read it (SPEC §7): `{public_url}/ack/{token}`.
///
/// Each send of an alert (each attempt) carries a token of its own: 256 bits from the system's
/// random generator, as base64url, of which the database keeps only the SHA-256 (SPEC §7: "at least
/// 128 random bits … stored only as a hash"). A token is nobody's to work out again, not even ours:
/// two hubs sending the same incident and child give different links, and nothing held by `notify`
/// or `serve` makes a token for another alert. Every token issued for an alert opens it until the
/// alert's links end, so a retry's new link does not strand an earlier copy that did arrive.
public struct AcknowledgementLinks: Sendable {
    /// `web.public_url` without a trailing slash.
    public let publicURL: String
    /// How long an alert's links work (`alerts.ack_days`) after its deadline, or after the send
    /// that carried one if that is later (`AlertLifecycle.linkEnd`).
    public let validFor: TimeInterval

    /// Nil when `publicURL` is empty: no links are sent.
    public init?(publicURL: String, days: Int) {
        guard !publicURL.isEmpty else { return nil }
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.validFor = Double(days) * 86_400
    }

    public func url(token: String) -> String { publicURL + "/ack/" + token }

    /// A new token for one send of one alert (`TokenText.random`).
    public static func newToken() -> String { TokenText.random() }

    /// What the database keeps of a token: its SHA-256.
    public static func hash(_ token: String) -> String { TokenText.sha256Hex(token) }

    /// What `notify --dry-run` shows where a send's token goes: no token is drawn or kept for a dry
    /// run, so its link opens nothing. As long as a real token, so the message is laid out as sent.
    public static let dryRunToken = "dry-run-each-real-send-draws-a-random-token"
}

/// How the program writes a secret token and what it keeps of one, in one place: web sessions and
/// API tokens (HubWeb's `Secrets`) and acknowledgement links alike.
public enum TokenText {
    /// A new secret token: 32 bytes (256 bits) from the system's cryptographically secure generator
    /// (`SystemRandomNumberGenerator`: getrandom(2) on Linux), as 43 base64url characters.
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in bytes.indices { bytes[i] = generator.next() }
        return base64URL(bytes)
    }

    /// Base64url without padding: safe in a URL path and a cookie.
    public static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Lowercase hex SHA-256 of the token's UTF-8 bytes.
    public static func sha256Hex(_ token: String) -> String { sha256Hex(bytes: Data(token.utf8)) }

    /// Lowercase hex SHA-256 of `bytes`.
    public static func sha256Hex(bytes: Data) -> String {
        SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Whether `text` looks like a 32-byte token as `base64URL` writes it: 43 base64url characters.
    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 43 && text.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
        }
    }
}
