import CivilTime
import Foundation
import StoreContract

/// The values of the alerts board: today's run by state, most urgent first; the unmatched children,
/// each with a form to record the school; and the recent notices to the hub. Ids only, never a name.
struct AlertBoard {
    /// How far back the board lists hub notices, and failed alerts in the run.
    static let recentDays = 7
    static let noticeLimit = 200
    /// The order the counts are shown in, as `AlertStore.alerts(state:)` orders the rows.
    static let runStates: [AlertState] = [.overdue, .failed, .sending, .retrying, .queued, .delivered]

    /// A value typed into one row's form that was refused, shown beside that form: a school's URN
    /// for an unmatched child, or a note of a call to a school.
    struct Problem {
        enum Form { case school, call }
        var reference: String
        var form: Form = .school
        var entered: String
        var message: String
    }

    /// An alert the school has not acknowledged by its deadline: who to ring, and the calls so far.
    struct ToPhone {
        var alert: AlertRow
        var school: School?
        var calls: [AlertCall]

        /// Whether the school the alert is for now was phoned: a call to the school it went to
        /// before a re-route does not count (`AlertCall.toEarlierSchool`).
        var phoned: Bool { calls.contains { !$0.toEarlierSchool } }
    }

    let values: [String: Any]

    init(alerts: [AlertRow], toPhone: [ToPhone], notices: [HubNoticeEntry], noticeSchools: [String: School] = [:], unsentNotices: Int,
         now: Date, zone: Zone,
         problem: Problem?, recorded: String?, phoned: String?, lastRun: NotifyRunRecord? = nil) {
        let time = DisplayTime(zone: zone)
        let startOfToday = Self.startOfToday(now, zone: zone)
        let run = alerts.filter { Self.inTodaysRun($0, startOfToday: startOfToday) }
        let unmatched = alerts.filter { $0.state == .unmatched }
        var counts: [AlertState: Int] = [:]
        for a in run { counts[a.state, default: 0] += 1 }

        var v: [String: Any] = [
            "asOf": time.dayAndClock(now),
            "recentDays": Self.recentDays,
            "counts": Self.runStates.map { ["countState": $0.rawValue, "count": counts[$0] ?? 0] as [String: Any] },
            "runTotal": run.count,
            "overdueCount": counts[.overdue] ?? 0,
            "failedCount": counts[.failed] ?? 0,
            "unmatchedCount": unmatched.count,
            "unsentNotices": unsentNotices,
            "unsentWords": unsentNotices == 1 ? "hub notice not yet sent" : "hub notices not yet sent",
            "run": run.map { Self.runRow($0, time: time) },
            "hasRun": !run.isEmpty,
            "unmatched": unmatched.map { Self.unmatchedRow($0, problem: problem?.form == .school && problem?.reference == $0.reference ? problem : nil) },
            "phone": toPhone.map { Self.phoneRow($0, time: time, problem: problem?.form == .call && problem?.reference == $0.alert.reference ? problem : nil) },
            "hasPhone": !toPhone.isEmpty,
            "phoneCount": toPhone.filter { !$0.phoned }.count,
            "hasUnmatched": !unmatched.isEmpty,
            "notices": notices.map { Self.noticeRow($0, schools: noticeSchools, time: time) },
            "hasNotices": !notices.isEmpty,
        ]
        if let lastRun, let banner = Self.lastRunBanner(lastRun, now: now, time: time) {
            v["lastRun"] = banner
        }
        if let problem {
            v["problem"] = ["message": problem.message,
                            "heading": problem.form == .school ? "The school was not recorded" : "The call was not recorded",
                            "field": "#" + (problem.form == .school ? Self.fieldId(problem.reference) : Self.noteId(problem.reference))]
        }
        if let phoned, toPhone.contains(where: { $0.alert.reference == phoned }) {
            v["notice"] = "Call recorded for alert \(phoned)."
        }
        if let recorded, let alert = alerts.first(where: { $0.reference == recorded }) {
            v["notice"] = alert.state == .unmatched
                ? "School recorded for alert \(alert.reference), but it is still unmatched: \(alert.lastError ?? "no key adult")."
                : "School recorded for alert \(alert.reference): it is \(alert.state.rawValue) for the school's key adult."
        }
        values = v
    }

    /// What the board says at its top when the last `notify` run could not use our relay (or another
    /// relay or endpoint), or stopped on an error of its own (our settings, calendar or templates, the
    /// database): read from the run's own record, so it shows the moment that run ends, not at the
    /// deadline. Nil when the last run ended well.
    static func lastRunBanner(_ run: NotifyRunRecord, now: Date, time: DisplayTime) -> [String: Any]? {
        guard run.outcome != .ok else { return nil }
        let at = time.day(run.finishedAt) == time.day(now) ? time.clock(run.finishedAt) : time.dayAndClock(run.finishedAt)
        let heading: String
        if run.outcome == .error {
            // A run stopped by a file the hub edited sends nothing until it is put right: the board
            // is where staff look in the morning (audit 20, operability: such runs are recorded now).
            heading = "The last notify run, at \(at), stopped on an error: alerts wait until it is put right"
        } else if let waiting = run.relayWaiting {
            heading = "The last notify run could not reach the relay at \(at): \(waiting) \(waiting == 1 ? "alert waits" : "alerts wait") on it"
        } else {
            heading = "The last notify run, at \(at), could not use a relay or endpoint"
        }
        return ["heading": heading, "detail": present(run.detail.map(oneLine))]
    }

    /// Midnight at the start of `now`'s day in the hub's zone.
    static func startOfToday(_ now: Date, zone: Zone) -> Date { zone.instant(on: zone.localDate(of: now)) }

    /// Whether the board shows an alert at all: in today's run, unmatched, to be phoned about, or the
    /// one whose school was just recorded. The page keeps only these as the store reads the alerts,
    /// not every alert ever queued (226,897 on a store of ten million rows).
    static func shows(_ a: AlertRow, startOfToday: Date, now: Date, recorded: String?) -> Bool {
        inTodaysRun(a, startOfToday: startOfToday) || a.state == .unmatched || a.isUnacknowledged(now: now) || a.reference == recorded
    }

    /// Still in the outbox, delivered or due today or later, or failed in the last week: judged by
    /// when it failed, not its deadline (a late incident's alert fails long after its deadline, and
    /// was left off the board the morning it failed: audit 20, F5). Unmatched alerts have their own list.
    /// A withdrawn one is not among them, nor one named again too late: the failures listed and counted
    /// here are schools to contact, and such an alert is owed to nobody (a withdrawal's notice, below,
    /// says it was withdrawn and why).
    static func inTodaysRun(_ a: AlertRow, startOfToday: Date) -> Bool {
        switch a.state {
        case .unmatched: false
        case .queued, .sending, .retrying, .overdue: true
        case .delivered: (a.deliveredAt ?? .distantPast) >= startOfToday || (a.deadline ?? .distantPast) >= startOfToday
        case .failed: !a.isOwedToNoSchool
            && (a.failedAt ?? a.deadline ?? .distantFuture) >= startOfToday.addingTimeInterval(-Double(recentDays) * 86_400)
        }
    }

    /// A form field id made only of safe characters, unique per reference.
    static func fieldId(_ reference: String) -> String {
        "urn-" + String(reference.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "-" })
    }

    static func action(_ reference: String) -> String {
        "/alerts/unmatched/" + ChildRoutes.encode(reference) + "/school"
    }

    static func noteId(_ reference: String) -> String { "note-" + fieldId(reference).dropFirst(4) }

    static func callAction(_ reference: String) -> String {
        "/alerts/" + ChildRoutes.encode(reference) + "/call"
    }

    private static func phoneRow(_ p: ToPhone, time: DisplayTime, problem: Problem?) -> [String: Any] {
        let a = p.alert
        let id = noteId(a.reference)
        return ids(a).merging([
            "rowSchoolName": present(p.school?.name),
            "rowTelephone": present(p.school?.telephone),
            "rowDeadline": present(a.deadline.map(time.dayAndClock)),
            "rowDelivered": present(a.deliveredToItsSchool.map(time.dayAndClock)),
            "rowCalls": p.calls.map { c -> [String: Any] in
                ["callBy": c.calledBy, "callAt": time.dayAndClock(c.calledAt), "callNote": present(c.note),
                 "callEarlier": c.toEarlierSchool]
            },
            "rowPhoned": p.phoned,
            "rowCalledBefore": !p.phoned && !p.calls.isEmpty,
            "rowAction": callAction(a.reference) + "#" + FormErrors.summaryId,
            "rowField": id,
            "rowErrorId": id + "-error",
            "rowProblem": present(problem?.message),
            "rowInvalid": problem != nil,
            "rowEntered": problem?.entered ?? "",
        ]) { $1 }
    }

    /// The columns every row of the board starts with: the alert's ids and its school.
    private static func ids(_ a: AlertRow) -> [String: Any] {
        [
            "rowReference": a.reference,
            "rowIncident": a.incidentId,
            "rowChild": a.childId,
            "rowChildLink": ChildRoutes.path(a.childId),
            "rowSchool": present(a.schoolURN),
        ]
    }

    // Row keys differ from the page's own, and an absent value is NSNull rather than left out:
    // Mustache looks a missing key up in the enclosing context.
    private static func present(_ value: String?) -> Any { value ?? NSNull() }

    private static func runRow(_ a: AlertRow, time: DisplayTime) -> [String: Any] {
        ids(a).merging([
            "rowState": a.state.rawValue,
            "rowChannel": present(a.channel),
            "rowDeadline": present(a.deadline.map(time.dayAndClock)),
            "rowAttempts": a.attempts,
            "rowError": present(a.lastError.map(oneLine)),
        ]) { $1 }
    }

    private static func unmatchedRow(_ a: AlertRow, problem: Problem?) -> [String: Any] {
        let id = fieldId(a.reference)
        return ids(a).merging([
            "rowReason": present(a.lastError.map(oneLine)),
            "rowAction": action(a.reference) + "#" + FormErrors.summaryId,
            "rowField": id,
            "rowHint": id + "-hint",
            "rowErrorId": id + "-error",
            "rowProblem": present(problem?.message),
            "rowInvalid": problem != nil,
            "rowEntered": problem?.entered ?? "",
        ]) { $1 }
    }

    /// Whether the board lists a notice: one sent, or one still to be told. One a run settled untold
    /// (`HubNoticeEntry.settledAt`), or not yet told and no longer holding (the run will settle it),
    /// is left out: the hub was never told it, and it showed as e-mailed.
    static func lists(_ e: HubNoticeEntry) -> Bool {
        e.sentAt != nil || (e.settledAt == nil && e.notice.stillHolds)
    }

    /// Whether a notice names a school the alert was delivered to that the record no longer names
    /// (`rerouted`, `no-longer-named`), whose key adult staff phone to ask that it be deleted.
    static func namesEarlierSchool(_ n: HubNoticeRow) -> Bool {
        n.kind == AlertLifecycle.reroutedKind || n.kind == AlertLifecycle.noLongerNamedKind
    }

    /// `schools`: the directory's entries for the schools `rerouted` notices name.
    private static func noticeRow(_ e: HubNoticeEntry, schools: [String: School], time: DisplayTime) -> [String: Any] {
        let n = e.notice
        var row: [String: Any] = [
            "rowWhen": time.dayAndClock(n.createdAt),
            "rowKind": Self.kind(n),
            "rowReference": present(n.alert?.reference),
            "rowIncident": present(n.alert?.incidentId),
            "rowDetail": oneLine(n.detailNow),
            "rowSent": present(e.sentAt.map(time.dayAndClock)),
            "rowEarlier": NSNull(),
        ]
        // Who to phone, as "Phone the school" shows it: the school that had the alert, not the one
        // it goes to now.
        if Self.namesEarlierSchool(n), let urn = n.schoolURN {
            let school = schools[urn]
            row["rowEarlier"] = [
                "earlierURN": urn,
                "earlierName": present(school?.name),
                "earlierTelephone": present(school?.telephone),
                "earlierDelivered": present(n.deliveredAt.map(time.dayAndClock)),
            ] as [String: Any]
        }
        return row
    }

    /// A notice's kind as the board names it: a `failed` notice that tells of a withdrawal is
    /// `withdrawn`, so nothing on the board sends staff to a school about it.
    static func kind(_ n: HubNoticeRow) -> String {
        n.kind == "failed" && AlertLifecycle.isWithdrawal(n.detail) ? "withdrawn" : n.kind
    }

    private static func oneLine(_ s: String) -> String {
        s.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
