import Foundation
import InputRules
import RiskModel
import StoreContract

/// `encompass alerts` as a table and as JSON (SPEC §8), shared with the web application's board.
public enum AlertList {
    /// The list written out as the store reads it, in pieces of about `piece` bytes: every alert
    /// held, and the whole document built as one String, took `alerts --json` to 442 MB for 226,897
    /// alerts at ten million rows. The JSON takes one pass over the rows; the table two (`passes`),
    /// the columns' widths from the first, the rows from the second. Hand each row to `add` with its
    /// pass, then call `finish`. Each piece is valid only during `write`.
    ///
    /// Unchecked: a store's read hands it the rows one after another, never from two threads at once.
    public final class Writer: @unchecked Sendable {
        public enum Form: Sendable { case json, table }

        let form: Form
        let zone: Zone
        let piece: Int
        let write: (UnsafeRawBufferPointer) throws -> Void
        private var out = ""
        /// The table's rows counted by the first pass; the JSON's rows written so far.
        private var rows = 0
        /// The rows the table's second pass has written.
        private var written = 0
        private var widths = AlertList.header.dropLast().map(\.count)

        public init(_ form: Form, zone: Zone, piece: Int = 1 << 20, write: @escaping (UnsafeRawBufferPointer) throws -> Void) {
            (self.form, self.zone, self.piece, self.write) = (form, zone, piece, write)
            if form == .json { out = "{\"alerts\": [" }
        }

        /// How many times over the rows are to be handed to `add`: the same rows each time, the last
        /// time in the list's order (the table's first pass only measures them).
        public var passes: Int { form == .table ? 2 : 1 }

        public func add(pass: Int, _ row: AlertRow) throws {
            switch (form, pass) {
            case (.json, _):
                out += rows == 0 ? "\n  " : ",\n  "
                out += AlertList.object(row, zone: zone)
                rows += 1
            case (.table, 0):
                for (i, cell) in AlertList.cells(row, zone: zone).enumerated() { widths[i] = max(widths[i], FieldText.terminalWidth(cell)) }
                rows += 1
            case (.table, _):
                if written == 0 { out += AlertList.line(AlertList.header, widths: widths) }
                out += AlertList.line(AlertList.cells(row, zone: zone) + [AlertList.lastCell(row)], widths: widths)
                written += 1
            }
            if out.utf8.count >= piece { try flush() }
        }

        /// Writes the end of the document, or `No alerts.` for a table without a row.
        public func finish() throws {
            switch form {
            case .json: out += rows == 0 ? "]}\n" : "\n]}\n"
            case .table: if rows == 0 { out = "No alerts.\n" }
            }
            try flush()
        }

        private func flush() throws {
            try out.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
            out.removeAll(keepingCapacity: true)
        }
    }

    static let header = ["STATE", "REFERENCE", "INCIDENT", "CHILD", "SCHOOL", "CHANNEL", "DEADLINE", "TRIES", "LAST ERROR"]

    /// One alert's object in the JSON document.
    static func object(_ r: AlertRow, zone: Zone) -> String {
        var out = "{\"reference\": \(JSONText.string(r.reference)), \"incident_id\": \(JSONText.string(r.incidentId)), "
        out += "\"child_id\": \(JSONText.string(r.childId)), \"school_urn\": \(r.schoolURN.map(JSONText.string) ?? "null"), "
        out += "\"channel\": \(r.channel.map(JSONText.string) ?? "null"), \"state\": \"\(r.state.rawValue)\", "
        out += "\"deadline\": \(r.deadline.map { JSONText.string(zone.iso8601($0)) } ?? "null"), "
        out += "\"attempts\": \(r.attempts), \"last_error\": \(r.lastError.map { JSONText.string(oneLine($0)) } ?? "null"), "
        out += "\"delivered_at\": \(utc(r.deliveredToItsSchool)), \"acknowledged_at\": \(utc(r.acknowledgedAt))}"
        return out
    }

    /// One alert's cells in the table but the last (the columns measured for their widths), as a
    /// terminal may show them.
    static func cells(_ r: AlertRow, zone: Zone) -> [String] {
        [r.state.rawValue, r.reference, r.incidentId, r.childId, r.schoolURN ?? "-", r.channel ?? "-",
         r.deadline.map { zone.iso8601($0) } ?? "-", String(r.attempts)]
            .map(FieldText.forTerminal)
    }

    /// The last cell, not padded: the last error.
    static func lastCell(_ r: AlertRow) -> String { FieldText.forTerminal(r.lastError.map(oneLine) ?? "") }

    /// Rows as aligned columns, two spaces apart; the last column is not padded.
    static func columns(_ rows: [[String]]) -> String {
        guard let n = rows.first.map({ $0.count - 1 }), n >= 0 else { return "" }
        var widths = [Int](repeating: 0, count: n)
        for r in rows { for i in 0..<n { widths[i] = max(widths[i], FieldText.terminalWidth(r[i])) } }
        return rows.map { line($0, widths: widths) }.joined()
    }

    /// One row of `columns`: each cell but the last padded to its column's width and two spaces.
    static func line(_ cells: [String], widths: [Int]) -> String {
        var out = ""
        for i in widths.indices {
            out += cells[i]
            out += String(repeating: " ", count: widths[i] - FieldText.terminalWidth(cells[i]) + 2)
        }
        out += cells[widths.count]
        out += "\n"
        return out
    }

    /// SPEC §8: the two times in UTC, or null.
    static func utc(_ date: Date?) -> String {
        date.map { JSONText.string(JSONText.utc($0)) } ?? "null"
    }

    /// `last_error` is one line, whatever a server said.
    static func oneLine(_ s: String) -> String {
        s.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
