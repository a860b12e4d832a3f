import CivilTime
import Foundation

/// The `scoring:` settings of SPEC §8, with the SPEC's defaults.
public struct ScoringSettings: Sendable, Equatable {
    /// Length of the window, in fixed 86,400-second days (no calendar, no clock changes).
    public var windowDays: Int = 365
    /// `potential-escalation` fires at this many distinct incidents in the window.
    public var escalationCount: Int = 3
    public var halfLifeDays: Double = 90
    /// A grade missing from the dictionary weighs what the SPEC's default gives it.
    public var weights: [Grade: Double] = ScoringSettings.defaultWeights {
        didSet { gradeWeights = Self.table(weights) }
    }
    /// Every grade's weight, read from `weights` once: the rules weigh each incident of hundreds of
    /// thousands of children, where a dictionary look-up hashes the grade each time.
    public private(set) var gradeWeights = ScoringSettings.table(ScoringSettings.defaultWeights)
    public var scoreMedium: Double = 2.0
    public var scoreHigh: Double = 4.0
    /// Turns MARAC referral dates (local dates) into instants comparable with incidents.
    public var zone: Zone = .london
    /// `serial-perpetrator`: this many distinct victims in `serialDays` up to as-of.
    public var serialVictims: Int = 2
    public var serialDays: Int = 1095
    /// The level `serial-perpetrator` gives.
    public var serialLevel: Level = .medium
    /// `repeat-missing`: this many missing episodes in `missingDays` up to as-of.
    public var missingCount: Int = 3
    public var missingDays: Int = 90

    public static let defaultWeights: [Grade: Double] = [.standard: 1, .medium: 2, .high: 4]

    public init(
        windowDays: Int = 365,
        escalationCount: Int = 3,
        halfLifeDays: Double = 90,
        weights: [Grade: Double] = ScoringSettings.defaultWeights,
        scoreMedium: Double = 2.0,
        scoreHigh: Double = 4.0,
        zone: Zone = .london,
        serialVictims: Int = 2,
        serialDays: Int = 1095,
        serialLevel: Level = .medium,
        missingCount: Int = 3,
        missingDays: Int = 90
    ) {
        self.windowDays = windowDays
        self.escalationCount = escalationCount
        self.halfLifeDays = halfLifeDays
        self.weights = weights
        gradeWeights = Self.table(weights)
        self.scoreMedium = scoreMedium
        self.scoreHigh = scoreHigh
        self.zone = zone
        self.serialVictims = serialVictims
        self.serialDays = serialDays
        self.serialLevel = serialLevel
        self.missingCount = missingCount
        self.missingDays = missingDays
    }

    public func weight(of grade: Grade) -> Double { gradeWeights[grade] }

    /// A grade missing from `weights` weighs what the SPEC's default gives it.
    private static func table(_ weights: [Grade: Double]) -> GradeWeights {
        func w(_ g: Grade) -> Double { weights[g] ?? defaultWeights[g] ?? 0 }
        return GradeWeights(standard: w(.standard), medium: w(.medium), high: w(.high))
    }

    /// Settings the rules cannot work with, in words naming the YAML key; empty when all is well.
    /// The config loader should refuse to start with any of these rather than score nonsense.
    public var problems: [String] {
        var found: [String] = []
        if windowDays < 1 { found.append("scoring.window_days must be at least 1") }
        if escalationCount < 1 { found.append("scoring.escalation_count must be at least 1") }
        if !(halfLifeDays > 0) || !halfLifeDays.isFinite {
            found.append("scoring.half_life_days must be a positive number")
        }
        for grade in Grade.allCases {
            let w = weight(of: grade)
            if !(w >= 0) || !w.isFinite { found.append("scoring.weights.\(grade.name) must be zero or more") }
        }
        if !scoreMedium.isFinite { found.append("scoring.score_medium must be a number") }
        if !scoreHigh.isFinite { found.append("scoring.score_high must be a number") }
        if serialVictims < 1 { found.append("scoring.serial_victims must be at least 1") }
        if serialDays < 1 { found.append("scoring.serial_days must be at least 1") }
        if missingCount < 1 { found.append("scoring.missing_count must be at least 1") }
        if missingDays < 1 { found.append("scoring.missing_days must be at least 1") }
        return found
    }

    // Zone is not Equatable; two settings match when their zones name the same tz rules.
    public static func == (a: ScoringSettings, b: ScoringSettings) -> Bool {
        a.windowDays == b.windowDays && a.escalationCount == b.escalationCount
            && a.halfLifeDays == b.halfLifeDays && a.weights == b.weights
            && a.scoreMedium == b.scoreMedium && a.scoreHigh == b.scoreHigh
            && a.zone.timeZone == b.zone.timeZone
            && a.serialVictims == b.serialVictims && a.serialDays == b.serialDays && a.serialLevel == b.serialLevel
            && a.missingCount == b.missingCount && a.missingDays == b.missingDays
    }
}

/// The three grades' weights, looked up by a switch.
public struct GradeWeights: Sendable {
    public let standard: Double
    public let medium: Double
    public let high: Double

    @inline(__always)
    public subscript(grade: Grade) -> Double {
        switch grade {
        case .standard: standard
        case .medium: medium
        case .high: high
        }
    }
}
