import InputRules
import Testing

/// The one JSON reader (`JSONParser`, in InputRules): where its objects' members are, and the
/// repeated-key walk the bank-holidays file is checked with.
@Suite struct JSONReaderTests {
    static func parse(_ text: String, maximumDepth: Int = 64) throws -> JSONValue {
        try Array(text.utf8).withUnsafeBufferPointer { b in try JSONParser.parse(b, maximumDepth: maximumDepth) }
    }

    static func position(_ offset: Int, in text: String) -> JSONPosition {
        Array(text.utf8).withUnsafeBufferPointer { JSONPosition(of: offset, in: $0) }
    }

    /// Each member keeps the byte offset of its key's opening quote, nested objects' too.
    @Test func aMemberKnowsWhereItsKeyIs() throws {
        let text = #"{"a": 1,  "b": {"c": [{"d": null}]}}"#
        guard case .object(let top) = try Self.parse(text), case .object(let b) = top[1].value,
              case .array(let list) = b[0].value, case .object(let d) = list[0] else {
            Issue.record("not the shape written")
            return
        }
        #expect(top.map(\.key) == ["a", "b"] && b[0].key == "c" && d[0].key == "d")
        let bytes = Array(text.utf8)
        for (member, key) in [(top[0], "a"), (top[1], "b"), (b[0], "c"), (d[0], "d")] {
            #expect(Array(bytes[member.offset..<(member.offset + 3)]) == Array("\"\(key)\"".utf8), "\(key)")
        }
        #expect(top.map(\.offset) == [1, 10])
    }

    /// Lines end at LF, CRLF or a lone CR, each one line; columns count characters, not bytes.
    @Test(arguments: [
        ("{\n \"a\": 1}", 3, JSONPosition(line: 2, column: 2)),
        ("{\r\n \"a\": 1}", 4, JSONPosition(line: 2, column: 2)),
        ("{\r \"a\": 1}", 3, JSONPosition(line: 2, column: 2)),
        ("{\r\n\r\n\n\r\"a\": 1}", 7, JSONPosition(line: 5, column: 1)),
        ("{\"’\": 1, \"a\": 2}", 11, JSONPosition(line: 1, column: 10)),
        ("{\"🙂\": 1, \"a\": 2}", 12, JSONPosition(line: 1, column: 10)),
        ("{\"a\": 1}", 0, JSONPosition(line: 1, column: 1)),
    ])
    func aPositionIsCountedAsTheErrorsCountIt(_ c: (String, Int, JSONPosition)) {
        #expect(Array(c.0.utf8)[c.1] == UInt8(ascii: "\"") || c.1 == 0)
        #expect(Self.position(c.1, in: c.0) == c.2)
    }

    /// The first key given again, in the text's order, at any depth, with the member it repeats.
    @Test(arguments: [
        // Nested: a date twice in one event of the list.
        (#"{"events": [{"date": "x"}, {"date": "y", "title": "t", "date": "z"}]}"#, "date", 55, 28),
        // Inside a value before the outer repeat: the inner one comes first in the text.
        (#"{"a": {"x": 1, "x": 2}, "a": 3}"#, "x", 15, 7),
        // The outer repeat before the inner one.
        (#"{"a": 1, "a": {"x": 1, "x": 2}}"#, "a", 9, 1),
        // Keys as decoded: "dat\u0065" is "date".
        (#"[{"date": 1, "dat\u0065": 2}]"#, "date", 13, 2),
    ])
    func aKeyGivenTwiceIsFoundWhereItIs(_ c: (String, String, Int, Int)) throws {
        let found = try #require(try Self.parse(c.0).firstRepeatedKey())
        #expect(found.repeated.key == c.1 && found.first.key == c.1)
        #expect(found.repeated.offset == c.2)
        #expect(found.first.offset == c.3)
    }

    /// The same key in two objects is no repeat, nor is one spelt in another case (the bank-holidays
    /// rule: only `date` is read, so a `Date` beside it decides nothing).
    @Test(arguments: [
        #"{"a": {"x": 1}, "b": {"x": 2}, "x": [{"x": 3}, {"x": 4}]}"#,
        #"{"date": 1, "Date": 2, " date": 3}"#,
        #"["a", "a", {"a": "a"}]"#,
        "{}",
    ])
    func noKeyGivenTwice(_ text: String) throws {
        #expect(try Self.parse(text).firstRepeatedKey() == nil)
    }

    /// A line of ours is refused past 64 levels; a file JSONSerialization has read may go deeper.
    @Test func theDepthIsTheCallersChoice() throws {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONSyntaxError.self) { try Self.parse(deep) }
        _ = try Self.parse(deep, maximumDepth: 512)
        _ = try Self.parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64))
    }
}
