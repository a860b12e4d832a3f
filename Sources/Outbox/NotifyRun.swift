import Delivery
import Foundation
import RiskModel
import StoreContract

/// One `encompass notify` run: claim what is due, render it, send it, and record each outcome the
/// moment it lands, then tell the hub about anything that failed, went overdue or cannot be sent.
/// A run killed at any point loses nothing: claimed alerts come back when their lease ends (or at
/// once, when the owner is seen to be dead), and their Message-ID is the same on the resend.
public struct NotifyRun: Sendable {
    public var store: any AlertStore
    public var transport: any Transport
    public var renderer: AlertRenderer
    public var hub: HubContact
    public var retry: RetryPolicy
    /// Who holds the leases of this run: `host:pid:random`.
    public var owner: String
    public var lease: TimeInterval = 600
    public var batchSize = 1_000
    /// True when a lease owner is a process of this host that no longer runs.
    public var isDead: @Sendable (String) -> Bool
    /// The hub's channel: `.file` when the demo outbox folder stands in for the relay.
    public var hubChannel: DeliveryChannel = .smtp
    /// When the run really starts and ends, for the record of the run `/metrics` shows. Not `now`,
    /// which may be a replay's clock for deadlines and retries.
    public var wallClock: @Sendable () -> Date = { Date() }

    public init(store: any AlertStore, transport: any Transport, renderer: AlertRenderer, hub: HubContact,
                retry: RetryPolicy, owner: String, isDead: @escaping @Sendable (String) -> Bool) {
        self.store = store
        self.transport = transport
        self.renderer = renderer
        self.hub = hub
        self.retry = retry
        self.owner = owner
        self.isDead = isDead
    }

    public struct Report: Sendable, Equatable {
        public var delivered = 0
        public var retrying = 0
        public var failed = 0
        /// Alerts held back because our side is wrong (TLS, CA, login, a missing secret).
        public var heldBack = 0
        public var hubNoticesSent = 0
        public var hubNoticesUnsent = 0
        public var overdue = 0
        public init() {}

        /// A relay or endpoint we could not use at all: SPEC §9's exit 69.
        public var serviceUnavailable: Bool { heldBack > 0 || hubNoticesUnsent > 0 }

        public var line: String {
            var s = "alerts: \(delivered) delivered, \(retrying) to retry, \(failed) failed, \(heldBack) held back; "
            s += "overdue now: \(overdue); hub notices: \(hubNoticesSent) sent"
            if hubNoticesUnsent > 0 { s += ", \(hubNoticesUnsent) not sent" }
            return s
        }
    }

    /// Sends what is due, then records the run in the store (its times, counts and outcome) for
    /// `/metrics`. A run stopped by an error is recorded too when the store still answers.
    public func run(now: Date) async throws -> Report {
        let started = wallClock()
        var report = Report()
        do {
            try await send(now: now, report: &report)
        } catch {
            try? await store.recordNotifyRun(record(of: report, startedAt: started, outcome: .error))
            throw error
        }
        try await store.recordNotifyRun(record(of: report, startedAt: started,
                                               outcome: report.serviceUnavailable ? .serviceUnavailable : .ok))
        return report
    }

    private func record(of report: Report, startedAt: Date, outcome: NotifyRunRecord.Outcome) -> NotifyRunRecord {
        NotifyRunRecord(startedAt: startedAt, finishedAt: wallClock(), outcome: outcome, delivered: report.delivered,
                        retrying: report.retrying, failed: report.failed, heldBack: report.heldBack, overdue: report.overdue,
                        hubNoticesSent: report.hubNoticesSent, hubNoticesUnsent: report.hubNoticesUnsent)
    }

    private func send(now: Date, report: inout Report) async throws {
        var generator = SystemRandomNumberGenerator()
        var seen = Set<Int64>()
        while true {
            let claimed = try await store.claimDue(now: now, owner: owner, lease: lease, limit: batchSize, isDead: isDead)
            // Failed as unreadable when claimed: counted, and the next batch is still claimed.
            report.failed += claimed.failedUnreadable
            let due = claimed.alerts.filter { seen.insert($0.alertKey).inserted }
            if due.isEmpty && claimed.failedUnreadable == 0 { break }
            var byReference: [String: DueAlert] = [:]
            var messages: [AlertMessage] = []
            for alert in due {
                byReference[alert.reference] = alert
                do {
                    messages.append(try message(for: alert, now: now))
                } catch {
                    try await store.record(.configuration(error: error.description, channel: alert.channel.rawValue),
                                           for: alert.alertKey, owner: owner, now: now)
                    report.heldBack += 1
                }
            }
            for await outcome in transport.deliver(messages) {
                guard let alert = byReference[outcome.reference] else { continue }
                let result: AlertResult
                switch outcome.status {
                case .delivered:
                    result = .delivered
                    report.delivered += 1
                case .temporary:
                    let at = retry.nextAttempt(after: now, attempts: alert.attempts, using: &generator)
                    result = .temporary(error: outcome.detail, retryAt: at)
                    report.retrying += 1
                case .permanent:
                    result = .permanent(error: outcome.detail)
                    report.failed += 1
                case .configuration:
                    result = .configuration(error: outcome.detail, channel: outcome.channel.rawValue)
                    report.heldBack += 1
                }
                try await store.record(result, for: alert.alertKey, owner: owner, now: now)
            }
        }
        report.overdue = try await store.alertCounts()[.overdue] ?? 0
        try await sendHubNotices(now: now, report: &report)
    }

    /// The message one alert becomes. Public so `notify --dry-run` shows exactly what would go.
    public func message(for alert: DueAlert, now: Date) throws(RenderingError) -> AlertMessage {
        let content = AlertContent(
            incidentId: alert.incidentId, childGivenName: alert.givenName, childFamilyName: alert.familyName,
            dateOfBirth: alert.dateOfBirth, incidentAt: alert.reportedAt, childPresent: alert.present,
            childSpokenTo: alert.spokenTo, schoolURN: alert.schoolURN, schoolName: alert.schoolName, hub: hub,
            deadline: alert.deadline)
        let channel: DeliveryChannel = switch alert.channel {
        case .smtp: .smtp
        case .https: .https
        case .file: .file
        }
        return try renderer.alert(content, reference: alert.reference, channel: channel, recipient: alert.recipient, date: now)
    }

    private func sendHubNotices(now: Date, report: inout Report) async throws {
        let notices = try await store.unsentHubNotices()
        guard !notices.isEmpty else { return }
        var keys: [String: Int64] = [:]
        var messages: [AlertMessage] = []
        for n in notices {
            let message: AlertMessage
            if let a = n.alert, let reason = HubNotice.Reason(rawValue: n.kind) {
                var notice = HubNotice(reason: reason, reference: a.reference, incidentId: a.incidentId, childId: a.childId,
                                       schoolURN: a.schoolURN, channel: a.channel.flatMap(DeliveryChannel.init(rawValue:)),
                                       deadline: a.deadline ?? now, attempts: a.attempts, lastError: a.lastError ?? n.detail)
                notice.deliveredAt = a.state == .delivered ? a.deliveredAt : nil
                message = renderer.hubNotice(notice, to: hub.email, hubName: hub.name, channel: hubChannel, date: now)
            } else {
                message = renderer.configurationNotice(
                    ConfigurationNotice(reference: "ENC-CONFIG-\(n.noticeKey)", channel: n.channel.flatMap(DeliveryChannel.init(rawValue:)),
                                        problem: n.detail, affectedReferences: n.heldReferences),
                    to: hub.email, hubName: hub.name, channel: hubChannel, date: now)
            }
            keys[message.reference] = n.noticeKey
            messages.append(message)
        }
        for await outcome in transport.deliver(messages) {
            guard let key = keys[outcome.reference] else { continue }
            if outcome.status == .delivered {
                try await store.markHubNoticeSent(key, at: now)
                report.hubNoticesSent += 1
            } else {
                report.hubNoticesUnsent += 1
            }
        }
    }
}
