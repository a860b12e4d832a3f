import Foundation
import InputRules

/// The sample's stand-ins for the hub's real contacts: the defaults of `hub.phone`, `hub.email` and
/// `smtp.from`, and any address at a reserved `.example` domain (RFC 2606), which no mail can reach.
/// A school told to ring 0000 000 0000, or a hub whose notices go nowhere, is worse than no run:
/// `notify` refuses to send while any is set.
public enum Placeholders {
    /// The variable that lets a demo or a test run with the sample's contacts. Demo only.
    public static let allowVariable = EnvironmentVariables.allowPlaceholders
    static let phone = "0000 000 0000"

    /// One line for each setting holding a placeholder, naming it; empty when none does.
    public static func problems(in settings: Settings) -> [String] {
        var out: [String] = []
        if settings.hub.phone.trimmingCharacters(in: .whitespaces) == phone {
            out.append("hub.phone is the sample's placeholder \(phone): set the hub's real telephone number")
        }
        for (key, value) in [("hub.email", settings.hub.email), ("smtp.from", settings.smtp.from)] where isExampleAddress(value) {
            out.append("\(key) is the placeholder \(value): set a real address (a .example domain receives no mail)")
        }
        return out
    }

    /// Whether the environment lets placeholders through (`ENCOMPASS_ALLOW_PLACEHOLDERS=1`).
    public static func allowed(_ environment: [String: String]) -> Bool {
        environment[allowVariable] == "1"
    }

    static func isExampleAddress(_ address: String) -> Bool {
        guard let at = address.lastIndex(of: "@") else { return false }
        let domain = address[address.index(after: at)...].lowercased()
        return domain == "example" || domain.hasSuffix(".example")
    }
}

/// `notify` run for real with placeholder contacts (exit 65): one line a setting.
public struct PlaceholderSettings: Error, KindedProblems {
    public let lines: [String]
    public var failureKind: FailureKind { .data }

    public init(problems: [String]) {
        lines = problems.map { $0 + " (\(Placeholders.allowVariable)=1 is for demos only)" }
    }
}
