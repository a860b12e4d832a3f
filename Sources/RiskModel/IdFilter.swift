/// A set of ids that answers "certainly not here" for almost every id without hashing it the way a
/// `Set<String>` does (a seeded SipHash per look-up): the review queue asks, for each of hundreds of
/// thousands of children and incidents, whether it is among a few thousand with episodes or a serial
/// perpetrator, and nearly always the answer is no. Two bits per id in a 2^20-bit table (128 KiB),
/// from one 64-bit hash of the id's UTF-8: a "maybe" is then checked in the real dictionary.
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
            // Ids of up to 16 bytes (nearly all) are read whole in two 8-byte loads, the first and
            // last eight, rather than byte by byte: the queue asks this of a million incidents.
            // A longer id's middle is left out, which only makes a "maybe" likelier, never a "no".
            let n = bytes.count
            var h = UInt64(n) &* 0x9E37_79B9_7F4A_7C15
            guard let base = bytes.baseAddress, n > 0 else { return h }
            if n >= 8 {
                let raw = UnsafeRawPointer(base)
                h ^= raw.loadUnaligned(as: UInt64.self)
                h = (h ^ (h >> 32)) &* 0xD6E8_FEB8_6659_FD93
                h ^= raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            } else {
                for byte in bytes { h = (h << 8) | UInt64(byte) }
            }
            // A strong finish (splitmix64's), so nearby ids spread over the whole table.
            h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
            h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
            return h ^ (h >> 31)
        }
        let mask = UInt64(bits - 1)
        return (Int(h & mask), Int((h >> 32) & mask))
    }
}
