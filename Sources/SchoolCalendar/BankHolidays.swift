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
    /// "england-and-wales" division, and ignores `title`, `notes` and `bunting`. Read once, by the
    /// one JSON reader (`JSONParser`, RFC 8259): it keeps every member as the text gives it, so a key
    /// given twice is found in the same reading as the dates. (`JSONSerialization` read the dates,
    /// and kept one of a key given twice without a word, so the file was parsed a second time for
    /// its keys; it also let a trailing comma through, which RFC 8259 and this reader refuse.)
    public static func parseGovUK(_ data: Data) throws -> BankHolidays {
        guard let text = utf8(data) else { throw BankHolidaysError("not valid JSON") }
        return try text.withUnsafeBufferPointer { b throws -> BankHolidays in
            let bom = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            let body = UnsafeBufferPointer(rebasing: b[bom...])
            guard String(validating: body, as: UTF8.self) != nil,
                  // As deep as JSONSerialization read (512), so no file it took is refused now.
                  let root = try? JSONParser.parse(body, maximumDepth: 512) else {
                throw BankHolidaysError("not valid JSON")
            }
            // RFC 8259 lets a text be any one value; JSONSerialization, which read this file before,
            // refused anything but an array or an object at the top, and its error is kept.
            switch root {
            case .object, .array: break
            case .string, .number, .bool, .null: throw BankHolidaysError("not valid JSON")
            }
            // Two "england-and-wales" divisions (one a year out of date), or two dates in one event:
            // which one counted would be a choice made without a word. Refused, where it is, as a
            // repeated column is (`ColumnName`), before anything is taken from the file.
            if let (repeated, first) = root.firstRepeatedKey() {
                // Where, as `JSONPosition` counts (its opening quote; a byte order mark counts as a
                // character of line 1), and its first's line.
                let at = JSONPosition(of: bom + repeated.offset, in: b)
                throw BankHolidaysError("\"\(FieldText.forTerminal(String(repeated.key.prefix(64))))\" is given twice in one object "
                                        + "(first on line \(JSONPosition(of: bom + first.offset, in: b).line)): keep one",
                                        line: at.line, column: at.column)
            }
            return BankHolidays(dates: try englandAndWales(root))
        }
    }

    /// The dates of the england-and-wales division's events, from a file whose keys are each given
    /// once (so a key's first member is its only one).
    static func englandAndWales(_ root: JSONValue) throws -> Set<LocalDate> {
        func member(_ key: String, of members: [JSONMember]) -> JSONValue? {
            members.first { $0.key == key }?.value
        }
        guard case .object(let divisions) = root else {
            throw BankHolidaysError("the top level must be an object keyed by division")
        }
        guard let ew = member(division, of: divisions) else {
            throw BankHolidaysError("no \"\(division)\" division")
        }
        guard case .object(let body) = ew else {
            throw BankHolidaysError("\(division) must be an object")
        }
        if let named = member("division", of: body) {
            guard case .string(division) = named else { throw BankHolidaysError("\(division).division must be \"\(division)\"") }
        }
        guard case .array(let events) = member("events", of: body) else {
            throw BankHolidaysError("\(division).events must be an array")
        }
        var dates = Set<LocalDate>()
        for (i, event) in events.enumerated() {
            guard case .object(let fields) = event else {
                throw BankHolidaysError("\(division).events[\(i)] must be an object")
            }
            guard case .string(let text) = member("date", of: fields) else {
                throw BankHolidaysError("\(division).events[\(i)].date is missing or not a string")
            }
            guard let date = LocalDate(iso: text) else {
                throw BankHolidaysError("\(division).events[\(i)].date is not a YYYY-MM-DD date")
            }
            dates.insert(date)
        }
        return dates
    }

    /// The file as UTF-8, in the encoding `JSONSerialization` read it in, which it is still read in
    /// (RFC 4627 §3): UTF-8 unless a byte order mark or the zero bytes among the first four say
    /// UTF-16 or UTF-32 (PowerShell 5 saves a download as UTF-16 by default). Nil when it is none of them.
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
