import CivilTime
import Crypto
import Foundation

/// Builds the RFC 5322 / MIME text of an alert: multipart/alternative (plain text and HTML) in
/// UTF-8 quoted-printable, with RFC 2047 headers where the text is not ASCII, and a Message-ID
/// made from the alert's reference so every retry carries the same one.
public struct EmailComposer: Sendable {
    public var from: String
    /// A display name for From (e.g. the hub's name); nil for the bare address.
    public var fromName: String?
    /// The domain of every Message-ID: `smtp.from`'s unless given, so receivers see the force's own.
    public var messageIDDomain: String

    public init(from: String, fromName: String? = nil, messageIDDomain: String? = nil) {
        self.from = from
        self.fromName = fromName
        self.messageIDDomain = messageIDDomain ?? Self.domain(of: from)
    }

    /// The part after the last `@`; the address itself when it has none.
    public static func domain(of address: String) -> String {
        address.split(separator: "@").last.map(String.init) ?? address
    }

    public func messageID(for reference: String) -> String {
        "<\(reference)@\(messageIDDomain)>"
    }

    /// The message as sent, lines ending in CRLF.
    public func compose(_ message: AlertMessage) -> Data {
        var head: [String] = []
        let fromWords = fromName.map { EncodedWord.words(Self.quotedIfNeeded($0)) + ["<\(from)>"] } ?? [from]
        head.append(Self.folded("From:", fromWords))
        head.append("To: \(message.recipient)")
        head.append(Self.folded("Subject:", EncodedWord.words(message.subject)))
        head.append("Date: \(Self.rfc5322Date(message.date))")
        head.append("Message-ID: \(messageID(for: message.reference))")
        head.append("MIME-Version: 1.0")
        // RFC 3834: out-of-office replies should not answer an automatic message.
        head.append("Auto-Submitted: auto-generated")
        head.append("X-Encompass-Reference: \(message.reference)")

        var lines = head
        if let html = message.htmlBody {
            // "=_" never appears in quoted-printable output, so it cannot collide with a body line.
            let boundary = "=_encompass_" + Self.shortHash(message.reference)
            lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("This is a MIME message: a plain-text part, then an HTML part.")
            lines.append("--\(boundary)")
            lines.append(contentsOf: Self.part(type: "text/plain", body: message.textBody))
            lines.append("--\(boundary)")
            lines.append(contentsOf: Self.part(type: "text/html", body: html))
            lines.append("--\(boundary)--")
        } else {
            lines.append(contentsOf: Self.part(type: "text/plain", body: message.textBody))
        }
        var text = lines.joined(separator: "\r\n")
        // SMTP needs the last line ended; a body that ends its own last line gets no extra one.
        if !text.hasSuffix("\r\n") { text += "\r\n" }
        return Data(text.utf8)
    }

    /// A header field folded at spaces into lines of at most 78 characters (RFC 5322 §2.2.3).
    static func folded(_ name: String, _ words: [String]) -> String {
        var lines: [String] = []
        var line = name
        for word in words {
            if line.count + 1 + word.count > 78, line != name {
                lines.append(line)
                line = ""
            }
            line += " " + word
        }
        lines.append(line)
        return lines.joined(separator: "\r\n")
    }

    private static func part(type: String, body: String) -> [String] {
        [
            "Content-Type: \(type); charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            QuotedPrintable.encode(body),
        ]
    }

    /// A display name with RFC 5322 specials must be a quoted string when it stays ASCII.
    private static func quotedIfNeeded(_ name: String) -> String {
        let specials = Set("()<>[]:;@\\,.\"")
        guard name.contains(where: { specials.contains($0) }),
              name.utf8.allSatisfy({ $0 < 127 }) else { return name }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    private static func shortHash(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).prefix(8).map { b in
            (b < 16 ? "0" : "") + String(b, radix: 16)
        }.joined()
    }

    private static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Fri, 06 Mar 2026 21:40:00 +0000`, in UTC, with no locale involved.
    static func rfc5322Date(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let ofDay = seconds - days * 86_400
        let day = LocalDate(daysSinceEpoch: days)
        func p(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(weekdays[day.isoWeekday - 1]), \(p(day.day)) \(months[day.month - 1]) \(day.year) "
            + "\(p(ofDay / 3600)):\(p(ofDay % 3600 / 60)):\(p(ofDay % 60)) +0000"
    }
}
