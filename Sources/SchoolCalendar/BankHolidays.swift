import CivilTime
import Foundation

/// England-and-Wales bank holidays (substitute days are listed as their own dates, as GOV.UK does).
public struct BankHolidays: Sendable {
    public let dates: Set<LocalDate>

    public init(dates: Set<LocalDate>) {
        self.dates = dates
    }

    public func contains(_ d: LocalDate) -> Bool { dates.contains(d) }

    /// The last listed holiday: after it the list says nothing, so the app can warn that the file needs updating.
    public var latest: LocalDate? { dates.max() }

    static let division = "england-and-wales"

    /// Parses the GOV.UK format (https://www.gov.uk/bank-holidays.json); uses only the
    /// "england-and-wales" division, and ignores `title`, `notes` and `bunting`.
    public static func parseGovUK(_ data: Data) throws -> BankHolidays {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw BankHolidaysError("not valid JSON")
        }
        guard let divisions = root as? [String: Any] else {
            throw BankHolidaysError("the top level must be an object keyed by division")
        }
        guard let ew = divisions[division] else {
            throw BankHolidaysError("no \"\(division)\" division")
        }
        guard let body = ew as? [String: Any] else {
            throw BankHolidaysError("\(division) must be an object")
        }
        if let named = body["division"], (named as? String) != division {
            throw BankHolidaysError("\(division).division must be \"\(division)\"")
        }
        guard let events = body["events"] as? [Any] else {
            throw BankHolidaysError("\(division).events must be an array")
        }
        var dates = Set<LocalDate>()
        for (i, event) in events.enumerated() {
            guard let fields = event as? [String: Any] else {
                throw BankHolidaysError("\(division).events[\(i)] must be an object")
            }
            guard let text = fields["date"] as? String else {
                throw BankHolidaysError("\(division).events[\(i)].date is missing or not a string")
            }
            guard let date = LocalDate(iso: text) else {
                throw BankHolidaysError("\(division).events[\(i)].date is not a YYYY-MM-DD date")
            }
            dates.insert(date)
        }
        return BankHolidays(dates: dates)
    }
}

public struct BankHolidaysError: Error, Sendable, CustomStringConvertible, LocalizedError {
    /// What is wrong, e.g. `england-and-wales.events[3].date is not a YYYY-MM-DD date`: never the
    /// value itself, which may hold a line break or a control sequence.
    public let reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { "bank holidays: \(reason)" }
    public var errorDescription: String? { description }
}
