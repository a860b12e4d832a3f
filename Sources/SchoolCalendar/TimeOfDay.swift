import Foundation

/// A local wall-clock time such as the start of the school day (`09:00`).
/// A struct rather than a `(hour, minute)` tuple so it can be Hashable and validated once.
public struct TimeOfDay: Sendable, Hashable, CustomStringConvertible {
    public let hour: Int
    public let minute: Int

    /// Nil unless 00:00...23:59.
    public init?(hour: Int, minute: Int) {
        guard (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        self.hour = hour
        self.minute = minute
    }

    public static let nine = TimeOfDay(hour: 9, minute: 0)!

    /// Parses `HH:MM` (24-hour; a one-digit hour such as `8:45` is accepted, minutes need two digits).
    public static func parse(_ text: String) throws -> TimeOfDay {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2,
              (1...2).contains(parts[0].count), parts[1].count == 2,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let h = Int(parts[0]), let m = Int(parts[1]),
              let time = TimeOfDay(hour: h, minute: m)
        else { throw TimeOfDayError(text: text) }
        return time
    }

    public var description: String {
        (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }
}

/// Never quotes the text refused: it may hold a line break or a control sequence.
public struct TimeOfDayError: Error, Sendable, CustomStringConvertible, LocalizedError {
    public let text: String
    public var description: String { "is not a time of day as HH:MM (00:00 to 23:59)" }
    public var errorDescription: String? { description }
}
