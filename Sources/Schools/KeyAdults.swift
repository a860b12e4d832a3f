import Foundation
import InputRules

/// A school's key adult and deputies (issue 11): every one of them gets the school's alerts, and
/// any one acknowledging is enough. The rules here hold for Config/key-adults.csv and for the
/// admins' page alike.
extension KeyAdult {
    /// A key adult from what was typed or read, or the column at fault and why: the check for a row of
    /// Config/key-adults.csv and for the admins' form alike. Values are trimmed.
    public static func make(urn: String, name: String, email: String, channel: String, endpoint: String)
        -> Result<KeyAdult, FieldRefusal> {
        let t = { (s: String) in s.trimmingCharacters(in: .whitespaces) }
        let (urn, name, email, endpoint) = (t(urn), t(name), t(email), t(endpoint))
        guard URN.isValid(urn) else { return .failure(FieldRefusal("urn", "expected 6 digits")) }
        guard !name.isEmpty, name.count <= 200, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return .failure(FieldRefusal("name", "expected the person's name: at most 200 characters, no control characters"))
        }
        guard let channel = Channel(rawValue: t(channel).lowercased()), channel != .file else {
            return .failure(FieldRefusal("channel", "expected smtp or https"))
        }
        if channel == .smtp, !ContactAddress.isEmail(email) { return .failure(FieldRefusal("email", "expected an e-mail address")) }
        if channel == .https, ContactAddress.endpoint(endpoint) == nil {
            return .failure(FieldRefusal("endpoint", "expected an https:// URL with a host"))
        }
        return .success(KeyAdult(urn: urn, name: name, email: email, channel: channel, endpoint: endpoint.isEmpty ? nil : endpoint))
    }

    /// Why `adult` cannot join its school's `existing` key adults; nil when it can. A school's alerts
    /// go by one channel: e-mail to each of its people, or its one HTTPS endpoint (a school's system,
    /// such as its safeguarding software, not a person).
    public static func problem(adding adult: KeyAdult, to existing: [KeyAdult]) -> String? {
        let same = existing.filter { $0.urn == adult.urn }
        if adult.channel == .smtp, same.contains(where: { $0.email.lowercased() == adult.email.lowercased() }) {
            // Not the address itself: it names a person, and this line reaches logs and terminals.
            return "that address is already a key adult at school \(adult.urn)"
        }
        if let other = same.first(where: { $0.channel != adult.channel }) {
            return "school \(adult.urn)'s alerts go by \(other.channel.rawValue): a school's key adults share one channel"
        }
        if adult.channel == .https, !same.isEmpty {
            return "school \(adult.urn) already has an https endpoint: one per school"
        }
        return nil
    }

    /// Where a school's alerts go, from its key adults: each e-mail address (sorted, so the same
    /// people always make the same recipient), or its endpoint. Nil when it has none.
    public static func recipient(of adults: [KeyAdult]) -> (channel: Channel, recipient: String)? {
        guard let first = adults.first else { return nil }
        switch first.channel {
        case .https: return (.https, first.endpoint ?? "")
        case .smtp, .file:
            return (first.channel, ContactAddress.joined(adults.filter { $0.channel == first.channel }.map(\.email).sorted()))
        }
    }

    /// The whole list as one text, the same for the same people in any order: a store keeps the
    /// last imported one, and imports Config/key-adults.csv again only when it has changed.
    public static func canonicalText(_ adults: [KeyAdult]) -> String {
        adults.map { [$0.urn, $0.email.lowercased(), $0.name, $0.channel.rawValue, $0.endpoint ?? ""].joined(separator: "\t") }
            .sorted().joined(separator: "\n")
    }

    /// Why a key adult at `urn` cannot be: its school is one no directory we have knows.
    public static func unknownSchool(_ urn: String) -> String {
        "school \(urn) is in neither schools.csv nor the imported GIAS list (encompass schools import)"
    }
}

extension SchoolDirectory {
    /// The schools Config/ names (key adults', and term-dates.csv's own calendars) that schools.csv
    /// does not have: those to look for among the schools the database holds (a GIAS extract loaded
    /// by `encompass schools import`).
    public var namedSchoolsNotInFile: [String] {
        let listed = Set(schools.map(\.urn))
        return Set(keyAdults.map(\.urn) + calendarSchools.map(\.urn)).subtracting(listed).sorted()
    }

    /// A school Config/ names must be one we know: in schools.csv, or among `imported` (those of
    /// `namedSchoolsNotInFile` the database holds). A URN mistyped in key-adults.csv would otherwise
    /// be stored and the real school's alerts wait unmatched behind a run that succeeded (audit 25,
    /// F1); in term-dates.csv, the real school kept its LA's calendar, and an alert could be due
    /// after the school was back (audit 26). One refusal a school a file, at the first row naming
    /// it, key-adults.csv's first, each in the file's order.
    public func unknownSchoolRows(imported: Set<String>) -> [InputError] {
        let listed = Set(schools.map(\.urn))
        func known(_ urn: String) -> Bool { listed.contains(urn) || imported.contains(urn) }
        var named = Set<String>()
        var out: [InputError] = []
        for (index, adult) in keyAdults.enumerated() where !known(adult.urn) {
            guard named.insert(adult.urn).inserted else { continue }
            out.append(InputError(file: keyAdultsFile, line: keyAdultLine(index), column: "urn", message: KeyAdult.unknownSchool(adult.urn)))
        }
        for school in calendarSchools where !known(school.urn) {
            out.append(InputError(file: termDatesFile, line: school.line, column: "urn", message: KeyAdult.unknownSchool(school.urn)))
        }
        return out
    }

    /// What every command that writes Config/'s directory into the store asks before it writes
    /// anything: the first row at an unknown school, refused (exit 65) as a malformed row is.
    public func checkNamedSchools(imported: Set<String>) throws(InputError) {
        if let first = unknownSchoolRows(imported: imported).first { throw first }
    }
}

/// A typed or read value refused: the column (the CSV header, or the form field) and why.
public struct FieldRefusal: Error, Equatable, Sendable {
    public let column: String
    public let message: String
    public init(_ column: String, _ message: String) {
        self.column = column
        self.message = message
    }
}

/// What an admin does to a school's key adults in the app.
public enum KeyAdultChange: Sendable, Equatable {
    case add(KeyAdult)
    /// The school's key adult with this address becomes `KeyAdult` (same school).
    case replace(email: String, with: KeyAdult)
    case remove(urn: String, email: String)

    public var urn: String {
        switch self {
        case .add(let a), .replace(_, let a): a.urn
        case .remove(let urn, _): urn
        }
    }

    /// The school's key adults after the change, or why it cannot be made.
    public func applied(to existing: [KeyAdult]) -> Result<[KeyAdult], KeyAdultError> {
        func index(_ email: String) -> Int? { existing.firstIndex { $0.email.lowercased() == email.lowercased() } }
        switch self {
        case .add(let adult):
            if let why = KeyAdult.problem(adding: adult, to: existing) { return .failure(.refused(why)) }
            return .success(existing + [adult])
        case .replace(let email, let adult):
            guard let i = index(email) else { return .failure(.notFound(urn: adult.urn, email: email)) }
            var others = existing
            others.remove(at: i)
            if let why = KeyAdult.problem(adding: adult, to: others) { return .failure(.refused(why)) }
            others.insert(adult, at: i)
            return .success(others)
        case .remove(let urn, let email):
            guard let i = index(email) else { return .failure(.notFound(urn: urn, email: email)) }
            var others = existing
            others.remove(at: i)
            return .success(others)
        }
    }
}

public enum KeyAdultError: Error, Equatable, CustomStringConvertible {
    /// A key adult must be at a school the directory knows (Config/schools.csv or `schools import`).
    case unknownSchool(String)
    case refused(String)
    case notFound(urn: String, email: String)

    public var description: String {
        switch self {
        case .unknownSchool(let urn): "school \(urn) is not in the directory (Config/schools.csv, or encompass schools import)"
        case .refused(let why): why
        case .notFound(let urn, _): "school \(urn) has no key adult with that address"
        }
    }
}

/// Config/key-adults.csv changed to a file of no rows while the store holds `held` key adults: most
/// likely an export cut short, and importing it would leave every school without anyone to alert
/// (every waiting alert unmatched) behind a command that succeeded. A force that means to have none
/// removes them in the app first; a file of no rows is then imported as any other (a new install's).
public struct EmptyKeyAdultsFile: Error, Equatable, CustomStringConvertible {
    public let held: Int

    /// Whether importing `adults` from Config/key-adults.csv over the `held` key adults a store keeps
    /// is refused. Asked only when the file changed since its last import (`imported`, the stored
    /// `KeyAdult.canonicalText` of it; nil when never imported), by the writers and by `doctor`.
    public static func check(_ adults: [KeyAdult], held: Int, imported: String?) throws(EmptyKeyAdultsFile) {
        guard KeyAdult.canonicalText(adults) != imported else { return }
        if adults.isEmpty && held > 0 { throw EmptyKeyAdultsFile(held: held) }
    }

    public var description: String { words(outcome: "nothing was written") }

    /// What `doctor` says of it: what every writer will do.
    public var forecast: String { words(outcome: "every command that writes (ingest, notify, serve, the morning run) refuses it, exit 65") }

    private func words(outcome: String) -> String {
        "key-adults.csv: no key adults in the file, but the database holds \(held): \(outcome); if the file was "
            + "cut short, put its rows back; to have none, remove them in the app (Key adults) first"
    }
}
