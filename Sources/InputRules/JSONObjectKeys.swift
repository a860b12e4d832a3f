/// A key given twice in one JSON object, read by `JSONParser`: `JSONSerialization` keeps one of the
/// two without a word, and which one was its choice. Refused in an API body, which is read with it
/// (`firstRepeated(in:)`), and in the bank-holidays file (`JSONValue.firstRepeatedKey()`).
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

/// Where a byte offset of a text is, as an error that names the place counts it (1-based): lines
/// end as `LineEnds` ends them, and a column counts characters (`characters(in:)`) from the line's
/// start. Counted when an error asks, never while reading (`JSONMember.offset`).
public struct JSONPosition: Equatable, Sendable {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public init(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) {
        let target = min(offset, bytes.count)
        var line = 1, lineStart = 0
        // Past each line whose break ends before the offset: the next line starts at or before it.
        while true {
            let next = LineEnds.line(in: bytes, from: lineStart).next
            guard next <= target else { break }
            line += 1
            lineStart = next
        }
        self.init(line: line, column: Self.characters(in: UnsafeBufferPointer(rebasing: bytes[lineStart..<max(lineStart, target)])) + 1)
    }

    /// The characters of UTF-8 `bytes`, as a place in a text counts them: Unicode scalars (a UTF-8
    /// lead byte each), so a curly quote is one character, not three.
    static func characters(in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        bytes.count(where: { $0 & 0xC0 != 0x80 })
    }
}
