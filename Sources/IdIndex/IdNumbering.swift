/// Numbers ids 0, 1, 2... in the order first given, exactly: ids are compared byte for byte, a hash
/// only finds where to look. For the children of a large ingest, kept until its end: every id's
/// UTF-8 in one buffer, where each ends, and a table of 8-byte slots at most three quarters full,
/// about 30 bytes a child id of ten characters, where a `[String: Int]` takes about 40 and more
/// for an id too long to be kept inline.
public struct IdNumbering: Sendable {
    /// Every id's UTF-8, one after another, in number order.
    private var text: [UInt8] = []
    /// Where each id ends in `text`.
    private var ends: [UInt32] = []
    /// Open addressing, linear probing: the upper half of the id's hash, then its number + 1 in the
    /// lower half; 0 marks an empty slot. The upper half spares a comparison of the bytes for
    /// nearly every other id met on the way.
    private var slots: [UInt64]

    public var count: Int { ends.count }

    public init(capacity: Int = 0) {
        slots = Array(repeating: 0, count: IdHashSet.slotCount(for: capacity))
    }

    /// The id's number, and whether it was new (then it is `count - 1`).
    @inline(__always)
    public mutating func number(_ id: String) -> (number: Int, isNew: Bool) {
        var id = id
        return id.withUTF8 { number($0) }
    }

    public mutating func number(_ id: UnsafeBufferPointer<UInt8>) -> (number: Int, isNew: Bool) {
        if (count + 1) * 4 > slots.count * 3 { grow() }
        let hash = IdHash.of(id)
        let tag = hash & 0xFFFF_FFFF_0000_0000
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let s = slots[i]
            if s == 0 { break }
            if s & 0xFFFF_FFFF_0000_0000 == tag {
                let n = Int(s & 0xFFFF_FFFF) - 1
                if equals(n, id) { return (n, false) }
            }
            i = (i + 1) & mask
        }
        let n = ends.count
        precondition(text.count + id.count <= Int(UInt32.max) && n < Int(UInt32.max), "more ids than one batch can number")
        text.append(contentsOf: id)
        ends.append(UInt32(text.count))
        slots[i] = tag | UInt64(n + 1)
        return (n, true)
    }

    /// The id numbered `n`.
    public func id(_ n: Int) -> String {
        text.withUnsafeBufferPointer { String(decoding: $0[range(n)], as: UTF8.self) }
    }

    @inline(__always)
    private func range(_ n: Int) -> Range<Int> {
        (n == 0 ? 0 : Int(ends[n - 1]))..<Int(ends[n])
    }

    @inline(__always)
    private func equals(_ n: Int, _ id: UnsafeBufferPointer<UInt8>) -> Bool {
        let r = range(n)
        guard r.count == id.count else { return false }
        return text.withUnsafeBufferPointer { t in
            var i = 0
            while i < r.count {
                if t[r.lowerBound + i] != id[i] { return false }
                i += 1
            }
            return true
        }
    }

    /// Twice the slots; each id's place found again from its bytes (the slots keep half its hash).
    private mutating func grow() {
        var larger = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = larger.count - 1
        text.withUnsafeBufferPointer { t in
            for n in 0..<ends.count {
                let hash = IdHash.of(UnsafeBufferPointer(rebasing: t[range(n)]))
                var i = Int(truncatingIfNeeded: hash) & mask
                while larger[i] != 0 { i = (i + 1) & mask }
                larger[i] = hash & 0xFFFF_FFFF_0000_0000 | UInt64(n + 1)
            }
        }
        slots = larger
    }
}
