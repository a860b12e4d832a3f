import InputRules
import RiskModel

/// Parsers for the enumerated and numeric column forms of SPEC §2, straight from bytes.
enum FieldValues {
    static func grade(_ b: UnsafeBufferPointer<UInt8>) -> Grade? {
        if b.equalsLowercased("standard") { return .standard }
        if b.equalsLowercased("medium") { return .medium }
        if b.equalsLowercased("high") { return .high }
        return nil
    }

    static func riskTool(_ b: UnsafeBufferPointer<UInt8>) -> RiskTool? {
        if b.equalsLowercased("dash") { return .dash }
        if b.equalsLowercased("dash24") { return .dash24 }
        if b.equalsLowercased("dara") { return .dara }
        if b.equalsLowercased("none") { return RiskTool.none }
        return nil
    }

    /// Y/N in any case; Yes/No are accepted too, as some exports spell them out.
    static func yesNo(_ b: UnsafeBufferPointer<UInt8>) -> Bool? {
        if b.equalsLowercased("y") || b.equalsLowercased("yes") { return true }
        if b.equalsLowercased("n") || b.equalsLowercased("no") { return false }
        return nil
    }

    /// Decimal digits only, no sign; nil when not a whole number or absurdly long.
    static func wholeNumber(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !b.isEmpty, b.count <= 9 else { return nil }
        var v = 0
        for c in b {
            guard c >= 0x30, c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v
    }

    /// Exactly `YYYY-MM-DD`, a date that exists.
    static func date(_ b: UnsafeBufferPointer<UInt8>) -> LocalDate? {
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D,
              let y = digits(b, 0, 4), let m = digits(b, 5, 2), let d = digits(b, 8, 2) else { return nil }
        return LocalDate(year: y, month: m, day: d)
    }

    @inline(__always)
    static func digits(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ n: Int) -> Int? {
        guard from + n <= b.count else { return nil }
        var v = 0
        for i in from..<(from + n) {
            let c = b[i]
            guard c >= 0x30, c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v
    }

    /// An id quoted back in a message, shortened so a stray paste cannot fill the screen, and
    /// with any control character escaped so none reaches the terminal.
    static func shortened(_ s: String, limit: Int = 40) -> String {
        guard s.count > limit else { return FieldText.forTerminal(s) }
        return "\(FieldText.forTerminal(String(s.prefix(limit))))…"
    }
}
