/// A set of 64-bit hashes (`IdHash`) in one flat table: 8 bytes a slot, at most three quarters
/// full, so 11 to 21 bytes an id, where a `[String: Int]` of the same ids takes about 40 (and more
/// for an id too long to be kept inline). For a large ingest's "was this id seen before?", where a
/// wrong "yes" (two ids with one hash) is allowed because the caller then takes a slower, exact path.
public struct IdHashSet: Sendable {
    /// Open addressing, linear probing; 0 marks an empty slot (a hash of 0 is kept as 1).
    private var slots: [UInt64]
    public private(set) var count = 0

    /// Room for `capacity` hashes before the table first grows.
    public init(capacity: Int = 0) {
        slots = Array(repeating: 0, count: Self.slotCount(for: capacity))
    }

    /// Room for `capacity` hashes in all before the table next grows.
    public mutating func reserve(_ capacity: Int) {
        let wanted = Self.slotCount(for: capacity)
        guard wanted > slots.count else { return }
        rehash(into: wanted)
    }

    /// Inserts `hash`: false when it was there already.
    @inline(__always)
    public mutating func insert(_ hash: UInt64) -> Bool {
        if (count + 1) * 4 > slots.count * 3 { grow() }
        let h = hash == 0 ? 1 : hash
        let inserted = slots.withUnsafeMutableBufferPointer { Self.insert(h, into: $0) }
        if inserted { count += 1 }
        return inserted
    }

    public func contains(_ hash: UInt64) -> Bool {
        let h = hash == 0 ? 1 : hash
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] != 0 {
            if slots[i] == h { return true }
            i = (i + 1) & mask
        }
        return false
    }

    @inline(__always)
    private static func insert(_ h: UInt64, into slots: UnsafeMutableBufferPointer<UInt64>) -> Bool {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s == 0 {
                slots[i] = h
                return true
            }
            if s == h { return false }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        rehash(into: slots.count * 2)
    }

    private mutating func rehash(into slotCount: Int) {
        var larger = [UInt64](repeating: 0, count: slotCount)
        larger.withUnsafeMutableBufferPointer { to in
            for h in slots where h != 0 { _ = Self.insert(h, into: to) }
        }
        slots = larger
    }

    /// A power of two holding `capacity` at most three quarters full (at least 64).
    static func slotCount(for capacity: Int) -> Int {
        var n = 64
        while n / 4 * 3 < capacity { n <<= 1 }
        return n
    }
}
