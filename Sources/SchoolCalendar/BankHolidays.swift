import CivilTime
import Foundation
import InputRules

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
        // JSONSerialization keeps one of a key given twice, saying nothing: two "england-and-wales"
        // divisions (one a year out of date), or two dates in one event, and which one counted was
        // the parser's choice. Refused, where it is, as a repeated column is (`ColumnName`).
        if let repeated = JSONKeys.firstRepeated(in: data) {
            throw BankHolidaysError("\"\(FieldText.forTerminal(String(repeated.key.prefix(64))))\" is given twice in one object "
                                    + "(first on line \(repeated.firstLine)): keep one", line: repeated.line, column: repeated.column)
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
    /// Where in the file, when the fault is at one place (1-based; the column in characters).
    public let line: Int?
    public let column: Int?
    init(_ reason: String, line: Int? = nil, column: Int? = nil) {
        self.reason = reason
        self.line = line
        self.column = column
    }
    public var description: String { "bank holidays: " + (line.map { "line \($0)" + (column.map { ", column \($0)" } ?? "") + ": " } ?? "") + reason }
    public var errorDescription: String? { description }
}

/// The keys of a JSON document's objects, read for one rule: a key given twice in one object.
enum JSONKeys {
    /// The first key an object of `data` gives again, where (1-based line and column, the column
    /// counted in characters) and the line of its first; nil when each is given once. `data` is
    /// JSON already parsed (`JSONSerialization`): only its strings and brackets are read here.
    static func firstRepeated(in data: Data) -> (key: String, line: Int, column: Int, firstLine: Int)? {
        /// An object's keys so far (with their lines) and whether a key comes next; nil for an array.
        var frames: [(keys: [String: Int], expectingKey: Bool)?] = []
        let b = Array(data)
        var i = 0, line = 1, lineStart = 0
        func column(_ at: Int) -> Int { b[lineStart..<at].count(where: { $0 & 0xC0 != 0x80 }) + 1 }
        while i < b.count {
            switch b[i] {
            case 0x0A:
                if i == 0 || b[i - 1] != 0x0D { line += 1 }
                lineStart = i + 1
            case 0x0D:
                line += 1
                lineStart = i + 1
            case 0x7B: frames.append(([:], true))
            case 0x5B: frames.append(nil)
            case 0x7D, 0x5D: _ = frames.popLast()
            case 0x2C: if frames.last??.expectingKey == false { frames[frames.count - 1]?.expectingKey = true }
            case 0x22:
                let start = i
                i += 1
                var escaped = false
                while i < b.count, b[i] != 0x22 {
                    if b[i] == 0x5C {
                        escaped = true
                        i += 1
                    }
                    i += 1
                }
                guard i < b.count, frames.last??.expectingKey == true else { break }
                frames[frames.count - 1]?.expectingKey = false
                let raw = Data(b[start...i])
                let key = escaped ? (try? JSONSerialization.jsonObject(with: raw, options: .fragmentsAllowed)) as? String
                    : String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
                guard let key else { break }
                if let first = frames[frames.count - 1]?.keys[key] {
                    return (key, line, column(start), first)
                }
                frames[frames.count - 1]?.keys[key] = line
            default: break
            }
            i += 1
        }
        return nil
    }
}
