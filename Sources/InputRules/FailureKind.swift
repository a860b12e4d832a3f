/// What kind of failure an error is, which alone decides the exit status of a command (SPEC §9) and
/// the status of a web response: the CLI and the web app read it, and no caller maps types itself.
public enum FailureKind: Sendable, Hashable {
    /// A bad command line or request: 64, HTTP 400.
    case usage
    /// Bad input data: 65, HTTP 422.
    case data
    /// A named file is missing: 66, HTTP 404.
    case missing
    /// A service (SMTP, HTTPS, the database) is unavailable or busy: 69, HTTP 503.
    case unavailable
    /// A fault of ours: 70, HTTP 500.
    case `internal`

    /// The exit status of SPEC §9.
    public var exitStatus: Int32 {
        switch self {
        case .usage: 64
        case .data: 65
        case .missing: 66
        case .unavailable: 69
        case .internal: 70
        }
    }

    /// The HTTP status the web app answers with.
    public var httpStatus: Int {
        switch self {
        case .usage: 400
        case .data: 422
        case .missing: 404
        case .unavailable: 503
        case .internal: 500
        }
    }
}

/// An error that says its own kind. Every error type a command or a route may meet adopts it.
public protocol KindedError: Error {
    var failureKind: FailureKind { get }
}

extension FailureKind {
    /// The kind of any error: its own word when it says one, else internal.
    public static func of(_ error: any Error) -> FailureKind {
        (error as? any KindedError)?.failureKind ?? .internal
    }
}

/// An error of several problems, each one line (every placeholder setting, every problem `doctor`
/// finds): the command line prints each on a line of its own.
public protocol KindedProblems: KindedError {
    var lines: [String] { get }
}
