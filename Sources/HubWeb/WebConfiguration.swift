import Delivery
import Foundation
import RiskModel
import StoreContract

/// Everything the web application is told at start, read once by `encompass serve` (or a test).
public struct WebConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port; the address is reported through `onListening`.
    public var port = 8080
    /// Holds the page templates (`*.mustache`) and `static/hub.css`.
    public var templatesDirectory: String
    public var scoring = ScoringSettings()
    public var hubName = "Police Safeguarding Hub"
    /// The hub's contact, as alerts give it: shown on a school's acknowledgement page, and the
    /// phone number on its page for a link that opens nothing.
    public var hub = HubContact(name: "Police Safeguarding Hub", phone: "0000 000 0000", email: "hub@police.example")
    /// ENCOMPASS_WEBHOOK_SECRET: checks a webhook receiver's signed acknowledgement. Empty: refused.
    public var webhookSecret = ""
    /// Always mark cookies Secure. Without it they are Secure when the request came over TLS
    /// (`X-Forwarded-Proto: https` from the TLS-terminating proxy).
    public var secureCookies = false
    /// A session idle this long ends; the person signs in again.
    public var sessionIdle: TimeInterval = 30 * 60
    /// A session ends this long after sign-in however much it is used (`encompass serve --session-hours`).
    public var sessionLifetime: TimeInterval = 12 * 60 * 60
    /// A session is refreshed on use at most this often, so reading pages costs no write each time.
    public var sessionTouchInterval: TimeInterval = 60
    /// How fast one client address, and one name, may try passwords (`SignInThrottle`).
    public var signInLimits = SignInLimits()
    /// Checks a password against a bcrypt hash; a test passes one that counts its calls.
    public var passwordVerifier = PasswordVerifier.bcrypt
    /// bcrypt's work factor for passwords set through the web application.
    public var bcryptCost: UInt8 = 12
    /// The queue page reuses an assessment this young; any change made through the app refreshes it.
    public var queueCacheAge: TimeInterval = 60
    public var queuePageSize = 50
    /// How long `/health` waits for the database before it says it is unavailable.
    public var healthTimeoutSeconds: Double = 5
    /// Largest request body: incident files through the API can be large.
    public var maxBodyBytes = 64 * 1024 * 1024
    /// How long a connection may send nothing, while its request's body is read or between
    /// requests, before it is closed (Hummingbird's `idleTimeout`). A client gone away without
    /// closing (its network dropped mid-upload) held its request and what it had sent of an
    /// incident file, up to `maxBodyBytes`, for good (audit 23). A request whose body is all in is
    /// never cut short, however long its answer takes.
    public var connectionIdleSeconds: Int64 = 60
    /// How incidents ingested through the API queue their alerts to schools: the same planner
    /// `encompass ingest` uses. Nil queues none.
    public var alertPlanner: AlertPlanner?

    /// The page templates' folder from what `--templates` names: that folder, or the one holding its
    /// `web/` as ENCOMPASS_TEMPLATES does (which the message for missing templates suggests).
    public static func webTemplates(named dir: String) -> String {
        let fm = FileManager.default
        return !fm.fileExists(atPath: dir + "/layout.mustache") && fm.fileExists(atPath: dir + "/web/layout.mustache") ? dir + "/web" : dir
    }

    public init(templatesDirectory: String) {
        self.templatesDirectory = templatesDirectory
    }
}

/// The clock, passed in so tests can move time (idle sessions, locks) without waiting.
public struct WebClock: Sendable {
    public let now: @Sendable () -> Date
    public init(now: @escaping @Sendable () -> Date) { self.now = now }
    public static let system = WebClock { Date() }
}

/// The password check sign-in uses, passed in so a test can see it runs on every path (a wrong
/// password, an unknown name, a disabled account, a throttled attempt), since running it on only
/// some of them would let the time taken tell which names exist.
public struct PasswordVerifier: Sendable {
    public let verify: @Sendable (_ password: String, _ hash: String) async -> Bool
    public init(verify: @escaping @Sendable (_ password: String, _ hash: String) async -> Bool) { self.verify = verify }
    public static let bcrypt = PasswordVerifier { await Passwords.verify($0, hash: $1) }
}
