/// A strict RFC 4180 reader for the tests: records end in CRLF, quoted fields may hold anything.
enum CSVReader {
    struct Malformed: Error { let detail: String }

    static func records(_ text: String) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = String.UnicodeScalarView()
        var quoted = false
        var afterQuote = false
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func nextScalar() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return scalars.next()
        }
        while let c = nextScalar() {
            if quoted {
                if c == "\"" {
                    let n = nextScalar()
                    if n == "\"" { field.append("\"") } else { quoted = false; afterQuote = true; pending = n }
                } else {
                    field.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty, !afterQuote else { throw Malformed(detail: "quote inside a field") }
                quoted = true
            case ",":
                record.append(String(field)); field = .init(); afterQuote = false
            case "\r":
                guard nextScalar() == "\n" else { throw Malformed(detail: "CR without LF") }
                record.append(String(field)); field = .init(); afterQuote = false
                records.append(record); record = []
            case "\n":
                throw Malformed(detail: "bare LF ends a record")
            default:
                guard !afterQuote else { throw Malformed(detail: "text after a closing quote") }
                field.append(c)
            }
        }
        guard !quoted else { throw Malformed(detail: "unterminated quote") }
        guard field.isEmpty, record.isEmpty else { throw Malformed(detail: "last record lacks CRLF") }
        return records
    }
}
