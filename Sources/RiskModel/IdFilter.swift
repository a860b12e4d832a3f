/// A set of ids that answers "certainly not here" for almost every id without hashing it the way a
/// `Set<String>` does (a seeded SipHash per look-up): the review queue asks, for each of hundreds of
/// thousands of children and incidents, whether it is among a few thousand with episodes or a serial
/// perpetrator, and nearly always the answer is no. Two bits per id, both in one 64-bit word, in a
/// table of about 32 bits per id (4 Kib to 1 Mib), from one 64-bit hash of the id's UTF-8: a
/// "maybe" is then checked in the real dictionary. One word per look-up, as the table outgrows the
/// cache for tens of thousands of ids, and a small table for a few hundred stays in it.
public struct IdFilter: Sendable, Equatable {
    private var words: [UInt64]
    public private(set) var isEmpty = true

    public init<S: Sequence>(_ ids: S) where S.Element == String {
        let ids = Array(ids)
        var count = 1 << 6
        while count < ids.count / 2 && count < 1 << 14 { count <<= 1 }
        words = ids.isEmpty ? [] : Array(repeating: 0, count: count)
        for id in ids { insert(id) }
    }

    public static let empty = IdFilter([String]())

    private mutating func insert(_ id: String) {
        isEmpty = false
        let (word, bits) = Self.position(id, words: words.count)
        words[word] |= bits
    }

    /// False when `id` was certainly never inserted.
    @inline(__always)
    public func mayContain(_ id: String) -> Bool {
        guard !isEmpty else { return false }
        let (word, bits) = Self.position(id, words: words.count)
        return words[word] & bits == bits
    }

    /// The word and its two bits for `id`; `words` is a power of two.
    @inline(__always)
    static func position(_ id: String, words: Int) -> (Int, UInt64) {
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
        return (Int(truncatingIfNeeded: h) & (words - 1), 1 << (h >> 52 & 63) | 1 << (h >> 58))
    }
}
