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
        if let repeated = repeatedKey(in: data) {
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

    /// The first key an object of `data` gives again, at any depth (`JSONValue.firstRepeatedKey`),
    /// where it is (`JSONPosition`: its opening quote; a byte order mark counts as a character of
    /// line 1) and its first's line; nil when each key is given once. `data` is JSON that
    /// `JSONSerialization` has read, in whichever encoding it read it in (`utf8`).
    static func repeatedKey(in data: Data) -> (key: String, line: Int, column: Int, firstLine: Int)? {
        guard let text = utf8(data) else { return nil }
        return text.withUnsafeBufferPointer { b -> (key: String, line: Int, column: Int, firstLine: Int)? in
            let bom = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            let body = UnsafeBufferPointer(rebasing: b[bom...])
            guard String(validating: body, as: UTF8.self) != nil,
                  // As deep as JSONSerialization reads (512), so no file it took escapes the rule.
                  let value = try? JSONParser.parse(body, maximumDepth: 512),
                  let (repeated, first) = value.firstRepeatedKey() else { return nil }
            let at = JSONPosition(of: bom + repeated.offset, in: b)
            return (repeated.key, at.line, at.column, JSONPosition(of: bom + first.offset, in: b).line)
        }
    }

    /// The file as UTF-8, in the encoding `JSONSerialization` reads it in (RFC 4627 §3): UTF-8 unless
    /// a byte order mark or the zero bytes among the first four say UTF-16 or UTF-32 (PowerShell 5
    /// saves a download as UTF-16 by default). Nil when it is none of them.
    static func utf8(_ data: Data) -> [UInt8]? {
        let head = Array(data.prefix(4))
        func zero(_ i: Int) -> Bool { i < head.count && head[i] == 0 }
        let utf16BOM = head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF])
        guard utf16BOM || head.contains(0), !head.starts(with: [0xEF, 0xBB, 0xBF]) else { return Array(data) }
        let encoding: String.Encoding =
            if head.starts(with: [0x00, 0x00, 0xFE, 0xFF]) || (zero(0) && zero(1) && zero(2)) { .utf32BigEndian }
            else if head.starts(with: [0xFF, 0xFE, 0x00, 0x00]) || (zero(1) && zero(2) && zero(3)) { .utf32LittleEndian }
            else if head.starts(with: [0xFE, 0xFF]) || zero(0) { .utf16BigEndian }
            else { .utf16LittleEndian }
        // The byte order mark, read with the order named, stays as U+FEFF: a UTF-8 one, as above.
        return String(data: data, encoding: encoding).map { Array($0.utf8) }
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
