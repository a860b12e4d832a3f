import InputRules

// Each store error says its kind: the CLI's exit status and the web's status are read from it, in
// one place each (InputRules.FailureKind).

extension StoreError: KindedError {
    public var failureKind: FailureKind {
        switch self {
        case .unavailable, .needsMigration, .newerDatabase, .backupNotWritten: .unavailable
        // A URL we cannot read is the command line's fault (64), whichever part of it is wrong.
        case .unsupportedURL, .invalidURL, .backupExists, .backupRefused: .usage
        case .missingDatabase, .emptyDatabase: .missing
        case .unknownChild: .data
        }
    }
}

extension ChildRecordError: KindedError {
    public var failureKind: FailureKind { .data }
}

extension UnmatchedError: KindedError {
    public var failureKind: FailureKind { .data }
}

extension AccountError: KindedError {
    public var failureKind: FailureKind { .data }
}

extension TargetNotEmpty: KindedError {
    public var failureKind: FailureKind { .data }
}

/// Any failure of the database itself (busy past the timeout, full, unreachable): 69 from a
/// command, 503 from the web app.
extension StoreFailure {
    public var failureKind: FailureKind { .unavailable }
    public var mayClearItself: Bool { true }
}
