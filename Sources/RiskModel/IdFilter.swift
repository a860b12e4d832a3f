/// A set of ids that answers "certainly not here" for almost every id without hashing it the way a
/// `Set<String>` does (a seeded SipHash per look-up): the review queue asks, for each of hundreds of
/// thousands of children and incidents, whether it is among a few thousand with episodes or a serial
/// perpetrator, and nearly always the answer is no. Two bits per id in a 2^20-bit table (128 KiB),
/// from one FNV-1a hash of the id's UTF-8: a "maybe" is then checked in the real dictionary.
public struct IdFilter: Sendable, Equatable {
    private var words: [UInt64]
    public private(set) var isEmpty = true

    private static let bits = 1 << 20

    public init<S: Sequence>(_ ids: S) where S.Element == String {
        words = []
        for id in ids { insert(id) }
    }

    public static let empty = IdFilter([String]())

    public mutating func insert(_ id: String) {
        if words.isEmpty { words = Array(repeating: 0, count: Self.bits / 64) }
        isEmpty = false
        let (a, b) = Self.positions(id)
        words[a >> 6] |= 1 << UInt64(a & 63)
        words[b >> 6] |= 1 << UInt64(b & 63)
    }

    /// False when `id` was certainly never inserted.
    @inline(__always)
    public func mayContain(_ id: String) -> Bool {
        guard !isEmpty else { return false }
        let (a, b) = Self.positions(id)
        return words[a >> 6] & (1 << UInt64(a & 63)) != 0 && words[b >> 6] & (1 << UInt64(b & 63)) != 0
    }

    @inline(__always)
    static func positions(_ id: String) -> (Int, Int) {
        var id = id
        let h = id.withUTF8 { bytes -> UInt64 in
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes {
                h ^= UInt64(byte)
                h &*= 0x0000_0100_0000_01b3
            }
            return h
        }
        let mask = UInt64(bits - 1)
        return (Int(h & mask), Int((h >> 32) & mask))
    }
}
