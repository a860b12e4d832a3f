import Crypto
import Foundation

/// `X-Encompass-Signature: sha256=<hex>`: HMAC-SHA256 of the exact body bytes, so a receiver can
/// check the POST came from the police and was not altered.
public enum WebhookSignature {
    public static func header(body: Data, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
