import Foundation

/// Retention (issue 14): when a record is due for review by the force's own periods, and what a
/// purge removed. The rule lives here; the stores list candidates and delete what it decides.
public struct RetentionPolicy: Sendable, Equatable {
    /// Days after the record's date; 0: never due.
    public var incidentsDays: Int
    public var episodesDays: Int

    public init(incidentsDays: Int, episodesDays: Int) {
        self.incidentsDays = incidentsDays
        self.episodesDays = episodesDays
    }

    func days(_ kind: RetentionItem.Kind) -> Int { kind == .incident ? incidentsDays : episodesDays }

    public var isEmpty: Bool { incidentsDays == 0 && episodesDays == 0 }

    /// Records dated at or before this are due at `now`; nil when the kind is never due.
    public func cutoff(_ kind: RetentionItem.Kind, now: Date) -> Date? {
        let days = days(kind)
        return days > 0 ? now.addingTimeInterval(-Double(days) * 86_400) : nil
    }

    /// Whether a purge may be run as of `at`: not after the clock. A purge deletes for good what is
    /// due at its instant, and one dated ahead (a mistyped `--now` year) would take the records the
    /// risk rules read today, every escalated child leaving the queue, which the periods' own floor
    /// exists to prevent. A review deletes nothing and may look ahead.
    public static func mayPurge(asOf at: Date, clock: Date) -> Bool { at <= clock }

    /// The date a record dated `date` is due for review.
    public func reviewDate(_ kind: RetentionItem.Kind, recordedAt date: Date) -> Date? {
        let days = days(kind)
        return days > 0 ? date.addingTimeInterval(Double(days) * 86_400) : nil
    }
}

/// A record due for review: its kind, id and date (`reported_at`, or `missing_at` for an episode).
public struct RetentionItem: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case incident
        case episode
    }

    public let kind: Kind
    public let id: String
    public let recordedAt: Date
    /// An incident with an alert that may still go (`AlertLifecycle.mayStillGo`): a purge keeps it.
    public let alertMayStillGo: Bool

    public init(kind: Kind, id: String, recordedAt: Date, alertMayStillGo: Bool = false) {
        self.kind = kind
        self.id = id
        self.recordedAt = recordedAt
        self.alertMayStillGo = alertMayStillGo
    }

    /// The audit subject of the record (`incident:ID`, `episode:ID`).
    public var subject: String { "\(kind.rawValue):\(id)" }
}

public struct RetentionSummary: Sendable, Equatable {
    public var incidents = 0
    public var episodes = 0
    /// Children whose row (names, date of birth) went because nothing of theirs was left.
    public var children = 0
    /// Incidents due but kept: an alert of theirs may still go (`AlertLifecycle.mayStillGo`).
    public var keptForAlerts = 0

    public init() {}

    /// What two batches of one purge did together.
    public static func += (lhs: inout RetentionSummary, rhs: RetentionSummary) {
        lhs.incidents += rhs.incidents
        lhs.episodes += rhs.episodes
        lhs.children += rhs.children
        lhs.keptForAlerts += rhs.keptForAlerts
    }

    /// Records purged (a kept incident is not).
    public var records: Int { incidents + episodes }
}

/// Listing and purging records due for review. An incident with an alert that may still go
/// (`AlertLifecycle.mayStillGo`) is listed as such and kept by a purge, which counts it; it is
/// purged by a later one, once its alerts are delivered or failed. A purge takes the record and
/// everything hanging from it (an incident's links, alerts, the calls and notices about them, its
/// regrades), the child's row when nothing of theirs is left (no incident, episode, decision or plan),
/// and the personal values the audit kept about the record (its rows' detail becomes
/// `{"removed":"retention"}`; who did what when stays). One audit row per record says it was purged,
/// with its id and review date only.
///
/// A purge goes in batches (`purge(_:policy:actor:at:)` below), each one transaction
/// (`purgeBatch`): a record is purged whole, its audit row with it, or not at all.
public protocol RetentionStore: Sendable {
    /// Incidents reported at or before `incidentsBefore` and episodes gone missing at or before
    /// `episodesBefore` (nil: none of that kind), oldest first.
    func retentionCandidates(incidentsBefore: Date?, episodesBefore: Date?) async throws -> [RetentionItem]
    /// One batch, in one transaction: each record, what hangs from it, its audit, and the rows of the
    /// batch's children with nothing of theirs left. Whether an incident's alert may still go is asked
    /// again in it: a run may have claimed or finished one since the list was made.
    func purgeBatch(_ items: [RetentionItem], policy: RetentionPolicy, actor: String, at: Date) async throws -> RetentionSummary
    /// After a purge's last batch, or its stop: undoes what the store kept for the purge's length
    /// (SQLite's index of the links by incident).
    func purgeEnded() async throws
    /// How long a purge waits between two batches, so a writer waiting for the database gets it.
    var pauseBetweenPurgeBatches: Duration { get }
}

/// A purge that stopped after some of its batches: those are purged, each record whole with its
/// audit row, and the rest is still due (`--review` lists it; the next purge takes it). `cause` is
/// why it stopped.
public struct RetentionStopped: Error {
    public let purged: RetentionSummary
    public let cause: any Error

    public init(purged: RetentionSummary, cause: any Error) {
        self.purged = purged
        self.cause = cause
    }
}

extension RetentionStore {
    /// What is due at `now` under `policy`.
    public func due(_ policy: RetentionPolicy, now: Date) async throws -> [RetentionItem] {
        guard !policy.isEmpty else { return [] }
        return try await retentionCandidates(incidentsBefore: policy.cutoff(.incident, now: now),
                                             episodesBefore: policy.cutoff(.episode, now: now))
    }

    /// Purges `items` in batches of `batchSize` records, in their order (oldest first), each batch its
    /// own transaction, so other writers get in between (SQLite lets one writer at a time: a purge of
    /// a year from a store of millions held it for hours, and the morning's `notify`, `ingest` and
    /// `decide` gave up "database is locked"; audit 26, F2). `betweenBatches` runs after each batch
    /// but the last, with what is purged so far.
    ///
    /// Batches purge what one transaction would: a child freed in a batch is the batch's (its last
    /// record is in it), the audit row of each record is written with its deletion, and nothing is
    /// left named in `retention_purging` between batches. Stopped part way (an error, or
    /// `betweenBatches` throwing), what the finished batches purged stays purged and is thrown with
    /// the cause (`RetentionStopped`); when no batch had finished, the cause alone.
    public func purge(_ items: [RetentionItem], policy: RetentionPolicy, actor: String, at: Date,
                      batchSize: Int = RetentionBatch.records,
                      betweenBatches: (RetentionSummary) async throws -> Void = { _ in }) async throws -> RetentionSummary {
        var done = RetentionSummary()
        var finished = 0
        do {
            var start = items.startIndex
            while start < items.endIndex {
                let end = min(start + max(1, batchSize), items.endIndex)
                done += try await purgeBatch(Array(items[start..<end]), policy: policy, actor: actor, at: at)
                finished += 1
                start = end
                if start < items.endIndex {
                    try await Task.sleep(for: pauseBetweenPurgeBatches)
                    try await betweenBatches(done)
                }
            }
            try await purgeEnded()
            return done
        } catch {
            try? await purgeEnded()
            throw finished == 0 ? error : RetentionStopped(purged: done, cause: error)
        }
    }
}

/// The size of a purge's batches.
public enum RetentionBatch {
    /// Records a batch. Each batch writes again every index page its deletions touch, and old
    /// records are spread over most pages of the indexes not kept in time order, so fewer, larger
    /// batches write much less in all: a year of a million-row SQLite store wrote 121 MB a batch of
    /// 1,000 (37 GB in all, three times the one-transaction purge's time), 312 MB one of 5,000,
    /// 442 MB (the whole file) one of 20,000. A batch of 5,000 holds SQLite's lock a few seconds,
    /// well under the 30 s another program waits for it.
    public static let records = 5_000
}

/// The audit detail a purge leaves in place of personal values, and what is said of incidents kept.
public enum RetentionText {
    public static let removedDetail = #"{"removed":"retention"}"#
    public static let keptReason = "an alert of theirs may still go (queued, sending, retrying or overdue); they are purged once it is delivered or failed"
}
