import Foundation

/// A child's cumulative risk level (SPEC §4). Ordered so that `max` gives the more serious level.
public enum Level: Int, Comparable, Sendable, Codable, CaseIterable {
    case standard = 0
    case medium = 1
    case high = 2

    public var name: String {
        switch self {
        case .standard: "standard"
        case .medium: "medium"
        case .high: "high"
        }
    }

    public init?(name: String) {
        switch name.lowercased() {
        case "standard": self = .standard
        case "medium": self = .medium
        case "high": self = .high
        default: return nil
        }
    }

    public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The rules of SPEC §4, declared in the SPEC table's order: `allCases` is the order hits are reported in.
public enum RuleID: String, Sendable, Codable, CaseIterable {
    case visibleHighRisk = "visible-high-risk"
    case potentialEscalation = "potential-escalation"
    case repeatMarac = "repeat-marac"
    case cumulativeScore = "cumulative-score"
    case mediumIncident = "medium-incident"
    case serialPerpetrator = "serial-perpetrator"
    case repeatMissing = "repeat-missing"

    /// Plain words for people, true whatever the settings (no numbers). No personal data.
    public var summary: String {
        switch self {
        case .visibleHighRisk: "an incident graded high in the window"
        case .potentialEscalation: "several incidents in the window, whatever their grades"
        case .repeatMarac: "an incident within a year after a MARAC referral"
        case .cumulativeScore: "the incidents in the window add up to a high or medium score"
        case .mediumIncident: "an incident graded medium in the window"
        case .serialPerpetrator: "a perpetrator named against several victims"
        case .repeatMissing: "missing from home again and again"
        }
    }

    /// The same words with the configured numbers, e.g. "an incident graded high in the last 365 days".
    public func summary(settings: ScoringSettings) -> String {
        let days = "the last \(settings.windowDays) days"
        return switch self {
        case .visibleHighRisk: "an incident graded high in \(days)"
        case .potentialEscalation: "\(settings.escalationCount) or more incidents in \(days), whatever their grades"
        case .repeatMarac: "an incident within 365 days after a MARAC referral"
        case .cumulativeScore:
            "the incidents in \(days) score \(Self.plain(settings.scoreMedium)) or more "
                + "(\(Self.plain(settings.scoreHigh)) or more is high)"
        case .mediumIncident: "an incident graded medium in \(days)"
        case .serialPerpetrator:
            "an incident names a perpetrator named against \(settings.serialVictims) or more victims in the last \(settings.serialDays) days"
        case .repeatMissing: "\(settings.missingCount) or more missing episodes in the last \(settings.missingDays) days"
        }
    }

    /// 4.0 as "4", 2.5 as "2.5": thresholds read as people write them.
    private static func plain(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// One rule that fired, with the incidents (or episodes) it used, so staff see why and not just that.
public struct RuleHit: Sendable, Equatable {
    public let rule: RuleID
    public let level: Level
    /// Oldest first, ties by id.
    public let incidentIds: [String]
    /// `repeat-missing` only: the episodes it counted, oldest first, ties by id.
    public let episodeIds: [String]

    public init(rule: RuleID, level: Level, incidentIds: [String], episodeIds: [String] = []) {
        self.rule = rule
        self.level = level
        self.incidentIds = incidentIds
        self.episodeIds = episodeIds
    }
}
