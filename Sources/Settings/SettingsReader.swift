import Foundation
import InputRules
import RiskModel
import SchoolCalendar
import Schools
import Yams

extension Settings {
    /// Reads `encompass.yaml` text (absent file: pass nil) and the environment.
    /// An unknown key is an error, so a typo never silently falls back to a default.
    public static func read(yaml: String?, fileName: String, environment: [String: String]) throws -> Settings {
        var settings = Settings()
        var values: [String: (text: String, line: Int?, column: Int?, source: String)] = [:]

        if let yaml, !yaml.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let root: Node?
            do {
                root = try Yams.compose(yaml: yaml)
            } catch let error as YamlError {
                throw SettingsError(file: fileName, message: "not valid YAML: \(Self.firstLine(of: "\(error)"))")
            }
            if let root {
                guard let mapping = root.mapping else {
                    throw SettingsError(file: fileName, line: root.mark?.line, column: root.mark?.column, message: "expected a mapping of sections")
                }
                try flatten(mapping, prefix: "", fileName: fileName) { key, node in
                    if key == "calendar.school_day_start_by_urn" {
                        guard let map = node.mapping else {
                            throw SettingsError(file: fileName, line: node.mark?.line, column: node.mark?.column,
                                                message: "\(key): expected a mapping of URN to HH:MM")
                        }
                        for (k, v) in map {
                            guard let urn = k.string, URN.isValid(urn),
                                  let t = v.string.flatMap({ try? TimeOfDay.parse($0) }) else {
                                throw SettingsError(file: fileName, line: k.mark?.line, column: k.mark?.column,
                                                    message: "\(key): expected a 6-digit URN and an HH:MM time")
                            }
                            settings.calendar.schoolDayStartByURN[urn] = t
                        }
                        return
                    }
                    guard let scalar = node.scalar else {
                        throw SettingsError(file: fileName, line: node.mark?.line, column: node.mark?.column, message: "\(key): expected a single value")
                    }
                    values[key] = (scalar.string, node.mark?.line, node.mark?.column, fileName)
                }
            }
        }
        try EnvironmentVariables.check(environment)
        for (name, value) in environment where name.hasPrefix("ENCOMPASS_") {
            if let key = Self.keys.first(where: { $0.environmentName == name })?.key {
                values[key] = (value, nil, nil, "environment \(name)")
            }
        }
        for (key, value) in values {
            guard let spec = Self.keys.first(where: { $0.key == key }) else {
                let hint = Self.secretKeys.contains(key)
                    ? "secrets come only from the environment (\(Self.secretEnvironment[key] ?? ""))"
                    : Self.unknown(key)
                throw SettingsError(file: value.source, line: value.line, column: value.column,
                                    message: "\(FieldText.forTerminal(key)): \(hint)")
            }
            // One rule for every setting, from the file or the environment, before its own: one line
            // of text (a line break in hub.name became a header of the hub's e-mail), not a paste.
            if let problem = FieldText.problem(value.text, as: .line) {
                throw SettingsError(file: value.source, line: value.line, column: value.column, message: "\(key): \(problem)")
            }
            do {
                try spec.apply(&settings, value.text)
            } catch let why as InvalidValue {
                throw SettingsError(file: value.source, line: value.line, column: value.column, message: "\(key): \(why.message)")
            }
        }
        settings.smtp.password = environment[EnvironmentVariables.smtpPassword] ?? ""
        settings.https.webhookSecret = environment[EnvironmentVariables.webhookSecret] ?? ""
        try validate(settings, fileName: fileName, sources: values.mapValues(\.source))
        return settings
    }

    /// `sources`: where each key given was read (the file, or "environment NAME"): a problem
    /// between two settings names the environment variable when one came from there, as that is
    /// what to fix (the file can hold a value that was right until the variable overrode its pair).
    private static func validate(_ s: Settings, fileName: String, sources: [String: String]) throws {
        func place(_ keys: String...) -> String {
            keys.compactMap { sources[$0] }.first { $0 != fileName } ?? fileName
        }
        if s.alerts.linkOnly, s.web.publicURL.isEmpty {
            throw SettingsError(file: place("alerts.content", "web.public_url"),
                                message: "alerts.content is link, but web.public_url is empty: a link-only message needs the link")
        }
        if s.scoring.scoreMedium > s.scoring.scoreHigh {
            throw SettingsError(file: place("scoring.score_medium", "scoring.score_high"),
                                message: "scoring.score_medium must not exceed scoring.score_high")
        }
        // A review period shorter than what the risk rules look back over would let a purge take
        // incidents (or episodes) they still read: a child could leave the review queue by a purge.
        let incidentLookBack = max(s.scoring.windowDays, s.scoring.serialDays)
        if s.retention.incidentsDays > 0, s.retention.incidentsDays < incidentLookBack {
            throw SettingsError(file: place("retention.incidents_days", "scoring.window_days", "scoring.serial_days"),
                                message: "retention.incidents_days must be 0 (never due) or at least \(incidentLookBack) days, "
                                + "the risk rules' look-back (scoring.window_days, scoring.serial_days)")
        }
        if s.retention.episodesDays > 0, s.retention.episodesDays < s.scoring.missingDays {
            throw SettingsError(file: place("retention.episodes_days", "scoring.missing_days"),
                                message: "retention.episodes_days must be 0 (never due) or at least \(s.scoring.missingDays) days, "
                                + "the risk rules' look-back (scoring.missing_days)")
        }
        if TimeZone(identifier: s.calendar.timeZone) == nil {
            throw SettingsError(file: fileName, message: "calendar.time_zone: unknown time zone \(s.calendar.timeZone)")
        }
    }

    private static func firstLine(of text: String) -> String {
        text.split(separator: "\n").first.map(String.init) ?? text
    }

    private static func flatten(_ mapping: Node.Mapping, prefix: String, fileName: String,
                                _ visit: (String, Node) throws -> Void) throws {
        for (k, v) in mapping {
            guard let name = k.string else {
                throw SettingsError(file: fileName, line: k.mark?.line, column: k.mark?.column, message: "a key must be text")
            }
            let key = prefix.isEmpty ? name : "\(prefix).\(name)"
            if let inner = v.mapping, key != "calendar.school_day_start_by_urn" {
                guard Self.sections.contains(key) else {
                    throw SettingsError(file: fileName, line: k.mark?.line, column: k.mark?.column,
                                        message: "\(FieldText.forTerminal(key)): \(Self.unknown(key))")
                }
                try flatten(inner, prefix: key, fileName: fileName, visit)
            } else {
                try visit(key, v)
            }
        }
    }

    /// "unknown setting", and the setting or section it is a letter or two from, if one is.
    private static func unknown(_ key: String) -> String {
        LikelyTypo.meant(key, among: keys.map(\.key) + Array(sections)).map { "unknown setting (did you mean \($0)?)" } ?? "unknown setting"
    }

    struct InvalidValue: Error { let message: String }

    /// Every key this version reads (`scoring.window_days`, ...), besides the map
    /// `calendar.school_day_start_by_urn`: what `init`'s template must list.
    public static var knownKeys: [String] { keys.map(\.key) + ["calendar.school_day_start_by_urn"] }

    struct Key: Sendable {
        let key: String
        let apply: @Sendable (inout Settings, String) throws -> Void
        var environmentName: String { "ENCOMPASS_" + key.uppercased().replacingOccurrences(of: ".", with: "_") }
    }

    static let sections: Set<String> = ["scoring", "scoring.weights", "calendar", "hub", "smtp", "https", "alerts", "web", "retention"]
    static let secretKeys: Set<String> = ["smtp.password", "https.webhook_secret", "https.secret", "https.signing_key"]
    static let secretEnvironment = ["smtp.password": EnvironmentVariables.smtpPassword, "https.webhook_secret": EnvironmentVariables.webhookSecret,
                                    "https.secret": EnvironmentVariables.webhookSecret, "https.signing_key": EnvironmentVariables.webhookSecret]

    /// Variables an earlier version read and this one ignores, each with why: still accepted (they
    /// are among `EnvironmentVariables.known`), so an environment file written for that version keeps
    /// working (`doctor` notes them).
    public static let retiredEnvironment = [
        EnvironmentVariables.ackSecret: "acknowledgement links are no longer made with a key: each send draws a random token",
    ]

    static func int(_ range: ClosedRange<Int>) -> @Sendable (String) throws -> Int {
        { text in
            guard let v = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(v) else {
                throw InvalidValue(message: "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return v
        }
    }

    static func number(_ text: String) throws -> Double {
        guard let v = Double(text.trimmingCharacters(in: .whitespaces)), v.isFinite, v >= 0 else {
            throw InvalidValue(message: "expected a number of 0 or more")
        }
        return v
    }

    static func text(_ text: String) -> String { text }

    /// Where schools reach the hub's application: `https://` (the force's TLS proxy), or `http://`
    /// only to this machine (tests, a demo). No path beyond the site, no query: links are added to it.
    static func publicURL(_ text: String) throws -> String {
        if text.isEmpty { return text }
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let url = URL(string: trimmed), let scheme = url.scheme, let host = url.host, !host.isEmpty,
              url.query == nil, url.fragment == nil, url.user == nil, !trimmed.contains(where: \.isWhitespace),
              scheme == "https" || (scheme == "http" && ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host))
        else {
            throw InvalidValue(message: "expected https://HOST[:PORT][/PATH] (http:// only to 127.0.0.1 or localhost), or empty for no links")
        }
        return trimmed
    }

    /// An address delivery will take (the rule key adults' addresses meet), found wrong at load
    /// rather than at the morning run.
    static func email(_ text: String) throws -> String {
        guard ContactAddress.isEmail(text) else { throw InvalidValue(message: "expected an e-mail address such as hub@police.example") }
        return text
    }

    static func bool(_ text: String) throws -> Bool {
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw InvalidValue(message: "expected true or false")
        }
    }

    static let keys: [Key] = [
        Key(key: "scoring.window_days") { s, v in s.scoring.windowDays = try int(1...3650)(v) },
        Key(key: "scoring.escalation_count") { s, v in s.scoring.escalationCount = try int(1...1000)(v) },
        Key(key: "scoring.half_life_days") { s, v in
            // Its own message for any value refused: "0 or more" would invite the 0 it refuses.
            guard let d = try? number(v), d > 0 else { throw InvalidValue(message: "expected a number above 0") }
            s.scoring.halfLifeDays = d
        },
        Key(key: "scoring.weights.standard") { s, v in s.scoring.weights[.standard] = try number(v) },
        Key(key: "scoring.weights.medium") { s, v in s.scoring.weights[.medium] = try number(v) },
        Key(key: "scoring.weights.high") { s, v in s.scoring.weights[.high] = try number(v) },
        Key(key: "scoring.score_medium") { s, v in s.scoring.scoreMedium = try number(v) },
        Key(key: "scoring.score_high") { s, v in s.scoring.scoreHigh = try number(v) },
        Key(key: "scoring.serial_victims") { s, v in s.scoring.serialVictims = try int(1...1000)(v) },
        Key(key: "scoring.serial_days") { s, v in s.scoring.serialDays = try int(1...7300)(v) },
        Key(key: "scoring.serial_level") { s, v in
            guard let level = Level(name: v), level > .standard else {
                throw InvalidValue(message: "expected medium or high")
            }
            s.scoring.serialLevel = level
        },
        Key(key: "scoring.missing_count") { s, v in s.scoring.missingCount = try int(1...1000)(v) },
        Key(key: "scoring.missing_days") { s, v in s.scoring.missingDays = try int(1...3650)(v) },
        Key(key: "calendar.time_zone") { s, v in
            guard let tz = TimeZone(identifier: v) else { throw InvalidValue(message: "unknown time zone") }
            s.calendar.timeZone = v
            s.scoring.zone = Zone(tz)
        },
        Key(key: "calendar.school_day_start") { s, v in
            guard let t = try? TimeOfDay.parse(v) else { throw InvalidValue(message: "expected HH:MM") }
            s.calendar.schoolDayStart = t
        },
        Key(key: "calendar.minimum_notice_minutes") { s, v in s.calendar.minimumNoticeMinutes = try int(0...1440)(v) },
        Key(key: "hub.name") { s, v in s.hub.name = v },
        Key(key: "hub.email") { s, v in s.hub.email = try email(v) },
        Key(key: "hub.phone") { s, v in s.hub.phone = v },
        Key(key: "hub.webhook") { s, v in
            // The rule a school's endpoint meets: https:// with a host (a user or password in it would be a secret in a file).
            guard v.isEmpty || (ContactAddress.endpoint(v) != nil && URLComponents(string: v)?.user == nil) else {
                throw InvalidValue(message: "expected an https://HOST[:PORT]/PATH URL, or empty for none")
            }
            s.hub.webhook = v
        },
        Key(key: "smtp.url") { s, v in
            guard v.hasPrefix("smtp://") || v.hasPrefix("smtps://") else { throw InvalidValue(message: "expected smtp://HOST:PORT or smtps://HOST:PORT") }
            s.smtp.url = v
        },
        Key(key: "smtp.from") { s, v in s.smtp.from = try email(v) },
        Key(key: "smtp.username") { s, v in s.smtp.username = v },
        Key(key: "smtp.ca_file") { s, v in s.smtp.caFile = v },
        Key(key: "smtp.allow_plaintext_loopback") { s, v in s.smtp.allowPlaintextLoopback = try bool(v) },
        Key(key: "smtp.helo_name") { s, v in
            guard v.isEmpty || HeloName.isValid(v) else {
                throw InvalidValue(message: "expected a dotted host name such as encompass.police.example (empty: the domain of smtp.from)")
            }
            s.smtp.heloName = v
        },
        Key(key: "https.ca_file") { s, v in s.https.caFile = v },
        Key(key: "alerts.max_age_days") { s, v in s.alerts.maxAgeDays = try int(0...36500)(v) },
        Key(key: "alerts.outbox_dir") { s, v in s.alerts.outboxDir = v },
        Key(key: "alerts.content") { s, v in
            switch v {
            case "full": s.alerts.linkOnly = false
            case "link": s.alerts.linkOnly = true
            default: throw InvalidValue(message: "expected full or link")
            }
        },
        Key(key: "alerts.ack_days") { s, v in s.alerts.ackDays = try int(1...365)(v) },
        Key(key: "retention.incidents_days") { s, v in s.retention.incidentsDays = try int(0...36500)(v) },
        Key(key: "retention.episodes_days") { s, v in s.retention.episodesDays = try int(0...36500)(v) },
        Key(key: "web.public_url") { s, v in s.web.publicURL = try publicURL(v) },
    ]
}
