import CivilTime
import Dispatch
import Foundation
import InputRules
import RiskModel
import StoreContract

/// The review queue of SPEC §8: every child's assessment as of an instant, in the order staff work it.
/// The CLI, the web pages and the JSON API all read this one value, so they cannot disagree.
public struct ReviewQueue: Sendable {
    /// A class, so sorting and rendering the queue move one reference, not every list of an assessment.
    public final class Entry: Sendable {
        public let assessment: Assessment
        public let summary: ChildSummary?
        /// The summary's school, kept apart: the JSON needs only this, and copying the summary out
        /// would retain its school name, one string shared by every child of the school.
        let schoolURN: String?

        init(assessment: Assessment, summary: ChildSummary?) {
            self.assessment = assessment
            self.summary = summary
            schoolURN = summary?.schoolURN
        }

        init(assessment: Assessment, schoolURN: String?) {
            self.assessment = assessment
            summary = nil
            self.schoolURN = schoolURN
        }
    }

    public let asOf: Date
    public let settings: ScoringSettings
    public let entries: [Entry]

    public static func build(store: any Store, settings: ScoringSettings, asOf: Date, includeAll: Bool) async throws -> ReviewQueue {
        try await build(store: store, settings: settings, asOf: asOf, minimum: includeAll ? .standard : .medium)
    }

    /// The children at `minimum` or above, in the queue's order.
    public static func build(store: any Store, settings: ScoringSettings, asOf: Date, minimum: Level) async throws -> ReviewQueue {
        let kept = try await assess(store: store, settings: settings, asOf: asOf, minimum: minimum,
                                    tally: { ScanResults<Entry>(parts: scanParts) }) { kept, part, a, summary in
            kept.append(Entry(assessment: a, summary: try summary()), to: part)
        }
        let entries = kept.all
        let ordered = RiskRules.reviewQueueOrder(entries.map { RiskRules.QueueKey($0.assessment) }, includeAll: minimum == .standard)
        return ReviewQueue(asOf: asOf, settings: settings, entries: ordered.map { entries[$0] })
    }

    /// Every child at `minimum` or above, assessed and handed to `visit` as the scan finds them
    /// (from several parts at once, `part` saying which), with a way to their school: nothing is
    /// kept here. The queue keeps them all; the inspection report only counts the children
    /// waiting on a decision among those at high (the floor then skips more of them), and holding
    /// their assessments for that took it to 1.09 GB at ten million rows.
    ///
    /// The queue is read in several transactions (the parts at once, the episodes and the serial
    /// perpetrators beside them), so a write committed while it is read could be seen by some
    /// reads and not others: a correction moving a high-risk incident from one child to another
    /// showed neither child, or both. Every write the queue reads moves `changeVersion` in its own
    /// transaction, so when the number is the same after the last read as before the first, no
    /// write landed between them and the reads agree; otherwise the queue is read again into a
    /// new `tally` (the earlier one is dropped), up to `readAttempts` times, the last taken as it is.
    public static func assess<Tally: Sendable>(
        store: any Store, settings: ScoringSettings, asOf: Date, minimum: Level,
        tally newTally: @escaping @Sendable () async throws -> Tally,
        _ visit: @escaping @Sendable (Tally, _ part: Int, Assessment, () throws -> ChildSummary?) throws -> Void
    ) async throws -> Tally {
        var attempt = 1
        while true {
            let before = try await store.changeVersion()
            let tally = try await newTally()
            try await assessOnce(store: store, settings: settings, asOf: asOf, minimum: minimum) { part, a, summary in
                try visit(tally, part, a, summary)
            }
            if attempt >= readAttempts { return tally }
            if try await store.changeVersion() == before { return tally }
            attempt += 1
        }
    }

    /// Writes that keep landing while the queue is read (an ingest of many batches) are not waited
    /// out for ever: each reading takes well under a second at a million rows.
    static let readAttempts = 5

    /// One reading of the queue, in several transactions (`assess` checks they agree).
    static func assessOnce(store: any Store, settings: ScoringSettings, asOf: Date, minimum: Level,
                           _ visit: @escaping @Sendable (_ part: Int, Assessment, () throws -> ChildSummary?) throws -> Void) async throws {
        let windowStart = asOf.addingTimeInterval(-Double(settings.windowDays) * RiskRules.secondsPerDay)
        // Episodes, strategy meetings and the serial perpetrators are read once, as the scan starts:
        // a few thousand rows, where a second pass over every incident would double the work. The
        // two reads run at once, and the serial rule is worked out while the episodes are read.
        let serialFrom = asOf.addingTimeInterval(-Double(max(settings.serialDays, settings.windowDays)) * RiskRules.secondsPerDay)
        let missingFrom = asOf.addingTimeInterval(-Double(settings.missingDays) * RiskRules.secondsPerDay)
        let floorFromLevel = RiskRules.scanFloor(minimumLevel: minimum, settings: settings)
        let withEpisodes = ScanResults<String>(parts: scanParts)
        let known = try await store.scanChildHistories(windowStart: windowStart, asOf: asOf, parts: scanParts, start: {
            async let serialFound = RiskRules.serialPerpetrators(
                try await store.serialCandidateIncidents(from: serialFrom, to: asOf, minimumVictims: settings.serialVictims),
                asOf: asOf, settings: settings)
            let context = try await store.riskContext(missingFrom: missingFrom, asOf: asOf,
                                                      minimumEpisodes: RiskRules.episodesThatCanFire(settings))
            let serial = try await serialFound
            var floor = floorFromLevel
            floor?.alsoChildren = context.episodes.filter { $0.value.count >= settings.missingCount }.map(\.key)
            floor?.serial = serial
            return ScanStart(floor: floor, context: Known(context: context, serial: serial, asOf: asOf, settings: settings, minimum: minimum))
        }) { part, h, summary, known in
            guard known.withContext.mayContain(h.childId) else {
                if let a = known.assess(h) { try visit(part, a, summary) }
                return
            }
            // Copied only here, for the few with episodes or meetings: a copy retains each list.
            var h = h
            if let episodes = known.context.episodes[h.childId] {
                h.episodes = episodes
                withEpisodes.append(h.childId, to: part)
            }
            if let meetings = known.context.strategyMeetings[h.childId] { h.strategyMeetings = meetings }
            if let a = known.assess(h) { try visit(part, a, summary) }
        }
        let context = known.context
        // SPEC §4: a child with episodes and no incident in the window is assessed all the same.
        let scanned = Set(withEpisodes.all)
        let rest = context.episodes.filter { !scanned.contains($0.key) && $0.value.count >= settings.missingCount }
        if !rest.isEmpty {
            // In slices: a store answers a short list by looking each child up, a long one by
            // reading every child, and these are a few hundred among hundreds of thousands.
            var summaries: [String: ChildSummary] = [:]
            let ids = Array(rest.keys)
            for start in stride(from: 0, to: ids.count, by: 400) {
                summaries.merge(try await store.childSummaries(Array(ids[start..<min(start + 400, ids.count)]))) { a, _ in a }
            }
            for (childId, episodes) in rest {
                let h = ChildHistory(childId: childId, incidents: [], episodes: episodes,
                                     strategyMeetings: context.strategyMeetings[childId] ?? [])
                guard let a = known.assess(h) else { continue }
                try visit(0, a, { summaries[childId] })
            }
        }
    }

    /// What the rules read beside each child's incidents, read as the scan starts, and the
    /// assessment they make with it.
    struct Known: Sendable {
        let context: RiskContext
        let serial: SerialPerpetrators
        let asOf: Date
        let settings: ScoringSettings
        let minimum: Level
        /// Nearly every child has neither: the filter says so without hashing each id for a dictionary.
        let withContext: IdFilter

        init(context: RiskContext, serial: SerialPerpetrators, asOf: Date, settings: ScoringSettings, minimum: Level) {
            (self.context, self.serial, self.asOf, self.settings, self.minimum) = (context, serial, asOf, settings, minimum)
            withContext = IdFilter(Array(context.episodes.keys) + Array(context.strategyMeetings.keys))
        }

        func assess(_ h: ChildHistory) -> Assessment? {
            RiskRules.assess(h, asOf: asOf, settings: settings, serial: serial, minimumLevel: minimum)
        }
    }

    /// One part per core: the scan, the rules and the JSON split across them.
    static let scanParts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))

    /// Score as shown: two decimals. Thresholds are applied to the unrounded score.
    public static func displayScore(_ score: Double) -> Double { (score * 100).rounded() / 100 }

    /// `escalations --json` and GET /api/escalations, byte for byte.
    public func json() -> String { String(decoding: jsonBytes(), as: UTF8.self) }

    /// The same document as UTF-8 bytes, written straight into one buffer: a queue can hold a
    /// hundred thousand children.
    public func jsonBytes() -> [UInt8] {
        var out: [UInt8] = []
        writeJSON { out.append(contentsOf: $0) }
        return out
    }

    /// The same document handed over in pieces, so a long queue is written out without first being
    /// copied into one buffer. The entries are rendered a block at a time, each block in one slice
    /// per core at once, and written before the next: a queue of a million children (470 MB of
    /// JSON) never has more than a block's text in memory. Each piece is valid only during `write`:
    /// the slices' buffers are used again for the next block (fresh memory each block cost a page
    /// fault every 4 KB).
    public func writeJSON(block: Int = jsonBlock, _ write: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var blocks = jsonBlocks(block: block)
        while try blocks.next(write) {}
    }

    /// The document a block at a time, for a writer that must wait between pieces (the API's
    /// response, sent as it is rendered: the whole document, 469 MB at ten million rows, was built
    /// in memory and copied twice, and `serve` peaked at 2 GB answering it).
    public func jsonBlocks(block: Int = jsonBlock) -> JSONBlocks { JSONBlocks(queue: self, block: block) }

    /// The document's pieces: the head, then each block's slices, then the tail.
    public struct JSONBlocks {
        let queue: ReviewQueue
        let block: Int
        let slices: Int
        let pieces: [Piece]
        /// The next entry to render; -1 before the head, past the end once the tail is written.
        var position = -1

        init(queue: ReviewQueue, block: Int) {
            self.queue = queue
            self.block = max(1, block)
            slices = queue.entries.count < 2_000 ? 1 : ReviewQueue.scanParts
            let sliceEntries = (min(self.block, queue.entries.count) + slices - 1) / slices
            pieces = (0..<slices).map { _ in Piece(capacity: sliceEntries * 480) }
        }

        /// Hands the next pieces to `write`: false when the document is done.
        public mutating func next(_ write: (UnsafeRawBufferPointer) throws -> Void) rethrows -> Bool {
            let count = queue.entries.count
            if position < 0 {
                var head = JSONBytes(capacity: 64)
                ReviewQueue.appendHead(asOf: queue.asOf, to: &head)
                try head.withBytes(write)
                position = 0
                return true
            }
            guard position < count else {
                guard position == count else { return false }
                var tail = JSONBytes(capacity: 8)
                ReviewQueue.appendTail(to: &tail)
                try tail.withBytes(write)
                position = count + 1
                return false
            }
            let (start, end) = (position, min(position + block, count))
            let size = (end - start + slices - 1) / slices
            let (queue, pieces) = (queue, pieces)
            queue.entries.withUnsafeBufferPointer { buffer in
                // Through a buffer pointer the slices do not retain the one shared array for each entry
                // (its count would bounce between the cores). Read-only, and alive until they are done.
                nonisolated(unsafe) let entries = buffer
                DispatchQueue.concurrentPerform(iterations: slices) { k in
                    let range = min(start + k * size, end)..<min(start + (k + 1) * size, end)
                    let piece = pieces[k]
                    piece.json.removeAll()
                    for i in range { queue.appendEntry(entries[i], first: i == 0, to: &piece.json) }
                }
            }
            for k in 0..<slices { try pieces[k].json.withBytes(write) }
            position = end
            return true
        }
    }

    /// One slice's buffer, written by one core at a time (its slice of a block), read between blocks.
    final class Piece: @unchecked Sendable {
        var json: JSONBytes
        init(capacity: Int) { json = JSONBytes(capacity: capacity) }
    }

    /// Entries rendered between writes: about 1 MB of JSON, so the slices' buffers stay in the
    /// cores' caches from one block to the next. Blocks of 65,536 entries (30 MB) took 0.15 s of
    /// wall time and 0.23 s of CPU for a 117,000-child queue; of 2,048, 0.11 s and 0.17 s (8
    /// alternating runs each; 8,192 and 4,096 in between, 1,024 slower again).
    public static let jsonBlock = 2_048

    private func appendEntry(_ e: Entry, first: Bool, to out: inout JSONBytes) {
        Self.appendSeparator(first: first, to: &out)
        Self.appendObject(e.assessment, schoolURN: e.schoolURN, to: &out)
    }

    /// The document's opening, up to the first entry.
    static func appendHead(asOf: Date, to out: inout JSONBytes) {
        out.raw("{\"as_of\": "); out.string(JSONText.utc(asOf)); out.raw(",\n \"children\": [")
    }

    /// What comes before each entry.
    static func appendSeparator(first: Bool, to out: inout JSONBytes) {
        out.raw(first ? "\n   " : ",\n   ")
    }

    /// The document's end, after the last entry.
    static func appendTail(to out: inout JSONBytes) {
        out.raw("]}\n")
    }

    /// One child's object exactly as the queue's document has it: `GET /api/children/{id}` shows
    /// the child's assessment this way.
    public static func entryJSON(_ assessment: Assessment, schoolURN: String?) -> String {
        var out = JSONBytes(capacity: 480)
        appendObject(assessment, schoolURN: schoolURN, to: &out)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    /// Borrows the assessment, reading its fields in place (through an entry's reference): a copy
    /// would retain and release each of its lists, for every child of the queue.
    static func appendObject(_ a: borrowing Assessment, schoolURN: String?, to out: inout JSONBytes) {
        out.raw("{\"child_id\": ")
        out.string(a.childId)
        out.raw(", \"level\": \""); out.verbatim(a.level.name)
        out.raw("\", \"score\": "); out.verbatim(String(Self.displayScore(a.score)))
        out.raw(",\n    \"suggestions\": "); out.array(a.suggestions)
        out.raw(",\n    \"rules\": [")
        for j in a.rules.indices {
            out.raw(j == 0 ? "{\"rule\": \"" : ",\n              {\"rule\": \"")
            out.verbatim(a.rules[j].rule.rawValue); out.raw("\", \"incident_ids\": "); out.array(a.rules[j].incidentIds)
            if a.rules[j].rule == .repeatMissing { out.raw(", \"episode_ids\": "); out.array(a.rules[j].episodeIds) }
            out.raw("}")
        }
        out.raw("],\n    \"incident_ids\": "); out.array(a.incidentIds)
        out.raw(",\n    \"newest_incident_at\": "); out.utc(a.newestIncidentAt)
        out.raw(", \"school_urn\": ")
        if let urn = schoolURN { out.string(urn) } else { out.raw("null") }
        out.raw("}")
    }

    /// The table for people: level, the rules in words, how many incidents, the newest, the school.
    public func table(zone: Zone) -> String {
        var out: [UInt8] = []
        writeTable(zone: zone) { out.append(contentsOf: $0) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The same table handed over in pieces of about `piece` bytes, so a long queue is written out
    /// as it is made: it was one String (164 MB for 625,000 children at ten million rows), copied
    /// once more into bytes, with every row's cells held beside it, and `escalations` without
    /// `--json` peaked at 1.5 GiB there. Two passes: the columns' widths from each row's first five
    /// cells, then the rows. Each piece is valid only during `write`.
    public func writeTable(zone: Zone, piece: Int = 1 << 20, _ write: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        // Bytes, not a String grown by `+=`, and each row's date worked out once, mostly from the
        // row above: at ten million rows the table took 7-10 s more than `--json`'s three times as
        // many bytes, 2-4 s more now.
        var out: [UInt8] = []
        out.reserveCapacity(piece + 4_096)
        func flush() throws {
            try out.withUnsafeBytes { try write($0) }
            out.removeAll(keepingCapacity: true)
        }
        guard !entries.isEmpty else {
            out.append(contentsOf: "No children to review as of \(zone.iso8601(asOf)).\n".utf8)
            try flush()
            return
        }
        let header = ["LEVEL", "CHILD", "INCIDENTS", "NEWEST", "SCHOOL"]
        var widths = header.map(\.count)
        // Every row's date is YYYY-MM-DD: the widths' pass need not work each one out.
        widths[3] = max(widths[3], LocalDate.textLength)
        for e in entries {
            for (i, cell) in cells(e, date: nil).enumerated() where i != 3 { widths[i] = max(widths[i], FieldText.terminalWidth(cell)) }
        }
        func row(_ cells: [String], why: String) {
            for i in 0..<5 {
                out.append(contentsOf: cells[i].utf8)
                out.append(contentsOf: repeatElement(0x20, count: widths[i] - FieldText.terminalWidth(cells[i]) + 2))
            }
            out.append(contentsOf: why.utf8)
            out.append(0x0A)
        }
        out.append(contentsOf: "Review queue as of \(zone.iso8601(asOf)): \(entries.count) children\n".utf8)
        row(header, why: "WHY")
        var days = LocalDays(zone: zone)
        for e in entries {
            row(cells(e, date: days.date(of: e.assessment.newestIncidentAt)), why: why(e))
            if out.count >= piece { try flush() }
        }
        try flush()
    }

    /// The table's level cells, made once.
    private static let levelCells = Dictionary(uniqueKeysWithValues: Level.allCases.map { ($0, FieldText.forTerminal($0.name.uppercased())) })

    /// A row's first five cells, the date's empty when not given. A table for people never writes a
    /// control character: ids and names come from files.
    private func cells(_ e: Entry, date: LocalDate?) -> [String] {
        let a = e.assessment
        let school = e.summary.flatMap { s in s.schoolURN.map { urn in s.schoolName.map { "\($0) (\(urn))" } ?? urn } } ?? "no school known"
        return [Self.levelCells[a.level] ?? "", FieldText.forTerminal(a.childId), String(a.incidentIds.count), date?.description ?? "",
                FieldText.forTerminal(school)]
    }

    /// A row's last cell: the rules in words, and what the hub might do.
    private func why(_ e: Entry) -> String {
        let a = e.assessment
        var why = a.rules.map { shortReason($0, score: a.score) }.joined(separator: "; ")
        if why.isEmpty { why = "no rule fired" }
        if a.suggestions.contains(Assessment.maracReferralSuggestion) { why += " -> suggest MARAC referral" }
        if a.suggestions.contains(Assessment.strategyMeetingSuggestion) { why += " -> suggest strategy meeting" }
        return FieldText.forTerminal(why)
    }

    /// The table's words for a rule: short enough to scan, with the numbers that made it fire.
    func shortReason(_ hit: RuleHit, score: Double) -> String {
        switch hit.rule {
        case .visibleHighRisk: "\(hit.incidentIds.count) graded high"
        case .potentialEscalation: "\(hit.incidentIds.count) incidents in \(settings.windowDays) days"
        case .repeatMarac: "\(hit.incidentIds.count) since a MARAC referral"
        case .cumulativeScore: "score \(Self.displayScore(score)) (\(hit.level.name))"
        case .mediumIncident: "\(hit.incidentIds.count) graded medium"
        case .serialPerpetrator: "\(hit.incidentIds.count) naming a serial perpetrator"
        case .repeatMissing: "missing \(hit.episodeIds.count) times in \(settings.missingDays) days"
        }
    }
}

/// Just enough JSON writing for our documents; hand-written so large queues render fast and the
/// key order is the SPEC's.
public enum JSONText {
    public static func string(_ s: String) -> String {
        // Ids and most text need no escaping: one copy, no per-character work.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x3C }) {
            return "\"" + s + "\""
        }
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// A JSON array of one object a line (`[]` when empty), each written by `object`.
    static func list<T>(_ items: [T], _ object: (T) -> String) -> String {
        items.isEmpty ? "[]" : "[\n  " + items.map(object).joined(separator: ",\n  ") + "\n]"
    }

    /// `2026-11-22T08:00:00Z`; fractional seconds only when present.
    public static func utc(_ d: Date) -> String {
        // To the millisecond first, then split: the fraction rounded alone printed 12:00:59.9996
        // as 12:00:59.000, almost a second early (a delivery at 09:00:00.9996 read as on the hour).
        let millis = (d.timeIntervalSince1970 * 1000).rounded()
        let whole = (millis / 1000).rounded(.down)
        let days = Int((whole / 86_400).rounded(.down))
        let secs = Int(whole) - days * 86_400
        func p(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var s = "\(LocalDate(daysSinceEpoch: days))T\(p(secs / 3600)):\(p(secs % 3600 / 60)):\(p(secs % 60))"
        let fraction = Int(millis - whole * 1000)
        if fraction > 0 { s += "." + String(String(1000 + fraction).dropFirst()) }
        return s + "Z"
    }
}
