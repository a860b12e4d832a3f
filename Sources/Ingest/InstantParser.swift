import Foundation
import RiskModel

/// A hand-rolled ISO 8601 date-time reader for `reported_at`: Foundation's formatters are far too
/// slow for a million rows, and the accepted forms are few.
///
/// Accepted: `YYYY-MM-DDTHH:MM[:SS[.fraction]]` then `Z` or an offset `±HH:MM`, `±HHMM` or `±HH`.
/// `T` and `Z` may be lower case. A space in place of `T` is refused. An instant whose year (as UTC)
/// is outside `LocalDate.enteredYears` is `outOfRange`: the one range of dates a person enters,
/// for a file's columns as for the command line and the API (a `1026` typed for `2026` is refused,
/// not stored as a thousand years old).
enum InstantParser {
    enum Outcome: Equatable {
        case instant(Date)
        case missingOffset
        case invalid
        case outOfRange
    }

    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Outcome {
        let n = b.count
        guard n >= 16, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54 || b[10] == 0x74, b[13] == 0x3A,
              let year = FieldValues.digits(b, 0, 4), let month = FieldValues.digits(b, 5, 2),
              let day = FieldValues.digits(b, 8, 2), let hour = FieldValues.digits(b, 11, 2),
              let minute = FieldValues.digits(b, 14, 2),
              hour <= 23, minute <= 59,
              let date = LocalDate(year: year, month: month, day: day) else { return .invalid }
        var p = 16
        var second = 0
        var fraction = 0.0
        if p < n, b[p] == 0x3A {
            guard let s = FieldValues.digits(b, p + 1, 2), s <= 59 else { return .invalid }
            second = s
            p += 3
            if p < n, b[p] == 0x2E || b[p] == 0x2C {
                p += 1
                var scale = 0.1
                let start = p
                while p < n, b[p] >= 0x30, b[p] <= 0x39 {
                    fraction += Double(b[p] - 0x30) * scale
                    scale /= 10
                    p += 1
                }
                guard p > start else { return .invalid }
            }
        }
        guard p < n else { return .missingOffset }
        var offsetSeconds = 0
        switch b[p] {
        case 0x5A, 0x7A: // Z z
            p += 1
        case 0x2B, 0x2D: // + -
            let sign = b[p] == 0x2D ? -1 : 1
            guard let oh = FieldValues.digits(b, p + 1, 2), oh <= 23 else { return .invalid }
            p += 3
            var om = 0
            if p < n {
                if b[p] == 0x3A { p += 1 }
                guard let m = FieldValues.digits(b, p, 2), m <= 59 else { return .invalid }
                om = m
                p += 2
            }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        default:
            return .invalid
        }
        guard p == n else { return .invalid }
        let local = date.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + second
        let utc = local - offsetSeconds
        // An offset moves the day by one at most: only the edge years need the UTC date.
        let years = LocalDate.enteredYears
        if year <= years.lowerBound || year >= years.upperBound,
           !years.contains(LocalDate(daysSinceEpoch: Int((Double(utc) / 86_400).rounded(.down))).year) {
            return .outOfRange
        }
        return .instant(Date(timeIntervalSince1970: Double(utc) + fraction))
    }
}
