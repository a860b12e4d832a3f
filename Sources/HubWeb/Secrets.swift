import Delivery
import Foundation

/// Session, CSRF and API tokens: 32 random bytes from the system's generator, as base64url text;
/// the database keeps only their SHA-256.
public enum Secrets {
    public static func newToken() -> String { TokenText.random() }

    /// Whether `text` looks like a token this program made: 43 base64url characters.
    public static func isWellFormedToken(_ text: String) -> Bool { TokenText.isWellFormed(text) }

    /// Lowercase hex SHA-256 of the token's UTF-8 bytes.
    public static func hash(_ token: String) -> String { TokenText.sha256Hex(token) }

    /// Compares every byte whatever the first difference, so timing tells nothing of a secret.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = x.count ^ y.count
        for i in 0..<max(x.count, y.count) {
            difference |= Int((i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0))
        }
        return difference == 0
    }
}
