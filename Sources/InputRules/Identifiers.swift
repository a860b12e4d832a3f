/// A school's DfE unique reference number: exactly six ASCII digits. The one check of a URN, for
/// every file, form and option that takes one (`Character.isNumber` would accept Arabic-Indic or
/// full-width digits, which no register holds).
public struct URN: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let text: String

    /// Nil unless `text` is six ASCII digits (no spaces, no sign).
    public init?(_ text: some StringProtocol) {
        guard Digits.are(text.utf8, count: 6) else { return nil }
        self.text = String(text)
    }

    public var description: String { text }

    public static func < (a: URN, b: URN) -> Bool { a.text < b.text }

    /// Whether `text` is a URN, for callers that keep the text.
    public static func isValid(_ text: some StringProtocol) -> Bool { Digits.are(text.utf8, count: 6) }

    /// The same check over UTF-8 bytes.
    @inlinable
    public static func isValid(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count == 6 && bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}

/// A local authority's code (GIAS `LA (code)`): exactly three ASCII digits.
public struct LACode: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let text: String

    /// Nil unless `text` is three ASCII digits.
    public init?(_ text: some StringProtocol) {
        guard Digits.are(text.utf8, count: 3) else { return nil }
        self.text = String(text)
    }

    public var description: String { text }

    public static func < (a: LACode, b: LACode) -> Bool { a.text < b.text }

    public static func isValid(_ text: some StringProtocol) -> Bool { Digits.are(text.utf8, count: 3) }
}

enum Digits {
    /// Exactly `count` bytes, each an ASCII digit 0-9.
    static func are(_ bytes: some Collection<UInt8>, count: Int) -> Bool {
        bytes.count == count && bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}

/// A telephone number as GIAS and people write it (`01632 960001`, `+44 (0)1632 960001`): digits
/// with spaces, `+`, brackets and dashes, at most 30 characters. Shown to hub staff to ring.
public enum TelephoneNumber {
    public static func isValid(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 30, text.utf8.contains(where: { $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        return text.utf8.allSatisfy { c in (c >= 0x30 && c <= 0x39) || c == 0x20 || c == 0x2B || c == 0x28 || c == 0x29 || c == 0x2D }
    }
}
