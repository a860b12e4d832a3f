import Delivery
import Foundation
import InputRules
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
    /// Alerts claimed at a time. Small enough that a batch is sent well within its lease: at most
    /// 32 transfers run at once on a lane (`ConnectionLimits.maxTransfers`), each ends within 120 s
    /// (`TransferTimeouts.total`), so 64 take at most about 240 s of the 600 s. A batch of 1,000 could
    /// outlive its lease on a stalling relay, and a run on another host would then claim and send
    /// the same alerts again. Small batches also let runs on several hosts share the work: the
    /// first run no longer claims every alert there is.
    public var batchSize = 64
    /// Seconds on a clock that only moves forward (the system's uptime), to measure how long the run
    /// has taken: see `run(now:)`.
    public var uptime: @Sendable () -> TimeInterval = { ProcessInfo.processInfo.systemUptime }
    /// True when a lease owner is a process of this host that no longer runs.
    public var isDead: @Sendable (String) -> Bool
    /// The hub's channel: `.file` when the demo outbox folder stands in for the relay.
    public var hubChannel: DeliveryChannel = .smtp
    /// When the run really starts and ends, for the record of the run `/metrics` shows. Not `now`,
    /// which may be a replay's clock for deadlines and retries.
    public var wallClock: @Sendable () -> Date = { Date() }
    /// Each alert's acknowledgement link (`web.public_url` set); nil: none.
    public var links: AcknowledgementLinks?
    /// `alerts.content`.
    public var contentMode: AlertRenderer.ContentMode = .full
    /// `hub.webhook`: the hub's second channel, a signed HTTPS POST of the digest, used when the
    /// e-mail to `hub.email` cannot go (our relay down, or it did not take the digest). Nil: none.
    public var hubWebhook: String?
    /// How ingest plans alerts: an alert given back whose incident or school changed while this
    /// run held it is planned afresh with it (`AlertLifecycle.follow`). Nil: it waits unmatched
    /// for the next command's `matchUnmatched`.
    public var planner: AlertPlanner?
    /// The one line of an error that stops the run, kept in its record (`morning`); nil: none kept.
    public var stoppedBecause: (@Sendable (any Error) -> String)?
    /// The clock outcomes are recorded by, as it moves (`RunClock`); nil: `run(now:)`'s `now`,
    /// standing still for the whole run.
    public var clock: RunClock?
    /// How an outcome the database did not take is tried again, and how near its lease's end a
    /// batch may still send (`OutcomeKeeping`).
    public var keeping = OutcomeKeeping()
    /// The longest one message can take to send (`TransferTimeouts.total`): a message is started only
    /// while it and the recording fit in the batch's lease (`OutcomeKeeping.maySend`).
    public var longestTransfer = TimeInterval(TransferTimeouts().total.components.seconds)
    /// Told when an alert's outcome could not be recorded and is being tried again: one line for
    /// the operator (the alert's reference and the database's problem). Nil: nothing said.
    public var waitingForDatabase: (@Sendable (String) -> Void)?

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
        /// Notices to the hub (alerts and configuration problems), all in the run's one message.
        public var hubNoticesSent = 0
        public var hubNoticesUnsent = 0
        public var overdue = 0
        /// Why alerts were held back: the first such problem, naming the setting to fix.
        public var configurationProblem: String?
        /// Our relay could not be reached at all: the first such outcome's one line (naming the
        /// relay as host:port); nil when the run reached it or had nothing for it.
        public var relayUnreachable: String?
        /// The alerts this run found waiting on the relay (not attempts: they are due at once).
        public var waitingOnRelay = 0
        /// The channel the hub's notices went by, when not `hub.email` (`hub.webhook`).
        public var hubNoticesBy: String?
        /// Why the hub's notices could not go by e-mail: that attempt's one line (naming our relay).
        public var hubNoticesProblem: String?
        /// `hub.webhook` is set: the hub's notices had a second channel to try.
        public var hubWebhookSet = false
        /// Why the run stopped sending what it had claimed: its lease on a batch ended, or came too
        /// near its end, before the database recorded the outcomes (one line, references only).
        public var leaseProblem: String?
        /// Claimed alerts this run did not send because of `leaseProblem`: the next run sends them
        /// once the lease ends.
        public var leftToNextRun = 0
        public init() {}

        /// A relay, endpoint or the database we could not use as we must: SPEC §9's exit 69.
        public var serviceUnavailable: Bool { heldBack > 0 || hubNoticesUnsent > 0 || relayUnreachable != nil || leaseProblem != nil }

        /// This run's own cause of exit 69, naming the relay or the setting to fix; one line, no
        /// password and no personal data. Kept in the run's record as well.
        public var problem: String? {
            if let leaseProblem { return leaseProblem }
            if let relayUnreachable {
                return relayUnreachable + "; \(waitingOnRelay) alert(s) wait on it"
                    + (hubNoticesUnsent > 0 ? "; the hub's notices could not be sent either" + secondChannel : "")
            }
            if let configurationProblem { return configurationProblem }
            if hubNoticesUnsent > 0 {
                return "the hub's notices could not be sent (hub.email, smtp.*\(hubWebhookSet ? ", hub.webhook" : ""))"
                    + (hubNoticesProblem.map { ": " + $0 } ?? "") + (hubWebhookSet ? "" : secondChannel)
            }
            return nil
        }

        /// The line of an exit 69: what could not be used, then `problem`.
        public var unavailableLine: String {
            (leaseProblem != nil ? "the database did not record this run's outcomes within their lease" : "a relay or endpoint could not be used")
                + (problem.map { ": \($0)" } ?? "")
        }

        /// Where the hub's unsent notices point next: "(hub.webhook)" named a setting that was not
        /// set (audit 25, F10).
        private var secondChannel: String {
            hubWebhookSet ? " (hub.webhook failed too)" : "; set hub.webhook for a second channel when the relay is down"
        }

        public var line: String {
            var s = "alerts: \(delivered) delivered, \(retrying) to retry, \(failed) failed, \(heldBack) held back"
            if relayUnreachable != nil { s += ", \(waitingOnRelay) waiting on the relay" }
            if leftToNextRun > 0 { s += ", \(leftToNextRun) left to the next run" }
            s += "; overdue now: \(overdue)"
            // A run tells the hub in one notice (SPEC §7); the counts are the alerts and problems it
            // names, which an operator read as that many e-mails when the line said "243 sent".
            if hubNoticesSent > 0 {
                s += "; the hub's notice sent\(hubNoticesBy.map { " by \($0)" } ?? ""), naming \(hubNoticesSent)"
            } else if hubNoticesUnsent == 0 {
                s += "; no notice for the hub"
            }
            if hubNoticesUnsent > 0 { s += "; the hub's notice not sent, naming \(hubNoticesUnsent)" }
            return s
        }
    }

    /// Sends what is due, then records the run in the store (its times, counts and outcome) for
    /// `/metrics`. A run stopped by an error is recorded too when the store still answers.
    public func run(now: Date) async throws -> Report {
        let started = wallClock()
        var report = Report()
        report.hubWebhookSet = hubWebhook != nil
        do {
            // Whether the run before this one already found the relay down: then the hub was told.
            let previous = try await store.latestNotifyRun()
            try await send(now: now, previousFoundRelayDown: previous?.foundRelayDown ?? false, report: &report)
        } catch {
            var stopped = record(of: report, startedAt: started, outcome: .error)
            if stopped.detail == nil { stopped.detail = stoppedBecause.map { Self.stoppedLine($0(error)) } }
            try? await store.recordNotifyRun(stopped)
            throw error
        }
        try await store.recordNotifyRun(record(of: report, startedAt: started,
                                               outcome: report.serviceUnavailable ? .serviceUnavailable : .ok))
        return report
    }

    private func record(of report: Report, startedAt: Date, outcome: NotifyRunRecord.Outcome) -> NotifyRunRecord {
        NotifyRunRecord(startedAt: startedAt, finishedAt: wallClock(), outcome: outcome, delivered: report.delivered,
                        retrying: report.retrying, failed: report.failed, heldBack: report.heldBack, overdue: report.overdue,
                        hubNoticesSent: report.hubNoticesSent, hubNoticesUnsent: report.hubNoticesUnsent,
                        detail: report.problem, relayWaiting: report.relayUnreachable != nil ? report.waitingOnRelay : nil)
    }

    private func send(now: Date, previousFoundRelayDown: Bool, report: inout Report) async throws {
        var generator = SystemRandomNumberGenerator()
        // Where each alert went in this run (its school and recipient). One the record moved while
        // it was sent (re-planned when its outcome was recorded: `AlertLifecycle.follow`) is claimed
        // again and sent where it is now for, by this run: it was dropped as seen and left
        // `sending` under this run's lease until a later run took it back (audit 23, review F6).
        // One claimed again as it went is not sent twice.
        var sentTo: [Int64: String] = [:]
        // Refusals by our own relay wait to the end of the run: when it refused every recipient
        // with the same 5xx, the fault is our settings (a HELO name, say), not every school's.
        var relayRefusals: [(alert: DueAlert, outcome: DeliveryOutcome)] = []
        var relayOtherwise = 0
        // Likewise schools' receivers refusing our signature (401, 403): all of them alike is our
        // signing secret out of step with theirs (rotated at one end only), not every school's
        // fault; every webhook alert of a morning failed for good, and putting the secret right
        // sent none of them (audit 23, review F13).
        var signatureRefusals: [(alert: DueAlert, outcome: DeliveryOutcome)] = []
        var webhooksDelivered = 0
        // Our relay's state for this run: once it is found down, no more e-mail alerts are claimed.
        var relay = RelayState()
        let started = uptime()
        // The lease end of the first batch with a refusal left to `settle`.
        var settleBy: TimeInterval?
        while true {
            // `now` stands still for the whole run (it may be `--now`), but a batch's lease must
            // last `lease` from when it is claimed: a later batch's lease measured from the run's
            // start could have ended before its first message went, and another host's run would
            // take those alerts while this one sends them. What is due is still judged at `now`.
            let elapsed = max(0, uptime() - started)
            let claimed = try await store.claimDue(now: now, owner: owner, lease: lease + elapsed, limit: batchSize,
                                                   skippingChannels: relay.excludedChannels, planner: planner, isDead: isDead)
            // This batch's lease ends `lease` from now on the run's own clock: an outcome is kept
            // trying until shortly before it (`OutcomeKeeping`).
            let leaseEnds = started + elapsed + lease
            settleBy = settleBy ?? leaseEnds
            // Failed as unreadable when claimed: counted, and the next batch is still claimed.
            report.failed += claimed.failedUnreadable
            let due = claimed.alerts.filter { alert in
                let routing = alert.schoolURN + "\n" + alert.recipient
                defer { sentTo[alert.alertKey] = routing }
                return sentTo[alert.alertKey] != routing
            }
            if due.isEmpty && claimed.failedUnreadable == 0 { break }
            // A token of its own for each alert's send, this attempt's: drawn at random, kept by its
            // hash before anything is sent (so a school that opens its link at once finds its
            // alert), and then only in the message. The earlier sends' links still work, as long
            // as this one (`AlertLifecycle.linkEnd`: from the deadline, or this send if later).
            var tokens: [Int64: String] = [:]
            if let links {
                let drawn = due.map { ($0, AcknowledgementLinks.newToken()) }
                tokens = Dictionary(uniqueKeysWithValues: drawn.map { ($0.0.alertKey, $0.1) })
                try await store.issueAcknowledgementTokens(drawn.map { alert, token in
                    (alert.alertKey, AcknowledgementLinks.hash(token),
                     AlertLifecycle.linkEnd(sentAt: now, deadline: alert.deadline, validFor: links.validFor))
                }, at: now)
            }
            var byReference: [String: DueAlert] = [:]
            var messages: [AlertMessage] = []
            for alert in due {
                byReference[alert.reference] = alert
                do {
                    messages.append(try message(for: alert, now: now, ackToken: tokens[alert.alertKey]))
                } catch {
                    try await keep(.configuration(error: error.description, channel: alert.channel.rawValue),
                                   for: alert, now: now, until: leaseEnds)
                    report.heldBack += 1
                    if report.configurationProblem == nil { report.configurationProblem = error.description }
                }
            }
            // Each worker sends its next message only once its last outcome is recorded here, so a
            // run killed part way has sent at most the messages in flight unrecorded (`DeliveryPacing`).
            let pacing = DeliveryPacing()
            defer { pacing.stop() }
            // Why this batch stopped sending (its lease), once it has: the messages not yet handed
            // out stay `sending` under the lease, for the next run once it ends.
            var stopped: String?
            var handedOver = 0
            // The messages handed out, by reference; and whether the routing version moved since the
            // batch was claimed (`OutcomeRecorded.routingVersion`): then the rest of the batch may be
            // for someone, or a school, the record no longer names.
            var answered: Set<String> = []
            var routingChanged = false
            let refusalsBefore = (relay: relayRefusals.count, signature: signatureRefusals.count)
            /// Closes the batch once the version moved: what is in flight ends, nothing more goes
            /// to the people it was rendered for (audit 29, F1: 14-51 of 64 went to a person just
            /// replaced, recorded delivered, nobody told).
            func closeIfMoved(_ version: Int64) {
                guard version != claimed.routingVersion, !routingChanged else { return }
                routingChanged = true
                pacing.close()
            }
            for await outcome in transport.deliver(messages, pacing: pacing) {
                // Recorded, set aside for `settle`, or not this batch's: its worker goes on.
                defer { pacing.recorded(outcome.reference) }
                handedOver += 1
                answered.insert(outcome.reference)
                if stopped == nil, !keeping.maySend(leaseLeft: leaseEnds - uptime(), longestTransfer: longestTransfer) {
                    stopped = "this run's lease on the alerts it claimed came within \(Int(keeping.margin + longestTransfer)) s of its end "
                        + "before their outcomes were recorded (the database was slow to record them)"
                    pacing.close()
                }
                guard let alert = byReference[outcome.reference] else { continue }
                if outcome.channel == .smtp, outcome.attempted, outcome.status != .relayUnreachable {
                    if outcome.status == .permanent, let code = outcome.replyCode, (500..<600).contains(code) {
                        relayRefusals.append((alert, outcome))
                        // Set aside unrecorded, so the version is read here: a lead whose address
                        // bounced is the likeliest to be replaced mid-morning, and the whole batch
                        // went on to the refused address (audit 30, F4). A read that fails is left
                        // to the next outcome recorded.
                        if let version = try? await store.routingVersion() { closeIfMoved(version) }
                        continue
                    }
                    relayOtherwise += 1
                }
                if outcome.channel == .https, outcome.attempted {
                    if outcome.status == .permanent, let code = outcome.replyCode, Self.signatureRefusalCodes.contains(code) {
                        signatureRefusals.append((alert, outcome))
                        if let version = try? await store.routingVersion() { closeIfMoved(version) }
                        continue
                    }
                    if outcome.status == .delivered { webhooksDelivered += 1 }
                }
                // When the outcome came: a message that reached the school after its deadline is
                // late, whenever the run began (`RunClock`).
                let at = moment(now)
                let result: AlertResult
                switch outcome.status {
                case .delivered:
                    // A key adult heard; any of the school's addresses the relay refused is the hub's to correct.
                    result = outcome.refusedRecipients.isEmpty ? .delivered : .deliveredRefusing(
                        school: alert.schoolURN,
                        refused: outcome.refusedRecipients)
                    report.delivered += 1
                case .temporary:
                    result = .temporary(error: outcome.detail, retryAt: retry.nextAttempt(after: at, attempts: alert.attempts, using: &generator))
                    report.retrying += 1
                case .permanent:
                    result = .permanent(error: outcome.detail)
                    report.failed += 1
                case .configuration:
                    result = .configuration(error: outcome.detail, channel: outcome.channel.rawValue)
                    report.heldBack += 1
                    if report.configurationProblem == nil { report.configurationProblem = outcome.detail }
                case .relayUnreachable:
                    result = .relayUnavailable(error: outcome.detail)
                }
                relay.learn(result, firstHand: outcome.attempted)
                let recorded = try await keep(result, for: alert, now: at, until: leaseEnds)
                closeIfMoved(recorded.routingVersion)
                if !recorded.kept, stopped == nil {
                    stopped = "another run took alert \(alert.reference) back before this run recorded its outcome "
                        + "(its lease had ended: the database was slow to record it)"
                    pacing.close()
                }
            }
            if let stopped {
                // Nothing more is claimed: what held the recording holds the next batch too.
                let left = messages.count - handedOver
                report.leftToNextRun += left
                report.leaseProblem = report.leaseProblem ?? stopped + "; this run stopped sending: "
                    + "\(left) alert(s) it claimed are left to the next run, which sends them once the lease ends"
                break
            }
            if routingChanged {
                // Given back unsent and claimed again at once, each planned with the key adults and
                // the record as they are now, due at the run's `now` (as claims judge); `sentTo`
                // forgets them, so the claim that returns them sends them. So are this batch's
                // refusals set aside: refused by an address the school may no longer have, they
                // would be failed and the hub told (audit 30, F4); one still the school's is
                // refused again and settled then.
                let refused = relayRefusals[refusalsBefore.relay...].map(\.alert.alertKey)
                    + signatureRefusals[refusalsBefore.signature...].map(\.alert.alertKey)
                relayRefusals.removeSubrange(refusalsBefore.relay...)
                signatureRefusals.removeSubrange(refusalsBefore.signature...)
                let back = messages.filter { !answered.contains($0.reference) }.compactMap { byReference[$0.reference]?.alertKey } + refused
                try await keepTrying("\(back.count) alert(s) given back unsent", until: leaseEnds,
                                     unrecorded: "until then they wait for this run's lease to end",
                                     givingUp: "the next run sends them once this run's lease ends") {
                    try await store.giveBack(back, owner: owner, now: now, planner: planner)
                }
                for key in back { sentTo[key] = nil }
            }
        }
        try await settle(relayRefusals, ours: Self.relayRefusalsAreOurs(relayRefusals, otherwise: relayOtherwise), now: now,
                         until: settleBy ?? started + lease, report: &report) {
            "our relay refused every recipient of this run with reply \($0): "
                + "a fault in our settings (smtp.helo_name, smtp.from, the relay's rules), not the schools': "
        }
        try await settle(signatureRefusals, ours: Self.signatureRefusalsAreOurs(signatureRefusals, delivered: webhooksDelivered), now: now,
                         until: settleBy ?? started + lease, report: &report) {
            "every school's receiver in this run that answered refused our signature with HTTP \($0): "
                + "ENCOMPASS_WEBHOOK_SECRET is not the secret the schools hold, not the schools' fault: "
        }
        report.relayUnreachable = relay.unreachable
        if relay.isDown {
            // Every e-mail alert that waits on the relay, from the store: once the relay is found
            // down the run claims no more of them, so those it happened to hold are only some.
            let waiting = try await store.waitingAlertKeys(channel: RelayState.channel)
            report.waitingOnRelay = waiting.count
            // The notice keeps the relay's line alone: the alerts it holds are counted when it is
            // sent (those still waiting then), and a count of this run's beside them would contradict it.
            if let line = relay.unreachable, relay.tellsHub(previousRunFoundItDown: previousFoundRelayDown) {
                try await store.recordChannelNotice(kind: RelayState.noticeKind, channel: RelayState.channel, detail: line,
                                                    holding: waiting, now: now)
            }
        }
        report.overdue = try await store.alertCounts()[.overdue] ?? 0
        try await sendHubNotices(now: now, relayDown: relay.isDown, leaseFrom: started, report: &report)
    }

    /// The time on the run's clock (`clock`), or `now` standing still without one.
    private func moment(_ now: Date) -> Date { clock?.now() ?? now }

    /// Records what became of `alert`, trying again while the database is away (`OutcomeKeeping`)
    /// until shortly before `leaseEnds` on the run's clock. Recording is for the lease's holder
    /// only, so a try that did commit before its connection was lost makes the next one change nothing.
    /// Not `kept`: another run holds the alert now (`AlertStore.record`), and nothing was kept.
    @discardableResult
    private func keep(_ result: AlertResult, for alert: DueAlert, now: Date, until leaseEnds: TimeInterval) async throws -> OutcomeRecorded {
        try await keepTrying("alert \(alert.reference): its outcome", until: leaseEnds) {
            try await store.record(result, for: alert.alertKey, owner: owner, now: now, planner: planner)
        }
    }

    /// Writes what went out again, on a new connection, while the database is away and the lease
    /// lasts (`OutcomeKeeping`): unrecorded, it would be sent again by the next run. `what` names it
    /// on stderr (a reference, never a child).
    private func keepTrying<Kept>(_ what: String, until leaseEnds: TimeInterval,
                                  unrecorded: String = "unrecorded, it would be sent again by the next run",
                                  givingUp: String = "the next run sends it again, and any other alert this run sent and did not record",
                                  _ write: () async throws -> Kept) async throws -> Kept {
        var attempt = 0
        while true {
            do {
                return try await write()
            } catch let failure as any StoreFailure {
                attempt += 1
                guard let wait = keeping.wait(beforeAttempt: attempt, leaseLeft: leaseEnds - uptime(),
                                              mayClearItself: failure.mayClearItself) else {
                    // Said, not only the exit 69 after it: the operator must know a school may hear
                    // twice, and which alert it was (audit 29, F3: "so it is not sent twice", then it was).
                    waitingForDatabase?("\(what) still could not be recorded (\(failure.problem)); the run stops: \(givingUp)")
                    throw failure
                }
                if attempt == 1 {
                    let until = failure.mayClearItself ? "while its lease lasts" : "for \(Int(keeping.lastingFor)) s"
                    waitingForDatabase?("\(what) could not be recorded (\(failure.problem)); trying again \(until): \(unrecorded)")
                }
                try await Task.sleep(for: .seconds(wait))
            }
        }
    }

    /// Whether the relay's 5xx refusals are our configuration (a HELO name, say) rather than the
    /// schools' dead addresses: it refused every recipient of the run (`otherwise`: the e-mails it
    /// answered some other way), with one code, at two or more schools AND two or more addresses.
    /// Schools: siblings at one school whose one address is dead are two messages refused alike,
    /// and were held as our settings, tried every run for ever, the dead address never named
    /// (audit 23, review F12). Addresses: schools of a federation share one safeguarding lead's
    /// address, and its death was held as our settings likewise (audit 24, diff F6). Each
    /// recipient's code where a message had several: one refused with 550 and 553 was not alike.
    static func relayRefusalsAreOurs(_ refusals: [(alert: DueAlert, outcome: DeliveryOutcome)], otherwise: Int) -> Bool {
        let addresses = Set(refusals.flatMap { r in r.outcome.refusedRecipients.isEmpty ? [r.alert.recipient] : r.outcome.refusedRecipients.map(\.address) })
        return otherwise == 0 && Set(refusals.map(\.alert.schoolURN)).count >= 2 && addresses.count >= 2
            && Set(refusals.flatMap { $0.outcome.refusalCodes }).count == 1
    }

    /// Whether the schools' receivers' 401 and 403 are our signing secret out of step with theirs:
    /// at two or more schools, and no receiver took a webhook of this run. Either code, alike or
    /// not (receivers differ in which they give a bad signature), and whatever else a receiver
    /// answered (one down with 503 says nothing of our signature): a 403 among 401s, or one school's
    /// receiver down, failed every webhook alert for good (audit 24, diff F3).
    static func signatureRefusalsAreOurs(_ refusals: [(alert: DueAlert, outcome: DeliveryOutcome)], delivered: Int) -> Bool {
        delivered == 0 && Set(refusals.map(\.alert.schoolURN)).count >= 2
    }

    /// Records the relay's 5xx refusals (or the schools' receivers' 401 and 403): permanent
    /// failures, unless `ours` (the two rules above), held as our configuration, told as `cause` says.
    private func settle(
        _ refusals: [(alert: DueAlert, outcome: DeliveryOutcome)], ours: Bool, now: Date, until leaseEnds: TimeInterval,
        report: inout Report, ours cause: (String) -> String
    ) async throws {
        let codes = Set(refusals.flatMap { $0.outcome.refusalCodes }).sorted().map(String.init).joined(separator: " or ")
        for (alert, outcome) in refusals {
            if ours {
                let why = cause(codes) + outcome.detail
                try await keep(.configuration(error: why, channel: outcome.channel.rawValue), for: alert, now: moment(now), until: leaseEnds)
                report.heldBack += 1
                if report.configurationProblem == nil { report.configurationProblem = why }
            } else {
                try await keep(.permanent(error: outcome.detail), for: alert, now: moment(now), until: leaseEnds)
                report.failed += 1
            }
        }
    }

    /// A school's receiver refusing a webhook's signature or its sender.
    static let signatureRefusalCodes: Set<Int> = [401, 403]

    /// Alerts a dry run reads, renders and writes before it reads the next: a few MB of messages.
    public static let dryRunPage = 1_000

    /// `notify --dry-run`: up to `limit` alerts due at `now`, in the order a run claims them, each
    /// rendered exactly as it would go (but for its link's token: `AcknowledgementLinks.dryRunToken`,
    /// which opens nothing) and written into `files`' folder; nothing is claimed, sent or recorded.
    /// A page of `page` alerts is read, rendered and written, and let go, before the next is read:
    /// with every message held until the end, 100,000 alerts took 1.27 GB at ten million rows.
    /// `rendered` hears of each alert once its message is made. Returns how many were.
    public func dryRun(now: Date, into files: FileTransport, limit: Int, page: Int = dryRunPage,
                       _ rendered: (DueAlert) -> Void) async throws -> Int {
        var count = 0
        try await store.peekDue(now: now, limit: limit, page: page) { due in
            var messages: [AlertMessage] = []
            messages.reserveCapacity(due.count)
            for alert in due {
                messages.append(try message(for: alert, now: now, ackToken: AcknowledgementLinks.dryRunToken))
                rendered(alert)
            }
            // A folder it cannot write stops it: "N alerts rendered into DIR/" over an empty or stale
            // folder looked like a dry run done (audit 26, fuzz F3).
            do throws(FileTransport.NotWritten) {
                try files.writeAll(messages)
            } catch {
                throw DryRunNotWritten(reason: error.reason)
            }
            count += due.count
        }
        return count
    }

    /// The message one alert becomes. Public so `notify --dry-run` shows exactly what would go.
    /// `ackToken`: the token this send's link carries, when `links` is set (the dry run's stands in
    /// for the one a real send draws).
    public func message(for alert: DueAlert, now: Date, ackToken: String?) throws(RenderingError) -> AlertMessage {
        let content = AlertContent(alert, hub: hub)
        let channel: DeliveryChannel = switch alert.channel {
        case .smtp: .smtp
        case .https: .https
        case .file: .file
        }
        return try renderer.alert(content, reference: alert.reference, channel: channel, recipient: alert.recipient, date: now,
                                  ackURL: ackToken.flatMap { links?.url(token: $0) }, mode: contentMode)
    }

    /// The run's one notice to the hub, holding every notice not yet sent (SPEC §7). Each is marked
    /// sent only when the digest was delivered; an unsent digest is sent again, with whatever is
    /// new, by the next run.
    /// The notices are claimed with a lease, as alerts are: a run at the same time names only those
    /// this one did not take. `leaseFrom`: the run's start on `uptime`'s clock (see `send`).
    private func sendHubNotices(now: Date, relayDown: Bool, leaseFrom started: TimeInterval, report: inout Report) async throws {
        var notices = try await store.claimHubNotices(now: now, owner: owner, lease: lease + max(0, uptime() - started), isDead: isDead)
        let leaseEnds = uptime() + lease
        // Settled, not sent: nothing may read them as told to the hub (the board showed them e-mailed).
        let settled = notices.filter { !$0.stillHolds }
        try await store.markHubNoticesSettled(settled.map(\.noticeKey), at: now)
        notices.removeAll { n in settled.contains { $0.noticeKey == n.noticeKey } }
        guard let first = notices.first, let last = notices.last else { return }
        var alerts: [HubNotice] = []
        var configurations: [ConfigurationNotice] = []
        var outages: [ConfigurationNotice] = []
        var refusedAddresses: [ConfigurationNotice] = []
        var rerouted: [ReroutedNotice] = []
        var tooOld: [String] = []
        var noLongerNamed: [ReroutedNotice] = []
        for n in notices {
            if n.kind == TooOldLinks.noticeKind {
                tooOld.append(n.detail)
            } else if n.kind == AlertLifecycle.reroutedKind || n.kind == AlertLifecycle.noLongerNamedKind {
                // The school it had been delivered to, kept with the notice (the store writes all three
                // together): the alert names the school it goes to now.
                if let a = n.alert, let school = n.schoolURN, let deliveredAt = n.deliveredAt {
                    let item = ReroutedNotice(reference: a.reference, incidentId: a.incidentId, schoolURN: school, deliveredAt: deliveredAt,
                                              reroutedTo: n.reroutedSince)
                    if n.kind == AlertLifecycle.reroutedKind { rerouted.append(item) } else { noLongerNamed.append(item) }
                }
            } else if let a = n.alert, let reason = HubNotice.Reason(rawValue: n.kind) {
                var notice = HubNotice(reason: reason, reference: a.reference, incidentId: a.incidentId, childId: a.childId,
                                       schoolURN: a.schoolURN, channel: a.channel.flatMap(DeliveryChannel.init(rawValue:)),
                                       deadline: a.deadline ?? now, attempts: a.attempts, lastError: a.lastError ?? n.detail)
                notice.deliveredAt = a.deliveredToItsSchool
                notice.withdrawn = reason == .failed && AlertLifecycle.isWithdrawal(n.detail)
                alerts.append(notice)
            } else {
                let notice = ConfigurationNotice(reference: "ENC-CONFIG-\(n.noticeKey)",
                                                 channel: n.channel.flatMap(DeliveryChannel.init(rawValue:)),
                                                 problem: n.detail, affectedReferences: n.heldReferences)
                switch n.kind {
                case RelayState.noticeKind: outages.append(notice)
                case AlertLifecycle.refusedAddressKind: refusedAddresses.append(notice)
                default: configurations.append(notice)
                }
            }
        }
        let digest = HubDigest(reference: "ENC-HUB-\(first.noticeKey)-\(last.noticeKey)", alerts: alerts, configurations: configurations,
                               outages: outages, refusedAddresses: refusedAddresses, rerouted: rerouted, tooOld: tooOld,
                               noLongerNamed: noLongerNamed,
                               boardURL: links.map { $0.publicURL + "/alerts" })
        // By e-mail, unless this run found our relay down (the digest would only knock on the same
        // closed door); then, or when the e-mail did not go, by the hub's second channel.
        var sent = false
        if !relayDown || hubChannel == .file {
            let message = renderer.hubNotices(digest, to: hub.email, hubName: hub.name, channel: hubChannel, date: now)
            for await outcome in transport.deliver([message]) where outcome.reference == message.reference {
                sent = outcome.status == .delivered
                if !sent { report.hubNoticesProblem = outcome.detail }
                if outcome.status == .relayUnreachable, report.relayUnreachable == nil { report.relayUnreachable = outcome.detail }
            }
        }
        if !sent, hubChannel != .file, let hubWebhook {
            let message = renderer.hubWebhook(digest, url: hubWebhook, date: now)
            for await outcome in transport.deliver([message]) where outcome.reference == message.reference {
                sent = outcome.status == .delivered
            }
            if sent { report.hubNoticesBy = "hub.webhook" }
        }
        if sent {
            // The digest went: kept through a database blip, or the next run sends it again (audit
            // 23, review F10).
            try await keepTrying("the hub's notice \(digest.reference): its sending", until: leaseEnds) {
                try await store.markHubNoticesSent(notices.map(\.noticeKey), at: now)
            }
            report.hubNoticesSent += notices.count
        } else {
            try await store.releaseHubNotices(notices.map(\.noticeKey), owner: owner)
            report.hubNoticesUnsent += notices.count
        }
    }
}

extension AlertContent {
    /// What a claimed alert's message (and its acknowledgement page) may say.
    public init(_ alert: DueAlert, hub: HubContact) {
        self.init(incidentId: alert.incidentId, childGivenName: alert.givenName, childFamilyName: alert.familyName,
                  dateOfBirth: alert.dateOfBirth, incidentAt: alert.reportedAt, childPresent: alert.present,
                  childSpokenTo: alert.spokenTo, schoolURN: alert.schoolURN, schoolName: alert.schoolName, hub: hub,
                  deadline: alert.deadline)
    }
}

/// `notify --dry-run` could not write what it rendered: 69, as a morning run writing to
/// `alerts.outbox_dir` is, with the folder and the system's reason.
public struct DryRunNotWritten: KindedError, CustomStringConvertible {
    public let reason: String
    public var failureKind: FailureKind { .unavailable }
    public var description: String { "dry run: \(reason): nothing more rendered; choose a folder this user can write (--dry-run-dir)" }
}
