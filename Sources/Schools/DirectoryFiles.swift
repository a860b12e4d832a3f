import DelimitedText
import Foundation
import InputRules

extension SchoolDirectory {
    /// A GIAS extract (Config/schools.csv or a full `edubasealldata` file). GIAS writes Windows-1252;
    /// a file saved as UTF-8 (with a byte-order mark or without) is read as UTF-8. Closed
    /// establishments are left out.
    public static func parseGIAS(_ data: Data, fileName: String) throws(InputError) -> [School] {
        try readGIAS(data, fileName: fileName).schools
    }

    /// As `parseGIAS`, also counting the closed establishments left out (`encompass schools import`).
    /// A name is one line of text (`FieldText`'s rule: no control character, at most 500 characters).
    /// A URN on two rows is refused naming both lines unless the rows agree: the last would win
    /// silently, and its LA code chooses the school's term calendar.
    public static func readGIAS(_ data: Data, fileName: String) throws(InputError) -> GIASExtract {
        let table = try CSVTable(text: decodeGIAS(data), fileName: fileName)
        // Optional: the status (no status is an open school), and the telephone, what the hub
        // rings when an alert is not acknowledged.
        let (cols, optional) = try table.columns(required: ["URN", "EstablishmentName", "LA (code)"],
                                                 optional: ["EstablishmentStatus (name)", "TelephoneNum"])
        let status = optional[0], telephone = optional[1]
        var out: [School] = []
        var closed = 0
        /// Where each URN was first read: its school in `out`, and its line.
        var first: [String: (index: Int, line: Int)] = [:]
        out.reserveCapacity(table.rows.count)
        for row in table.rows {
            let f = row.fields
            if let status, f[status].trimmingCharacters(in: .whitespaces).hasPrefix("Closed") {
                closed += 1
                continue
            }
            let urn = f[cols[0]].trimmingCharacters(in: .whitespaces)
            guard isURN(urn) else { throw InputError(file: fileName, line: row.line, column: "URN", message: "expected 6 digits") }
            let la = f[cols[2]].trimmingCharacters(in: .whitespaces)
            guard la.isEmpty || LACode.isValid(la) else {
                throw InputError(file: fileName, line: row.line, column: "LA (code)", message: "expected 3 digits")
            }
            let phone = telephone.map { f[$0].trimmingCharacters(in: .whitespaces) } ?? ""
            guard phone.isEmpty || TelephoneNumber.isValid(phone) else {
                throw InputError(file: fileName, line: row.line, column: "TelephoneNum", message: "expected a telephone number: digits, spaces, + ( ) -, at most 30")
            }
            let name = f[cols[1]].trimmingCharacters(in: .whitespaces)
            if let problem = FieldText.problem(name, as: .line) {
                throw InputError(file: fileName, line: row.line, column: "EstablishmentName", message: problem.description)
            }
            let school = School(urn: urn, name: name, laCode: la.isEmpty ? nil : la, telephone: phone.isEmpty ? nil : phone)
            if let seen = first[urn] {
                let earlier = out[seen.index]
                if earlier == school { continue }
                let column = earlier.name != school.name ? "EstablishmentName" : earlier.laCode != school.laCode ? "LA (code)" : "TelephoneNum"
                throw InputError(file: fileName, line: row.line, column: column,
                                 message: "URN \(urn) is also on line \(seen.line) with another value: one row a school")
            }
            first[urn] = (out.count, row.line)
            out.append(school)
        }
        return GIASExtract(schools: out, closed: closed)
    }

    /// Config/key-adults.csv: `urn,name,email,channel,endpoint`, UTF-8: a school's key adult and its
    /// deputies, a row each (`KeyAdult.problem(adding:to:)` says which lists a school may have).
    public static func parseKeyAdults(_ data: Data, fileName: String) throws(InputError) -> [KeyAdult] {
        try readKeyAdults(data, fileName: fileName).adults
    }

    /// As `parseKeyAdults`, with each key adult's line.
    public static func readKeyAdults(_ data: Data, fileName: String) throws(InputError) -> (adults: [KeyAdult], lines: [Int]) {
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(file: fileName, line: 1, column: "-", message: "not UTF-8 text")
        }
        let table = try CSVTable(text: text, fileName: fileName)
        let cols = try table.columns(required: ["urn", "name", "email", "channel", "endpoint"]).required
        var out: [KeyAdult] = []
        var lines: [Int] = []
        for row in table.rows {
            let f = row.fields
            let adult: KeyAdult
            switch KeyAdult.make(urn: f[cols[0]], name: f[cols[1]], email: f[cols[2]], channel: f[cols[3]], endpoint: f[cols[4]]) {
            case .success(let a): adult = a
            case .failure(let why): throw InputError(file: fileName, line: row.line, column: why.column, message: why.message)
            }
            if let why = KeyAdult.problem(adding: adult, to: out) {
                throw InputError(file: fileName, line: row.line, column: adult.channel == .smtp ? "email" : "channel", message: why)
            }
            out.append(adult)
            lines.append(row.line)
        }
        return (out, lines)
    }

    static func decodeGIAS(_ data: Data) -> String {
        if data.starts(with: [0xEF, 0xBB, 0xBF]), let s = String(data: data.dropFirst(3), encoding: .utf8) { return s }
        // An extract edited and saved again ("CSV UTF-8" with no mark) is UTF-8: text outside ASCII
        // that is also valid UTF-8 is next to never Windows-1252 (that would take pairs such as "Ã©"
        // in a school's name), and read as Windows-1252 it is stored as "BostÃ¶n", the name the hub
        // reads out when it phones the school.
        if data.contains(where: { $0 >= 0x80 }), let s = String(validating: data, as: UTF8.self) { return s }
        // Five bytes are undefined in Windows-1252; a file using them is read as Latin-1.
        return String(data: data, encoding: .windowsCP1252) ?? String(data: data, encoding: .isoLatin1) ?? ""
    }

    static func isURN(_ s: String) -> Bool { URN.isValid(s) }
}

/// The open establishments of a GIAS file, and how many closed ones it also held.
public struct GIASExtract: Sendable, Equatable {
    public var schools: [School]
    public var closed: Int
    public init(schools: [School], closed: Int) {
        self.schools = schools
        self.closed = closed
    }

    /// For `encompass schools import`, which loads a full extract: one with no open establishment (a
    /// header alone, or every row closed) is a wrong or cut-short file, never a directory to load.
    public func checkLoadable(fileName: String) throws(InputError) {
        guard schools.isEmpty else { return }
        throw InputError(file: fileName, line: 1, column: "-", message: "no open establishments (\(closed) closed): "
                         + "expected a full GIAS extract (edubasealldata); nothing was loaded")
    }
}
