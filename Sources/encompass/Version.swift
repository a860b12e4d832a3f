/// This program's version: `encompass --version` prints it, `doctor` reports it. Raised on release.
enum EncompassVersion {
    static let number = "1.0.0"
    static let line = "encompass \(number)"
}
