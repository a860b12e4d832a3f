import Crypto
import Foundation

/// The link each alert carries so the school can say it has read it (SPEC §7): `{public_url}/ack/{token}`.
///
/// The token must be the same in every copy of an alert (a retry must not strand the first link)
/// and the database keeps only its hash, so it is not drawn at random and stored: it is the
/// HMAC-SHA256 of the alert's reference under `ENCOMPASS_ACK_SECRET` (256 bits, as base64url), which
/// only `notify` holds. Without the secret nobody can make a token for a reference; `serve` needs
/// only the hash to find the alert a token opens.
public struct AcknowledgementLinks: Sendable {
    /// `web.public_url` without a trailing slash.
    public let publicURL: String
    /// How long a link works from the alert's first send (`alerts.ack_days`).
    public let validFor: TimeInterval
    private let key: SymmetricKey

    /// Nil when `publicURL` is empty: no links are sent.
    public init?(publicURL: String, secret: String, days: Int) {
        guard !publicURL.isEmpty else { return nil }
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.validFor = Double(days) * 86_400
        key = SymmetricKey(data: Data(secret.utf8))
    }

    /// The shortest secret accepted: 32 characters.
    public static let minimumSecretLength = 32

    public func token(for reference: String) -> String {
        TokenText.base64URL(Array(HMAC<SHA256>.authenticationCode(for: Data(("encompass-ack:" + reference).utf8), using: key)))
    }

    public func url(for reference: String) -> String { publicURL + "/ack/" + token(for: reference) }

    /// What the database keeps of a token: its SHA-256.
    public static func hash(_ token: String) -> String { TokenText.sha256Hex(token) }
}

/// How the program writes a secret token and what it keeps of one, in one place: web sessions and
/// API tokens (HubWeb's `Secrets`) and acknowledgement links alike.
public enum TokenText {
    /// Base64url without padding: safe in a URL path and a cookie.
    public static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Lowercase hex SHA-256 of the token's UTF-8 bytes.
    public static func sha256Hex(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { byte in
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
