import Foundation

/// The one reader of date-times given on the command line or the API, so `--as-of`, `--now` and
/// `--reported-at` accept exactly what `reported_at` accepts.
public enum InstantText {
    public enum Problem: Error, Equatable {
        case missingOffset
        case invalid
    }

    public static func parse(_ text: String) -> Result<Date, Problem> {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { b in
            switch InstantParser.parse(UnsafeBufferPointer(b)) {
            case .instant(let d): .success(d)
            case .missingOffset: .failure(.missingOffset)
            case .invalid: .failure(.invalid)
            }
        }
    }
}
