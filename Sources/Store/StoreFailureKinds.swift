import GRDB
import InputRules

// Each store error says its kind (issue 10, item 8): the CLI's exit status and the web's status
// are read from it, in one place each.

extension StoreError: KindedError {
    public var failureKind: FailureKind {
        switch self {
        case .unavailable, .unsupportedURL: .unavailable
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

/// Any database failure (busy past the timeout, full, locked, corrupt) is a service unavailable:
/// 69 from a command, 503 from the web app.
extension DatabaseError: KindedError {
    public var failureKind: FailureKind { .unavailable }
}
