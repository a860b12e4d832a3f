import Foundation
import Schools

/// An alert's life (SPEC §7), plus `unmatched`: a child with no school, or a school with no key
/// adult, is kept on the hub's list instead of being dropped.
public enum AlertState: String, Sendable, Hashable, CaseIterable {
    case unmatched
    case queued
    case sending
    case delivered
    case retrying
    case failed
    case overdue
}

/// How ingest turns a linked child into an alert: the deadline from the school calendar, the stable
/// reference, and how old an incident may be and still be sent (a back-loaded history must not
/// write to schools about last year).
public struct AlertPlanner: Sendable {
    public var deadline: @Sendable (_ reportedAt: Date, _ urn: String, _ laCode: String?) -> Date
    public var reference: @Sendable (_ incidentId: String, _ childId: String) -> String
    public var maxAge: TimeInterval?
    /// Names the calendar `deadline` works from (`SchoolCalendar.fingerprint`): the store keeps the
    /// one its waiting alerts' deadlines came from, and works them out again when it differs
    /// (`AlertLifecycle.redate`). Nil: a planner with no calendar behind it, never followed.
    public var calendarFingerprint: String?

    public init(deadline: @escaping @Sendable (Date, String, String?) -> Date,
                reference: @escaping @Sendable (String, String) -> String, maxAge: TimeInterval?,
                calendarFingerprint: String? = nil) {
        self.deadline = deadline
        self.reference = reference
        self.maxAge = maxAge
        self.calendarFingerprint = calendarFingerprint
    }

    /// False when an incident reported then is too old, at `now`, to alert a school about.
    public func considers(reportedAt: Date, now: Date) -> Bool {
        guard let oldest = oldestConsidered(now: now) else { return true }
        return reportedAt >= oldest
    }

    /// The earliest report time of an incident an ingest at `now` alerts a school about
    /// (`considers`); nil: no limit. The alerts board lists the unmatched alerts of incidents
    /// reported since then as the morning's work, and counts the older ones apart: recording a
    /// school for one would write to the school about an incident older than the force lets any
    /// alert be made for (a store's query compares the report time with this, and only this).
    public func oldestConsidered(now: Date) -> Date? {
        maxAge.map { now.addingTimeInterval(-$0) }
    }

    /// The alert of a link that has none yet (`plan`), or nil with the link counted in `tooOld`: the
    /// incident reached the hub more than `maxAge` after it was reported, so no school is written to
    /// about it (a back-loaded history must not write to schools about last year), and no row is
    /// made. Whatever its school: the age is asked first, as `plan` asks it, so a link to a school
    /// with no key adult is counted too, never put on the unmatched list (which would send it once
    /// a key adult was added: `matchUnmatched` keeps an unmatched entry's place whatever its age).
    /// SPEC §7 "never silently dropped": the ingest's summary, the hub's notice (`TooOldLinks.notice`)
    /// and the report's `alerts.too_old` (a link with no alert row) tell of it. Both stores make
    /// every new link's alert through this.
    public func planNew(reportedAt: Date, urn: String?, contact: AlertContact?, laCode: String?, now: Date, ignoringAge: Bool = false,
                        incidentId: String, tooOld: inout TooOldLinks) -> AlertPlan? {
        let p = plan(reportedAt: reportedAt, urn: urn, contact: contact, laCode: laCode, now: now, ignoringAge: ignoringAge)
        if p == nil { tooOld.count(incidentId: incidentId, maxAge: maxAge) }
        return p
    }

    /// What a linked child's alert should be: queued to the school's key adult with its deadline, or
    /// unmatched with the reason. Nil when the incident is too old to alert a school about (unless
    /// `ignoringAge`: an alert that already exists follows its incident whatever its age).
    public func plan(reportedAt: Date, urn: String?, contact: AlertContact?, laCode: String?, now: Date,
                     ignoringAge: Bool = false) -> AlertPlan? {
        if !ignoringAge, !considers(reportedAt: reportedAt, now: now) { return nil }
        guard let urn, let contact else { return Self.unmatched(urn: urn) }
        return AlertPlan(state: .queued, channel: contact.channel, recipient: contact.recipient,
                         deadline: deadline(reportedAt, urn, laCode))
    }
}

extension AlertPlanner {
    /// What a linked child's alert is while there is nobody to send it to: no school known, or a
    /// school with no key adult. Nothing in it depends on the incident.
    public static func unmatched(urn: String?) -> AlertPlan {
        AlertPlan(state: .unmatched, reason: urn.map(noKeyAdult) ?? "no school known for the child")
    }

    /// Why an alert to a school with no key adult waits.
    public static func noKeyAdult(_ urn: String) -> String { "school \(urn) has no key adult" }

    /// Why an alert waits once the hub has recorded its school with no planner to hand (the web
    /// without alerts set up): the next command's `matchUnmatched` queues it if the school has a key adult.
    public static func schoolRecorded(_ urn: String, hasKeyAdult: Bool) -> String {
        hasKeyAdult ? "school \(urn) recorded; queued at the next run of encompass" : noKeyAdult(urn)
    }
}

/// The links one ingest made no alert for because their incident was too old (`AlertPlanner.planNew`),
/// told once an ingest: in its summary, and to the hub as one notice naming the incidents (ids
/// only), so a first load of a year's history is one short notice, not thousands.
public struct TooOldLinks: Sendable, Equatable {
    /// The (incident, child) links counted.
    public private(set) var children = 0
    /// Their incidents.
    public private(set) var incidents = 0
    /// The first `namedIncidents` of their incidents' ids, in the order met: only those are kept, so
    /// a first load of millions of old incidents holds no list of them.
    public private(set) var incidentIds: [String] = []
    /// `alerts.max_age_days` as the planner had it.
    public private(set) var maxAgeDays = 0
    private var lastIncidentId: String?

    public init() {}

    /// An ingest plans an incident's links one after another, and each incident once.
    mutating func count(incidentId: String, maxAge: TimeInterval?) {
        children += 1
        maxAgeDays = Int(((maxAge ?? 0) / 86_400).rounded())
        guard incidentId != lastIncidentId else { return }
        lastIncidentId = incidentId
        incidents += 1
        if incidentIds.count < Self.namedIncidents { incidentIds.append(incidentId) }
    }

    /// The kind of the hub notice (`HubNoticeRow.kind`): held by no alert, since none was made.
    public static let noticeKind = "too-old"
    /// How many incidents the notice names before it says how many more: a first load of history
    /// must not make one line a year's incidents long.
    public static let namedIncidents = 20

    /// The hub notice's one line (ids only: never a child, a name, a date of birth or words); nil
    /// when nothing was counted.
    public var notice: String? {
        guard children > 0 else { return nil }
        let named = incidentIds.joined(separator: ", ")
        let more = incidents > incidentIds.count ? " and \(incidents - incidentIds.count) more" : ""
        return "\(children) \(children == 1 ? "child" : "children") in \(incidents) "
            + "\(incidents == 1 ? "incident" : "incidents") reached the hub more than \(maxAgeDays) \(maxAgeDays == 1 ? "day" : "days") after "
            + "the incident was reported (alerts.max_age_days): no school was alerted. Incidents: \(named)\(more)"
    }
}

/// Where a school's alerts go: `smtp` to an address, or `https` to an endpoint.
public struct AlertContact: Sendable, Equatable {
    public var channel: String
    public var recipient: String

    public init(channel: String, recipient: String) {
        self.channel = channel
        self.recipient = recipient
    }
}

/// What a planned alert is: the state it starts in (queued or unmatched) and what that needs.
public struct AlertPlan: Sendable, Equatable {
    public var state: AlertState
    public var channel: String?
    public var recipient: String?
    /// Why it is unmatched; nil when queued.
    public var reason: String?
    public var deadline: Date?

    public init(state: AlertState, channel: String? = nil, recipient: String? = nil, reason: String? = nil, deadline: Date? = nil) {
        self.state = state
        self.channel = channel
        self.recipient = recipient
        self.reason = reason
        self.deadline = deadline
    }
}

/// What the sender learnt about one claimed alert.
public enum AlertResult: Sendable, Equatable {
    case delivered
    /// Delivered to some of the school's recipients (a key adult heard), while the relay refused
    /// others at RCPT: `school` the alert's URN, `refused` each address with its reply code. The
    /// hub hears of those refused for good (`refusedAddressNotices`).
    case deliveredRefusing(school: String, refused: [RefusedAddress])
    /// Try again at `retryAt` (SMTP 4xx, HTTP 5xx/429, timeouts).
    case temporary(error: String, retryAt: Date)
    /// The receiver refused it (SMTP 5xx, HTTP 4xx): the hub is told.
    case permanent(error: String)
    /// Our side is wrong (TLS, CA, login, a missing secret) on `channel` (`smtp`, `https`, `file`):
    /// kept queued, the hub told once a day per channel.
    case configuration(error: String, channel: String)
    /// Our relay cannot be reached at all (connection refused, no answer within the connect
    /// timeout, its name not resolved): the channel's state, not this alert's. Not an attempt, no
    /// backoff: the alert waits, due at once, for the first run that reaches the relay.
    case relayUnavailable(error: String)
}

/// A recipient's address our relay refused at RCPT, with its reply code.
public struct RefusedAddress: Sendable, Hashable {
    public var address: String
    public var replyCode: Int

    public init(address: String, replyCode: Int) {
        self.address = address
        self.replyCode = replyCode
    }
}

/// What one run has learnt about our relay (the SMTP channel). Once the relay is known down the run
/// claims no more e-mail alerts (it does not knock on a closed door once per alert); the alerts it
/// already holds for the relay wait, due at once, with every other e-mail alert. The run ends with exit 69 naming the relay, and
/// the hub hears once an outage, by its second channel where it has one.
public struct RelayState: Sendable, Equatable {
    /// Why the relay could not be reached, one line naming it (host:port); nil while it is not known down.
    public private(set) var unreachable: String?
    public init() {}

    /// The channel a run stops claiming once the relay is down.
    public static let channel = "smtp"

    /// Whether `unreachable` is what a connection attempt found (not an alert skipped after it).
    private var firstHand = false

    /// Takes one recorded result into account. `firstHand`: the outcome of a connection attempt,
    /// whose words are kept over those of an alert skipped because of it.
    /// The alerts that wait on the relay are every e-mail alert waiting in the store, not only
    /// those this run claimed before it found the relay down: the store counts them.
    public mutating func learn(_ result: AlertResult, firstHand: Bool = true) {
        guard case .relayUnavailable(let error) = result else { return }
        if unreachable == nil || (firstHand && !self.firstHand) {
            unreachable = error
            self.firstHand = firstHand
        }
    }

    public var isDown: Bool { unreachable != nil }

    /// The channels a run should no longer claim alerts for.
    public var excludedChannels: [String] { isDown ? [Self.channel] : [] }

    /// Whether the hub is to be told of the outage by this run: the first run that finds the relay
    /// down tells it; the runs after it, while the relay stays down, do not tell it again (an unsent
    /// notice stays unsent and goes with the next notice that can be sent).
    /// `previousRunFoundItDown`: the last recorded run found the relay down too.
    public func tellsHub(previousRunFoundItDown: Bool) -> Bool {
        isDown && !previousRunFoundItDown
    }

    /// The kind of the hub notice that tells of the outage.
    public static let noticeKind = "relay-unavailable"
}

/// The alert state machine (SPEC §7): every decision about an alert's state is made here, and both
/// stores only keep what it decides. The stores' SQL filters use these state lists, so a query
/// never holds a rule of its own.
public enum AlertLifecycle {
    /// No run is sending these and none has delivered or given up on them: they can still follow
    /// their incident as it now stands (re-planned, or withdrawn).
    public static let notYetSent: [AlertState] = [.unmatched, .queued, .retrying, .overdue]
    /// Waiting to be sent once their next attempt is due.
    public static let waiting: [AlertState] = [.queued, .retrying, .overdue]
    /// Turn overdue when their deadline passes undelivered (overdue ones stay overdue).
    public static let canTurnOverdue: [AlertState] = [.queued, .retrying]
    /// Finished: never claimed or changed again.
    public static let finished: [AlertState] = [.delivered, .failed]
    /// May still go to a school: waiting for a run, or being sent by one. Retention keeps an incident
    /// while any of its alerts may (a purge would take the alert with it, and the school and the hub
    /// would never hear; SPEC §7: never silently dropped).
    public static let mayStillGo: [AlertState] = [.queued, .sending, .retrying, .overdue]

    /// After a configuration failure an alert waits this long: past the instant its run judges what
    /// is due at (`now` stands still for a run), so that run does not claim it again, and any later
    /// run tries it, finds the settings still wrong and says so (exit 69). A minute's pause let a
    /// run in that minute exit 0 with the alerts still held (audit 22, resilience F4).
    public static let configurationPause: TimeInterval = 1
    /// A configuration problem is told to the hub once per channel in this long.
    public static let configurationNoticeInterval: TimeInterval = 86_400

    public static let overdueDetail = "not delivered by its deadline"
    public static let withdrawnReason = "withdrawn: a later ingest no longer links this child to the incident"

    /// Whether a run may claim the alert now: a waiting alert whose next attempt is due, or a
    /// `sending` one whose lease ran out or whose owner is known to be dead.
    public static func isClaimable(state: AlertState, nextAttemptAt: Date?, leaseUntil: Date?, ownerDead: Bool, now: Date) -> Bool {
        if waiting.contains(state) { return (nextAttemptAt ?? .distantPast) <= now }
        if state == .sending { return ownerDead || (leaseUntil ?? .distantPast) < now }
        return false
    }

    /// Whether an undelivered alert has turned overdue at `now`.
    public static func turnsOverdue(state: AlertState, deadline: Date?, now: Date) -> Bool {
        guard canTurnOverdue.contains(state), let deadline else { return false }
        return deadline < now
    }

    /// Not delivered, whether waiting for a run or being sent by one: read as overdue once their
    /// deadline has passed (`stateAsRead`). `sending` too: a run that holds one past its deadline
    /// records it overdue, or delivered late and told as overdue (`after`), never on time.
    public static let overdueOnceLate: [AlertState] = [.queued, .sending, .retrying]

    /// An alert's state as the hub reads it at `now`: one not delivered by its deadline is overdue
    /// from that instant (SPEC §7: "An alert not delivered by its deadline is overdue, and the hub
    /// is told at once"), whatever a run has stored yet. Only a run stores it, and tells the hub once
    /// (`turnsOverdue`, `overdue`); read from the store alone, an alert waited as queued or retrying
    /// until the next run, up to an hour after a 09:15 deadline with the timer as shipped, and for
    /// good after a run that stopped (audit 27, F1). Every place the hub reads states asks this (the
    /// alerts board, `alerts`, `/metrics`, the child's page), as it asks `isUnacknowledged`.
    public static func stateAsRead(_ state: AlertState, deadline: Date?, now: Date) -> AlertState {
        guard overdueOnceLate.contains(state), let deadline, deadline < now else { return state }
        return .overdue
    }

    /// Counts by state as read at `now` (`stateAsRead`): `stored` every alert's by its stored state,
    /// `late` those in `overdueOnceLate` whose deadline is before `now`, by stored state (the store
    /// counts them by its index on the state: they are the alerts still to send, never the history).
    public static func countsAsRead(stored: [AlertState: Int], late: [AlertState: Int]) -> [AlertState: Int] {
        var counts = stored
        for (state, n) in late where overdueOnceLate.contains(state) && n > 0 {
            counts[state, default: 0] -= n
            if counts[state] == 0 { counts[state] = nil }
            counts[.overdue, default: 0] += n
        }
        return counts
    }

    /// What becomes of an existing alert when its incident is ingested again: re-planned (new
    /// school, recipient or deadline), or left as it is. A delivered, failed or sending alert is
    /// never moved; an unmatched one is planned afresh (and may now be queued).
    public enum Replan: Sendable, Equatable {
        case keep
        case update(AlertPlan)
        /// The child is named again (its alert withdrawn, or kept as named too late before), and the
        /// incident is now older than `alerts.max_age_days`: no school is written to about it, as
        /// for a link first ingested that late. What becomes of the alert is `namedTooLate`'s.
        case tooOld
    }

    /// `stored`: what the alert's row holds (its state, channel, recipient, reason and deadline), its
    /// `lastError`, whether its school `acknowledged` it, and `oldURN` its school. Asked only for a
    /// link the incident has (a child it names), so an alert withdrawn when a correction dropped
    /// the child, and now named again, is planned afresh: the child's school must hear (SPEC §7),
    /// and it never heard. It stayed withdrawn for ever before (a hub's correction undone by the
    /// next feed), unless its school's key adults changed, when it went (`resendsToCorrectedKeyAdults`
    /// could not tell it from a refusal). Past `alerts.max_age_days` it is `.tooOld`: it stayed
    /// failed as withdrawn, which was no longer true, counted neither as due nor as too old, and
    /// the hub heard nothing (audit 24, S3).
    public static func replan(stored: AlertPlan, lastError: String?, acknowledged: Bool, urn oldURN: String?, planner: AlertPlanner,
                              reportedAt: Date, urn: String?, contact: AlertContact?, laCode: String?, now: Date,
                              ignoringAge: Bool = false) -> Replan {
        let state = stored.state
        let plan: AlertPlan?
        switch state {
        // A new round (`startsNewRound`), within `alerts.max_age_days` as a first plan is. One kept
        // as named too late is a link too old to alert, as it was: planned if the age allows it now
        // (`ignoringAge`, or a longer `alerts.max_age_days`), as a link with no alert would be.
        case .failed where isOwedToNoSchool(lastError):
            plan = planner.plan(reportedAt: reportedAt, urn: urn, contact: contact, laCode: laCode, now: now, ignoringAge: ignoringAge)
            if plan == nil { return .tooOld }
        case .unmatched: plan = planner.plan(reportedAt: reportedAt, urn: urn, contact: contact, laCode: laCode, now: now, ignoringAge: ignoringAge)
        case .queued, .retrying, .overdue: plan = planner.plan(reportedAt: reportedAt, urn: urn, contact: contact, laCode: laCode, now: now, ignoringAge: true)
        // A run holds it: what the record now says is read again when the run gives it back (`follow`).
        case .sending: return .keep
        case .delivered, .failed:
            let rerouted = reroutes(state: state, sentURN: oldURN, childStillLinked: true, urn: urn)
            // Sent again to the same school only as `matchUnmatched` would: ingest asked
            // `resendsToCorrectedKeyAdults` alone, and sent again a failed alert the school had
            // acknowledged, telling the hub it was overdue (audit 24).
            guard rerouted || failedMayBeResent(stored: stored, lastError: lastError, acknowledged: acknowledged, sentURN: oldURN, urn: urn,
                                                contact: contact)
            else { return .keep }
            // Re-routed only while its incident is recent enough to alert about: a back-loaded
            // correction of last year's incident does not write to a school about it now. Sent
            // again to corrected key adults only within `alerts.max_age_days` of now, whoever asks.
            plan = planner.plan(reportedAt: reportedAt, urn: urn, contact: contact, laCode: laCode, now: now,
                                ignoringAge: rerouted && ignoringAge)
        }
        guard let plan else { return .keep }
        if waiting.contains(state), oldURN == urn, stored.deadline == plan.deadline { return .keep }
        // An unmatched alert is planned afresh (it may have a key adult now), but one that would be
        // written back exactly as it is stays: every writing command asks this of every unmatched
        // alert (`matchUnmatched`), and rewriting them all (21,655 on a store of ten million rows)
        // made one new incident's ingest there 0.59-0.78 s instead of 0.45-0.49 s.
        if state == .unmatched, oldURN == urn, plan == stored { return .keep }
        return .update(plan)
    }

    /// What becomes of an alert's stored deadline when the hub corrects the school calendar (term
    /// dates, bank holidays, the school-day starts, the minimum notice: SPEC §6). An alert not yet
    /// sent takes the deadline the calendar in force gives it: one told overdue by a deadline that
    /// is no longer the school's is waiting again (`retrying` if it was tried, else `queued`) while
    /// the new one is ahead, and a waiting one whose new deadline has passed turns overdue at the
    /// next run as any other (`turnsOverdue`). A delivered, failed or withdrawn alert keeps the
    /// deadline it was judged by (the proof is history), and a `sending` one is left to its run: the
    /// store follows the calendar again once no run holds one.
    public enum Redate: Sendable, Equatable {
        case keep
        case update(state: AlertState, deadline: Date)
    }

    /// The states whose deadline follows the calendar: not yet sent (an unmatched alert keeps a
    /// deadline from when its school had a key adult).
    public static let redatable: [AlertState] = notYetSent

    /// `deadline` and `attempts`: what the alert's row holds; `calendarDeadline`: what the planner
    /// gives its incident and school now.
    public static func redate(state: AlertState, deadline: Date?, attempts: Int, calendarDeadline: Date, now: Date) -> Redate {
        guard redatable.contains(state), let deadline, deadline != calendarDeadline else { return .keep }
        if state == .overdue, !(calendarDeadline < now) {
            return .update(state: attempts > 0 ? .retrying : .queued, deadline: calendarDeadline)
        }
        return .update(state: state, deadline: calendarDeadline)
    }

    /// Whether `matchUnmatched` must plan an unmatched alert again with its incident (`replan`):
    /// its school has a key adult now (queued, with a deadline from the incident's time), or what
    /// the alert says is not what it would say today (a reason left from before). Answered from the
    /// alert's own row, its school `urn` the one its link names: every writing command asks it of
    /// every unmatched alert, and reading each one's incident and link first (21,474 of them in a
    /// store of ten million rows) was most of one new incident's ingest there, 1.05-1.7 s.
    public static func unmatchedMayChange(stored: AlertPlan, urn: String?, contact: AlertContact?) -> Bool {
        (urn != nil && contact != nil) || stored != AlertPlanner.unmatched(urn: urn)
    }

    /// Finished alerts that a corrected school sends again: the school the record now names must
    /// hear (SPEC §7: a key adult at the child's school), so an alert delivered to (or refused by)
    /// the school the record named then is queued again to the school it names now, under the same
    /// reference, with that school's deadline (the hub is told if it has passed). One the incident no
    /// longer links, or now with no school, keeps what it has: nobody else is owed it.
    public static let reroutable: [AlertState] = [.delivered, .failed]

    /// The state of an alert the school it is now for has received. A re-routed alert keeps the
    /// earlier school's `delivered_at` while it waits for, or has failed at, the school it goes to
    /// now (README: "until the new school's delivery"), so a delivery time counts as the child's
    /// school being told only in this state (the inspection report's on time, late and minutes to
    /// acknowledge: SPEC §11).
    public static let reachedItsSchool: AlertState = .delivered

    /// When the school the alert is now for received it: `delivered_at` in `reachedItsSchool`, nil
    /// otherwise, so a re-routed alert waiting for its new school never shows the earlier school's
    /// time as its delivery (`alerts --json`, the board, the hub's notice).
    public static func deliveredToItsSchool(state: AlertState, deliveredAt: Date?) -> Date? {
        state == reachedItsSchool ? deliveredAt : nil
    }

    /// Whether a failed alert is sent again because its school's key adults were corrected since it
    /// was refused: the school the record names is still the one it failed at (`sentURN`), and its
    /// key adults now (`contact`) include an address, or an endpoint, it was not sent to (`sent`'s
    /// channel and recipient). A hub that corrects Config/key-adults.csv (or the app's list)
    /// expects the school to get the written alert, so it is queued again under the same reference
    /// as a new round (`startsNewRound`), with its deadline as for a re-route (`replan`: from the
    /// incident's time, past already most often, and then the hub is told it is late), while its
    /// incident is within `alerts.max_age_days` of now. A school whose list only lost an address,
    /// or did not change, sends nothing: those addresses refused it. A delivered alert is never
    /// sent again: a key adult at the school has it. A withdrawn one (`isWithdrawal`) is owed to
    /// nobody, one that failed because its stored record cannot make a message (`isUnreadable`)
    /// would fail again, and one the school acknowledged has reached it: `failedMayBeResent`, the
    /// only caller, leaves them out.
    private static func resendsToCorrectedKeyAdults(state: AlertState, sent: AlertPlan, sentURN: String?, urn: String?,
                                                   contact: AlertContact?) -> Bool {
        guard state == .failed, let urn, urn == sentURN, let contact else { return false }
        // Never sent to anyone (it failed unmatched, say): no key adult of the school refused it.
        guard let channel = sent.channel, let recipient = sent.recipient else { return false }
        if channel != contact.channel { return true }
        let before = Set(addresses(recipient))
        return addresses(contact.recipient).contains { !before.contains($0) }
    }

    /// A recipient's addresses (`ContactAddress.joined`: a school's key adults; an endpoint is one),
    /// compared as the same address whatever their case.
    private static func addresses(_ recipient: String) -> [String] {
        (ContactAddress.recipients(recipient) ?? [recipient]).map { $0.lowercased() }
    }

    /// Whether a failed alert is sent again to its school's corrected key adults
    /// (`resendsToCorrectedKeyAdults`), `sentURN` the school it failed at and `urn` the one its link
    /// names: the one rule, asked by `replan` (an ingest of its incident) and, answered from the
    /// alert's own row (`urn` its school) as `unmatchedMayChange` is, by `matchUnmatched` to know
    /// which failed alerts to read with their incident (every writing command asks it of every
    /// failed alert). `acknowledged`: the school acknowledged it (a copy arrived though the send was
    /// reported failing), so a key adult there has it: not sent again, nor told overdue (audit 24,
    /// diff F1). One withdrawn or named too late is owed to no school, and one unreadable would
    /// fail again.
    public static func failedMayBeResent(stored: AlertPlan, lastError: String?, acknowledged: Bool, sentURN: String?, urn: String?,
                                         contact: AlertContact?) -> Bool {
        !acknowledged && !isOwedToNoSchool(lastError) && !isUnreadable(lastError)
            && resendsToCorrectedKeyAdults(state: stored.state, sent: stored, sentURN: sentURN, urn: urn, contact: contact)
    }

    /// The start of the reason an alert failed when its stored record could not make a message.
    public static let unreadablePrefix = "cannot be sent: "

    /// Whether a failure's reason says its stored record could not make a message.
    public static func isUnreadable(_ reason: String?) -> Bool {
        reason?.hasPrefix(unreadablePrefix) ?? false
    }

    /// Whether a finished alert sent to `sentURN` is re-routed because its incident now names `urn`.
    public static func reroutes(state: AlertState, sentURN: String?, childStillLinked: Bool, urn: String?) -> Bool {
        reroutable.contains(state) && childStillLinked && urn != nil && urn != sentURN
    }

    /// Whether a correction that moves an alert out of `state` starts a new round of sending it: a
    /// finished alert (delivered, or refused for good) re-routed to the school the record now names
    /// (`reroutes`). The hub's notices about an alert (overdue, failed, unacknowledged) are once per
    /// alert and kind in a round: those of the round before stay as its record, and the new round's
    /// failure, lateness or silence is told again, since the staff who corrected the school believe
    /// the alert went. Re-planning an alert not yet sent, or a new deadline from the calendar, goes
    /// on with its round: the hub was told it is late, and it still is.
    public static func startsNewRound(from state: AlertState) -> Bool {
        reroutable.contains(state)
    }

    /// The kind of the hub notice that an alert re-routed had been delivered to a school the record
    /// no longer names.
    public static let reroutedKind = "rerouted"

    /// What the hub is told when a correction re-routes an alert out of `state`, sent to `sentURN`
    /// (`deliveredAt` its row's delivery time), to the school the record now names (`urn`): an
    /// alert delivered there put the child's name, date of birth and a domestic abuse incident in
    /// the hands of a school that is not the child's, so staff must ask that school's key adult to
    /// delete the notification, and log it as a disclosure (audit 22, people F8). Once a re-route:
    /// the notice is of the new round (`startsNewRound`), kept once per alert and kind in it, and a
    /// re-route after delivery at the next school names that school. An alert that was not
    /// delivered at the school it leaves tells nothing: one refused for good there (`failed`) was
    /// not received, and one re-planned before it was sent (`queued`, `retrying`, `overdue`) never
    /// went. Its `delivered_at` is then only a school before's, told at that school's re-route. A
    /// `sending` alert taken back from a run is not known to be delivered, and tells nothing either.
    ///
    /// `heldTold`: the school a `no-longer-named` notice of the round this re-route closes named
    /// (`noLongerNamedNotices`; nil: none). The hub has been told, or is told at the next run, that
    /// this school holds the child's details and to ask it to delete them; nothing since sent it
    /// the alert again (a delivered alert is sent again only in a new round). A re-route from that
    /// school tells nothing more: the hub asks it once. It was told twice, the re-route's notice
    /// naming the same school, in the next digest or in the same one (issue 9).
    public static func reroutedNotices(from state: AlertState, sentURN: String?, deliveredAt: Date?, urn: String?,
                                       heldTold: String?) -> [Notice] {
        guard state == reachedItsSchool, let sentURN, let deliveredAt, sentURN != heldTold,
              reroutes(state: state, sentURN: sentURN, childStillLinked: true, urn: urn) else { return [] }
        return [.rerouted(school: sentURN, deliveredAt: deliveredAt, detail: reroutedDetail(school: sentURN))]
    }

    /// The notice's one line: ids only, the school's URN and never the child.
    public static func reroutedDetail(school: String) -> String {
        "delivered to school \(school), which the record no longer names: ask its key adult to delete the notification, "
            + "and log it as a disclosure"
    }

    /// The kind of the hub notice that an alert had been delivered to a school the record no longer
    /// names for its child and incident, while no re-route sent it anywhere else.
    public static let noLongerNamedKind = "no-longer-named"

    /// What the hub is told when the record no longer names, for the alert's child and incident,
    /// the school it was delivered to (`sentURN`, at `deliveredAt`), and the alert is not re-routed
    /// (`reroutes`, `reroutedNotices`): `namedURN` is the school the record names now, nil when it
    /// names none or no longer names the child. Asked where the alert stays as it was sent: an
    /// incident too old to alert about (`alerts.max_age_days`) corrected to another school, a child
    /// the incident no longer names, a child now with no school, and any of these landing while a
    /// run was delivering it (`follow`: `.stays`). That school holds the child's name, date of birth
    /// and a domestic abuse incident as surely as one an alert is re-routed from, so staff must ask
    /// its key adult to delete it and log the disclosure; the hub was told nothing (audit 23). The
    /// same states count as for a re-route: only an alert delivered there (`reachedItsSchool`);
    /// one refused for good, or not yet sent, was received by no school. Once per alert in a round,
    /// as every notice about an alert; a later re-route of it is a new round, and tells nothing
    /// more of that school (`reroutedNotices`' `heldTold`): the hub asks it once. With the notice
    /// the stores close the school's acknowledgement links (`closesLinks`).
    public static func noLongerNamedNotices(state: AlertState, sentURN: String?, deliveredAt: Date?, namedURN: String?) -> [Notice] {
        guard state == reachedItsSchool, let sentURN, let deliveredAt, namedURN != sentURN else { return [] }
        return [.noLongerNamed(school: sentURN, deliveredAt: deliveredAt, detail: noLongerNamedDetail(school: sentURN))]
    }

    /// The notice's one line: ids only, the school's URN and never the child. `reroutedTo`: the
    /// school the alert was re-routed to after the notice was made (`reroutedSince`), whose line
    /// says so instead of "went to no other school"; the school to ask is the same.
    public static func noLongerNamedDetail(school: String, reroutedTo: String? = nil) -> String {
        guard let reroutedTo else {
            return "delivered to school \(school), which the record no longer names for this child and incident (the alert went to no "
                + "other school): ask its key adult to delete the notification, and log it as a disclosure"
        }
        return "delivered to school \(school), which the record no longer names for this child and incident (the alert was re-routed "
            + "since to school \(reroutedTo)): ask school \(school)'s key adult to delete the notification, and log it as a disclosure"
    }

    /// The school the alert of a `no-longer-named` notice naming `noticeSchool` has been re-routed
    /// to since the notice was made (`alertSchool`: the school the alert is for now), nil when it
    /// has not. The notice is made with the alert still for that school (it stays as it was sent),
    /// and only a re-route moves it (`reroutes`). A re-route after it tells no `rerouted` notice of
    /// that school (`reroutedNotices`' `heldTold`): with no run between the two, this notice was
    /// the hub's one word, and said the alert went to no other school though it had (the record
    /// named no school for the child, then the next feed another). Nil for every other kind.
    public static func reroutedSince(kind: String, noticeSchool: String?, alertSchool: String?) -> String? {
        guard kind == noLongerNamedKind, let alertSchool, alertSchool != noticeSchool else { return nil }
        return alertSchool
    }

    /// A notice's one line as it is told now: a `no-longer-named` notice's whose alert has been
    /// re-routed since (`reroutedSince`) says where; any other as it was kept.
    public static func detailNow(kind: String, detail: String, noticeSchool: String?, alertSchool: String?) -> String {
        guard let noticeSchool, let to = reroutedSince(kind: kind, noticeSchool: noticeSchool, alertSchool: alertSchool) else { return detail }
        return noLongerNamedDetail(school: noticeSchool, reroutedTo: to)
    }

    /// Whether the acknowledgement links of an alert the record no longer ties to the school it was
    /// delivered to stop opening it: whenever the hub is told so (`noLongerNamedNotices`), as a
    /// re-route's do (the store forgets its tokens, so the link page answers as for an unknown link,
    /// and clears the links' end, so a webhook's signed POST is refused by `linksOpen` and the alert
    /// is never `unacknowledged`: the hub is not asked to phone a school about a child it is asked
    /// to delete). Its page showed the child's name and date of birth to a school the record no
    /// longer names. Unlike a re-route, an acknowledgement already made is kept, and the school
    /// round stays: no other school is owed the alert, and the record of what the school did stands.
    public static func closesLinks(_ notices: [Notice]) -> Bool {
        notices.contains { if case .noLongerNamed = $0 { true } else { false } }
    }

    /// What the record now says of an alert a run held (`sending`) while its incident or its
    /// school's key adults could change: ingest and a key-adult change leave a `sending` alert to
    /// its run, so this is asked when the run records its outcome (`state` then the state the
    /// outcome gives) and when another run takes it back after its lease (`state` `.sending`).
    public enum Follow: Sendable, Equatable {
        /// It stays as the outcome left it.
        case stays
        /// The incident no longer names the child: failed with `withdrawnReason`, never sent again.
        case withdrawn
        /// Planned afresh to the school and key adult the record now names, due at once.
        case replanned(AlertPlan)
    }

    /// `sent`: the alert's row as the run claimed it (its channel, recipient and deadline) and
    /// `sentURN` its school; `childStillLinked`, `urn`, `contact` and `laCode` what the incident, its
    /// link and the key adults say now. Without a `planner` (a store used without alerts set up) a
    /// new school is recorded and the alert waits unmatched for the next command's `matchUnmatched`.
    public static func follow(state: AlertState, sent: AlertPlan, sentURN: String?, childStillLinked: Bool, urn: String?,
                              contact: AlertContact?, laCode: String?, reportedAt: Date, planner: AlertPlanner?, now: Date) -> Follow {
        func planned() -> AlertPlan {
            guard let urn else { return AlertPlanner.unmatched(urn: nil) }
            guard let planner else {
                return AlertPlan(state: .unmatched, reason: AlertPlanner.schoolRecorded(urn, hasKeyAdult: contact != nil))
            }
            return planner.plan(reportedAt: reportedAt, urn: urn, contact: contact, laCode: laCode, now: now, ignoringAge: true)
                ?? AlertPlanner.unmatched(urn: urn)
        }
        if state == .sending || waiting.contains(state) {
            if !childStillLinked { return .withdrawn }
            if urn != sentURN { return .replanned(planned()) }
            let sentTo = sent.channel.flatMap { c in sent.recipient.map { AlertContact(channel: c, recipient: $0) } }
            guard contact != sentTo, let urn else { return .stays }
            // The same school, other people: the deadline stays (it is the school's).
            guard let contact else { return .replanned(AlertPlanner.unmatched(urn: urn)) }
            return .replanned(AlertPlan(state: .queued, channel: contact.channel, recipient: contact.recipient, deadline: sent.deadline))
        }
        return reroutes(state: state, sentURN: sentURN, childStillLinked: childStillLinked, urn: urn) ? .replanned(planned()) : .stays
    }

    /// What becomes of an alert when a correction of its incident is ingested (`withdrawal`).
    public enum Withdrawal: Sendable, Equatable {
        /// It stays as it is: the incident still names the child, or it was sent or is being sent.
        case stays
        /// Failed with `withdrawnReason`, and the hub hears: it was to go to a school, or the hub
        /// was told of it.
        case withdrawn
        /// Removed: an unmatched entry nothing refers to, with nobody to send it to and nothing told
        /// of it. It leaves the unmatched list and nothing else: as `failed` it showed in `alerts
        /// --json` with no channel and no deadline (the SPEC's states always have one), and the hub
        /// was told "withdrawn" of an alert that was never going to be sent (audit 23 year, F2).
        case removed
    }

    /// `childStillLinked`: the incident names the child now; `referenced`: a hub notice, a call or
    /// an acknowledgement link refers to the alert (an unmatched one that was queued once, before
    /// its school lost its key adult): its record stays, withdrawn as any other. Asked only of an
    /// alert not yet sent (`notYetSent`); a sent one stays.
    public static func withdrawal(state: AlertState, childStillLinked: Bool, referenced: Bool) -> Withdrawal {
        guard !childStillLinked, notYetSent.contains(state) else { return .stays }
        return state == .unmatched && !referenced ? .removed : .withdrawn
    }

    /// Whether a failure with this reason (a failed alert's last error, a `failed` notice's detail)
    /// is a withdrawal, not a refusal: the incident no longer names the child, so no school is owed
    /// the alert and there is nobody to contact about it. SPEC §7's states have no word for it, so
    /// the alert stays `failed` in `alerts` and `alerts --json` (its last error says why); the
    /// alerts board and the hub's e-mail show it as withdrawn, apart from the failures to act on.
    public static func isWithdrawal(_ reason: String?) -> Bool {
        reason == withdrawnReason
    }

    /// The last error an alert keeps when `replan` moves it: a withdrawal's reason goes (it is to be
    /// sent now, and the board would show a queued alert as withdrawn), and so does one named too
    /// late (`namedTooLateReason`); any other stays as the record of what happened before.
    public static func lastErrorAfterReplan(_ lastError: String?) -> String? {
        isOwedToNoSchool(lastError) ? nil : lastError
    }

    /// Why an alert is `failed` when a later feed named its child again (its alert withdrawn when a
    /// correction dropped the child) after `alerts.max_age_days` (`replan`: `.tooOld`), and its row
    /// was kept (`namedTooLate`). Ids only.
    public static let namedTooLateReason =
        "too old to alert a school: a later ingest named this child again more than alerts.max_age_days after the incident was reported"

    /// Whether a failed alert's last error is `namedTooLateReason`.
    public static func isNamedTooLate(_ reason: String?) -> Bool {
        reason == namedTooLateReason
    }

    /// Whether a failed alert with this last error is owed to no school: withdrawn (the record no
    /// longer names the child) or named again too late to alert (`namedTooLate`). Nobody is to be
    /// contacted about it (the board's failures are schools to contact), it is not sent again to
    /// corrected key adults, and its links open it for no school. Asked wherever a withdrawal was:
    /// a kept named-too-late alert was listed among the board's failures for a week, and its old
    /// links opened the child's page again to a school no longer owed it.
    public static func isOwedToNoSchool(_ lastError: String?) -> Bool {
        isWithdrawal(lastError) || isNamedTooLate(lastError)
    }

    /// What becomes of an alert `replan` finds named again too late (`.tooOld`).
    public enum NamedTooLate: Sendable, Equatable {
        /// Removed, with its notices (its withdrawal's, not yet told): no row is left, as none is
        /// made for a link first ingested too late.
        case removed
        /// Kept, `failed` with this last error: the withdrawal's reason was no longer true.
        case kept(lastError: String)
    }

    /// The alert of a child named again after `alerts.max_age_days` (`replan`: `.tooOld`) is a link
    /// too old to alert, as one first ingested that late: counted in `tooOld` (the ingest's
    /// summary, the hub's one too-old notice naming the incident, and the report's
    /// `alerts.too_old`), and no school is written to. Its row goes when nothing refers to it
    /// (`referenced`: no send was tried, no link issued, no call recorded, no configuration notice
    /// holds it, and no notice about it was claimed or sent by a run, so neither a school nor the
    /// hub may have heard of it; its withdrawal's own notice, not yet told, is no longer true and
    /// goes with it). Otherwise the row stays as the record of what was sent or told, `failed` with
    /// `namedTooLateReason`: counted as too old by the report (`InspectionSQL`), not due; and its
    /// withdrawal's notice not yet told is no longer told (`noticeStillHolds`).
    public static func namedTooLate(referenced: Bool, incidentId: String, planner: AlertPlanner, tooOld: inout TooOldLinks) -> NamedTooLate {
        tooOld.count(incidentId: incidentId, maxAge: planner.maxAge)
        return referenced ? .kept(lastError: namedTooLateReason) : .removed
    }

    /// Acknowledgement (SPEC §7): delivered is not read. An alert that carried a link (its token was
    /// issued) and was not acknowledged by its deadline is `unacknowledged` to the hub, which phones
    /// the school. An alert sent with no link (no `web.public_url`) cannot be acknowledged, so it is
    /// never counted as unacknowledged: that would list every alert.
    public static let unacknowledgedKind = "unacknowledged"
    public static let unacknowledgedDetail = "delivered but not acknowledged by its deadline: phone the school"
    /// The same once its links have closed (`isToPhone` no longer): the board no longer lists it
    /// to phone, so a child's page must not ask for the call either.
    public static let unacknowledgedClosedDetail = "delivered but never acknowledged; its link has closed"

    public static func isUnacknowledged(state: AlertState, linkIssued: Bool, acknowledgedAt: Date?, deadline: Date?, now: Date) -> Bool {
        guard state == .delivered, linkIssued, acknowledgedAt == nil, let deadline else { return false }
        return deadline < now
    }

    /// Whether the hub is still to phone the school about an alert: unacknowledged
    /// (`isUnacknowledged`) while the links it was sent with still open it (`linksOpen`: until
    /// `alerts.ack_days` after its deadline, or after its send when that is later). The call is
    /// to make sure the school has it in hand, and asks the key adult to press the link's button;
    /// once the links have closed the school can no longer acknowledge it, and the deadline is
    /// `ack_days` (a fortnight) behind. Such an alert stays unacknowledged on the record (`alerts
    /// --state unacknowledged`, `alerts --json`'s null `acknowledged_at`, the report's
    /// `acknowledged` of the due alerts), but is no longer on the hub's list: kept there for good,
    /// the list grew with the store's history, 78,944 rows after two years with this morning's
    /// last (audit 26, F1). The alerts board and `alerts --state unacknowledged` both ask this.
    public static func isToPhone(state: AlertState, acknowledgedAt: Date?, deadline: Date?, linksEnd: Date?, now: Date) -> Bool {
        isUnacknowledged(state: state, linkIssued: linksEnd != nil, acknowledgedAt: acknowledgedAt, deadline: deadline, now: now)
            && linksOpen(linksEnd: linksEnd, now: now)
    }

    /// Whether a kept notice about an alert is still to be told when the hub's notice goes: a
    /// "phone the school" item whose school has acknowledged since (the link's button, or its
    /// receiver's signed POST) is not, nor a failure (or withdrawal) of an alert planned afresh
    /// since (its child named again, its school or key adult corrected): it is going after all, and
    /// fails again in a new round if it does. Either is settled without being named (a withdrawn
    /// child named again was delivered, and the hub told "withdrawn, not to be sent": audit 24, diff F2),
    /// nor a re-route's (`noticeSchool`, the school it had been delivered to) once the alert is for
    /// that school again (`alertSchool`: a correction undone by the next feed): the hub was told to
    /// have the child's own school delete the notification and log a disclosure (audit 24, diff F5).
    /// A "phone the school" item whose alert's links have closed since (a correction no longer
    /// names the school for the child: the hub is asking it to delete the details) is settled too.
    /// So is a withdrawal (`detail`) whose alert is no longer withdrawn (`lastError`): its child
    /// was named again too late (`namedTooLate`), and the hub hears of it as too old.
    /// And a "no longer named" notice (`noticeSchool`) once the record names that school again
    /// for the alert's child and incident (`namedSchool`: the school the incident's link names
    /// now, nil when none or the incident no longer names the child): the correction was undone
    /// by the next feed, and the hub was told to have the child's own school delete what it should
    /// hold. Its alert stays as it was sent there (`alertSchool` is that school all along, so it
    /// cannot tell), or, re-routed meanwhile, goes back there. Re-routed elsewhere, the school
    /// still holds the details and the notice holds (`reroutedSince` says where it went).
    public static func noticeStillHolds(kind: String, detail: String, state: AlertState, lastError: String?, acknowledgedAt: Date?,
                                        linkIssued: Bool, noticeSchool: String?, alertSchool: String?, namedSchool: String? = nil) -> Bool {
        switch kind {
        case unacknowledgedKind: acknowledgedAt == nil && linkIssued
        case failedKind: state == .failed && (!isWithdrawal(detail) || isWithdrawal(lastError))
        case reroutedKind: noticeSchool != alertSchool
        case noLongerNamedKind: noticeSchool != namedSchool
        default: true
        }
    }

    /// The kind of the hub notice about an alert that will not be sent (`failure`).
    public static let failedKind = "failed"

    /// The school has the alert in hand, so one still waiting for a resend (a copy that did arrive
    /// was reported as failing) is delivered now. A `sending` alert is left to the run that holds
    /// it; a finished one keeps its state. Nil: the state stays. An alert made delivered so is
    /// delivered when acknowledged (`delivered_at`), even one re-routed that still holds the earlier
    /// school's delivery time: the school that acknowledged is the one it is now for.
    public static func stateAfterAcknowledgement(_ state: AlertState) -> AlertState? {
        waiting.contains(state) ? .delivered : nil
    }

    /// When the link one send of an alert carries stops opening it (SPEC §7: a token is valid for
    /// `alerts.ack_days`): `validFor` after the later of the send and the alert's deadline. The
    /// deadline is when the school is due to read it: an alert sent early in a holiday (a deadline
    /// on the first morning of term, weeks away) or delivered long after a first refused attempt
    /// must not reach the school with a link that dies before, or on, the morning it is read, and
    /// then be "unacknowledged" with no way to acknowledge it (audit 21, F3).
    public static func linkEnd(sentAt: Date, deadline: Date, validFor: TimeInterval) -> Date {
        max(sentAt, deadline).addingTimeInterval(validFor)
    }

    /// An alert's links share one end, the latest any of its sends gave (`linkEnd`): `kept` the end
    /// stored, `issued` this send's. A retry's link so carries every earlier link with it (a first
    /// copy that arrived though its send was reported failing works as long as the retry's), and
    /// none ends sooner than it was sent with (a deadline corrected earlier meanwhile).
    public static func linksEnd(kept: Date?, issued: Date) -> Date {
        guard let kept else { return issued }
        return max(kept, issued)
    }

    /// Whether an alert's acknowledgement links still open it at `now`: until their end
    /// (`linksEnd`), that instant included. `linksEnd` nil: it never
    /// carried a link. The link page and the webhook both ask this; the stores only keep the end.
    public static func linksOpen(linksEnd: Date?, now: Date) -> Bool {
        guard let linksEnd else { return false }
        return now <= linksEnd
    }

    /// The channel whose receiver may acknowledge by a signed POST: the webhook's.
    public static let webhookChannel = "https"

    /// Whether an alert's acknowledgement links open it for a school at `now`: while they last
    /// (`linksOpen`), and never once it is owed to no school (`isOwedToNoSchool`, `lastError` its last error).
    /// The incident no longer names the child, so no school is owed the alert: its page would show
    /// the child's name and date of birth to a school the record no longer names, and take an
    /// acknowledgement of nothing (audit 23, F15). It answers as an unknown link does. An alert
    /// planned afresh after a withdrawal (`replan`) has its withdrawal's reason cleared, and its
    /// links open again: its school is owed it again.
    public static func opensForSchool(linksEnd: Date?, lastError: String?, now: Date) -> Bool {
        linksOpen(linksEnd: linksEnd, now: now) && !isOwedToNoSchool(lastError)
    }

    /// Whether a webhook receiver's signed acknowledgement is taken for this alert. The signing
    /// secret is the force's, held by every school whose system takes webhooks, and the reference
    /// can be worked out from the incident and child: so only an alert that went by webhook, only
    /// while its links open it (`opensForSchool`), as the link itself would, and only in its first
    /// school round (`schoolRound` 0, `schoolRoundAfterMove`). A re-route keeps the reference, so
    /// the school the alert went to before holds it too, and its receiver's POST cannot be told
    /// from the new school's: taking it acknowledged the alert for a school that never read it and
    /// silenced "Phone the school" (audit 23, F7). The school it goes to now acknowledges with the
    /// link its message carried (the webhook's `ack_url`), which only it was sent. Anything else
    /// is answered as unknown.
    public static func acceptsWebhookAcknowledgement(channel: String?, linksEnd: Date?, lastError: String?, schoolRound: Int,
                                                     now: Date) -> Bool {
        channel == webhookChannel && schoolRound == 0 && opensForSchool(linksEnd: linksEnd, lastError: lastError, now: now)
    }

    /// An alert's school round (`alerts.school_round`, 0 when planned) after it moves to another
    /// school: one more when it had been claimed to be sent (`attempts` > 0), so the school it
    /// leaves may have it and its reference, and the hub's calls about it so far were to that
    /// school; the same when it never went anywhere (an unmatched child given a school), so a
    /// first school's webhook can still acknowledge it.
    public static func schoolRoundAfterMove(_ round: Int, attempts: Int) -> Int {
        attempts > 0 ? round + 1 : round
    }

    /// Whether a call the hub recorded about an alert (`callRound`, the alert's school round when
    /// it was recorded) was to the school the alert is for now (`alertRound`): only those say the
    /// school was phoned (the board's "to phone" count). A call to the school the alert went to
    /// before a re-route stays on the record, shown as to that school: nobody rang the new one
    /// (audit 23, F11).
    public static func callIsToItsSchool(callRound: Int, alertRound: Int) -> Bool {
        callRound == alertRound
    }

    /// A waiting alert follows its school's people as an admin changes them: the new channel and
    /// recipient, or `unmatched` when none is left (and queued again by `matchUnmatched` once one
    /// is added). Nil: the alert is not waiting, and keeps what it has.
    public static func afterContactChange(state: AlertState, urn: String, contact: AlertContact?) -> AlertPlan? {
        guard waiting.contains(state) else { return nil }
        guard let contact else { return AlertPlanner.unmatched(urn: urn) }
        return AlertPlan(state: state, channel: contact.channel, recipient: contact.recipient)
    }

    /// A hub notice an outcome calls for.
    public enum Notice: Sendable, Equatable {
        /// About this alert: `overdue`, `failed` or `unacknowledged`, once per alert and kind in a
        /// round of sending (`startsNewRound`).
        case alert(kind: String, detail: String)
        /// A configuration problem on a channel, told once per `configurationNoticeInterval`, holding this alert.
        case configuration(channel: String, detail: String)
        /// A school's key adult's address refused for good (`refusedAddressNotices`): a problem of
        /// Config/key-adults.csv, told once per `configurationNoticeInterval` for each `detail`
        /// (a school and address), holding no alert (it was delivered).
        case refusedAddress(channel: String, detail: String)
        /// About this alert: it had been delivered to `school` at `deliveredAt`, and a correction
        /// re-routed it (`reroutedNotices`), kind `reroutedKind`, once per alert in a round.
        case rerouted(school: String, deliveredAt: Date, detail: String)
        /// About this alert: it had been delivered to `school` at `deliveredAt`, and the record no
        /// longer names that school for its child and incident, with no re-route
        /// (`noLongerNamedNotices`), kind `noLongerNamedKind`, once per alert in a round.
        case noLongerNamed(school: String, deliveredAt: Date, detail: String)

        /// The kind of the hub notice the stores keep it as.
        public var kind: String {
            switch self {
            case .alert(let kind, _): kind
            case .configuration: "configuration"
            case .refusedAddress: AlertLifecycle.refusedAddressKind
            case .rerouted: AlertLifecycle.reroutedKind
            case .noLongerNamed: AlertLifecycle.noLongerNamedKind
            }
        }
    }

    /// The kind of the hub notice that names a refused key adult's address.
    public static let refusedAddressKind = "address-refused"

    /// What the hub is told when the relay refused some of a school's recipients while another took
    /// the alert. A refusal for good (5xx) names the school's URN, the address and the code: the
    /// address is dead, and the day the other key adult is away nobody at the school would hear, so
    /// the hub must correct Config/key-adults.csv. A refusal for now (4xx: greylisting, a full
    /// mailbox) is not told: it says nothing is wrong with the file, the alert has reached the
    /// school, and sending it again would give the key adult who has it a second copy. The detail
    /// holds no alert reference and no relay text, so one dead address is one notice a day however
    /// many alerts meet it (SPEC §7: configuration problems are told once a day per channel).
    public static func refusedAddressNotices(school: String, refused: [RefusedAddress], channel: String = "smtp") -> [Notice] {
        refused.filter { (500..<600).contains($0.replyCode) }.map {
            .refusedAddress(channel: channel, detail: "school \(school): our relay refused key adult address \($0.address) "
                + "with reply \($0.replyCode) (another of the school's key adults had the alert): correct Config/key-adults.csv")
        }
    }

    /// An alert's new state after a run's outcome, and what the store writes with it.
    public struct Transition: Sendable, Equatable {
        public var state: AlertState
        public var lastError: String?
        /// Nil: unchanged.
        public var nextAttemptAt: Date?
        /// Added to the attempts (never below 0): a configuration failure was not an attempt.
        public var attemptsChange: Int
        /// Nil: unchanged.
        public var deliveredAt: Date?
        public var notices: [Notice]
    }

    /// The state after `result` for an alert due at `deadline` (nil: treated as past), at `now`. The
    /// lease is always released.
    /// `acknowledgedAt`: when the school acknowledged the alert while the run held it (the link of
    /// an earlier send, or a copy that did arrive though that send was reported failing). The school
    /// has it, whatever the run heard (a 503 from a receiver that took it, a timeout): delivered
    /// then, if not earlier, and nothing more is sent or told of lateness it did not suffer. It was
    /// retried, posted again and told to the hub as overdue hours after the school had acknowledged
    /// it (audit 23, review F2).
    public static func after(_ result: AlertResult, deadline: Date?, now: Date, acknowledgedAt: Date? = nil) -> Transition {
        if let acknowledgedAt {
            let received = min(now, acknowledgedAt)
            switch result {
            case .delivered, .deliveredRefusing: return after(result, deadline: deadline, now: received)
            default: return after(.delivered, deadline: deadline, now: received)
            }
        }
        let late = now > (deadline ?? Date(timeIntervalSince1970: 0))
        switch result {
        case .delivered:
            // Delivered past its deadline: overdue to the hub (once an alert), as one that turned
            // overdue while it waited is. One taken back from a killed run never waited past it.
            return Transition(state: .delivered, lastError: nil, nextAttemptAt: nil, attemptsChange: 0, deliveredAt: now,
                              notices: late ? [.alert(kind: "overdue", detail: overdueDetail)] : [])
        case .deliveredRefusing(let school, let refused):
            var delivered = after(.delivered, deadline: deadline, now: now)
            delivered.notices += refusedAddressNotices(school: school, refused: refused)
            return delivered
        case .temporary(let error, let retryAt):
            return Transition(state: late ? .overdue : .retrying, lastError: error, nextAttemptAt: retryAt, attemptsChange: 0,
                              deliveredAt: nil, notices: late ? [.alert(kind: "overdue", detail: error)] : [])
        case .permanent(let error):
            return failure(error)
        case .configuration(let error, let channel):
            // Not the school's fault and not an attempt: back in the queue as it was.
            var notices: [Notice] = late ? [.alert(kind: "overdue", detail: error)] : []
            notices.append(.configuration(channel: channel, detail: error))
            return Transition(state: late ? .overdue : .queued, lastError: error, nextAttemptAt: now.addingTimeInterval(configurationPause),
                              attemptsChange: -1, deliveredAt: nil, notices: notices)
        case .relayUnavailable(let error):
            // The relay's outage is the channel's, told once for all (`RelayState`): no attempt, no
            // backoff, due again at once, so the first run that reaches the relay sends it.
            return Transition(state: late ? .overdue : .queued, lastError: error, nextAttemptAt: now, attemptsChange: -1,
                              deliveredAt: nil, notices: late ? [.alert(kind: "overdue", detail: error)] : [])
        }
    }

    /// The alert will not be sent: `failed` with the reason (one line, ids only), and the hub hears.
    public static func failure(_ reason: String) -> Transition {
        Transition(state: .failed, lastError: reason, nextAttemptAt: nil, attemptsChange: 0, deliveredAt: nil,
                   notices: [.alert(kind: failedKind, detail: reason)])
    }

    /// A `sending` alert taken back from a run that ended without recording its outcome (killed, or
    /// its lease ran out), which the record leaves where it was (`follow`: `.stays`): waiting again,
    /// due at once, whether or not the run taking it back can send it now, so it is counted among
    /// those waiting, turns overdue at its deadline and is told. With the relay down a run claims no
    /// e-mail, and one left `sending` stayed so past its deadline, never overdue, never counted
    /// (audit 23, review F14). Its attempt was counted when it was claimed. One the school
    /// acknowledged meanwhile reached it: delivered when acknowledged, as `after` makes it for a run
    /// that lived (it was sent again and told overdue: audit 24, diff F1).
    public static func takenBack(attempts: Int, deadline: Date?, acknowledgedAt: Date?, now: Date) -> Transition {
        if acknowledgedAt != nil { return after(.delivered, deadline: deadline, now: now, acknowledgedAt: acknowledgedAt) }
        return Transition(state: attempts > 0 ? .retrying : .queued, lastError: takenBackReason, nextAttemptAt: now, attemptsChange: 0,
                          deliveredAt: nil, notices: [])
    }

    public static let takenBackReason = "taken back from a run that ended before it recorded an outcome"

    /// A `sending` alert its own run gives back unsent, because the key adults or the record changed
    /// after the batch was claimed and its message may be for someone the record no longer names
    /// (audit 29, F1):
    /// waiting again, due at once, and the claim's attempt not counted (nothing went). `follow`
    /// then plans it with the key adults as they are now. `attempts` is the count the claim made.
    /// One the school acknowledged meanwhile (an earlier send's link) reached it, as in `takenBack`.
    public static func givenBack(attempts: Int, deadline: Date?, acknowledgedAt: Date?, now: Date) -> Transition {
        if acknowledgedAt != nil { return after(.delivered, deadline: deadline, now: now, acknowledgedAt: acknowledgedAt) }
        return Transition(state: attempts > 1 ? .retrying : .queued, lastError: givenBackReason, nextAttemptAt: now, attemptsChange: -1,
                          deliveredAt: nil, notices: [])
    }

    public static let givenBackReason = "given back unsent: the key adults or the record changed while a run held it"

    /// Turning overdue at the deadline: only the state changes (the last error stays), and the hub hears once.
    public static let overdue = Transition(state: .overdue, lastError: nil, nextAttemptAt: nil, attemptsChange: 0, deliveredAt: nil,
                                           notices: [.alert(kind: "overdue", detail: overdueDetail)])
}
