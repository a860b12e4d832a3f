import Crypto
import Foundation

/// The stable reference of one alert, the same on every retry: it becomes the e-mail's
/// `Message-ID` and the webhook's `Idempotency-Key`, so a receiver can drop a duplicate.
public enum AlertReference {
    /// `ENC-<incident>-<child>-<8 hex>`. The ids are cut down to characters that are safe in a
    /// Message-ID and an HTTP header; the hash of the exact ids keeps two different pairs apart
    /// even when cutting them down makes them look alike.
    public static func make(incidentId: String, childId: String) -> String {
        let digest = SHA256.hash(data: Data((incidentId + "\u{1F}" + childId).utf8))
        let hex = digest.prefix(4).map { byte in
            let s = String(byte, radix: 16)
            return byte < 16 ? "0" + s : s
        }.joined()
        return "ENC-\(safe(incidentId))-\(safe(childId))-\(hex)"
    }

    private static func safe(_ id: String) -> String {
        let kept = id.unicodeScalars.prefix(32).map { scalar -> Character in
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9", "-": Character(scalar)
            default: "_"
            }
        }
        return kept.isEmpty ? "_" : String(kept)
    }
}
