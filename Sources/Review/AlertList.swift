import Foundation
import InputRules
import RiskModel
import StoreContract

/// `encompass alerts` as a table and as JSON (SPEC §8), shared with the web application's board.
public enum AlertList {
    public static func json(_ rows: [AlertRow], zone: Zone) -> String {
        var out = "{\"alerts\": ["
        for (i, r) in rows.enumerated() {
            out += i == 0 ? "\n  " : ",\n  "
            out += "{\"reference\": \(JSONText.string(r.reference)), \"incident_id\": \(JSONText.string(r.incidentId)), "
            out += "\"child_id\": \(JSONText.string(r.childId)), \"school_urn\": \(r.schoolURN.map(JSONText.string) ?? "null"), "
            out += "\"channel\": \(r.channel.map(JSONText.string) ?? "null"), \"state\": \"\(r.state.rawValue)\", "
            out += "\"deadline\": \(r.deadline.map { JSONText.string(zone.iso8601($0)) } ?? "null"), "
            out += "\"attempts\": \(r.attempts), \"last_error\": \(r.lastError.map { JSONText.string(oneLine($0)) } ?? "null"), "
            out += "\"delivered_at\": \(utc(r.deliveredAt)), \"acknowledged_at\": \(utc(r.acknowledgedAt))}"
        }
        return out + (rows.isEmpty ? "]}\n" : "\n]}\n")
    }

    public static func table(_ rows: [AlertRow], zone: Zone) -> String {
        if rows.isEmpty { return "No alerts.\n" }
        var lines: [[String]] = [["STATE", "REFERENCE", "INCIDENT", "CHILD", "SCHOOL", "CHANNEL", "DEADLINE", "TRIES", "LAST ERROR"]]
        for r in rows {
            lines.append([r.state.rawValue, r.reference, r.incidentId, r.childId, r.schoolURN ?? "-", r.channel ?? "-",
                          r.deadline.map { zone.iso8601($0) } ?? "-", String(r.attempts), r.lastError.map(oneLine) ?? ""]
                .map(FieldText.forTerminal))
        }
        return columns(lines)
    }

    /// Rows as aligned columns, two spaces apart; the last column is not padded.
    static func columns(_ rows: [[String]]) -> String {
        guard let n = rows.first.map({ $0.count - 1 }), n >= 0 else { return "" }
        var widths = [Int](repeating: 0, count: n)
        for r in rows { for i in 0..<n { widths[i] = max(widths[i], r[i].count) } }
        var out = ""
        for r in rows {
            for i in 0..<n { out += r[i] + String(repeating: " ", count: widths[i] - r[i].count + 2) }
            out += r[n] + "\n"
        }
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
