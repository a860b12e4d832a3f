import Foundation

/// The children a store may leave out of a scan for a queue at some level, decided here from the
/// rules' own settings so a store only applies two numbers: a child whose window holds fewer than
/// `incidents` incidents, every one graded below `grade`, and who has no MARAC referral, cannot reach
/// the level. (An incident adds at most its grade's weight to the score, since a decay is at most 1.)
public struct ScanFloor: Sendable, Equatable {
    public let incidents: Int
    public let grade: Grade
    /// Children the floor keeps whatever their incidents: those `repeat-missing` may reach.
    public var alsoChildren: [String] = []
    /// Children with an incident naming one of these serial perpetrators are kept too.
    public var serial: SerialPerpetrators = .none

    public init(incidents: Int, grade: Grade) {
        self.incidents = incidents
        self.grade = grade
    }

    /// Whether a child with `count` window incidents, the highest graded `top`, may reach the level.
    public func admits(count: Int, top: Grade) -> Bool { count >= incidents || top >= grade }
}

extension RiskRules {
    /// Nil when every child with an incident in the window is wanted (`--all`).
    public static func scanFloor(minimumLevel: Level, settings: ScoringSettings) -> ScanFloor? {
        guard minimumLevel > .standard else { return nil }
        // One incident of this grade reaches the level by itself (visible-high-risk, medium-incident).
        let grade: Grade = minimumLevel == .high ? .high : .medium
        let threshold = (minimumLevel == .high ? settings.scoreHigh : settings.scoreMedium) - RiskRules.scoreTolerance
        // Below it, a child needs escalation_count incidents, or enough for the score: each adds at
        // most the largest weight of the grades below, so at least threshold / weight of them, a
        // whole number: rounded up, less a hair so that a quotient floating point puts just past a
        // whole number keeps the child. (Rounded down, as it was, the default settings' 1.999...
        // gave 1: every child with an incident in the window was assessed, though one standard
        // incident scores at most 1 of the 2 medium needs; fix-pgesc's profile, session 28.)
        var incidents = settings.escalationCount
        let weight = Grade.allCases.filter { $0 < grade }.map { settings.weight(of: $0) }.max() ?? 0
        if weight > 0 { incidents = min(incidents, Int((threshold / weight - 1e-6).rounded(.up))) }
        return ScanFloor(incidents: max(1, incidents), grade: grade)
    }
}

extension ScanFloor {
    /// The floor made ready for a store that applies it child by child as it reads them (PostgreSQL's
    /// scan, where the links arrive anyway and a GROUP BY on the server would cost more than it
    /// saves): `alsoChildren` as a set, asked once per child.
    public struct Check: Sendable {
        public let floor: ScanFloor
        private let children: Set<String>
        /// Nearly every child is not in the list: answered without hashing for the set.
        private let childFilter: IdFilter

        public init(_ floor: ScanFloor) {
            self.floor = floor
            children = Set(floor.alsoChildren)
            childFilter = IdFilter(floor.alsoChildren)
        }

        /// Whether a child may reach the level: `incidents` are those the scan read for it (the
        /// window's, and a referred child's before it too), oldest first or not. A referred child
        /// is always kept (repeat-marac reaches back past the window).
        public func keeps(childId: String, incidents facts: [IncidentFact], windowStart: Date, referred: Bool) -> Bool {
            if referred { return true }
            var count = 0
            var top = Grade.standard
            for fact in facts where fact.reportedAt >= windowStart {
                count += 1
                if fact.grade > top { top = fact.grade }
            }
            if floor.admits(count: count, top: top) || (childFilter.mayContain(childId) && children.contains(childId)) { return true }
            return !floor.serial.isEmpty && facts.contains { floor.serial.names($0) }
        }
    }
}
