import Foundation
import Schools

/// The school directory beyond Config/: a full GIAS file loaded by `encompass schools import`, kept
/// across commands (Config/'s own schools are upserted over it on every start, never cleared).
public protocol SchoolDirectoryStore: Sendable {
    /// Adds or updates each school by URN (name, LA code); returns how many were written.
    func importSchools(_ schools: [School]) async throws -> Int
    /// The stored school with this URN, or nil (also nil on a database with no schools table yet).
    func school(urn: String) async throws -> School?
}
