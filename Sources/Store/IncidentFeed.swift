import Foundation
import RiskModel

/// Incidents handed from the reader of a batch's files to the store's writer while the files are
/// still being read, so reading and writing use a core each. The writer writes inside a transaction
/// it commits only when the reader ends the feed `complete`: any error in any row ends it
/// `abandoned`, and nothing is kept.
///
/// What needs no database is worked out by the handing thread, the less busy one: each incident's
/// fingerprint, its row and its links' rows ready to bind, and the batch's children (each numbered
/// in the order first seen, with their newest details).
public final class IncidentFeed: @unchecked Sendable {
    public enum End: Sendable {
        /// Every incident of the batch was handed over, each once and whole.
        case complete
        /// The batch is invalid: write nothing.
        case abandoned
        /// An incident was handed over before all its rows were read (its rows were not together
        /// in the file): write this whole batch instead.
        case redo([Incident])
    }

    /// Values of an incident's row after its key, up to (not with) the two timestamps.
    static let incidentValues = 11
    /// Values of a link's row after its child and incident keys.
    static let linkValues = 8
    /// Values of a child's row after its key.
    static let childValues = 6

    struct Chunk {
        var incidents: [Incident] = []
        var fingerprints: [Fingerprint.Digest] = []
        /// `incidentValues` per incident, in order.
        var incidentRows = EncodedRows()
        /// `linkValues` per link, in order of incident then child.
        var linkRows = EncodedRows()
        /// Per link, the child's number in the batch.
        var childNumbers: [Int] = []
    }

    /// The batch's children by number. Written only by the handing thread; read by the writer only
    /// after the feed ended (the lock orders the two).
    struct Children {
        var ids: [String] = []
        var numbers: [String: Int] = [:]
        /// Each child's newest incident time in the batch, and their details on it (ties: the later).
        var newest: [Double] = []
        var details: [Details] = []
        /// Once the feed is complete: `childValues` per child, in number order (the values of a
        /// child's row after its key), encoded by the handing thread while the writer catches up.
        var rows = EncodedRows()

        struct Details {
            var givenName: String
            var familyName: String
            var dateOfBirth: LocalDate
            var schoolURN: String?

            init(_ c: ChildLink) {
                givenName = c.givenName
                familyName = c.familyName
                dateOfBirth = c.dateOfBirth
                schoolURN = c.schoolURN
            }
        }

        mutating func encodeRows() {
            rows = EncodedRows(capacity: ids.count * IncidentFeed.childValues)
            for n in ids.indices {
                rows.add(ids[n]); rows.add(details[n].givenName); rows.add(details[n].familyName)
                rows.add(details[n].dateOfBirth.description); rows.add(details[n].schoolURN); rows.add(newest[n])
            }
        }
    }

    private let condition = NSCondition()
    private var chunks: [Chunk] = []
    /// The most chunks queued at once: past it, `push` waits for the writer to take one, so a
    /// reader whose writer waits for the database's write lock does not read ahead without bound.
    private let maximumQueued: Int
    /// Readers waiting in `push` for room (for tests).
    private var pushersWaiting = 0
    private var end: End?
    /// The writer has stopped taking chunks (it failed, or the feed ended): later ones are dropped.
    private var closed = false
    private var batchChildren = Children()
    /// Waiting in `hasWork()`.
    private var waiting: [CheckedContinuation<Bool, Never>] = []

    /// `expectedRows`: about how many rows the batch has (a guess from the files' size is enough),
    /// so the children's index is sized once rather than rehashed as it grows.
    public init(expectedRows: Int = 0, maximumQueued: Int = 4) {
        self.maximumQueued = max(1, maximumQueued)
        batchChildren.numbers.reserveCapacity(expectedRows)
    }

    /// A feed already holding a whole batch.
    public convenience init(batch: [Incident]) {
        self.init()
        push(batch)
        finish(.complete)
    }

    public func push(_ incidents: [Incident]) {
        guard !incidents.isEmpty, !isClosed else { return }
        var fingerprints: [Fingerprint.Digest] = []
        fingerprints.reserveCapacity(incidents.count)
        var incidentRows = EncodedRows(capacity: incidents.count * Self.incidentValues)
        var linkRows = EncodedRows(capacity: incidents.count * Self.linkValues)
        var childNumbers: [Int] = []
        for incident in incidents {
            let fingerprint = Fingerprint.of(incident)
            fingerprints.append(fingerprint)
            let reported = incident.reportedAt.timeIntervalSince1970
            let grade = incident.effectiveGrade.rawValue
            incidentRows.add(incident.id); incidentRows.add(reported); incidentRows.add(incident.riskTool.rawValue)
            incidentRows.add(incident.officerGrade.rawValue); incidentRows.add(incident.dashYesCount)
            incidentRows.add(incident.supervisorGrade?.rawValue); incidentRows.add(grade); incidentRows.add(Self.flags(incident))
            incidentRows.add(incident.victimId); incidentRows.add(incident.perpetratorId); incidentRows.add(fingerprint)
            for c in incident.children {
                childNumbers.append(number(c, reportedAt: reported))
                linkRows.add(incident.id); linkRows.add(reported); linkRows.add(grade); linkRows.add(c.schoolURN)
                linkRows.add(c.present); linkRows.add(c.spokenTo); linkRows.add(c.voice); linkRows.add(c.bodyWornVideo)
            }
        }
        let chunk = Chunk(incidents: incidents, fingerprints: fingerprints, incidentRows: incidentRows,
                          linkRows: linkRows, childNumbers: childNumbers)
        condition.lock()
        // Wait for room while the writer is still taking chunks (it closes the feed if it stops).
        while !closed, chunks.count >= maximumQueued {
            pushersWaiting += 1
            condition.wait()
            pushersWaiting -= 1
        }
        if !closed { chunks.append(chunk) }
        condition.broadcast()
        wakeWaiters()
        condition.unlock()
    }

    /// Waits until there is something to write: a chunk, or the end of a batch that was not
    /// abandoned. False when the batch was abandoned (or the feed closed) first.
    public func hasWork() async -> Bool {
        await withCheckedContinuation { c in
            condition.lock()
            defer { condition.unlock() }
            if let answer = workAnswer { c.resume(returning: answer) } else { waiting.append(c) }
        }
    }

    /// Under the lock: whether there is work, or nil while that is not yet known.
    private var workAnswer: Bool? {
        if !chunks.isEmpty { return true }
        switch end {
        case nil: return closed ? false : nil
        case .abandoned?: return false
        case .complete?, .redo?: return true
        }
    }

    /// Under the lock.
    private func wakeWaiters() {
        guard let answer = workAnswer, !waiting.isEmpty else { return }
        for c in waiting { c.resume(returning: answer) }
        waiting.removeAll()
    }

    /// Chunks handed over and not yet taken, and tasks waiting in `hasWork()`: for tests that must
    /// act at a known point of the hand-over.
    var queuedChunks: Int { locked { chunks.count } }
    var waitingCount: Int { locked { waiting.count } }
    var pushersWaitingCount: Int { locked { pushersWaiting } }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    private var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// Nothing will take more chunks (the writer ended, or never started): the reader stops
    /// queueing them. Safe to call more than once.
    public func close() {
        condition.lock()
        closed = true
        chunks.removeAll()
        condition.broadcast()
        wakeWaiters()
        condition.unlock()
    }

    public func finish(_ end: End) {
        if case .complete = end, !isClosed { batchChildren.encodeRows() }
        condition.lock()
        self.end = end
        condition.broadcast()
        wakeWaiters()
        condition.unlock()
    }

    /// The `flags` column: the incident's flags, comma-separated.
    static func flags(_ incident: Incident) -> String {
        incident.flags.isEmpty ? "" : incident.flags.map(\.rawValue).joined(separator: ",")
    }

    /// The child's number in the batch, noting their details when this incident is their newest.
    private func number(_ c: ChildLink, reportedAt: Double) -> Int {
        if let n = batchChildren.numbers[c.childId] {
            if reportedAt >= batchChildren.newest[n] {
                batchChildren.newest[n] = reportedAt
                batchChildren.details[n] = Children.Details(c)
            }
            return n
        }
        let n = batchChildren.ids.count
        batchChildren.numbers[c.childId] = n
        batchChildren.ids.append(c.childId)
        batchChildren.newest.append(reportedAt)
        batchChildren.details.append(Children.Details(c))
        return n
    }

    /// The next chunk, waiting for one; nil once the feed has ended and every chunk was taken.
    func next() -> Chunk? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && end == nil { condition.wait() }
        // An abandoned batch is rolled back: what is still queued need not be written first.
        if case .abandoned? = end { chunks.removeAll() }
        if chunks.isEmpty { return nil }
        // A reader may be waiting for room.
        condition.broadcast()
        return chunks.removeFirst()
    }

    /// How the feed ended; only once `next()` has returned nil.
    var outcome: End {
        condition.lock()
        defer { condition.unlock() }
        return end ?? .abandoned
    }

    /// The batch's children; only once `next()` has returned nil.
    var children: Children {
        condition.lock()
        defer { condition.unlock() }
        return batchChildren
    }
}

/// Thrown by a store's ingest when the feed was abandoned: its transaction was rolled back.
public struct IngestAbandoned: Error {
    public init() {}
}
