import Foundation
import IdIndex
import RiskModel

/// The children of one ingest batch, met a chunk of incidents at a time: each numbered in the order
/// first seen, and for each, which rows hold their newest details.
///
/// A child's row carries the details (names, date of birth, school) of the batch's newest incident
/// naming them, ties going to the later incident, so a re-ingest of an old file does not move a
/// child back to a school they have left. Rather than keep every child's details to the end of a
/// batch (and the row written then), a store writes a new child's row in the chunk that first names
/// them, with that chunk's newest details, and notes for the end only the children a later chunk
/// gives details at least as new: `Chunk.newest` says which. Per child this keeps the id's number
/// and the newest time so far, about 45 bytes, where their details took about 150.
public struct BatchChildren {
    private var numbering: IdNumbering
    /// Each child's newest incident time in the batch so far, by number.
    private var newestTime: [Double] = []
    /// Each child's place in the chunk being made's `newest`, or -1; back to -1 after each chunk.
    private var entryInChunk: [Int32] = []

    /// What one chunk of incidents says of the batch's children.
    public struct Chunk: Sendable {
        /// Per link, in order of incident then child: the child's number in the batch.
        public var numbers: [Int32] = []
        /// The children first seen in this chunk are those numbered from here on (to the batch's
        /// count once the chunk was made).
        public var firstNew = 0
        /// Each child to whom this chunk gives details at least as new as any earlier chunk did
        /// (every child first seen here among them), once, with the link holding their newest
        /// details in the chunk. Those first seen here come in number order.
        public var newest: [Newest] = []

        public init() {}
    }

    public struct Newest: Sendable, Equatable {
        public var number: Int32
        /// The place of the incident in the chunk, and of the child in its children.
        public var incident: Int32
        public var child: Int32
    }

    /// `expected`: about how many children the batch may have (a guess is enough: the index grows).
    public init(expected: Int = 0) {
        numbering = IdNumbering(capacity: expected)
    }

    /// The children numbered so far.
    public var count: Int { newestTime.count }

    /// The id of the child numbered `n`.
    public func id(_ n: Int) -> String { numbering.id(n) }

    /// Numbers the chunk's children, in order of incident then child, as the batch's writer meets them.
    public mutating func chunk(_ incidents: [Incident]) -> Chunk {
        var chunk = Chunk()
        chunk.firstNew = count
        chunk.numbers.reserveCapacity(incidents.count * 2)
        // By index: copying an incident out costs a retain and release of each of its strings.
        for i in incidents.indices {
            let time = incidents[i].reportedAt.timeIntervalSince1970
            for k in incidents[i].children.indices {
                let (n, isNew) = numbering.number(incidents[i].children[k].childId)
                if isNew {
                    newestTime.append(time)
                    entryInChunk.append(-1)
                }
                chunk.numbers.append(Int32(n))
                // At least as new as any row of the child before it: ties go to the later row.
                guard isNew || time >= newestTime[n] else { continue }
                newestTime[n] = time
                let place = Newest(number: Int32(n), incident: Int32(i), child: Int32(k))
                let e = Int(entryInChunk[n])
                if e >= 0 {
                    chunk.newest[e] = place
                } else {
                    entryInChunk[n] = Int32(chunk.newest.count)
                    chunk.newest.append(place)
                }
            }
        }
        for place in chunk.newest { entryInChunk[Int(place.number)] = -1 }
        return chunk
    }
}
