/// One 64-bit hash of an id's UTF-8, every byte of it, for the compact indexes of a large ingest
/// (`IdHashSet`, `IdNumbering`). Not seeded: these tables live for one command and never face a
/// party choosing ids to collide (an export's ids are the force's own).
public enum IdHash {
    @inline(__always)
    public static func of(_ id: String) -> UInt64 {
        var id = id
        return id.withUTF8 { of($0) }
    }

    /// Eight bytes a step (a word each, mixed in), then the tail, then splitmix64's finish so that
    /// ids differing in one digit spread over the whole table.
    @inline(__always)
    public static func of(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = bytes.count
        var h = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
        guard let base = bytes.baseAddress, n > 0 else { return finish(h) }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= n {
            h = mix(h, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(base[i]) << shift
                shift += 8
                i += 1
            }
            h = mix(h, tail)
        }
        return finish(h)
    }

    @inline(__always)
    private static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
        let x = (h ^ word) &* 0xD6E8_FEB8_6659_FD93
        return (x ^ (x >> 32)) &* 0x9E37_79B9_7F4A_7C15
    }

    @inline(__always)
    private static func finish(_ h: UInt64) -> UInt64 {
        var h = h
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 31)
    }
}
