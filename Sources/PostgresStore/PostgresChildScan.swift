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
/// per row; see docs/benchmarks.md). So the server hands over the range's links in chunks of
/// `chunkKeys` child keys, each column of a chunk one binary array or joined text (a few hundred
/// rows cross the wire, not half a million), and this reads their bytes itself. The floor is applied
/// here, child by child, as the links arrive: on the server it took a GROUP BY over the window's
/// links, which cost the server more than sending the links it leaves out costs both sides.
struct PostgresChildScan: Sendable {
    let windowStart: Date
    let asOf: Date
    let schoolNames: [String: String]
    let referrals: [Int64: [LocalDate]]

    /// Child keys per chunk (about 2,000 links, 80 KB on a million-row store). Each chunk costs the
    /// server an index descent into both tables and its arrays, and the client a row: escalations
    /// --json on the 1M store, 10-12 alternating runs, median 0.73 s with 256 keys, 0.695-0.61 s
    /// with 1,024, 0.67-0.59 s with 2,048, 0.605 s with 4,096. Tests read smaller chunks.
    var chunkKeys: Int64 = 2_048

    /// `started` is awaited once the query is sent, before the first chunk is read: the server
    /// works on the chunks meanwhile.
    func run<Context: Sendable>(_ conn: PostgresConnection, _ logger: Logger, keys: ClosedRange<Int64>,
                                started: () async throws -> ScanBegun<Context>,
                                _ visit: (ChildHistory, () throws -> ChildSummary, Context) throws -> Void) async throws {
        let (from, to) = (windowStart.timeIntervalSince1970, asOf.timeIntervalSince1970)
        // Each chunk is its own small aggregate over an index range of both tables, so the server
        // streams chunk after chunk; a GROUP BY over the part would sort all of its links again, on
        // disk. The window's links come by the links' primary key, so in its order (the arrays keep
        // it, and `LinkChunk` checks it all the same, since the server does not promise to). The
        // chunk's children (id and school) come as arrays of their own, one entry a child: joined to
        // every link on the server, they cost it as much again as the links themselves. The ids and
        // schools come as texts joined by a separator (`SeparatedText`), not as arrays of text.
        //
        // A referred child's links before the window (repeat-marac reaches back past it) are read
        // once for the whole part, grouped by chunk (`earlier`), and joined to their chunk, where the
        // client appends them after the window's and sorts that chunk. Looked for in every chunk (a
        // UNION ALL with `child_key = ANY(referred)`), they cost the server 10-20% more per part
        // (half the 1M store, 400 referred children: 168-179 ms against 143-146 ms; with none
        // referred 161-174 ms against 143-147 ms, where no `earlier` is read at all); `escalations
        // --json` on that store with 400 referred, 10 alternating runs: median 0.595 -> 0.57 s.
        let (lo, hi) = (keys.lowerBound, keys.upperBound)
        // The chunk's last key, written in (`hi` is a key of our own, an integer), used twice.
        let last = "least(ch.lo + \(chunkKeys - 1), \(hi))"
        // Written in too, all numbers of our own: the referred children's keys (integers) and the
        // window's start (a Double's description reads back as the same double).
        let referred = referrals.keys.sorted()
        let earlier = referred.isEmpty ? "" : """
            WITH earlier AS MATERIALIZED (
                SELECT (l.child_key - \(lo)) / \(chunkKeys) AS chunk, array_agg(l.child_key) AS child_keys,
                       array_agg(l.incident_key) AS incident_keys, string_agg(l.incident_id, E'\\x1f') AS incident_ids,
                       array_agg(l.reported_at) AS times, array_agg(l.effective_grade) AS grades
                FROM incident_children l
                WHERE l.child_key = ANY('{\(referred.map(String.init).joined(separator: ","))}'::bigint[])
                  AND l.child_key BETWEEN \(lo) AND \(hi) AND l.reported_at < \(from.description)::float8
                GROUP BY 1)
            """
        let rows = try await conn.query("""
            \(unescaped: earlier)
            SELECT ch.lo, a.*, \(unescaped: referred.isEmpty
                ? "NULL::bigint[], NULL::bigint[], NULL::text, NULL::float8[], NULL::bigint[]"
                : "r.child_keys, r.incident_keys, r.incident_ids, r.times, r.grades"), b.*
            FROM generate_series(\(lo), \(hi), \(unescaped: String(chunkKeys))) ch(lo) CROSS JOIN LATERAL (
                SELECT array_agg(l.child_key), array_agg(l.incident_key), string_agg(l.incident_id, E'\\x1f'), array_agg(l.reported_at),
                       array_agg(l.effective_grade)
                FROM incident_children l
                WHERE l.child_key BETWEEN ch.lo AND \(unescaped: last) AND l.reported_at >= \(from) AND l.reported_at <= \(to)) a
            \(unescaped: referred.isEmpty ? "" : "LEFT JOIN earlier r ON r.chunk = (ch.lo - \(lo)) / \(chunkKeys)")
            CROSS JOIN LATERAL (
                SELECT array_agg(c.child_key), string_agg(c.child_id, E'\\x1f'), string_agg(coalesce(c.school_urn, ''), E'\\x1f')
                FROM children c
                WHERE c.child_key BETWEEN ch.lo AND \(unescaped: last)) b
            """, logger: logger)

        let begun = try await started()
        let (floor, context) = (begun.floor, begun.context)
        var chunk = LinkChunk()
        var facts: [IncidentFact] = []
        var current: (key: Int64, child: Int)?
        func flush() throws {
            guard let c = current, !facts.isEmpty else { return }
            defer { facts.removeAll(keepingCapacity: true) }
            let (id, urn) = (chunk.childIds[c.child], chunk.schoolURNs[c.child])
            // Few children have a referral: no hashing for the others when none has.
            let referred = referrals.isEmpty ? nil : referrals[c.key]
            if let floor, !floor.keeps(childId: id, incidents: facts, windowStart: windowStart, referred: referred != nil) { return }
            try visit(ChildHistory(childId: id, incidents: facts, maracReferrals: referred ?? []), {
                ChildSummary(childId: id, schoolURN: urn, schoolName: urn.flatMap { schoolNames[$0] })
            }, context)
        }
        for try await row in rows {
            // A range of keys with no links in it (children gone, or none in the window): NULL arrays.
            guard try chunk.read(row) else { continue }
            for i in chunk.order {
                let key = chunk.childKeys[i]
                if key != current?.key {
                    try flush()
                    current = (key, try chunk.child(key))
                }
                facts.append(IncidentFact(incidentId: chunk.incidentIds[i], reportedAt: Date(timeIntervalSince1970: chunk.times[i]),
                                          grade: Grade(rawValue: Int(chunk.grades[i])) ?? .standard,
                                          storeKey: IncidentFact.storeKey(chunk.incidentKeys[i])))
            }
            // A child's links never span two chunks (each chunk is a range of child keys), so the last
            // child is done before the next chunk's arrays replace this one's.
            try flush()
            current = nil
        }
    }
}

/// What the scan's `start` answered, the floor made ready to apply child by child.
struct ScanBegun<Context: Sendable>: Sendable {
    let floor: ScanFloor.Check?
    let context: Context
}

/// One chunk's columns, read from their binary arrays into buffers used again for the next chunk:
/// the links, then the chunk's children (each child once, found by key).
struct LinkChunk {
    var childKeys: [Int64] = []
    var incidentKeys: [Int64] = []
    var incidentIds: [String] = []
    var times: [Double] = []
    var grades: [Int64] = []
    /// The chunk's children: keys, ids and schools.
    var keysOfChildren: [Int64] = []
    var childIds: [String] = []
    var schoolURNs: [String?] = []
    /// The first key of the chunk's range, and where each key of the range is in the children's
    /// arrays (-1: no such child).
    var lowKey: Int64 = 0
    private var slots: [Int32] = []
    /// The links' positions in (child, time, incident) order: 0..<count when they came so.
    var order: [Int] = []

    /// False for a chunk of no links (its link columns NULL).
    mutating func read(_ row: PostgresRow) throws -> Bool {
        var arrays = BinaryArray.Columns(row, what: "a child-history chunk")
        lowKey = try arrays.leading(Int64.self)
        childKeys.removeAll(keepingCapacity: true)
        incidentKeys.removeAll(keepingCapacity: true)
        incidentIds.removeAll(keepingCapacity: true)
        times.removeAll(keepingCapacity: true)
        grades.removeAll(keepingCapacity: true)
        // The window's links, then a referred child's links before it (either may be NULL).
        for _ in 0..<2 {
            guard let links = try arrays.next() else {
                for _ in 0..<4 { _ = try arrays.next() }
                continue
            }
            try links.read(into: &childKeys, .int8)
            try arrays.required().read(into: &incidentKeys, .int8)
            try arrays.separated(into: &incidentIds)
            try arrays.required().read(into: &times, .float8)
            try arrays.required().read(into: &grades, .int8)
        }
        guard !childKeys.isEmpty else { return false }
        keysOfChildren.removeAll(keepingCapacity: true)
        childIds.removeAll(keepingCapacity: true)
        schoolURNs.removeAll(keepingCapacity: true)
        try arrays.required().read(into: &keysOfChildren, .int8)
        try arrays.separated(into: &childIds)
        try arrays.separatedOptional(into: &schoolURNs)
        let n = childKeys.count
        guard [incidentKeys.count, incidentIds.count, times.count, grades.count].allSatisfy({ $0 == n }),
              childIds.count == keysOfChildren.count, schoolURNs.count == keysOfChildren.count else {
            throw StoreError.unavailable("a child-history chunk's columns differ in length")
        }
        try placeChildren()
        arrange()
        return true
    }

    /// Fills `slots` from the children's keys, which lie in the chunk's range in any order.
    mutating func placeChildren() throws {
        let width = (keysOfChildren.max() ?? lowKey) - lowKey + 1
        guard keysOfChildren.allSatisfy({ $0 >= lowKey }), width <= 1 << 20 else {
            throw StoreError.unavailable("a child-history chunk's children lie outside its range")
        }
        slots.removeAll(keepingCapacity: true)
        slots.append(contentsOf: repeatElement(-1, count: Int(width)))
        for (i, key) in keysOfChildren.enumerated() { slots[Int(key - lowKey)] = Int32(i) }
    }

    /// Where the child of `key` is in the children's arrays.
    func child(_ key: Int64) throws -> Int {
        let slot = key - lowKey
        guard slot >= 0, slot < slots.count, slots[Int(slot)] >= 0 else {
            throw StoreError.unavailable("a child-history chunk has a link to child key \(key) and no such child")
        }
        return Int(slots[Int(slot)])
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
