import Foundation
import RiskModel

/// A 128-bit digest of everything ingest keeps of an incident, so a re-ingest of the same content is
/// recognised without reading the old rows back. A collision would hide a regrade, so 64 bits alone
/// is not enough margin.
///
/// Stored as a 16-byte BLOB. Rows written before that hold the older digest as 32 hex characters
/// (TEXT); an incident is compared with the digest its row holds (`matches`), and an update stores
/// the current kind.
public enum Fingerprint {
    public struct Digest: Equatable, Sendable {
        var a: UInt64
        var b: UInt64

        /// The 16 bytes stored: `a`, then `b`, little-endian.
        public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            try withUnsafeBytes(of: (a.littleEndian, b.littleEndian), body)
        }

        public var bytes: [UInt8] { withBytes { Array($0) } }

        public init(a: UInt64, b: UInt64) {
            self.a = a
            self.b = b
        }

        public init?(bytes: UnsafeRawBufferPointer) {
            guard bytes.count == 16 else { return nil }
            a = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            b = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
    }

    /// What a stored row holds in its `fingerprint` column.
    public enum Stored {
        case digest(Digest)
        case legacyHex(String)

        /// True when `incident` (whose current digest is `digest`) is what the row was written from.
        public func matches(_ incident: Incident, digest: Digest) -> Bool {
            switch self {
            case .digest(let stored): stored == digest
            case .legacyHex(let hex): hex == Fingerprint.legacyHex(incident)
            }
        }
    }

    public static func of(_ incident: Incident) -> Digest {
        var h = Words()
        feed(incident, to: &h)
        return h.digest
    }

    /// The same digest of everything ingest keeps of a missing episode.
    public static func of(_ episode: Episode) -> Digest {
        var h = Words()
        h.add(episode.id)
        h.add(episode.childId)
        h.add(episode.givenName)
        h.add(episode.familyName)
        h.add(UInt64(bitPattern: Int64(episode.dateOfBirth.daysSinceEpoch)))
        h.add(episode.schoolURN)
        h.add(episode.missingAt.timeIntervalSince1970.bitPattern)
        h.add(episode.returnedAt.map(\.timeIntervalSince1970.bitPattern) ?? .max)
        h.add(episode.risk?.rawValue)
        h.add(episode.returnInterviewAt.map(\.timeIntervalSince1970.bitPattern) ?? .max)
        return h.digest
    }

    /// The digest rows held before the BLOB (two FNV-1a lanes, as hex), to recognise an unchanged
    /// incident stored then.
    public static func legacyHex(_ incident: Incident) -> String {
        var h = Lanes()
        feed(incident, to: &h)
        return h.hex
    }

    /// Every column ingest keeps, in a fixed order (both digests read the same fields).
    private static func feed(_ incident: Incident, to h: inout some FieldHasher) {
        h.add(incident.id)
        h.add(incident.reportedAt.timeIntervalSince1970.bitPattern)
        h.add(incident.riskTool.rawValue)
        h.add(UInt64(incident.officerGrade.rawValue))
        h.add(incident.dashYesCount.map { UInt64($0) } ?? .max)
        h.add(incident.supervisorGrade.map { UInt64($0.rawValue) } ?? .max)
        h.add(incident.victimId)
        h.add(incident.perpetratorId)
        for c in incident.children {
            h.add(c.childId)
            h.add(c.givenName)
            h.add(c.familyName)
            h.add(UInt64(bitPattern: Int64(c.dateOfBirth.daysSinceEpoch)))
            h.add(c.schoolURN)
            h.add(c.present.map { $0 ? "Y" : "N" })
            h.add(c.spokenTo.map { $0 ? "Y" : "N" })
            h.add(c.voice)
            h.add(c.bodyWornVideo.map { $0 ? "Y" : "N" })
        }
        // Only when given, so the digest of every incident stored before it was kept is unchanged;
        // the marker keeps it apart from a child's fields.
        if let used = incident.bodyWornVideo {
            h.add("incident.bwv_used")
            h.add(used ? "Y" : "N")
        }
    }

    /// Two 64-bit lanes fed eight bytes at a time (multiply, rotate), each finished with
    /// MurmurHash3's mixer.
    private struct Words: FieldHasher {
        var a: UInt64 = 0x243f_6a88_85a3_08d3
        var b: UInt64 = 0x1319_8a2e_0370_7344

        @inline(__always)
        mutating func add(_ w: UInt64) {
            a = ((a ^ w) &* 0x9e37_79b9_7f4a_7c15).rotated(27)
            b = ((b ^ (w &* 0xff51_afd7_ed55_8ccd)) &* 0xc2b2_ae3d_27d4_eb4f).rotated(31)
        }

        mutating func add(_ s: String?) {
            guard var s else { add(UInt64.max); return }
            s.withUTF8 { buf in
                add(UInt64(buf.count))
                let raw = UnsafeRawBufferPointer(buf)
                var i = 0
                while i + 8 <= raw.count {
                    add(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                    i += 8
                }
                if i < raw.count {
                    var tail: UInt64 = 0
                    for (shift, byte) in raw[i...].enumerated() { tail |= UInt64(byte) << UInt64(8 * shift) }
                    add(tail)
                }
            }
        }

        var digest: Digest {
            Digest(a: Self.mix(a ^ b.rotated(17)), b: Self.mix(b ^ a))
        }

        private static func mix(_ x: UInt64) -> UInt64 {
            var k = x
            k ^= k >> 33
            k = k &* 0xff51_afd7_ed55_8ccd
            k ^= k >> 33
            k = k &* 0xc4ce_b9fe_1a85_ec53
            k ^= k >> 33
            return k
        }
    }

    private struct Lanes: FieldHasher {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x84222325_cbf29ce4
        mutating func byte(_ x: UInt8) {
            a = (a ^ UInt64(x)) &* 0x0000_0100_0000_01b3
            b = (b ^ UInt64(x ^ 0x5c)) &* 0x0000_0100_0000_01b3
            b = b &+ (b >> 29)
        }
        mutating func add(_ s: String?) {
            guard var s else { byte(0xff); byte(0xfe); return }
            s.withUTF8 { buf in
                var n = buf.count
                for _ in 0..<4 { byte(UInt8(n & 0xff)); n >>= 8 }
                for x in buf { byte(x) }
            }
        }
        mutating func add(_ v: UInt64) {
            var v = v
            for _ in 0..<8 { byte(UInt8(v & 0xff)); v >>= 8 }
        }
        var hex: String {
            String(unsafeUninitializedCapacity: 32) { out in
                let digits: StaticString = "0123456789abcdef"
                for (lane, v) in [(0, a), (16, b)] {
                    for i in 0..<16 { out[lane + i] = digits.utf8Start[Int((v >> UInt64(60 - 4 * i)) & 0xf)] }
                }
                return 32
            }
        }
    }
}

/// Takes an incident's fields one by one; each field is length-prefixed, so ("ab","c") and
/// ("a","bc") differ, and nil differs from "".
private protocol FieldHasher {
    mutating func add(_ s: String?)
    mutating func add(_ v: UInt64)
}

private extension UInt64 {
    @inline(__always)
    func rotated(_ n: UInt64) -> UInt64 { (self << n) | (self >> (64 - n)) }
}
