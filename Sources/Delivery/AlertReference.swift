import Crypto
import Foundation

/// The stable reference of one alert, the same on every retry: it becomes the e-mail's
/// `Message-ID` and the webhook's `Idempotency-Key`, so a receiver can drop a duplicate.
public enum AlertReference {
    /// `ENC-<incident>-<12 hex>`. The incident id is the police reference a school is sent in either
    /// content mode; the child's id is not in it: a reference travels in the Subject, Message-ID and
    /// headers of every message, `alerts.content: link`'s too, which sends no personal data at all,
    /// and a person's stable id is personal data that would let any system the messages pass join up
    /// one child's incidents (audit 22, people F3). The hash of the exact pair keeps each child of an
    /// incident apart, and two incident ids that cutting down makes look alike. A reference made
    /// earlier (with the child's id) is kept by its alert, so a retry's stays the same.
    public static func make(incidentId: String, childId: String) -> String {
        let digest = SHA256.hash(data: Data((incidentId + "\u{1F}" + childId).utf8))
        let hex = digest.prefix(6).map { byte in
            let s = String(byte, radix: 16)
            return byte < 16 ? "0" + s : s
        }.joined()
        return "ENC-\(safe(incidentId))-\(hex)"
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
