import Foundation

/// A risk grade. Ordered so that `max` gives the more serious grade.
public enum Grade: Int, Comparable, Sendable, Hashable, CaseIterable, Codable {
    case standard = 0
    case medium = 1
    case high = 2

    /// Accepts any case ("Standard", "HIGH"), as forces export them.
    public init?(text: String) {
        switch text.lowercased() {
        case "standard": self = .standard
        case "medium": self = .medium
        case "high": self = .high
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .standard: "standard"
        case .medium: "medium"
        case .high: "high"
        }
    }

    public static func < (lhs: Grade, rhs: Grade) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The checklist a force used to grade the incident.
public enum RiskTool: String, Sendable, Hashable, CaseIterable, Codable {
    case dash = "DASH"
    case dash24 = "DASH24"
    case dara = "DARA"
    case none = "NONE"

    public init?(text: String) {
        self.init(rawValue: text.uppercased())
    }

    /// The largest yes-count the checklist allows; nil where the tool has no yes-count.
    public var maximumYesCount: Int? {
        switch self {
        case .dash: 27
        case .dash24: 24
        case .dara, .none: nil
        }
    }

    /// The SafeLives bands: 0-9 standard, 10-13 medium, 14+ high.
    public static func band(yesCount: Int) -> Grade {
        switch yesCount {
        case ..<10: .standard
        case 10...13: .medium
        default: .high
        }
    }
}
