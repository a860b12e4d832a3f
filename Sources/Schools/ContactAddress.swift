import Foundation
import InputRules

/// What a key adult's contact must be. Loading key-adults.csv and sending an alert both ask here,
/// so a contact that loads is one delivery will take, and a bad one is found at load, by line.
public enum ContactAddress {
    /// One `@`, something before it, a domain of dotted labels after it, and nothing that could
    /// break out of a header or an SMTP command (spaces, control characters, angle brackets, commas),
    /// and no invisible or look-alike character (`FieldText.isLookAlike`). Not the whole rule for
    /// ids: an address may be an internationalised one (RFC 6531), in any script, and one already
    /// kept in a queued alert must still be sent.
    public static func isEmail(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, address.utf8.count <= 254 else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }) else { return false }
        let forbidden = Set("<>()[],;:\\\" ")
        return address.unicodeScalars.allSatisfy {
            $0.value > 32 && !forbidden.contains(Character($0))
                && FieldText.problem($0, lineBreaks: false, formatCharacters: true) == nil && !FieldText.isLookAlike($0)
        }
    }

    /// A school's e-mail recipients as one alert carries them, `a@school.example, b@school.example`:
    /// the key adult and the deputies. Commas never occur in an address `isEmail` accepts.
    public static func joined(_ addresses: [String]) -> String { addresses.joined(separator: ", ") }

    /// The addresses of a `joined` list; nil when it is empty or any of them is not an address.
    public static func recipients(_ list: String) -> [String]? {
        let addresses = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !addresses.isEmpty, addresses.allSatisfy(isEmail) else { return nil }
        return addresses
    }

    /// The host and port of an `https://` URL that names a host; nil for anything else.
    public static func endpoint(_ url: String) -> (host: String, port: Int?)? {
        guard let parts = URLComponents(string: url), parts.scheme?.lowercased() == "https",
              let host = parts.host, !host.isEmpty else { return nil }
        return (host, parts.port)
    }
}
