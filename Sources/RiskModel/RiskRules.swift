import CivilTime
import Foundation

/// The cumulative-risk rules of SPEC §4: pure, no I/O, called once per child (hundreds of thousands
/// of times a run), so the per-incident work is arithmetic on instants only, never a Calendar.
public enum RiskRules {
    /// Days are fixed 86,400-second days: the window and incident ages ignore clock changes.
    public static let secondsPerDay: Double = 86_400

    /// One child's assessment as of `asOf`; nil when the child has no incident in the window.
    ///
    /// Decisions, each a reading of SPEC §4:
    /// - Incidents reported after `asOf` are ignored entirely, by every rule: an as-of in the past
    ///   replays what the hub could have known then.
    /// - An incident id given more than once counts once; the first occurrence (at or before `asOf`) is used.
    /// - The window is `asOf - windowDays * 86,400 s <= reportedAt <= asOf`: an incident exactly
    ///   `windowDays` earlier is inside, one a second older is outside.
    /// - Incident ids are listed oldest first, ties by id.
    /// - A child's level is the highest level of the rules that fired, `standard` when none fired.
    /// - `marac-referral` is suggested at level high unless a counted referral R is on or after the local
    ///   date of the newest window incident (R's day ends after that incident is reported:
    ///   `Decision.isDated`, the one rule for "a decision since").
    ///
    /// - `serial-perpetrator` reads `serial` (the queue works it out once for every child); its
    ///   incidents are the child's window incidents naming a serial perpetrator.
    /// - `repeat-missing` counts episodes with `asOf - missingDays * 86,400 s <= missingAt <= asOf`
    ///   (each id once) and fires for a child with no incident in the window all the same.
    /// - `strategy-meeting` is suggested when `repeat-missing` fires, unless a strategy-meeting
    ///   decision dated on or after the local date of the newest counted episode, and not after
    ///   the local date of `asOf`, is recorded. `marac-referral` needs level high from another rule.
    ///
    /// `minimumLevel` above standard returns nil for a child who would assess below it, and decides
    /// that before building any list: the review queue skips most children this way.
    public static func assess(_ history: ChildHistory, asOf: Date, settings: ScoringSettings,
                              serial: SerialPerpetrators = .none, minimumLevel: Level = .standard) -> Assessment? {
        let windowStart = asOf.addingTimeInterval(-Double(settings.windowDays) * secondsPerDay)
        let missing = history.episodes.isEmpty ? nil : repeatMissing(history.episodes, asOf: asOf, settings: settings)
        // Most children have nothing in the window: answer them without allocating. A referred
        // child is looked at all the same: repeat-marac reaches back past the window (below).
        guard missing != nil || !history.maracReferrals.isEmpty
                || history.incidents.contains(where: { $0.reportedAt >= windowStart && $0.reportedAt <= asOf }) else {
            return nil
        }
        // The serial look-up last: a child the quick level keeps would only be looked up twice.
        if minimumLevel > .standard, missing == nil, history.maracReferrals.isEmpty, isStrictlyOrdered(history.incidents),
           quickLevel(history.incidents, windowStart: windowStart, asOf: asOf, settings: settings) < minimumLevel,
           serial.isEmpty || !history.incidents.contains(where: { serial.names($0) }) {
            return nil
        }
        let facts = distinctFacts(history.incidents, upTo: asOf)
        let window = facts[(facts.firstIndex(where: { $0.reportedAt >= windowStart }) ?? facts.endIndex)...]
        let spans = referralSpans(history.maracReferrals, asOf: asOf, zone: settings.zone)
        let maracFacts = spans.isEmpty ? [] : facts.filter { fact in spans.contains { $0.covers(fact.reportedAt) } }
        // A child whose repeat-marac incident lies before the window, with nothing in it, is
        // assessed as repeat-missing's child is (SPEC §4 puts no window on repeat-marac): otherwise
        // a sibling with episodes was high and one without was in no queue at all. Its newest
        // incident is then that repeat incident: the queue's place, and what a referral answers.
        guard !window.isEmpty || missing != nil || !maracFacts.isEmpty else { return nil }
        let newest = window.last ?? maracFacts.last

        let weights = settings.gradeWeights
        var score = 0.0
        var windowIds: [String] = []
        windowIds.reserveCapacity(window.count)
        var highIds: [String] = []
        var mediumIds: [String] = []
        var serialIds: [String] = []
        for fact in window {
            windowIds.append(fact.incidentId)
            switch fact.grade {
            case .standard: break
            case .medium: mediumIds.append(fact.incidentId)
            case .high: highIds.append(fact.incidentId)
            }
            score += weights[fact.grade] * decay(from: fact.reportedAt, to: asOf, halfLifeDays: settings.halfLifeDays)
            if !serial.isEmpty, serial.names(fact) { serialIds.append(fact.incidentId) }
        }

        let maracIds = maracFacts.map(\.incidentId)

        var rules: [RuleHit] = []
        if !highIds.isEmpty {
            rules.append(RuleHit(rule: .visibleHighRisk, level: .high, incidentIds: highIds))
        }
        if window.count >= settings.escalationCount {
            rules.append(RuleHit(rule: .potentialEscalation, level: .high, incidentIds: windowIds))
        }
        if !maracIds.isEmpty {
            rules.append(RuleHit(rule: .repeatMarac, level: .high, incidentIds: maracIds))
        }
        if !window.isEmpty, let level = scoreLevel(score, settings: settings) {
            rules.append(RuleHit(rule: .cumulativeScore, level: level, incidentIds: windowIds))
        }
        if !mediumIds.isEmpty {
            rules.append(RuleHit(rule: .mediumIncident, level: .medium, incidentIds: mediumIds))
        }
        if !serialIds.isEmpty {
            rules.append(RuleHit(rule: .serialPerpetrator, level: settings.serialLevel, incidentIds: serialIds))
        }
        if let missing {
            rules.append(RuleHit(rule: .repeatMissing, level: .high, incidentIds: [], episodeIds: missing.map(\.episodeId)))
        }

        let level = rules.lazy.map(\.level).max() ?? .standard
        // The quick skip above decides only some children; this holds the promise for the rest.
        guard level >= minimumLevel else { return nil }
        var suggestions: [String] = []
        if let newest, rules.contains(where: { $0.rule != .repeatMissing && $0.level == .high }),
           !spans.contains(where: { newest.reportedAt < $0.dayAfter }) {
            suggestions.append(Assessment.maracReferralSuggestion)
        }
        let newestEpisode = missing?.last?.missingAt
        if let newestEpisode {
            let today = settings.zone.localDate(of: asOf)
            if !history.strategyMeetings.contains(where: { $0 <= today && Decision.isDated($0, since: newestEpisode, zone: settings.zone) }) {
                suggestions.append(Assessment.strategyMeetingSuggestion)
            }
        }
        let newestAt = [newest?.reportedAt, newestEpisode].compactMap { $0 }.max() ?? asOf
        return Assessment(
            childId: history.childId, level: level, score: score, suggestions: suggestions, rules: rules,
            incidentIds: windowIds, newestIncidentAt: newestAt)
    }

    /// How many episodes in the `missing_days` up to as-of a child needs before `repeat-missing` can
    /// fire: a store may leave out the episodes of children with fewer (`Store.riskContext`).
    public static func episodesThatCanFire(_ settings: ScoringSettings) -> Int { settings.missingCount }

    /// The episodes `repeat-missing` counts, oldest first (ties by id, each id once); nil when
    /// there are fewer than `missingCount`.
    static func repeatMissing(_ episodes: [EpisodeFact], asOf: Date, settings: ScoringSettings) -> [EpisodeFact]? {
        let from = asOf.addingTimeInterval(-Double(settings.missingDays) * secondsPerDay)
        var counted: [EpisodeFact] = []
        for e in episodes where e.missingAt >= from && e.missingAt <= asOf && !counted.contains(where: { $0.episodeId == e.episodeId }) {
            counted.append(e)
        }
        guard counted.count >= settings.missingCount else { return nil }
        return counted.sorted { a, b in a.missingAt != b.missingAt ? a.missingAt < b.missingAt : a.episodeId < b.episodeId }
    }

    /// The level `assess` gives a child with no referral whose incidents are distinct and oldest
    /// first, worked out with arithmetic only.
    static func quickLevel(_ incidents: [IncidentFact], windowStart: Date, asOf: Date, settings: ScoringSettings) -> Level {
        var count = 0
        var top = Grade.standard
        var score = 0.0
        let weights = settings.gradeWeights
        for fact in incidents where fact.reportedAt >= windowStart && fact.reportedAt <= asOf {
            count += 1
            top = max(top, fact.grade)
            score += weights[fact.grade] * decay(from: fact.reportedAt, to: asOf, halfLifeDays: settings.halfLifeDays)
        }
        if top == .high || count >= settings.escalationCount { return .high }
        let byScore = scoreLevel(score, settings: settings) ?? .standard
        return max(byScore, top == .medium ? .medium : .standard)
    }

    /// The review queue (SPEC §8 `escalations`): level high first, then the newest incident first,
    /// then child id, so equal cases list the same way every run. `includeAll` false keeps medium and high.
    public static func reviewQueue(_ assessments: [Assessment], includeAll: Bool) -> [Assessment] {
        reviewQueueOrder(assessments, includeAll: includeAll).map { assessments[$0] }
    }

    /// The positions in `assessments` of the review queue, in its order.
    public static func reviewQueueOrder(_ assessments: [Assessment], includeAll: Bool) -> [Int] {
        reviewQueueOrder(assessments.indices.map { QueueKey(assessments[$0]) }, includeAll: includeAll)
    }

    /// The same order from each child's key alone: a queue of a hundred thousand children is sorted
    /// without copying an assessment (each copy retains and releases its arrays).
    public static func reviewQueueOrder(_ keys: [QueueKey], includeAll: Bool) -> [Int] {
        // What is sorted holds no reference (the sort moves each element many times); the child id
        // is read only to break a tie.
        var order: [(level: Level, newest: Date, index: Int)] = []
        order.reserveCapacity(keys.count)
        for i in keys.indices where includeAll || keys[i].level >= .medium { order.append((keys[i].level, keys[i].newest, i)) }
        order.sort { a, b in
            QueueKey.precedes(a.level, a.newest, b.level, b.newest) ?? (keys[a.index].childId < keys[b.index].childId)
        }
        return order.map(\.index)
    }

    /// What places a child in the review queue.
    public struct QueueKey: Sendable, Equatable {
        public let level: Level
        public let newest: Date
        public let childId: String

        public init(_ a: borrowing Assessment) {
            level = a.level
            newest = a.newestIncidentAt
            childId = a.childId
        }

        /// A place in the queue read back from a page's link (the child may have left the queue since).
        public init(level: Level, newest: Date, childId: String) {
            (self.level, self.newest, self.childId) = (level, newest, childId)
        }

        /// Whether this child comes before `other` in the queue. The child id settles a tie, so the
        /// order is total: no two children share a place, and a page can start just after one
        /// (the queue page's links) however the list has changed since.
        public func precedes(_ other: QueueKey) -> Bool {
            Self.precedes(level, newest, other.level, other.newest) ?? (childId < other.childId)
        }

        /// The queue's order by level and newest incident, nil on a tie (then the child id decides).
        @inline(__always)
        static func precedes(_ aLevel: Level, _ aNewest: Date, _ bLevel: Level, _ bNewest: Date) -> Bool? {
            if aLevel != bLevel { return aLevel > bLevel }
            if aNewest != bNewest { return aNewest > bNewest }
            return nil
        }
    }

    /// `weight * decay` is one incident's part of the score: 1 today, 0.5 one half-life ago.
    /// Age is `(asOf - reportedAt) / 86,400` as a fractional day count.
    public static func decay(from reportedAt: Date, to asOf: Date, halfLifeDays: Double) -> Double {
        let ageDays = asOf.timeIntervalSince(reportedAt) / secondsPerDay
        return pow(0.5, ageDays / halfLifeDays)
    }

    /// How far below a threshold a score may fall and still reach it: decimal weights add up short
    /// of their exact total in binary (ten incidents of weight 0.2 today make 1.9999999999999998),
    /// and a child at exactly `score_medium` stayed standard (audit 21, time: noted). Far below any
    /// difference a weight, a half-life or a second of age makes.
    public static let scoreTolerance = 1e-9

    /// `cumulative-score`: at or above `scoreHigh` is high, else at or above `scoreMedium` is medium.
    static func scoreLevel(_ score: Double, settings: ScoringSettings) -> Level? {
        if score >= settings.scoreHigh - scoreTolerance { return .high }
        if score >= settings.scoreMedium - scoreTolerance { return .medium }
        return nil
    }

    /// The incidents at or before `asOf`, each id once (its first occurrence), oldest first, ties by id.
    static func distinctFacts(_ incidents: [IncidentFact], upTo asOf: Date) -> [IncidentFact] {
        // The store hands each child's incidents over oldest first: strictly ordered by (time, id)
        // means distinct and sorted already, so no copy is needed.
        if isStrictlyOrdered(incidents), incidents.last.map({ $0.reportedAt <= asOf }) ?? true {
            return incidents
        }
        var facts: [IncidentFact] = []
        facts.reserveCapacity(incidents.count)
        // A child has a handful of incidents: a linear scan beats hashing until the list is long.
        if incidents.count <= 16 {
            for fact in incidents where fact.reportedAt <= asOf
                && !facts.contains(where: { $0.incidentId == fact.incidentId }) {
                facts.append(fact)
            }
        } else {
            var seen = Set<String>(minimumCapacity: incidents.count)
            for fact in incidents where fact.reportedAt <= asOf && seen.insert(fact.incidentId).inserted {
                facts.append(fact)
            }
        }
        facts.sort { a, b in
            a.reportedAt != b.reportedAt ? a.reportedAt < b.reportedAt : a.incidentId < b.incidentId
        }
        return facts
    }

    static func isStrictlyOrdered(_ facts: [IncidentFact]) -> Bool {
        var i = 1
        while i < facts.count {
            let a = facts[i - 1], b = facts[i]
            if a.reportedAt > b.reportedAt || (a.reportedAt == b.reportedAt && a.incidentId >= b.incidentId) { return false }
            i += 1
        }
        return true
    }

    /// The referrals `repeat-marac` counts: those on or before the local date of `asOf`, each turned
    /// into instants once so incidents are compared without calendar work.
    static func referralSpans(_ referrals: [LocalDate], asOf: Date, zone: Zone) -> [ReferralSpan] {
        guard !referrals.isEmpty else { return [] }
        let today = zone.localDate(of: asOf)
        return referrals.filter { $0 <= today }.map { day in
            ReferralSpan(
                dayAfter: Decision.answersUntil(day, zone: zone),
                yearAfter: zone.instant(on: day.adding(days: 366)))
        }
    }
}

/// A MARAC referral on local day R, as instants in the settings' zone.
struct ReferralSpan {
    /// Start of R + 1. An incident on day R itself is taken to be the one that led to the referral,
    /// so only incidents from here on count as "after R".
    let dayAfter: Date
    /// Start of R + 366: "within 365 days of R" means a local date up to and including R + 365.
    let yearAfter: Date

    /// `repeat-marac` need not look inside the scoring window: any incident after R and within 365 days.
    func covers(_ instant: Date) -> Bool { instant >= dayAfter && instant < yearAfter }
}
