import Foundation
import InputRules
import Schools

/// The school directory beyond Config/: a full GIAS file loaded by `encompass schools import`, kept
/// across commands (Config/'s own schools are upserted over it on every start, never cleared).
public protocol SchoolDirectoryStore: Sendable {
    /// Adds or updates each school by URN (name, LA code); returns how many were written.
    func importSchools(_ schools: [School]) async throws -> Int
    /// The stored school with this URN, or nil (also nil on a database with no schools table yet).
    func school(urn: String) async throws -> School?

    /// Every key adult (a school's, when `urn` is given), by school, then address.
    func keyAdults(urn: String?) async throws -> [KeyAdult]
    /// Config/key-adults.csv as last imported (`KeyAdult.canonicalText`); nil when never imported.
    /// For `doctor`, to say what the next writer does with the file (`EmptyKeyAdultsFile.check`).
    func importedKeyAdultsText() async throws -> String?
    /// An admin's change to a school's key adults, with its audit row. The school's alerts still
    /// waiting to go follow its people as they now are (`AlertLifecycle.afterContactChange`).
    /// Throws `KeyAdultError`.
    func changeKeyAdults(_ change: KeyAdultChange, actor: String, at: Date) async throws
}

extension KeyAdult {
    /// What the audit keeps of a key adult.
    public var auditDetail: [String: String] {
        ["urn": urn, "name": name, "email": email, "channel": channel.rawValue, "endpoint": endpoint ?? ""]
    }
}

extension KeyAdultChange {
    /// The audit row's action and detail: the person added or removed, or the old and the new.
    public func audit(old: [KeyAdult]) -> (action: String, detail: Any) {
        func find(_ email: String) -> KeyAdult? { old.first { $0.email.lowercased() == email.lowercased() } }
        switch self {
        case .add(let a): return ("key-adult.added", a.auditDetail)
        case .replace(let email, let a): return ("key-adult.changed", ["old": find(email)?.auditDetail ?? [:], "new": a.auditDetail])
        case .remove(_, let email): return ("key-adult.removed", find(email)?.auditDetail ?? [:])
        }
    }
}

extension School {
    /// What both stores' upsert leaves of `stored` given this row: its name and local authority, and
    /// its telephone when it has one.
    public func upserted(over stored: School) -> School {
        School(urn: urn, name: name, laCode: laCode, telephone: telephone ?? stored.telephone)
    }
}

extension AlertContact {
    /// Each school's contact from its key adults (`KeyAdult.recipient(of:)`): what ingest plans with.
    public static func byURN(_ adults: [KeyAdult]) -> [String: AlertContact] {
        Dictionary(grouping: adults, by: \.urn).compactMapValues { list in
            KeyAdult.recipient(of: list).map { AlertContact(channel: $0.channel.rawValue, recipient: $0.recipient) }
        }
    }
}

extension KeyAdultError: KindedError {
    public var failureKind: FailureKind { .data }
}

extension EmptyKeyAdultsFile: KindedError {
    public var failureKind: FailureKind { .data }
}
