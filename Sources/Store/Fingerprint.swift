import Foundation
import RiskModel

/// A 128-bit digest of everything ingest keeps of an incident, so a re-ingest of the same content is
/// recognised without reading the old rows back. Two independent 64-bit FNV-1a lanes: a collision
/// would hide a regrade, so 64 bits alone is not enough margin.
enum Fingerprint {
    static func of(_ incident: Incident) -> String {
        var h = Lanes()
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
        return h.hex
    }

    private struct Lanes {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x84222325_cbf29ce4
        mutating func byte(_ x: UInt8) {
            a = (a ^ UInt64(x)) &* 0x0000_0100_0000_01b3
            b = (b ^ UInt64(x ^ 0x5c)) &* 0x0000_0100_0000_01b3
            b = b &+ (b >> 29)
        }
        // Each field is length-prefixed, so ("ab","c") and ("a","bc") differ; nil differs from "".
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
