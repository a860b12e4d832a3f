import Foundation
import Logging
import NIOCore
import PostgresNIO
import RiskModel
import StoreContract

/// One range of children's histories for the review queue, read on its own connection in one
/// transaction, so each child's incidents come from one snapshot.
///
/// Why it is shaped so: a million-row store has about half a million links in a year, and a row per
/// link spent most of the client's time in PostgresNIO's row decoding (generic decoding per column,
/// per row; see docs/benchmarks.md). So the server hands over the range's links in chunks of 256
/// child keys, each column of a chunk one binary array (a few hundred rows cross the wire, not half a
/// million), and this reads the arrays' bytes itself. The floor is applied here, child by child, as
/// the links arrive: on the server it took a GROUP BY over the window's links, which cost the server
/// more than sending the links it leaves out costs both sides.
struct PostgresChildScan: Sendable {
    let windowStart: Date
    let asOf: Date
    let floor: ScanFloor.Check?
    let schoolNames: [String: String]
    let referrals: [Int64: [LocalDate]]

    /// Child keys per chunk: a chunk of a few hundred links is about 10 KB.
    static let chunkSize = "256"

    func run(_ conn: PostgresConnection, _ logger: Logger, keys: ClosedRange<Int64>,
             _ visit: (ChildHistory, () throws -> ChildSummary) throws -> Void) async throws {
        // The plan is a few cheap nodes, but its row estimates right after a bulk load are large
        // enough for the server to compile it with LLVM first, which costs more than the query.
        try await conn.run("SET LOCAL jit = off", logger)
        let (from, to) = (windowStart.timeIntervalSince1970, asOf.timeIntervalSince1970)
        // Rows before the window only for a referred child (repeat-marac reaches back past it). Each
        // chunk is its own small aggregate over an index range of both tables, so the server streams
        // chunk after chunk; a GROUP BY over the part would sort all of its links again, on disk. The
        // inner ORDER BY gives the arrays in the links' order; `LinkChunk` checks it all the same, since
        // the server does not promise to keep it through the aggregate.
        let (lo, hi) = (keys.lowerBound, keys.upperBound)
        let rows = try await conn.query("""
            SELECT a.* FROM generate_series(\(lo), \(hi), \(unescaped: Self.chunkSize)) ch(lo) CROSS JOIN LATERAL (
                SELECT array_agg(s.child_key), array_agg(s.incident_key), array_agg(s.incident_id), array_agg(s.reported_at),
                       array_agg(s.effective_grade), array_agg(s.child_id), array_agg(s.school_urn)
                FROM (SELECT l.child_key, l.incident_key, l.incident_id, l.reported_at, l.effective_grade, c.child_id, c.school_urn
                      FROM incident_children l JOIN children c ON c.child_key = l.child_key
                      WHERE l.child_key BETWEEN ch.lo AND least(ch.lo + \(unescaped: Self.chunkSize) - 1, \(hi))
                        AND c.child_key BETWEEN ch.lo AND least(ch.lo + \(unescaped: Self.chunkSize) - 1, \(hi))
                        AND l.reported_at <= \(to) AND (l.reported_at >= \(from) OR l.child_key = ANY(\(Array(referrals.keys))))
                      ORDER BY l.child_key, l.reported_at, l.incident_key) s) a
            """, logger: logger)

        var chunk = LinkChunk()
        var facts: [IncidentFact] = []
        var current: (key: Int64, id: String, urn: String?)?
        func flush() throws {
            guard let c = current, !facts.isEmpty else { return }
            defer { facts.removeAll(keepingCapacity: true) }
            // Few children have a referral: no hashing for the others when none has.
            let referred = referrals.isEmpty ? nil : referrals[c.key]
            if let floor, !floor.keeps(childId: c.id, incidents: facts, windowStart: windowStart, referred: referred != nil) { return }
            try visit(ChildHistory(childId: c.id, incidents: facts, maracReferrals: referred ?? [])) {
                ChildSummary(childId: c.id, schoolURN: c.urn, schoolName: c.urn.flatMap { schoolNames[$0] })
            }
        }
        for try await row in rows {
            // A range of keys with no links in it (children gone, or none in the window) is a row of NULLs.
            guard try chunk.read(row) else { continue }
            for i in chunk.order {
                let key = chunk.childKeys[i]
                if key != current?.key {
                    try flush()
                    current = (key, chunk.childIds[i], chunk.schoolURNs[i])
                }
                facts.append(IncidentFact(incidentId: chunk.incidentIds[i], reportedAt: Date(timeIntervalSince1970: chunk.times[i]),
                                          grade: Grade(rawValue: Int(chunk.grades[i])) ?? .standard,
                                          storeKey: IncidentFact.storeKey(chunk.incidentKeys[i])))
            }
        }
        try flush()
    }
}

/// One chunk's columns, read from their binary arrays into buffers used again for the next chunk.
struct LinkChunk {
    var childKeys: [Int64] = []
    var incidentKeys: [Int64] = []
    var incidentIds: [String] = []
    var times: [Double] = []
    var grades: [Int64] = []
    var childIds: [String] = []
    var schoolURNs: [String?] = []
    /// The links' positions in (child, time, incident) order: 0..<count when they came so.
    var order: [Int] = []

    /// False for a chunk of no links (its columns NULL).
    mutating func read(_ row: PostgresRow) throws -> Bool {
        guard row.first?.bytes != nil else { return false }
        var cells = row.makeIterator()
        func next() throws -> BinaryArray {
            guard let cell = cells.next() else { throw StoreError.unavailable("a child-history chunk had too few columns") }
            return try BinaryArray(cell)
        }
        try next().read(into: &childKeys, PostgresDataType.int8) { $0.readInteger(as: Int64.self) }
        try next().read(into: &incidentKeys, PostgresDataType.int8) { $0.readInteger(as: Int64.self) }
        try next().read(into: &incidentIds, PostgresDataType.text) { $0.readString(length: $0.readableBytes) }
        try next().read(into: &times, PostgresDataType.float8) { $0.readInteger(as: UInt64.self).map(Double.init(bitPattern:)) }
        try next().read(into: &grades, PostgresDataType.int8) { $0.readInteger(as: Int64.self) }
        try next().read(into: &childIds, PostgresDataType.text) { $0.readString(length: $0.readableBytes) }
        try next().readOptional(into: &schoolURNs, PostgresDataType.text) { $0.readString(length: $0.readableBytes) }
        let n = childKeys.count
        guard [incidentKeys.count, incidentIds.count, times.count, grades.count, childIds.count, schoolURNs.count].allSatisfy({ $0 == n }) else {
            throw StoreError.unavailable("a child-history chunk's columns differ in length")
        }
        arrange()
        return true
    }

    /// Sets `order`: the links as they came when they are in order (nearly always), sorted otherwise.
    mutating func arrange() {
        let n = childKeys.count
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: 0..<n)
        if !(1..<max(n, 1)).allSatisfy({ !precedes($0, $0 - 1) }) {
            var sorted = order
            sorted.sort { precedes($0, $1) }
            order = sorted
        }
    }

    /// The order of the primary key of `incident_children`, as the one-query scan read the links.
    private func precedes(_ a: Int, _ b: Int) -> Bool {
        (childKeys[a], times[a], incidentKeys[a]) < (childKeys[b], times[b], incidentKeys[b])
    }
}

/// A one-dimensional array in PostgreSQL's binary form (array_send): a header of the number of
/// dimensions, a null flag and the element type, each dimension's length and lower bound, then each
/// element as its length (-1 for NULL) and its bytes.
struct BinaryArray {
    private let buffer: ByteBuffer
    private let count: Int
    private let elementType: PostgresDataType

    init(_ cell: PostgresCell) throws {
        guard cell.format == .binary, var buffer = cell.bytes,
              let dimensions = buffer.readInteger(as: Int32.self), buffer.readInteger(as: Int32.self) != nil,
              let element = buffer.readInteger(as: UInt32.self) else {
            throw StoreError.unavailable("a child-history chunk's column \(cell.columnIndex) is not a binary array")
        }
        switch dimensions {
        case 0: count = 0
        case 1:
            guard let length = buffer.readInteger(as: Int32.self), buffer.readInteger(as: Int32.self) != nil, length >= 0 else {
                throw StoreError.unavailable("a child-history chunk's column \(cell.columnIndex) has no length")
            }
            count = Int(length)
        default: throw StoreError.unavailable("a child-history chunk's column \(cell.columnIndex) has \(dimensions) dimensions")
        }
        self.buffer = buffer
        elementType = PostgresDataType(element)
    }

    /// Replaces `out` with the elements, each read by `element` from exactly its own bytes.
    func readOptional<T>(into out: inout [T?], _ type: PostgresDataType, _ element: (inout ByteBuffer) -> T?) throws {
        guard count == 0 || elementType == type else {
            throw StoreError.unavailable("a child-history chunk holds \(elementType) where \(type) was expected")
        }
        var buffer = self.buffer
        out.removeAll(keepingCapacity: true)
        for _ in 0..<count {
            guard let length = buffer.readInteger(as: Int32.self) else { throw Self.short }
            if length < 0 {
                out.append(nil)
                continue
            }
            guard var bytes = buffer.readSlice(length: Int(length)), let value = element(&bytes), bytes.readableBytes == 0 else { throw Self.short }
            out.append(value)
        }
    }

    /// The same, for a column that is never NULL (a NULL is a malformed chunk).
    func read<T>(into out: inout [T], _ type: PostgresDataType, _ element: (inout ByteBuffer) -> T?) throws {
        var values: [T?] = []
        try readOptional(into: &values, type, element)
        out.removeAll(keepingCapacity: true)
        for value in values {
            guard let value else { throw StoreError.unavailable("a child-history chunk holds a NULL where none may be") }
            out.append(value)
        }
    }

    private static let short = StoreError.unavailable("a child-history chunk ended inside an element")
}
