import Foundation

/// The audit's `detail` column: any JSON-serialisable value as JSON text, keys sorted, so both
/// stores write the same bytes.
///
/// Written here, not by `JSONSerialization`: a correcting feed writes an audit row for every
/// incident it changes, and `JSONSerialization` (bridging each dictionary, key and value to its
/// Foundation class first) was 30 % of a correction's time on SQLite (docs/benchmarks.md). The bytes
/// are `JSONSerialization`'s with `.sortedKeys`, which rows already in the audit were written with:
/// its key order (case-insensitive, digits compared as numbers, in the system locale, so
/// `child[2]` before `child[10]`), `/` written `\/`, control characters `\u00XX` bar the five with
/// short escapes. AuditDetailTests holds it to `JSONSerialization` over random values.
public enum AuditDetail {
    public struct NotJSON: Error, CustomStringConvertible {
        public let typeName: String
        public var description: String { "an audit detail holds a \(typeName), which is not JSON" }
    }

    public static func text(_ detail: Any?) throws -> String? {
        guard let detail else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(128)
        try write(detail, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The order `JSONSerialization`'s `.sortedKeys` gives on this platform.
    static func ascending(_ a: String, _ b: String) -> Bool {
        a.compare(b, options: [.numeric, .caseInsensitive, .forcedOrdering], range: a.startIndex..<a.endIndex,
                  locale: NSLocale.system) == .orderedAscending
    }

    private static func write(_ value: Any, into out: inout [UInt8]) throws {
        switch value {
        case let s as String:
            string(s, into: &out)
        case let d as [String: Any]:
            out.append(UInt8(ascii: "{"))
            // One key: nothing to sort (most of a correction's rows name one or two fields).
            let keys = d.count < 2 ? Array(d.keys) : d.keys.sorted(by: ascending)
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                string(key, into: &out)
                out.append(UInt8(ascii: ":"))
                try write(d[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let a as [Any]:
            out.append(UInt8(ascii: "["))
            for (i, element) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case is NSNull:
            out.append(contentsOf: "null".utf8)
        case let b as Bool:
            out.append(contentsOf: (b ? "true" : "false").utf8)
        case let n as Int:
            out.append(contentsOf: String(n).utf8)
        case let n as Int64:
            out.append(contentsOf: String(n).utf8)
        default:
            // A Double or another number: none is written today. JSONSerialization's own formatting
            // (`1` for 1.0, `1e+20`), taken from a one-element array so the two never disagree.
            guard JSONSerialization.isValidJSONObject([value]) else { throw NotJSON(typeName: "\(type(of: value))") }
            let data = try JSONSerialization.data(withJSONObject: [value])
            out.append(contentsOf: data.dropFirst().dropLast())
        }
    }

    private static func string(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "/"): out.append(contentsOf: #"\/"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x0C: out.append(contentsOf: #"\f"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case ..<0x20:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex(byte >> 4))
                out.append(hex(byte & 0xF))
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func hex(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
