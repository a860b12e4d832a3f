import Stores

/// This program's version: `encompass --version` prints it, `doctor` reports it. Raised on release.
/// The line names the newest migration too: builds of one release number that differ in their
/// database (an older `serve` on another machine, say) are told apart by it.
enum EncompassVersion {
    static let number = "1.0.0"
    static let line = "encompass \(number) (\(StoreFactory.schemaVersions))"
}
