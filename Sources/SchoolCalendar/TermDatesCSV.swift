import CivilTime
import DelimitedText
import Foundation
import InputRules

/// A bad term-dates file: where (file, line, column) and what, never the whole row and never a
/// value of it (it may hold a line break or a control sequence, or be a 100 KB paste), even one
/// well formed (a date, a URN, an LA code): the line and column find it.
public struct TermDatesError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    public let fileName: String
    /// 1-based; the header is line 1.
    public let line: Int
    /// The column at fault, nil when the fault is the whole row or file.
    public let column: String?
    public let reason: String

    public var description: String {
        "\(FilePosition.text(fileName, line: line)): " + (column.map { "\($0): " } ?? "") + reason
    }
    public var errorDescription: String? { description }
}

extension TermDates {
    static let requiredColumns = ["la_code", "urn", "term_start", "term_end"]
    /// No English school holiday is this long; a longer gap between terms means a year is missing,
    /// which would otherwise hold every alert for that school until the next listed term.
    public static let longestGapDays = 100

    /// Parses `la_code,urn,term_start,term_end` CSV with a header row; columns in any order, other
    /// columns (a school name, a note) ignored; `urn` empty = the whole LA's calendar. Blank lines
    /// are skipped. Throws `TermDatesError` with the line and column for: a missing or repeated
    /// column, a row with the wrong number of fields, an `la_code` that is not 3 digits, a `urn`
    /// that is not 6 digits, a date that is not YYYY-MM-DD, `term_end` before `term_start`, one URN
    /// under two LA codes, terms of one calendar that overlap, and a gap of more than
    /// `longestGapDays` between consecutive terms of one calendar.
    public static func parseCSV(_ text: String, fileName: String) throws(TermDatesError) -> TermDates {
        func fail(_ line: Int, _ column: String?, _ reason: String) -> TermDatesError {
            TermDatesError(fileName: fileName, line: line, column: column, reason: reason)
        }
        let records: [CSVTable.Row]
        do {
            records = try CSVTable.records(text, fileName: fileName)
        } catch {
            throw fail(error.line, nil, error.message)
        }
        let rows = records.filter { !$0.fields.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } }
        guard let header = rows.first else {
            throw fail(1, nil, "no header row; expected \(requiredColumns.joined(separator: ","))")
        }
        var index: [String: Int] = [:]
        for (i, raw) in header.fields.enumerated() {
            let name = raw.trimmingCharacters(in: .whitespaces)
            if index[name] != nil {
                // Named only when it is one we read: another header name is the file's text.
                if requiredColumns.contains(name) { throw fail(header.line, name, "column appears twice") }
                throw fail(header.line, nil, "column \(i + 1) has the name of an earlier column")
            }
            index[name] = i
        }
        for name in requiredColumns where index[name] == nil {
            let hint = LikelyTypo.hint(for: name, among: index.keys.filter { !requiredColumns.contains($0) }.sorted())
            throw fail(header.line, name, "column missing from the header" + hint)
        }

        var laTerms: [String: [(term: Term, line: Int)]] = [:]
        var urnTerms: [String: [(term: Term, line: Int)]] = [:]
        var urnLA: [String: (la: String, line: Int)] = [:]
        for row in rows.dropFirst() {
            guard row.fields.count == header.fields.count else {
                throw fail(row.line, nil, "\(row.fields.count) fields, the header has \(header.fields.count)")
            }
            func value(_ name: String) -> String {
                row.fields[index[name]!].trimmingCharacters(in: .whitespaces)
            }
            func date(_ name: String) throws(TermDatesError) -> LocalDate {
                let text = value(name)
                guard let d = LocalDate(iso: text) else {
                    throw fail(row.line, name, "is not a YYYY-MM-DD date")
                }
                return d
            }
            let la = value("la_code")
            guard LACode.isValid(la) else {
                throw fail(row.line, "la_code", "is not a 3-digit LA code")
            }
            let urn = value("urn")
            guard urn.isEmpty || URN.isValid(urn) else {
                throw fail(row.line, "urn", "is not a 6-digit URN (leave it empty for the whole LA)")
            }
            let start = try date("term_start")
            let end = try date("term_end")
            guard start <= end else {
                throw fail(row.line, "term_end", "is before term_start")
            }
            let entry = (term: Term(start: start, end: end), line: row.line)
            if urn.isEmpty {
                laTerms[la, default: []].append(entry)
            } else {
                if let seen = urnLA[urn], seen.la != la {
                    throw fail(row.line, "la_code", "differs from this URN's LA code on line \(seen.line)")
                }
                urnLA[urn] = urnLA[urn] ?? (la, row.line)
                urnTerms[urn, default: []].append(entry)
            }
        }
        for entries in laTerms.values { try checkSequence(entries, fail) }
        for entries in urnTerms.values { try checkSequence(entries, fail) }
        return TermDates(byLA: laTerms.mapValues { $0.map(\.term) },
                         byURN: urnTerms.mapValues { $0.map(\.term) },
                         ownCalendarLines: urnLA.mapValues(\.line))
    }

    private static func checkSequence(
        _ entries: [(term: Term, line: Int)],
        _ fail: (Int, String?, String) -> TermDatesError
    ) throws(TermDatesError) {
        let sorted = entries.sorted { ($0.term.start, $0.line) < ($1.term.start, $1.line) }
        for (prev, next) in zip(sorted, sorted.dropFirst()) {
            if next.term.start <= prev.term.end {
                // Blame the row further down the file: it is the one most likely just added.
                if next.line > prev.line {
                    throw fail(next.line, "term_start", "overlaps the term on line \(prev.line) of the same calendar")
                }
                throw fail(prev.line, "term_end", "overlaps the term on line \(next.line) of the same calendar")
            }
            let gap = next.term.start.daysSinceEpoch - prev.term.end.daysSinceEpoch - 1
            if gap > longestGapDays {
                throw fail(next.line, "term_start",
                           "\(gap) days after the term on line \(prev.line) of the same calendar ends; "
                           + "more than \(longestGapDays) suggests a missing year")
            }
        }
    }

}
