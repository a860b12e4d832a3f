import Foundation

/// When to try a temporary failure again: exponential backoff with "full jitter" (a uniform
/// delay between zero and the exponential ceiling), so alerts that failed together, say on a
/// relay restart, do not all come back at the same moment. Pure: the random source is passed in.
public struct RetryPolicy: Sendable, Hashable {
    /// The ceiling after the first failed attempt.
    public var base: TimeInterval
    public var factor: Double
    /// No ceiling grows past this.
    public var cap: TimeInterval

    public init(base: TimeInterval = 60, factor: Double = 2, cap: TimeInterval = 3600) {
        self.base = base
        self.factor = factor
        self.cap = cap
    }

    /// The longest wait after `attempts` failed attempts (1 or more): `min(cap, base * factor^(attempts-1))`.
    public func ceiling(afterAttempts attempts: Int) -> TimeInterval {
        let exponent = Double(max(attempts, 1) - 1)
        let grown = base * pow(factor, exponent)
        // pow overflows to infinity for large attempt counts; the cap still holds.
        return grown.isFinite ? min(cap, grown) : cap
    }

    /// A wait drawn uniformly from `0...ceiling(afterAttempts:)`.
    public func delay(afterAttempts attempts: Int, using random: inout some RandomNumberGenerator) -> TimeInterval {
        let ceiling = ceiling(afterAttempts: attempts)
        guard ceiling > 0 else { return 0 }
        return Double.random(in: 0...ceiling, using: &random)
    }

    /// When the next attempt is due, for an alert whose `attempts`-th attempt failed at `failedAt`.
    public func nextAttempt(after failedAt: Date, attempts: Int, using random: inout some RandomNumberGenerator) -> Date {
        failedAt.addingTimeInterval(delay(afterAttempts: attempts, using: &random))
    }
}
