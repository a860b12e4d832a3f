import Dispatch
import HummingbirdBcrypt

/// bcrypt, run on a Dispatch queue: a hash takes a good fraction of a second by design, and must not
/// hold one of the few threads that serve requests.
public enum Passwords {
    /// The hub's rule for a new password: long rather than clever.
    public static let minimumLength = 12

    public static func hash(_ password: String, cost: UInt8) async -> String {
        await offload { Bcrypt.hash(password, cost: cost) }
    }

    public static func verify(_ password: String, hash: String) async -> Bool {
        await offload { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash of no one's password, checked when the name is unknown so the answer takes as long.
    static let decoy = Bcrypt.hash("decoy password that matches nothing", cost: 12)

    /// bcrypt reads only this many bytes of a password: the rest would be ignored, so a longer
    /// password is refused when set and fails at sign-in.
    public static let maximumBytes = 72

    /// Why a new password is refused, or nil if it will do.
    public static func problem(with password: String) -> String? {
        if password.count < minimumLength { return "A password needs at least \(minimumLength) characters." }
        if password.utf8.count > maximumBytes {
            return "A password can be at most \(maximumBytes) bytes long (\(maximumBytes) letters or digits; fewer with accents or symbols)."
        }
        if let why = TextInput.password.problem(password) { return why }
        return nil
    }

    /// Whether a password typed at sign-in can be checked at all: one bcrypt would cut short is not.
    static func checkable(_ password: String) -> Bool {
        password.utf8.count <= maximumBytes && TextInput.password.accepts(password)
    }

    private static func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }
}
