import Foundation
import RiskModel

/// What an ingest did with its missing episodes (SPEC §10), beside the incidents' counts.
public struct EpisodeCounts: Sendable, Equatable {
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    public init() {}
}

/// An episode as stored: what a store reads back to decide whether a re-ingest changed it, and the
/// audit's old and new values when it did. Times as epoch seconds, as both stores keep them.
public struct StoredEpisode: Sendable, Equatable {
    public var key: Int64
    public var fingerprint: [UInt8]
    public var childId: String
    public var schoolURN: String?
    public var missingAt: Double
    public var returnedAt: Double?
    public var risk: String?
    public var returnInterviewAt: Double?

    public init(key: Int64, fingerprint: [UInt8], childId: String, schoolURN: String?, missingAt: Double, returnedAt: Double?,
                risk: String?, returnInterviewAt: Double?) {
        self.key = key
        self.fingerprint = fingerprint
        self.childId = childId
        self.schoolURN = schoolURN
        self.missingAt = missingAt
        self.returnedAt = returnedAt
        self.risk = risk
        self.returnInterviewAt = returnInterviewAt
    }
}

/// The one rule for writing an episode, for both stores: new, unchanged (same fingerprint), or
/// changed, with the audit detail of a change (ids, times and the risk; never a name or date of birth).
public enum EpisodeWrite: Sendable, Equatable {
    case add
    case unchanged
    case update(key: Int64, detail: [String: [String: String]])

    static let utc = Zone(TimeZone(identifier: "UTC")!)

    /// The `latest_reported_at` a child's row takes from an episode, for a child known only by
    /// episodes: the newest episode's details stand (the school the hub would phone), as the newest
    /// incident's do. Far below any incident's time (years 1900 on: above -2.3e9), so any incident
    /// still replaces them, and ordered by the episode's own time among episodes.
    public static func childRank(_ episode: Episode) -> Double { -1e15 + episode.missingAt.timeIntervalSince1970 }

    public static func decide(_ episode: Episode, stored: StoredEpisode?) -> EpisodeWrite {
        guard let stored else { return .add }
        if stored.fingerprint == Fingerprint.of(episode).bytes { return .unchanged }
        var detail: [String: [String: String]] = [:]
        func note(_ field: String, _ old: String?, _ new: String?) {
            if old != new { detail[field] = ["old": old ?? "", "new": new ?? ""] }
        }
        func time(_ t: Double?) -> String? { t.map { Self.utc.iso8601(Date(timeIntervalSince1970: $0)) } }
        note("child_id", stored.childId, episode.childId)
        note("school_urn", stored.schoolURN, episode.schoolURN)
        note("missing_at", time(stored.missingAt), time(episode.missingAt.timeIntervalSince1970))
        note("returned_at", time(stored.returnedAt), time(episode.returnedAt?.timeIntervalSince1970))
        note("risk", stored.risk, episode.risk?.rawValue)
        note("return_interview_at", time(stored.returnInterviewAt), time(episode.returnInterviewAt?.timeIntervalSince1970))
        // Only the child's names or date of birth changed: said so, without the values.
        if detail.isEmpty { detail["child_details"] = ["old": "", "new": "changed"] }
        return .update(key: stored.key, detail: detail)
    }
}

