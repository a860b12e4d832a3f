import Foundation
import RiskModel

/// The one reader of date-times given on the command line or the API, so `--as-of`, `--now` and
/// `--reported-at` accept exactly what `reported_at` accepts, within the years a person may enter
/// (`LocalDate.enteredYears`, as UTC): `9999-12-31T23:59:59-01:00` is in year 10000, which no
/// calendar date can show.
public enum InstantText {
    public enum Problem: Error, Equatable {
        case missingOffset
        case invalid
        /// A date-time, outside the years a person may enter.
        case outOfRange
    }

    /// For messages: `the years 1900 to 9998`.
    public static let rangeWords = "the years \(LocalDate.enteredYears.lowerBound) to \(LocalDate.enteredYears.upperBound)"

    public static func parse(_ text: String) -> Result<Date, Problem> {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { b in
            switch InstantParser.parse(UnsafeBufferPointer(b)) {
            case .instant(let d): .success(d)
            case .missingOffset: .failure(.missingOffset)
            case .invalid: .failure(.invalid)
            case .outOfRange: .failure(.outOfRange)
            }
        }
    }
}
