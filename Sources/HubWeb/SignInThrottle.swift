import Foundation

/// Slows password guessing without letting a stranger lock a real person out for long, and without
/// telling anyone which names exist. Two limits, both kept in this process's memory:
///
/// - **Per client address**, a token bucket: `addressBurst` failed sign-ins at once, then one more
///   every `addressRefill`. Each attempt takes a token before the password is checked (so attempts
///   sent in parallel cannot all pass), and a good sign-in gives it back.
/// - **Per name typed**, whether or not an account has that name: after `nameFreeFailures` failures in
///   a row the name waits `nameDelay` before the next attempt, doubling with each further failure up
///   to `nameDelayMax`. Each attempt counts as a failure when it is admitted, before its password is
///   checked, so attempts sent in parallel cannot all pass; a good sign-in clears the count.
///
/// A refused attempt costs nothing: its password is not checked, and it counts for neither limit.
///
/// A name with no failure for `nameRest` starts afresh. Memory is bounded (`capacity` names): when
/// the table is full, only names at rest that long are forgotten, never one still counting; with
/// none of those, a name not in the table waits until one is. Forgetting counting names under a
/// flood let an attacker wipe one account's count by trying 10,000 other names, and guess again.
///
/// An attempt refused by either limit gets the same answer whichever limit it was and whether or not
/// the name exists, so the throttle tells nothing an attacker did not already know.
actor SignInThrottle {
    private struct Bucket {
        var tokens: Double
        var at: Date
    }

    private struct NameState {
        var failures: Int
        var blockedUntil: Date?
        var lastFailure: Date
    }

    let limits: SignInLimits
    private var addresses: [String: Bucket] = [:]
    private var names: [String: NameState] = [:]

    init(limits: SignInLimits = SignInLimits()) {
        self.limits = limits
    }

    /// Admits one attempt for `address` and `name`, counting it before its password is checked: it
    /// takes the address's token and counts as a failure of the name, both given back by
    /// `succeeded`. Nil: go ahead. Otherwise the instant from which another attempt will be heard;
    /// the refused attempt is counted by neither limit.
    func admit(address: String, name: String, at now: Date) -> Date? {
        var bucket = refilled(address, at: now)
        var wait: Date?
        if bucket.tokens < 1 {
            wait = now.addingTimeInterval((1 - bucket.tokens) * limits.addressRefill)
        }
        let key = Self.key(name)
        if let until = names[key]?.blockedUntil, now < until {
            wait = max(wait ?? until, until)
        } else if names[key] == nil, let room = roomForNewName(at: now) {
            wait = max(wait ?? room, room)
        }
        if wait == nil {
            bucket.tokens -= 1
            countFailure(key, at: now)
        }
        addresses[address] = bucket
        pruneAddresses(at: now)
        return wait
    }

    /// An attempt admitted for the name: a failure until `succeeded` says otherwise.
    private func countFailure(_ key: String, at now: Date) {
        let known = names[key].flatMap { isAtRest($0, at: now) ? nil : $0 }
        var state = known ?? NameState(failures: 0, blockedUntil: nil, lastFailure: now)
        state.failures += 1
        state.lastFailure = now
        if state.failures >= limits.nameFreeFailures {
            let doublings = min(state.failures - limits.nameFreeFailures, 20)
            let delay = min(limits.nameDelayMax, limits.nameDelay * pow(2, Double(doublings)))
            state.blockedUntil = now.addingTimeInterval(delay)
        }
        names[key] = state
    }

    /// A good sign-in: the address gets its token back and the name starts afresh.
    func succeeded(address: String, name: String, at now: Date) {
        var bucket = refilled(address, at: now)
        bucket.tokens = min(limits.addressBurst, bucket.tokens + 1)
        addresses[address] = bucket
        names[Self.key(name)] = nil
    }

    private func refilled(_ address: String, at now: Date) -> Bucket {
        guard var bucket = addresses[address] else { return Bucket(tokens: limits.addressBurst, at: now) }
        let gained = max(0, now.timeIntervalSince(bucket.at)) / limits.addressRefill
        bucket.tokens = min(limits.addressBurst, bucket.tokens + gained)
        bucket.at = now
        return bucket
    }

    /// Keeps memory bounded: forgets buckets that are full again, then, under a flood of distinct
    /// addresses, the rest (which only gives back tries to addresses the flood's sender has anyway).
    private func pruneAddresses(at now: Date) {
        if addresses.count > limits.capacity {
            addresses = addresses.filter { _, b in
                b.tokens + max(0, now.timeIntervalSince(b.at)) / limits.addressRefill < limits.addressBurst
            }
            if addresses.count > limits.capacity { addresses = [:] }
        }
    }

    /// Nil when a name not in the table may be counted (there is room, or names at rest were
    /// forgotten to make it); otherwise the instant the first name still counting comes to rest.
    private func roomForNewName(at now: Date) -> Date? {
        guard names.count >= limits.capacity else { return nil }
        names = names.filter { _, n in !isAtRest(n, at: now) }
        guard names.count >= limits.capacity else { return nil }
        return names.values.map { $0.lastFailure.addingTimeInterval(limits.nameRest) }.min()
    }

    /// No failure for `nameRest`: past any wait, and starting afresh at the next attempt.
    private func isAtRest(_ state: NameState, at now: Date) -> Bool {
        now.timeIntervalSince(state.lastFailure) >= limits.nameRest
    }

    /// Names compare without case, as accounts do.
    static func key(_ name: String) -> String { name.lowercased() }
}

/// `SignInThrottle`'s numbers, set in `WebConfiguration.signInLimits`.
public struct SignInLimits: Sendable {
    /// Failed sign-ins one address may make at once, and how long it then waits for each next one.
    public var addressBurst = 10.0
    public var addressRefill: TimeInterval = 30
    /// Failures in a row for one name before it waits, the first wait, and the longest.
    public var nameFreeFailures = 5
    public var nameDelay: TimeInterval = 30
    public var nameDelayMax: TimeInterval = 5 * 60
    /// A name with no failure for this long starts afresh: twice the longest wait, so a name made
    /// to wait is still counting when its wait ends.
    public var nameRest: TimeInterval { nameDelayMax * 2 }
    /// How many addresses and names are remembered. Beyond it, addresses at rest are forgotten
    /// first and then all; names at rest only, a new name waiting while none is.
    public var capacity = 10_000

    public init() {}
}
