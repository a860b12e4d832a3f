import RiskModel

/// Where a row came from, for "disagrees with line N of FILE" messages.
struct RowOrigin {
    var file: Int
    var line: Int
}

/// Gathers valid rows into incidents, across all files of a batch: rows of one incident must agree
/// on every incident column, and a child listed twice must be listed the same way.
///
/// Children live in flat arrays chained per incident, so a million rows cost no array per incident
/// until `incidents()` builds the results.
struct IncidentAssembler {
    private struct Pending {
        var incident: Incident
        var origin: RowOrigin
        var firstChild: Int32 = -1
        var lastChild: Int32 = -1
    }

    private var indexById: [String: Int] = [:]
    private var pending: [Pending] = []

    /// Where incidents go, a chunk at a time, once a row of another incident follows their rows:
    /// the store writes them while the rest of the file is read. Nil: all wait for `incidents()`.
    var sink: (([Incident]) -> Void)?
    /// The incidents before this index have been handed to `sink`.
    private(set) var handedOver = 0
    /// A row came for an incident already handed over: what was handed over is not the batch.
    private(set) var reopened = false
    private static let chunkSize = 1_024
    private var children: [ChildLink] = []
    private var childOrigins: [RowOrigin] = []
    private var nextChild: [Int32] = []

    /// Room for about `count` more rows, so a large file neither rehashes nor copies as it grows.
    /// Reserved but unused space is address space only: the pages are never touched.
    mutating func reserveCapacity(additional count: Int) {
        indexById.reserveCapacity(indexById.count + count)
        pending.reserveCapacity(pending.count + count)
        children.reserveCapacity(children.count + count)
        childOrigins.reserveCapacity(childOrigins.count + count)
        nextChild.reserveCapacity(nextChild.count + count)
    }

    mutating func add(_ row: consuming ValidRow, origin: RowOrigin, fileNames: [String], log: inout FileErrorLog) {
        let id = row.incident.id
        let newIndex = pending.count
        // One hash for both outcomes: the default subscript inserts when the id is new.
        var index = -1
        Self.claim(&indexById[id, default: -1], newIndex, found: &index)
        guard index >= 0 else {
            if let sink, newIndex - handedOver > Self.chunkSize {
                sink((handedOver..<newIndex).map(incident(at:)))
                handedOver = newIndex
            }
            pending.append(Pending(incident: row.incident, origin: origin))
            if let child = row.child { appendChild(child, origin: origin, to: newIndex) }
            return
        }
        if index < handedOver { reopened = true }

        let shownId = FieldValues.shortened(id)
        let firstOrigin = pending[index].origin
        for column in Self.disagreeingColumns(pending[index].incident, row.incident) {
            log.add(line: origin.line, column,
                    "disagrees with line \(firstOrigin.line) of \(fileNames[firstOrigin.file]) for incident \(shownId)")
        }

        guard let child = row.child else { return }
        var c = Int(pending[index].firstChild)
        while c >= 0 {
            if children[c].childId == child.childId {
                let earlier = childOrigins[c]
                for column in Self.disagreeingColumns(children[c], child) {
                    log.add(line: origin.line, column,
                            "disagrees with line \(earlier.line) of \(fileNames[earlier.file]) for child \(FieldValues.shortened(child.childId)) in incident \(shownId)")
                }
                return
            }
            c = Int(nextChild[c])
        }
        appendChild(child, origin: origin, to: index)
    }

    @inline(__always)
    private static func claim(_ slot: inout Int, _ newIndex: Int, found: inout Int) {
        if slot < 0 { slot = newIndex } else { found = slot }
    }

    private mutating func appendChild(_ child: consuming ChildLink, origin: RowOrigin, to index: Int) {
        let c = Int32(children.count)
        children.append(child)
        childOrigins.append(origin)
        nextChild.append(-1)
        if pending[index].lastChild >= 0 {
            nextChild[Int(pending[index].lastChild)] = c
        } else {
            pending[index].firstChild = c
        }
        pending[index].lastChild = c
    }

    /// Every incident, by id, each with its children by child id.
    func incidents() -> [Incident] {
        // Sort indices, not the incidents: moving small integers is cheaper than moving incidents.
        let order = pending.indices.sorted { pending[$0].incident.id < pending[$1].incident.id }
        return order.map(incident(at:))
    }

    /// Hands the incidents not yet handed over to `sink`.
    mutating func handOverRest() {
        guard let sink, handedOver < pending.count else { return }
        sink((handedOver..<pending.count).map(incident(at:)))
        handedOver = pending.count
    }

    /// One incident with its children, by child id.
    private func incident(at index: Int) -> Incident {
        let entry = pending[index]
        var incident = entry.incident
        var c = Int(entry.firstChild)
        while c >= 0 {
            incident.children.append(children[c])
            c = Int(nextChild[c])
        }
        if incident.children.count > 1 { incident.children.sort { $0.childId < $1.childId } }
        return incident
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
