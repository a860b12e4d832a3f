/// A parsed JSON value. Numbers keep their text, so `12` and `12.0` stay distinguishable.
public indirect enum JSONValue: Sendable {
    case string(String)
    case number(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([JSONMember])

    public var kindName: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .bool(let v): v ? "true" : "false"
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// One member of an object, in the order the text gives them. Its place is the byte offset of its
/// key's opening quote in the bytes parsed, not a line and column: reading a JSON Lines line stores
/// one integer more and counts nothing, and an error that names the place asks `JSONPosition`.
public struct JSONMember: Sendable {
    public let key: String
    public let value: JSONValue
    public let offset: Int
}

/// Why a text is not JSON, with the 1-based position in characters (`JSONPosition.characters`);
/// never the text itself.
public struct JSONSyntaxError: Error {
    public let message: String
}

/// The one JSON reader (RFC 8259): a JSON Lines line of incidents or episodes, an API body's keys,
/// the bank-holidays file. The input must already be valid UTF-8.
public struct JSONParser {
    private let b: UnsafeBufferPointer<UInt8>
    private var p = 0
    private var depth = 0
    private let maximumDepth: Int

    private init(_ bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int) {
        b = bytes
        self.maximumDepth = maximumDepth
    }

    /// The one value `bytes` hold, white space around it allowed. `maximumDepth` bounds the nesting
    /// (a line of ours needs 3); the bank-holidays file may be as deep as `JSONSerialization`, which
    /// read it before, took (512).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int = 64) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(bytes, maximumDepth: maximumDepth)
        let value = try parser.value()
        parser.skipSpace()
        guard parser.p == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    /// Counted in characters, as a column is: in bytes, a line with non-ASCII text before the fault
    /// named a place further on. Counted here only, once the text is refused.
    private func error(_ what: String) -> JSONSyntaxError {
        JSONSyntaxError(message: "\(what) at character \(JSONPosition.characters(in: UnsafeBufferPointer(rebasing: b[..<p])) + 1)")
    }

    private mutating func skipSpace() {
        while p < b.count, b[p] == 0x20 || b[p] == 0x09 || b[p] == 0x0A || b[p] == 0x0D { p += 1 }
    }

    private mutating func value() throws(JSONSyntaxError) -> JSONValue {
        skipSpace()
        guard p < b.count else { throw error("expected a value") }
        switch b[p] {
        case 0x7B: return try object()
        case 0x5B: return try array()
        case 0x22: return .string(try string())
        case 0x74: try literal("true"); return .bool(true)
        case 0x66: try literal("false"); return .bool(false)
        case 0x6E: try literal("null"); return .null
        case 0x2D, 0x30...0x39: return .number(try number())
        default: throw error("expected a value")
        }
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        guard depth <= maximumDepth else { throw error("nested too deeply") }
    }

    private mutating func object() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        p += 1
        var members: [JSONMember] = []
        skipSpace()
        if p < b.count, b[p] == 0x7D {
            p += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard p < b.count, b[p] == 0x22 else { throw error("expected a key in quotes") }
            let offset = p
            let key = try string()
            skipSpace()
            guard p < b.count, b[p] == 0x3A else { throw error("expected ':'") }
            p += 1
            members.append(JSONMember(key: key, value: try value(), offset: offset))
            skipSpace()
            guard p < b.count else { throw error("expected ',' or '}'") }
            if b[p] == 0x2C { p += 1; continue }
            if b[p] == 0x7D { p += 1; break }
            throw error("expected ',' or '}'")
        }
        depth -= 1
        return .object(members)
    }

    private mutating func array() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        p += 1
        var elements: [JSONValue] = []
        skipSpace()
        if p < b.count, b[p] == 0x5D {
            p += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try value())
            skipSpace()
            guard p < b.count else { throw error("expected ',' or ']'") }
            if b[p] == 0x2C { p += 1; continue }
            if b[p] == 0x5D { p += 1; break }
            throw error("expected ',' or ']'")
        }
        depth -= 1
        return .array(elements)
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let n = word.utf8CodeUnitCount
        guard p + n <= b.count else { throw error("expected a value") }
        for i in 0..<n where b[p + i] != word.utf8Start[i] { throw error("expected a value") }
        p += n
    }

    private mutating func number() throws(JSONSyntaxError) -> String {
        let start = p
        func digits(_ parser: inout JSONParser) -> Int {
            let from = parser.p
            while parser.p < parser.b.count, parser.b[parser.p] >= 0x30, parser.b[parser.p] <= 0x39 { parser.p += 1 }
            return parser.p - from
        }
        if b[p] == 0x2D { p += 1 }
        guard p < b.count, b[p] >= 0x30, b[p] <= 0x39 else { throw error("expected a digit") }
        if b[p] == 0x30 { p += 1 } else { _ = digits(&self) }
        if p < b.count, b[p] == 0x2E {
            p += 1
            guard digits(&self) > 0 else { throw error("expected a digit") }
        }
        if p < b.count, b[p] == 0x65 || b[p] == 0x45 {
            p += 1
            if p < b.count, b[p] == 0x2B || b[p] == 0x2D { p += 1 }
            guard digits(&self) > 0 else { throw error("expected a digit") }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: b[start..<p]), as: UTF8.self)
    }

    private mutating func string() throws(JSONSyntaxError) -> String {
        p += 1
        let start = p
        // Fast path: no escapes, so the bytes are the text.
        while p < b.count, b[p] != 0x22, b[p] != 0x5C, b[p] >= 0x20 { p += 1 }
        if p < b.count, b[p] == 0x22 {
            defer { p += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: b[start..<p]), as: UTF8.self)
        }
        var out = Array(b[start..<p])
        while true {
            guard p < b.count else { throw error("a string is not closed") }
            let c = b[p]
            if c == 0x22 { p += 1; break }
            guard c >= 0x20 else { throw error("a control character inside a string") }
            guard c == 0x5C else { out.append(c); p += 1; continue }
            p += 1
            guard p < b.count else { throw error("a string is not closed") }
            let e = b[p]
            p += 1
            switch e {
            case 0x22, 0x5C, 0x2F: out.append(e)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard p + 1 < b.count, b[p] == 0x5C, b[p + 1] == 0x75 else { throw error("a lone surrogate escape") }
                    p += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("a lone surrogate escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw error("a lone surrogate escape")
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("an invalid \\u escape") }
                out.append(contentsOf: String(Character(u)).utf8)
            default:
                throw error("an invalid escape")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard p + 4 <= b.count else { throw error("an invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[p]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw error("an invalid \\u escape")
            }
            v = v << 4 | d
            p += 1
        }
        return v
    }
}
