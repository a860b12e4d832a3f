import IdIndex
import InputRules
import RiskModel

/// Where a row came from, for "disagrees with line N of FILE" messages.
struct RowOrigin {
    var file: Int
    var line: Int
}

/// Gathers valid rows into incidents, across all files of a batch: rows of one incident must agree
/// on every incident column, and a child listed twice must be listed the same way.
///
/// With a `sink`, incidents are handed over a chunk at a time and then forgotten (only a hash of each
/// id is kept), so a large file is never held whole: a row for an incident already handed over only
/// sets `reopened`, and the caller assembles the batch again without a sink.
struct IncidentAssembler {
    /// Where an open incident and each of its children came from; children chained per incident
    /// through flat arrays, in the order their rows came.
    private struct Origins {
        var incident: RowOrigin
        /// The first row's columns that failed a check: not compared with later rows.
        var unknown: UInt32 = 0
        var firstChild: Int32 = -1
        var lastChild: Int32 = -1
    }

    /// Without a sink: every incident id seen, with its index in the batch (in order of first row).
    private var indexById: [String: Int] = [:]
    /// With a sink: a hash of every incident id seen (`IdHash`), where the index above took about
    /// 400 MB at ten million rows. Two ids with one hash make the second look handed over already:
    /// the batch is then assembled again whole (`reopened`), which is right, only slower.
    private var seen = IdHashSet()
    /// With a sink: the open incidents' places in `open`, by their ids' hashes (each checked
    /// against the id itself).
    private var openByHash: [UInt64: Int32] = [:]
    /// The incidents not yet handed over: batch indices `handedOver...`.
    private var open: [Incident] = []
    private var origins: [Origins] = []
    private var childOrigins: [RowOrigin] = []
    private var nextChild: [Int32] = []

    /// Where incidents go, a chunk at a time, once a row of another incident follows their rows:
    /// the store writes them while the rest of the file is read. Nil: all wait for `incidents()`.
    var sink: (([Incident]) -> Void)?
    /// The incidents before this index have been handed to `sink`.
    private(set) var handedOver = 0
    /// A row came for an incident already handed over: what was handed over is not the batch.
    private(set) var reopened = false
    private static let chunkSize = 1_024

    /// Room for about `count` more rows, so a large file neither rehashes nor copies as it grows.
    /// Reserved but unused space is address space only: the pages are never touched.
    mutating func reserveCapacity(additional count: Int) {
        // A row is at most one new incident.
        if sink == nil {
            indexById.reserveCapacity(indexById.count + count)
        } else {
            seen.reserve(seen.count + count)
            openByHash.reserveCapacity(Self.chunkSize + 1)
        }
        let held = sink == nil ? count : Self.chunkSize + 1
        open.reserveCapacity(open.count + held)
        origins.reserveCapacity(origins.count + held)
        childOrigins.reserveCapacity(childOrigins.count + held)
        nextChild.reserveCapacity(nextChild.count + held)
    }

    mutating func add(_ row: consuming ValidRow, origin: RowOrigin, fileNames: [String], log: inout FileErrorLog) {
        if reopened { return }
        let id = row.incident.id
        let newIndex = handedOver + open.count
        var index = -1
        // Rows of one incident usually come together: no hashing for the second and later ones.
        if let last = open.indices.last, open[last].id == id {
            index = handedOver + last
        } else if sink == nil {
            // One hash for both outcomes: the default subscript inserts when the id is new.
            Self.claim(&indexById[id, default: -1], newIndex, found: &index)
        } else {
            let hash = IdHash.of(id)
            if !seen.insert(hash) {
                // Seen before: open still, or handed over (or another id with this hash: then the
                // batch is assembled again whole, as for one handed over).
                guard let local = openByHash[hash].map(Int.init), open[local].id == id else {
                    reopened = true
                    return
                }
                index = handedOver + local
            } else {
                if open.count > Self.chunkSize { handOver() }
                openByHash[hash] = Int32(open.count)
            }
        }
        guard index >= 0 else {
            open.append(row.incident)
            origins.append(Origins(incident: origin, unknown: row.unknownColumns))
            if let child = row.child { appendChild(child, origin: origin, to: open.count - 1) }
            return
        }
        if index < handedOver {
            // Its rows are not together: the batch is assembled again, whole, without a sink.
            reopened = true
            return
        }
        let local = index - handedOver

        let shownId = FieldValues.shortened(id)
        let firstOrigin = origins[local].incident
        let unknown = origins[local].unknown | row.unknownColumns
        for column in Self.disagreeingColumns(open[local], row.incident) where unknown & 1 << UInt32(column.rawValue) == 0 {
            log.add(line: origin.line, column,
                    "disagrees with line \(firstOrigin.line) of \(FilePosition.text(fileNames[firstOrigin.file])) for incident \(shownId)")
        }

        // Body-worn video from a row naming no child: the first such row's, the others agreeing.
        if open[local].bodyWornVideo == nil { open[local].bodyWornVideo = row.incident.bodyWornVideo }
        guard let child = row.child else { return }
        var c = Int(origins[local].firstChild)
        var position = 0
        while c >= 0 {
            if open[local].children[position].childId == child.childId {
                let earlier = childOrigins[c]
                for column in Self.disagreeingColumns(open[local].children[position], child) {
                    log.add(line: origin.line, column,
                            "disagrees with line \(earlier.line) of \(FilePosition.text(fileNames[earlier.file])) for child \(FieldValues.shortened(child.childId)) in incident \(shownId)")
                }
                return
            }
            c = Int(nextChild[c])
            position += 1
        }
        appendChild(child, origin: origin, to: local)
    }

    @inline(__always)
    private static func claim(_ slot: inout Int, _ newIndex: Int, found: inout Int) {
        if slot < 0 { slot = newIndex } else { found = slot }
    }

    private mutating func appendChild(_ child: consuming ChildLink, origin: RowOrigin, to local: Int) {
        let c = Int32(childOrigins.count)
        open[local].children.append(child)
        childOrigins.append(origin)
        nextChild.append(-1)
        if origins[local].lastChild >= 0 {
            nextChild[Int(origins[local].lastChild)] = c
        } else {
            origins[local].firstChild = c
        }
        origins[local].lastChild = c
    }

    /// Every incident, by id, each with its children by child id (without a sink).
    func incidents() -> [Incident] {
        var all = open
        for i in all.indices { Self.sortChildren(&all[i]) }
        all.sort { $0.id < $1.id }
        return all
    }

    /// Hands the incidents not yet handed over to `sink`.
    mutating func handOverRest() {
        guard sink != nil, !open.isEmpty else { return }
        handOver()
    }

    /// Gives every open incident to `sink` and forgets them (their ids' hashes stay in `seen`).
    private mutating func handOver() {
        var chunk: [Incident] = []
        swap(&chunk, &open)
        for i in chunk.indices { Self.sortChildren(&chunk[i]) }
        handedOver += chunk.count
        open.reserveCapacity(Self.chunkSize + 1)
        openByHash.removeAll(keepingCapacity: true)
        origins.removeAll(keepingCapacity: true)
        childOrigins.removeAll(keepingCapacity: true)
        nextChild.removeAll(keepingCapacity: true)
        sink?(chunk)
    }

    private static func sortChildren(_ incident: inout Incident) {
        if incident.children.count > 1 { incident.children.sort { $0.childId < $1.childId } }
    }

    private static func disagreeingColumns(_ a: Incident, _ b: Incident) -> [Column] {
        var columns: [Column] = []
        if a.reportedAt != b.reportedAt { columns.append(.reportedAt) }
        if a.riskTool != b.riskTool { columns.append(.riskTool) }
        if a.officerGrade != b.officerGrade { columns.append(.officerGrade) }
        if a.dashYesCount != b.dashYesCount { columns.append(.dashYesCount) }
        if a.supervisorGrade != b.supervisorGrade { columns.append(.supervisorGrade) }
        if a.victimId != b.victimId { columns.append(.victimId) }
        if a.perpetratorId != b.perpetratorId { columns.append(.perpetratorId) }
        if let x = a.bodyWornVideo, let y = b.bodyWornVideo, x != y { columns.append(.bwvUsed) }
        return columns
    }

    private static func disagreeingColumns(_ a: ChildLink, _ b: ChildLink) -> [Column] {
        var columns: [Column] = []
        if a.givenName != b.givenName { columns.append(.childGivenName) }
        if a.familyName != b.familyName { columns.append(.childFamilyName) }
        if a.dateOfBirth != b.dateOfBirth { columns.append(.childDob) }
        if a.schoolURN != b.schoolURN { columns.append(.schoolUrn) }
        if a.present != b.present { columns.append(.childPresent) }
        if a.spokenTo != b.spokenTo { columns.append(.childSpokenTo) }
        if a.voice != b.voice { columns.append(.childVoice) }
        if a.bodyWornVideo != b.bodyWornVideo { columns.append(.bwvUsed) }
        return columns
    }
}
