import Foundation
import RiskModel
@_exported import AlertLifecycle

/// One row of `encompass alerts`: ids only, never a name.
public struct AlertRow: Sendable, Equatable {
    public var reference: String
    public var incidentId: String
    public var childId: String
    public var schoolURN: String?
    public var channel: String?
    public var state: AlertState
    public var deadline: Date?
    public var attempts: Int
    public var lastError: String?
    public var nextAttemptAt: Date?
    public var deliveredAt: Date?
    public var acknowledgedAt: Date?
    /// An acknowledgement link went out with it (`web.public_url` was set when it was sent).
    public var linkIssued: Bool
    /// When its links stop opening it (`AlertLifecycle.linksEnd`); nil when none went out.
    public var linksEnd: Date?
    /// A failed alert's: when it failed, the time of the `failed` hub notice the state machine writes
    /// as it fails (`AlertLifecycle.failure`). The alerts board lists a failure for a week from then.
    public var failedAt: Date?

    /// When the school the alert is now for received it (`AlertLifecycle.deliveredToItsSchool`).
    public var deliveredToItsSchool: Date? { AlertLifecycle.deliveredToItsSchool(state: state, deliveredAt: deliveredAt) }

    public init(reference: String, incidentId: String, childId: String, schoolURN: String? = nil, channel: String? = nil, state: AlertState, deadline: Date? = nil, attempts: Int, lastError: String? = nil, nextAttemptAt: Date? = nil, deliveredAt: Date? = nil, acknowledgedAt: Date? = nil, linkIssued: Bool = false, failedAt: Date? = nil, linksEnd: Date? = nil) {
        self.reference = reference
        self.incidentId = incidentId
        self.childId = childId
        self.schoolURN = schoolURN
        self.channel = channel
        self.state = state
        self.deadline = deadline
        self.attempts = attempts
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
        self.deliveredAt = deliveredAt
        self.acknowledgedAt = acknowledgedAt
        self.linkIssued = linkIssued
        self.failedAt = failedAt
        self.linksEnd = linksEnd
    }

    /// Failed because it is owed to no school, not refused (withdrawn, or named again too late:
    /// `AlertLifecycle.isOwedToNoSchool`): nobody to contact.
    public var isOwedToNoSchool: Bool { state == .failed && AlertLifecycle.isOwedToNoSchool(lastError) }

    /// SPEC §7: delivered, carried a link, not acknowledged, and its deadline has passed.
    public func isUnacknowledged(now: Date) -> Bool {
        AlertLifecycle.isUnacknowledged(state: state, linkIssued: linkIssued, acknowledgedAt: acknowledgedAt, deadline: deadline, now: now)
    }

    /// The row as the hub reads it at `now`: its state `AlertLifecycle.stateAsRead` (overdue once
    /// its deadline passed undelivered, before a run stores it), everything else as stored.
    public func asRead(at now: Date) -> AlertRow {
        var row = self
        row.state = AlertLifecycle.stateAsRead(state, deadline: deadline, now: now)
        return row
    }

    /// Still on the hub's list of schools to phone (`AlertLifecycle.isToPhone`): unacknowledged
    /// while its links still open it.
    public func isToPhone(now: Date) -> Bool {
        AlertLifecycle.isToPhone(state: state, acknowledgedAt: acknowledgedAt, deadline: deadline, linksEnd: linksEnd, now: now)
    }
}

/// A page of the unmatched list (`AlertStore.unmatchedAlerts`), and how long the list is.
public struct UnmatchedPage: Sendable, Equatable {
    public var rows: [AlertRow]
    /// Unmatched alerts of incidents reported since the limit asked about (all of them with none).
    public var recent: Int
    /// Those of incidents reported before it.
    public var older: Int

    public init(rows: [AlertRow], recent: Int, older: Int) {
        self.rows = rows
        self.recent = recent
        self.older = older
    }
}

/// What one `claimDue` took: the alerts to send, and how many it failed there and then because
/// their stored record could not make a message.
public struct ClaimedAlerts: Sendable {
    public var alerts: [DueAlert]
    public var failedUnreadable: Int
    /// The routing version these alerts' schools and recipients were read at (`OutcomeRecorded.routingVersion`).
    public var routingVersion: Int64

    public init(alerts: [DueAlert], failedUnreadable: Int, routingVersion: Int64 = 0) {
        self.alerts = alerts
        self.failedUnreadable = failedUnreadable
        self.routingVersion = routingVersion
    }
}

/// What `AlertStore.record` did with an outcome.
public struct OutcomeRecorded: Sendable, Equatable {
    /// False: another run holds the alert now (its lease ended and it was taken back), and nothing
    /// was kept; the run must send nothing more of what it claimed.
    public var kept: Bool
    /// A number raised by every change that may move an alert a run holds: any school's key adults
    /// changed (the admin's page, a changed Config/key-adults.csv), an ingest that corrected
    /// incidents (a child's school, or the child no longer named). Read as the outcome was kept.
    /// Unlike the one a batch was claimed at (`ClaimedAlerts.routingVersion`), the batch's messages
    /// not yet sent may be for people, or a school, the record no longer names: the run gives them
    /// back (`AlertStore.giveBack`) and claims again.
    public var routingVersion: Int64

    public init(kept: Bool, routingVersion: Int64) {
        self.kept = kept
        self.routingVersion = routingVersion
    }
}

/// An alert claimed for sending, with exactly what the message may carry (SPEC §7): the child's
/// name and date of birth, the police reference, when, present, spoken to. Nothing else.
public struct DueAlert: Sendable, Equatable {
    public var alertKey: Int64
    public var reference: String
    public var incidentId: String
    public var childId: String
    public var reportedAt: Date
    public var givenName: String
    public var familyName: String
    public var dateOfBirth: LocalDate
    public var present: Bool?
    public var spokenTo: Bool?
    public var schoolURN: String
    public var schoolName: String
    public var channel: KeyAdult.Channel
    public var recipient: String
    public var deadline: Date
    public var attempts: Int

    public init(alertKey: Int64, reference: String, incidentId: String, childId: String, reportedAt: Date, givenName: String, familyName: String, dateOfBirth: LocalDate, present: Bool? = nil, spokenTo: Bool? = nil, schoolURN: String, schoolName: String, channel: KeyAdult.Channel, recipient: String, deadline: Date, attempts: Int) {
        self.alertKey = alertKey
        self.reference = reference
        self.incidentId = incidentId
        self.childId = childId
        self.reportedAt = reportedAt
        self.givenName = givenName
        self.familyName = familyName
        self.dateOfBirth = dateOfBirth
        self.present = present
        self.spokenTo = spokenTo
        self.schoolURN = schoolURN
        self.schoolName = schoolName
        self.channel = channel
        self.recipient = recipient
        self.deadline = deadline
        self.attempts = attempts
    }
}

/// A message for the hub about an alert that failed or went overdue, or about the configuration.
public struct HubNoticeRow: Sendable, Equatable {
    public var noticeKey: Int64
    /// `failed`, `overdue`, `unacknowledged`, `rerouted`, `no-longer-named`, or one about a channel (`configuration`,
    /// `relay-unavailable`, `address-refused`).
    public var kind: String
    public var detail: String
    public var createdAt: Date
    /// The alert's, for `failed` and `overdue`; nil for a configuration notice.
    public var alert: AlertRow?
    /// A configuration notice's channel; nil for one made before channels were recorded.
    public var channel: String?
    /// The references of the alerts a configuration notice holds back that are still waiting.
    public var heldReferences: [String] = []
    /// A `rerouted` notice's (`AlertLifecycle.reroutedKind`): the school the alert had been
    /// delivered to, which the record no longer names (its `alert` names the school it goes to
    /// now), and when; a `no-longer-named` notice's (`AlertLifecycle.noLongerNamedKind`) the same,
    /// for an alert sent nowhere else; nil for the other kinds.
    public var schoolURN: String?
    public var deliveredAt: Date?
    /// The school the record names now for the alert's child and incident (its incident's link),
    /// nil when none, when the incident no longer names the child, or for a notice with no alert:
    /// a `no-longer-named` notice holds only while it is not the notice's school
    /// (`AlertLifecycle.noticeStillHolds`). The alert's own row names the school it was sent to.
    public var namedSchoolURN: String?

    public init(noticeKey: Int64, kind: String, detail: String, createdAt: Date, alert: AlertRow? = nil, channel: String? = nil, heldReferences: [String] = [],
                schoolURN: String? = nil, deliveredAt: Date? = nil, namedSchoolURN: String? = nil) {
        self.noticeKey = noticeKey
        self.kind = kind
        self.detail = detail
        self.createdAt = createdAt
        self.alert = alert
        self.channel = channel
        self.heldReferences = heldReferences
        self.schoolURN = schoolURN
        self.deliveredAt = deliveredAt
        self.namedSchoolURN = namedSchoolURN
    }

    /// Whether it is still to be told, by the alert as it is now (`AlertLifecycle.noticeStillHolds`):
    /// the run settles one that is not without naming it (`AlertStore.markHubNoticesSettled`), and
    /// the board leaves it out.
    public var stillHolds: Bool {
        alert.map { AlertLifecycle.noticeStillHolds(kind: kind, detail: detail, state: $0.state, lastError: $0.lastError,
                                                    acknowledgedAt: $0.acknowledgedAt, linkIssued: $0.linkIssued,
                                                    noticeSchool: schoolURN, alertSchool: $0.schoolURN, namedSchool: namedSchoolURN) } ?? true
    }

    /// The school the alert of a `no-longer-named` notice has been re-routed to since
    /// (`AlertLifecycle.reroutedSince`); nil for every other.
    public var reroutedSince: String? {
        alert.flatMap { AlertLifecycle.reroutedSince(kind: kind, noticeSchool: schoolURN, alertSchool: $0.schoolURN) }
    }

    /// Its one line as it is true now (`AlertLifecycle.detailNow`).
    public var detailNow: String {
        AlertLifecycle.detailNow(kind: kind, detail: detail, noticeSchool: schoolURN, alertSchool: alert?.schoolURN)
    }
}

public struct UnmatchedRow: Sendable, Equatable {
    public var incidentId: String
    public var childId: String
    public var schoolURN: String?
    public var reason: String

    public init(incidentId: String, childId: String, schoolURN: String? = nil, reason: String) {
        self.incidentId = incidentId
        self.childId = childId
        self.schoolURN = schoolURN
        self.reason = reason
    }
}

/// The outbox: alerts queued by ingest, claimed by `notify` with a lease so two runs never send
/// one alert twice, and a run killed half way loses nothing.
public protocol AlertStore: Sendable {
    /// The alerts in `state` (every alert when nil), most urgent first, each handed to `visit` as it
    /// is read: none is kept, so a list of any length is written out as it is read (`alerts`).
    /// Read `passes` times over from one snapshot, each row with its pass: the table reads them
    /// twice, for its columns' widths and then for its rows, and both must see the same rows. Only
    /// the last pass comes in that order; the others in none (the widths need none, and sorting
    /// 227,000 alerts again took a third of a second).
    /// With `now`, each row and `state` are as read then (`AlertRow.asRead`, `AlertLifecycle.stateAsRead`):
    /// `overdue` lists those not delivered by a deadline before `now` that no run has stored as
    /// overdue yet, and `queued`, `sending` and `retrying` leave them out, so the states partition
    /// the alerts; the order is by the state as read. Nil: as stored.
    func alerts(state: AlertState?, now: Date?, passes: Int, _ visit: @escaping @Sendable (_ pass: Int, AlertRow) throws -> Void) async throws
    /// The alert with this reference, or nil.
    func alert(reference: String) async throws -> AlertRow?

    // The alerts board's lists and `alerts --state unacknowledged`, each selected by an index
    // (migration `v27-alerts-board-lists`), never by reading every alert: a store's years of
    // history made the board a page of 252 MB (audit 26, F1). Pure rules decide what is shown.

    /// Today's run's candidates, in `alerts`' order: every alert waiting to be sent or being sent,
    /// every failed one (with when it failed), and those delivered at or after `since` or due at or
    /// after it. The board keeps those `AlertBoard.inTodaysRun` keeps.
    /// Each row as read at `now` (`AlertRow.asRead`), ordered as `alerts` orders them then.
    func alertsInRun(since: Date, now: Date) async throws -> [AlertRow]
    /// Delivered alerts that carried a link nobody acknowledged, due before `now`
    /// (`AlertLifecycle.isUnacknowledged`'s candidates), newest deadline first, then by reference:
    /// only those whose links still open at `now` (`AlertLifecycle.isToPhone`'s) unless
    /// `closedLinks`. Read `passes` times from one snapshot, the last in that order, as `alerts`.
    func unacknowledgedAlerts(now: Date, closedLinks: Bool, passes: Int,
                              _ visit: @escaping @Sendable (_ pass: Int, AlertRow) throws -> Void) async throws
    /// How many alerts `unacknowledgedAlerts(now:closedLinks: true)` hands over: counted, not read.
    func unacknowledgedCount(now: Date) async throws -> Int
    /// Up to `limit` unmatched alerts from `offset`, newest incident first, then by reference: those
    /// whose incident was reported at or after `reportedSince` (every one when nil) or, `older`,
    /// before it (`AlertPlanner.oldestConsidered`); with how many there are either side of it.
    func unmatchedAlerts(reportedSince: Date?, older: Bool, offset: Int, limit: Int) async throws -> UnmatchedPage
    /// Queues unmatched alerts whose school now has a key adult (after Config/ changes), and failed
    /// ones whose school's key adults were corrected since they were refused
    /// (`AlertLifecycle.failedMayBeResent`, asked of each from its row, then by `replan`).
    func matchUnmatched(planner: AlertPlanner, now: Date) async throws -> Int
    /// Gives every alert not yet sent the deadline the school calendar in force gives it
    /// (`AlertLifecycle.redate`) when the calendar is not the one the store last followed
    /// (`planner.calendarFingerprint` against the one kept with the directory's imports): in one
    /// transaction, with the fingerprint and an audit row by `actor` (counts only). While a run
    /// holds an alert (`sending`) the fingerprint is not written, so the next writing command
    /// follows the calendar again once the run has given it back. Nil: the calendar is the one last
    /// followed (or the planner has none), and nothing is written.
    func followCalendar(planner: AlertPlanner, actor: String, now: Date) async throws -> CalendarFollowed?
    /// Turns every undelivered alert past its deadline `overdue`, with a hub notice each; then
    /// claims up to `limit` alerts that are due, for `lease` seconds. A `sending` alert whose lease
    /// ran out, or whose owner `isDead`, is claimed again. A claimed alert whose stored record
    /// cannot make a message (an unknown channel, a date of birth that is not a date) is `failed`
    /// there and then, with a hub notice, and not returned.
    /// Alerts on a channel in `skippingChannels` (a relay the run found down) are left as they are.
    /// A `sending` alert taken back follows its incident and school as they now stand first
    /// (`AlertLifecycle.follow`, planned with `planner`): a correction made while a killed run held
    /// it is not lost.
    func claimDue(now: Date, owner: String, lease: TimeInterval, limit: Int, skippingChannels: [String], planner: AlertPlanner?,
                  isDead: @escaping @Sendable (String) -> Bool) async throws -> ClaimedAlerts
    /// The keys of up to `limit` alerts due at `now`, in the order a run claims them, without
    /// claiming them (`notify --dry-run`, which reads the alerts by them a page at a time).
    func dueKeys(now: Date, limit: Int) async throws -> [Int64]
    /// These alerts as a run would send them, in the order a run claims them, without claiming
    /// them. One whose stored record cannot make a message is left out: the real run fails it and
    /// the hub hears.
    func peekDue(keys: [Int64]) async throws -> [DueAlert]
    /// Keeps a claimed alert's outcome (`AlertLifecycle.after`), then what its incident and school
    /// now say of it (`AlertLifecycle.follow`, planned with `planner`): an ingest or a key-adult
    /// change while the run held it leaves it to the run, so it is read here. Only the lease's owner
    /// records: not `kept` when `owner` no longer holds the alert (its lease ended and another run
    /// took it back), and nothing is kept; the run must then send nothing more of what it claimed.
    @discardableResult
    func record(_ result: AlertResult, for alertKey: Int64, owner: String, now: Date, planner: AlertPlanner?) async throws -> OutcomeRecorded
    /// Gives back claimed alerts `owner` has not sent (`AlertLifecycle.givenBack`): waiting again at
    /// once, the claim's attempt not counted, and planned afresh with the key adults and the record
    /// as they now are (`AlertLifecycle.follow`: withdrawn, or moved to another school or person).
    /// An alert `owner` no longer holds is left alone. A key adult replaced while a run held a
    /// batch: the rest of the batch went to the person replaced (audit 29, F1).
    func giveBack(_ alertKeys: [Int64], owner: String, now: Date, planner: AlertPlanner?) async throws
    /// The routing version now (`OutcomeRecorded.routingVersion`), for an outcome a run sets aside
    /// unrecorded (a refusal it settles at its end).
    func routingVersion() async throws -> Int64
    /// The notices neither sent nor settled.
    func unsentHubNotices() async throws -> [HubNoticeRow]
    /// Takes every unsent hub notice no other live run holds, for `lease` seconds, so two runs at
    /// once never name one item twice; a run killed before sending them loses none (they come back
    /// when the lease ends, or at once when its owner `isDead`).
    func claimHubNotices(now: Date, owner: String, lease: TimeInterval, isDead: @escaping @Sendable (String) -> Bool) async throws -> [HubNoticeRow]
    /// Lets go of notices `owner` claimed and could not send: the next run takes them at once.
    func releaseHubNotices(_ noticeKeys: [Int64], owner: String) async throws
    /// The notices went to the hub at `at`, in one digest: marked in one statement, as a run with
    /// thousands to tell marked them one a transaction for minutes (17 on a loaded PostgreSQL).
    func markHubNoticesSent(_ noticeKeys: [Int64], at: Date) async throws
    /// Claimed notices that no longer hold (`HubNoticeRow.stillHolds`) were settled at `at`
    /// without being told: never claimed again, and kept apart from those sent, so nothing that
    /// reads a notice's sent time says the hub was told it (`HubNoticeEntry.settledAt`).
    func markHubNoticesSettled(_ noticeKeys: [Int64], at: Date) async throws
    /// Every alert on `channel` waiting to be sent (queued, retrying, overdue): those a relay found
    /// down holds back, whichever run claimed them or none.
    func waitingAlertKeys(channel: String) async throws -> [Int64]
    /// Keeps a notice about a channel (not one alert), e.g. our relay found down, naming the alerts
    /// it holds back (`HubNoticeRow.heldReferences` while they wait).
    func recordChannelNotice(kind: String, channel: String, detail: String, holding alertKeys: [Int64], now: Date) async throws

    /// How many alerts are in each state, in one pass (`/metrics`); a state with none is absent.
    /// With `now`, by the state as read then (`AlertLifecycle.countsAsRead`): the alerts in
    /// `AlertLifecycle.overdueOnceLate` past their deadline are counted from the same snapshot by
    /// the state's index (the alerts still to send, never the history). Nil: as stored.
    func alertCounts(now: Date?) async throws -> [AlertState: Int]
    /// Keeps what one `notify` run did. Runs are separate processes, often on other hosts: the
    /// database is where every `serve` finds the last one.
    func recordNotifyRun(_ run: NotifyRunRecord) async throws
    /// The run recorded last (by the key the database gave its record), or nil before any. A run is
    /// recorded as it ends, so this is the order runs ended in, whatever clock a host read: by
    /// `finishedAt`, a run recorded on a clock behind the database's (a host's stepped back, on
    /// SQLite's one host too; a run stopped before it read the database's) sorted before the last
    /// good run, and `/metrics` showed that run's `ok` (audit 23, review F8).
    func latestNotifyRun() async throws -> NotifyRunRecord?
    /// The database server's clock, which every host's run shares (`RunClock`); nil when the
    /// database is a file on this machine, whose clock is this host's.
    func databaseClock() async throws -> Date?

    /// Keeps the hash of the token each claimed alert's message carries this time (its link), issued
    /// at `now`, beside those of its earlier sends: every one opens the alert until the alert's links
    /// end. `expiresAt` is this send's link's end (`AlertLifecycle.linkEnd`); the alert's links, the
    /// earlier ones too, then end at what `AlertLifecycle.linksEnd` makes of it and the end kept.
    func issueAcknowledgementTokens(_ tokens: [(alertKey: Int64, tokenHash: String, expiresAt: Date)], at now: Date) async throws
    /// The alert a link opens (any of its tokens): nil for a token unknown or past its end, or of an
    /// alert withdrawn (`AlertLifecycle.opensForSchool`).
    func acknowledgement(tokenHash: String, now: Date) async throws -> AcknowledgementView?
    /// Acknowledges the alert a link opens (the page's button); nil for a token unknown or past its
    /// end, or of an alert withdrawn. A second acknowledgement changes nothing and returns the first one's time.
    func acknowledge(tokenHash: String, now: Date) async throws -> AcknowledgementView?
    /// Acknowledges by reference (a webhook receiver's signed POST); nil for an unknown reference and
    /// for an alert `AlertLifecycle.acceptsWebhookAcknowledgement` refuses (not sent by `https`, its
    /// links ended or never issued, withdrawn, or re-routed from a school that may have had it).
    func acknowledge(reference: String, now: Date) async throws -> AcknowledgementView?
    /// Keeps that hub staff phoned a school about an alert, with the audit row, when the alert's
    /// calls still number `seen` (the board's form: `OnePress`; nil records regardless). Throws
    /// `UnmatchedError.unknownAlert` for an unknown reference, `OnePress.Refusal<AlertCall>`
    /// (nothing written) when the calls do not number `seen`.
    func recordCall(_ call: AlertCall, seen: Int?) async throws
    /// The calls recorded about these alerts, oldest first, each marked when it was to the school
    /// an alert went to before a re-route (`AlertCall.toEarlierSchool`).
    func calls(references: [String]) async throws -> [AlertCall]
}

/// What an acknowledgement link shows: the alert's content (as the message carried it) and when it
/// was acknowledged, if it was.
public struct AcknowledgementView: Sendable, Equatable {
    public var alert: DueAlert
    public var acknowledgedAt: Date?
    /// How it was acknowledged: `link` or `webhook`.
    public var acknowledgedBy: String?
    /// This call acknowledged it (an earlier one had not).
    public var justAcknowledged: Bool

    public init(alert: DueAlert, acknowledgedAt: Date?, acknowledgedBy: String?, justAcknowledged: Bool = false) {
        self.alert = alert
        self.acknowledgedAt = acknowledgedAt
        self.acknowledgedBy = acknowledgedBy
        self.justAcknowledged = justAcknowledged
    }
}

/// Hub staff phoned the school about an alert (the board's "phone the school").
public struct AlertCall: Sendable, Equatable {
    public static let maximumNoteLength = 1_000
    public var reference: String
    public var calledBy: String
    public var calledAt: Date
    public var note: String?
    /// Made to the school the alert went to before it was re-routed (`AlertLifecycle.callIsToItsSchool`):
    /// kept on the record, but the school it goes to now was not phoned.
    public var toEarlierSchool: Bool

    public init(reference: String, calledBy: String, calledAt: Date, note: String?, toEarlierSchool: Bool = false) {
        self.reference = reference
        self.calledBy = calledBy
        self.calledAt = calledAt
        self.note = note
        self.toEarlierSchool = toEarlierSchool
    }
}

extension AlertStore {
    /// Records the call whatever was recorded before it (tests).
    public func recordCall(_ call: AlertCall) async throws {
        try await recordCall(call, seen: nil)
    }

    /// The alerts in `state` as stored (tests).
    public func alerts(state: AlertState?, passes: Int, _ visit: @escaping @Sendable (_ pass: Int, AlertRow) throws -> Void) async throws {
        try await alerts(state: state, now: nil, passes: passes, visit)
    }

    /// How many alerts are in each state as stored.
    public func alertCounts() async throws -> [AlertState: Int] {
        try await alertCounts(now: nil)
    }

    /// Every alert in `state` at once (tests).
    public func alerts(state: AlertState?) async throws -> [AlertRow] {
        let rows = ScanResults<AlertRow>(parts: 1)
        try await alerts(state: state, passes: 1) { _, row in rows.append(row, to: 0) }
        return rows[0]
    }

    /// The schools to phone at `now` at once, newest deadline first (`AlertLifecycle.isToPhone`,
    /// asked of each row): the alerts board. Only alerts whose links still open are read, so
    /// however long the store's history, these are at most `alerts.ack_days` of them.
    public func alertsToPhone(now: Date) async throws -> [AlertRow] {
        let rows = ScanResults<AlertRow>(parts: 1)
        try await unacknowledgedAlerts(now: now, closedLinks: false, passes: 1) { _, row in
            if row.isToPhone(now: now) { rows.append(row, to: 0) }
        }
        return rows[0]
    }

    /// Up to `limit` alerts due at `now`, without claiming them, handed to `visit` a page of at most
    /// `page` at a time, each page read only when the one before is done with (`notify --dry-run`).
    /// Only the keys are kept throughout; each page is read by them, from a snapshot of its own.
    public func peekDue(now: Date, limit: Int, page: Int, _ visit: ([DueAlert]) async throws -> Void) async throws {
        let keys = try await dueKeys(now: now, limit: limit)
        let page = max(1, page)
        for start in stride(from: 0, to: keys.count, by: page) {
            try await visit(try await peekDue(keys: Array(keys[start..<min(start + page, keys.count)])))
        }
    }

    /// Up to `limit` alerts due at `now`, without claiming them, all at once.
    public func peekDue(now: Date, limit: Int) async throws -> [DueAlert] {
        try await peekDue(keys: try await dueKeys(now: now, limit: limit))
    }

    /// Claims on every channel.
    public func claimDue(now: Date, owner: String, lease: TimeInterval, limit: Int,
                         isDead: @escaping @Sendable (String) -> Bool) async throws -> ClaimedAlerts {
        try await claimDue(now: now, owner: owner, lease: lease, limit: limit, skippingChannels: [], planner: nil, isDead: isDead)
    }

    /// With no planner: an alert taken back whose school changed waits unmatched for the next
    /// command's `matchUnmatched`.
    public func claimDue(now: Date, owner: String, lease: TimeInterval, limit: Int, skippingChannels: [String],
                         isDead: @escaping @Sendable (String) -> Bool) async throws -> ClaimedAlerts {
        try await claimDue(now: now, owner: owner, lease: lease, limit: limit, skippingChannels: skippingChannels, planner: nil, isDead: isDead)
    }

    /// With no planner (see `claimDue`).
    @discardableResult
    public func record(_ result: AlertResult, for alertKey: Int64, owner: String, now: Date) async throws -> OutcomeRecorded {
        try await record(result, for: alertKey, owner: owner, now: now, planner: nil)
    }
}

/// What following a corrected school calendar did to the alerts not yet sent (`followCalendar`).
public struct CalendarFollowed: Sendable, Equatable {
    /// Alerts whose deadline moved.
    public var redated: Int
    /// Of those, overdue ones waiting again: their new deadline is ahead.
    public var waitingAgain: Int
    /// Alerts a run held (`sending`), left to it: the calendar is followed again after it.
    public var held: Int

    public init(redated: Int, waitingAgain: Int, held: Int) {
        self.redated = redated
        self.waitingAgain = waitingAgain
        self.held = held
    }

    /// Its row in `directory_imports`: the fingerprint of the calendar last followed.
    public static let importKind = "calendar"
    public static let auditAction = "alerts.calendar-followed"
    public static let auditSubject = "calendar"
    /// Counts only.
    public var auditDetail: [String: Int] { ["redated": redated, "waiting_again": waitingAgain, "held": held] }
    /// Whether the calendar's fingerprint is written: no run holds an alert it may not have followed.
    public var settled: Bool { held == 0 }

    /// Tallies one alert's `AlertLifecycle.redate`.
    public mutating func count(_ decision: AlertLifecycle.Redate, from state: AlertState) {
        guard case .update(let newState, _) = decision else { return }
        redated += 1
        if state == .overdue, newState != .overdue { waitingAgain += 1 }
    }
}

/// One `notify` run as kept in the database: when it ran, what became of the alerts it took, and
/// how it ended. Counts only: no reference, child or school.
public struct NotifyRunRecord: Sendable, Equatable {
    public enum Outcome: String, Sendable, CaseIterable {
        /// The run finished and every relay and endpoint it needed could be used.
        case ok
        /// The run finished, but a relay or an endpoint could not be used at all (the command's exit 69).
        case serviceUnavailable = "service_unavailable"
        /// The run stopped part way on an error of its own (the database, most often).
        case error
    }

    public var startedAt: Date
    public var finishedAt: Date
    public var outcome: Outcome
    public var delivered: Int
    public var retrying: Int
    public var failed: Int
    public var heldBack: Int
    /// Alerts overdue when the run ended.
    public var overdue: Int
    public var hubNoticesSent: Int
    public var hubNoticesUnsent: Int
    /// Why the run could not use a relay or endpoint (the command's exit-69 line); nil otherwise.
    public var detail: String?
    /// The alerts waiting on our relay when the run found it down; nil when it was not found down.
    public var relayWaiting: Int?

    /// The run found our relay down.
    public var foundRelayDown: Bool { relayWaiting != nil }

    public init(startedAt: Date, finishedAt: Date, outcome: Outcome, delivered: Int = 0, retrying: Int = 0, failed: Int = 0,
                heldBack: Int = 0, overdue: Int = 0, hubNoticesSent: Int = 0, hubNoticesUnsent: Int = 0,
                detail: String? = nil, relayWaiting: Int? = nil) {
        self.detail = detail
        self.relayWaiting = relayWaiting
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.delivered = delivered
        self.retrying = retrying
        self.failed = failed
        self.heldBack = heldBack
        self.overdue = overdue
        self.hubNoticesSent = hubNoticesSent
        self.hubNoticesUnsent = hubNoticesUnsent
    }
}

/// A claimed alert's stored fields as a store read them, each nil where missing or of the wrong
/// type: the one place that says which stored records can make a message.
public struct StoredDueAlert: Sendable {
    public var alertKey: Int64
    public var reference: String
    public var incidentId: String
    public var childId: String
    public var reportedAt: Double?
    public var givenName: String?
    public var familyName: String?
    public var dateOfBirth: String?
    public var present: Bool?
    public var spokenTo: Bool?
    public var schoolURN: String?
    public var schoolName: String?
    public var channel: String?
    public var recipient: String?
    public var deadline: Double?
    public var attempts: Int

    public init(alertKey: Int64, reference: String, incidentId: String, childId: String, reportedAt: Double?, givenName: String?,
                familyName: String?, dateOfBirth: String?, present: Bool?, spokenTo: Bool?, schoolURN: String?, schoolName: String?,
                channel: String?, recipient: String?, deadline: Double?, attempts: Int) {
        self.alertKey = alertKey
        self.reference = reference
        self.incidentId = incidentId
        self.childId = childId
        self.reportedAt = reportedAt
        self.givenName = givenName
        self.familyName = familyName
        self.dateOfBirth = dateOfBirth
        self.present = present
        self.spokenTo = spokenTo
        self.schoolURN = schoolURN
        self.schoolName = schoolName
        self.channel = channel
        self.recipient = recipient
        self.deadline = deadline
        self.attempts = attempts
    }

    /// The alert, or why it cannot be sent (ids only: never the stored value, which may be a date of birth).
    public var due: Result<DueAlert, UnreadableAlert> {
        guard let channel = channel.flatMap(KeyAdult.Channel.init(rawValue:)) else { return .failure(UnreadableAlert("its stored channel is not smtp or https")) }
        guard let dob = dateOfBirth.flatMap(LocalDate.init(iso:)) else { return .failure(UnreadableAlert("the child's stored date of birth is not a date")) }
        guard let urn = schoolURN, let recipient, let deadline, let reportedAt, let givenName, let familyName else {
            return .failure(UnreadableAlert("its stored school, recipient, deadline, incident or child is missing"))
        }
        return .success(DueAlert(alertKey: alertKey, reference: reference, incidentId: incidentId, childId: childId,
                                 reportedAt: Date(timeIntervalSince1970: reportedAt), givenName: givenName, familyName: familyName,
                                 dateOfBirth: dob, present: present, spokenTo: spokenTo, schoolURN: urn,
                                 schoolName: schoolName ?? "URN " + urn, channel: channel, recipient: recipient,
                                 deadline: Date(timeIntervalSince1970: deadline), attempts: attempts))
    }
}

/// Why a claimed alert cannot make a message: its last error, and the hub's notice.
public struct UnreadableAlert: Error, Sendable, Equatable {
    public let reason: String
    init(_ why: String) { reason = AlertLifecycle.unreadablePrefix + why }
}

/// Statements about one alert that both databases run unchanged (as `InspectionSQL`'s), so SQLite
/// and PostgreSQL cannot decide differently. The key is written in as a literal: an integer this
/// program read.
public enum AlertSQL {
    /// A hub notice neither sent nor settled (`AlertStore.markHubNoticesSettled`): still to be told,
    /// and what a run claims.
    public static let untoldNotice = "sent_at IS NULL AND settled_at IS NULL"

    /// In a list of `hub_notices`' columns: the school the record names now for the notice's
    /// alert's child and incident (`HubNoticeRow.namedSchoolURN`), NULL when none.
    public static let namedSchoolOfNotice = """
        (SELECT l.school_urn FROM alerts a
         JOIN incident_children l ON l.incident_key = a.incident_key AND l.child_key = a.child_key
         WHERE a.alert_key = hub_notices.alert_key)
        """

    /// `AlertLifecycle.namedTooLate`'s `referenced`, one true-or-false column: a send was tried, a
    /// link issued, a call recorded, a configuration notice holds it, or a notice about it is of
    /// another kind than its failure (withdrawal) or was claimed or sent by a run.
    public static func namedTooLateReferenced(alertKey: Int64) -> String {
        """
        SELECT a.attempts > 0
            OR EXISTS (SELECT 1 FROM alert_ack_tokens t WHERE t.alert_key = a.alert_key)
            OR EXISTS (SELECT 1 FROM alert_calls c WHERE c.alert_key = a.alert_key)
            OR EXISTS (SELECT 1 FROM hub_notice_alerts h WHERE h.alert_key = a.alert_key)
            OR EXISTS (SELECT 1 FROM hub_notices n WHERE n.alert_key = a.alert_key
                       AND (n.kind <> '\(AlertLifecycle.failedKind)' OR n.sent_at IS NOT NULL OR n.claim_owner IS NOT NULL))
        FROM alerts a WHERE a.alert_key = \(alertKey)
        """
    }

    /// An alert named too late that nothing refers to (`AlertLifecycle.NamedTooLate.removed`) goes
    /// with its notices, none told: each statement in turn.
    public static func removeNamedTooLate(alertKey: Int64) -> [String] {
        ["DELETE FROM hub_notices WHERE alert_key = \(alertKey)", "DELETE FROM alerts WHERE alert_key = \(alertKey)"]
    }
}
