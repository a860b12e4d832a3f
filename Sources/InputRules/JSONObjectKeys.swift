/// A key given twice in one JSON object, read by `JSONParser`: `JSONSerialization` keeps one of the
/// two without a word, and which one was its choice. Refused where we read JSON with it: an API body
/// (`firstRepeated(in:)`) and the bank-holidays file (`JSONValue.firstRepeatedKey()`).
public enum JSONObjectKeys {
    /// The duplicate-key rule (`ColumnName`) for a JSON object sent to us outside a JSON Lines file:
    /// the key (as `ColumnName.key`) given twice in the top-level object of `bytes`; nil when none
    /// is, or when `bytes` is not a JSON object in UTF-8 (the caller's own parser says so).
    public static func firstRepeated(in bytes: some Collection<UInt8>) -> String? {
        let array = Array(bytes)
        return array.withUnsafeBufferPointer { b -> String? in
            guard String(validating: b, as: UTF8.self) != nil, let value = try? JSONParser.parse(b),
                  case .object(let members) = value else { return nil }
            return ColumnName.firstRepeated(members.map(\.key))
        }
    }
}

extension JSONValue {
    /// The first member, in the text's order, whose key an earlier member of the same object gives
    /// too, in this object or in any object at any depth inside it; with that earlier member. Keys
    /// are compared as decoded (`"dat\u0065"` is `"date"`) and as Swift compares strings; the same
    /// key in two objects (each event's `date`) is no repeat.
    public func firstRepeatedKey() -> (repeated: JSONMember, first: JSONMember)? {
        switch self {
        case .object(let members):
            var seen: [String: JSONMember] = [:]
            for member in members {
                // The key before its value: a repeat inside the value comes later in the text.
                if let first = seen[member.key] { return (member, first) }
                seen[member.key] = member
                if let inner = member.value.firstRepeatedKey() { return inner }
            }
            return nil
        case .array(let elements):
            for element in elements {
                if let inner = element.firstRepeatedKey() { return inner }
            }
            return nil
        case .string, .number, .bool, .null:
            return nil
        }
    }
}

/// Where a byte offset of a text is, as an error that names the place counts it (1-based): a line
/// ends at LF, CRLF or a lone CR (as `LineEnds` splits JSON Lines), and a column counts characters
/// (Unicode scalars, so a curly quote is one) from the line's start. Counted when an error asks,
/// never while reading (`JSONMember.offset`).
public struct JSONPosition: Equatable, Sendable {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public init(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) {
        var line = 1, lineStart = 0
        for i in 0..<min(offset, bytes.count) {
            switch bytes[i] {
            case 0x0A:
                if i == 0 || bytes[i - 1] != 0x0D { line += 1 }
                lineStart = i + 1
            case 0x0D:
                line += 1
                lineStart = i + 1
            default:
                break
            }
        }
        let column = bytes[lineStart..<max(lineStart, min(offset, bytes.count))].count(where: { $0 & 0xC0 != 0x80 }) + 1
        self.init(line: line, column: column)
    }
}
