import Foundation
import InputRules
import RiskModel

/// What is wrong with one column's value, as the words after `FILE:LINE: column: ` (never the value).
struct ColumnProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

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

    /// The one reading of a date-time column of a file (`reported_at`, `missing_at`, `returned_at`,
    /// `return_interview_at`): the `InstantParser` forms, in the years a person enters, and not more
    /// than an hour past `latest`'s hour of clock skew. The failure is the message for
    /// `FILE:LINE: column: `.
    static func instant(_ b: UnsafeBufferPointer<UInt8>, latest: Date) -> Result<Date, ColumnProblem> {
        switch InstantParser.parse(b) {
        case .instant(let d): d > latest ? .failure(ColumnProblem("is more than 1 hour in the future")) : .success(d)
        case .missingOffset: .failure(ColumnProblem("needs Z or an offset such as +01:00"))
        case .invalid: .failure(ColumnProblem("is not an ISO 8601 date-time such as 2026-03-06T21:40:00Z"))
        case .outOfRange: .failure(ColumnProblem("is outside \(InstantText.rangeWords)"))
        }
    }

    /// The one reading of `child_dob` (incidents and episodes): `YYYY-MM-DD`, in the years a person
    /// enters, not after London's `today`, and not after London's date of the record's own time
    /// (`event`: the incident's `reported_at`, the episode's `missing_at`, with its column's name;
    /// nil when that failed its own check). A child born after the incident was not in it: such a
    /// date is a typo (2106 for 2016) that the feed cannot carry faithfully, and stored it would
    /// make an unborn child, with a school and an age, that the alert and the pages name.
    static func dateOfBirth(_ b: UnsafeBufferPointer<UInt8>, today: LocalDate,
                            event: (at: Date, column: String)?) -> Result<LocalDate, ColumnProblem> {
        guard let date = date(b) else { return .failure(ColumnProblem("is not a YYYY-MM-DD date")) }
        guard LocalDate.enteredYears.contains(date.year) else { return .failure(ColumnProblem("is outside \(InstantText.rangeWords)")) }
        if date > today { return .failure(ColumnProblem("is in the future")) }
        // London is UTC or an hour ahead: a birth before the event's UTC day is before its London
        // day, so the calendar is asked only near the event (ingest reads millions of rows).
        if let event, date.daysSinceEpoch * 86_400 > Int(event.at.timeIntervalSince1970.rounded(.down)),
           date > Zone.london.localDate(of: event.at) {
            return .failure(ColumnProblem("is after the date of \(event.column): a child's date of birth is on or before it"))
        }
        return .success(date)
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
