import Foundation
import InputRules

/// A small RFC 4180 reader for the config files (schools, key adults, term dates, decisions): quoted fields with
/// commas, doubled quotes and newlines, CRLF, LF or a lone CR (old Mac files), a header row. Incident files have their own
/// streaming parser in Ingest; these files are small, so clarity wins here.
public struct CSVTable: Sendable {
    public struct Row: Sendable {
        /// The physical line the record starts on (the header is line 1).
        public let line: Int
        public let fields: [String]
    }

    public let fileName: String
    public let header: [String]
    public let rows: [Row]

    public init(text: String, fileName: String) throws(InputError) {
        self.fileName = fileName
        let records = try Self.records(text, fileName: fileName)
        guard let first = records.first else { throw InputError(file: fileName, line: 1, column: "-", message: "no header row") }
        header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        rows = Array(records.dropFirst())
        for row in rows where row.fields.count != header.count {
            throw InputError(file: fileName, line: row.line, column: "-",
                           message: "\(row.fields.count) fields where the header has \(header.count)")
        }
    }

    /// The records of RFC 4180 text with the line each starts on; blank lines are skipped.
    public static func records(_ text: String, fileName: String) throws(InputError) -> [Row] {
        var records: [Row] = []
        var field = ""
        var fields: [String] = []
        var line = 1
        var recordLine = 1
        var quoted = false
        var afterQuote = false
        /// The last scalar was a CR ending a line outside quotes: an LF right after it is the same line end.
        var afterCR = false
        var chars = text.unicodeScalars.makeIterator()
        if text.unicodeScalars.first == "\u{FEFF}" { _ = chars.next() }
        func endRecord() {
            fields.append(field)
            field = ""
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(Row(line: recordLine, fields: fields)) }
            fields = []
        }
        var quotedCR = false
        while let c = chars.next() {
            let crlf = afterCR && c == "\n"
            afterCR = false
            if quoted {
                if c == "\"" { quoted = false; afterQuote = true }
                else {
                    // A line ends at LF, CRLF or a lone CR.
                    if c == "\r" || (c == "\n" && !quotedCR) { line += 1 }
                    field.unicodeScalars.append(c)
                }
                quotedCR = c == "\r"
                continue
            }
            quotedCR = false
            if crlf { continue }
            switch c {
            case "\"":
                if afterQuote { field.append("\""); quoted = true; afterQuote = false }
                else if field.isEmpty { quoted = true }
                else { throw InputError(file: fileName, line: line, column: "-", message: "a quote inside an unquoted field") }
            case ",":
                fields.append(field); field = ""; afterQuote = false
            case "\r", "\n":
                afterCR = c == "\r"
                endRecord(); afterQuote = false
                line += 1
                recordLine = line
            default:
                if afterQuote { throw InputError(file: fileName, line: line, column: "-", message: "text after a closing quote") }
                field.unicodeScalars.append(c)
            }
        }
        if quoted { throw InputError(file: fileName, line: recordLine, column: "-", message: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        return records
    }

    public func index(of column: String) -> Int? { header.firstIndex(of: column) }

    /// Where each `required` column is, and each `optional` one (nil when the header lacks it), by
    /// the header's rule (`MisnamedColumns`): a column the header lacks where it has a name a letter
    /// or two from it is that column misnamed, required or optional, and refused. A GIAS extract's
    /// `TelephoneNum` as `Telephone Num` left every school with no number for the hub to ring, and
    /// its `EstablishmentStatus (name)` misnamed loaded the closed schools as open, with no word.
    public func columns(required: [String], optional: [String] = []) throws(InputError) -> (required: [Int], optional: [Int?]) {
        let known = required + optional
        var misnamed = MisnamedColumns(known: known)
        let hints = misnamed.hints(unknown: header.filter { !known.contains($0) }) { index(of: known[$0]) == nil }
        var found: [Int] = []
        for (n, name) in required.enumerated() {
            guard let i = index(of: name) else {
                throw InputError(file: fileName, line: 1, column: name, message: "missing column" + (hints[n]?.hint ?? ""))
            }
            found.append(i)
        }
        for (n, name) in optional.enumerated() {
            if let hint = hints[required.count + n]?.hint {
                throw InputError(file: fileName, line: 1, column: name, message: "is missing from the header" + hint)
            }
        }
        return (found, optional.map(index(of:)))
    }
}

/// `FILE:LINE: column: message`, the one form every input error takes: incident files, the school
/// directory, term dates. Messages never carry personal data: at most ids, and never a value found in a column.
public struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
    public let file: String
    /// The physical line where the record starts (1 is a CSV header).
    public let line: Int
    /// A column name, or `-` for the record as a whole (`json` for a line that is not a JSON object).
    public let column: String
    public let message: String

    public init(file: String, line: Int, column: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(FilePosition.text(file, line: line)): \(column): \(message)" }
}

extension InputError: KindedError {
    public var failureKind: FailureKind { .data }
}
