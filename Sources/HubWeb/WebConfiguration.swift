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
    /// Always mark cookies Secure. Without it they are Secure when the request came over TLS
    /// (`X-Forwarded-Proto: https` from the TLS-terminating proxy).
    public var secureCookies = false
    /// A session idle this long ends; the person signs in again.
    public var sessionIdle: TimeInterval = 30 * 60
    /// A session is refreshed on use at most this often, so reading pages costs no write each time.
    public var sessionTouchInterval: TimeInterval = 60
    /// Failed sign-ins in a row before the account is locked, and for how long.
    public var lockoutThreshold = 5
    public var lockoutDuration: TimeInterval = 15 * 60
    /// bcrypt's work factor for passwords set through the web application.
    public var bcryptCost: UInt8 = 12
    /// The queue page reuses an assessment this young; any change made through the app refreshes it.
    public var queueCacheAge: TimeInterval = 60
    public var queuePageSize = 50
    /// Largest request body: incident files through the API can be large.
    public var maxBodyBytes = 64 * 1024 * 1024
    /// How incidents ingested through the API queue their alerts to schools: the same planner
    /// `encompass ingest` uses. Nil queues none.
    public var alertPlanner: AlertPlanner?

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
