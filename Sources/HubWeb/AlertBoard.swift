import CivilTime
import Foundation
import Inspection
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

    /// How many rows of each list (the schools to phone, the unmatched children) one page shows:
    /// the page stays small however long the store's history. With every row it was 252 MB, and
    /// 45-67 s, after two years of a force's alerts (audit 26, F1).
    static let pageRows = 50

    /// Which page of each list the board shows, from the address (`?phone=2&unmatched=3&older=1`),
    /// and the addresses of the pages either side. A page past the end is the last.
    struct Place: Equatable {
        var phone = 1
        var unmatched = 1
        /// The unmatched children of incidents older than `alerts.max_age_days`, not the recent ones.
        var older = false

        init(phone: Int = 1, unmatched: Int = 1, older: Bool = false) {
            (self.phone, self.unmatched, self.older) = (phone, unmatched, older)
        }

        /// Anything that is not a page number is the first page.
        init(query: (String) -> String?) {
            func number(_ key: String) -> Int { query(key).flatMap(Int.init).map { min(max($0, 1), Int(Int32.max)) } ?? 1 }
            self.init(phone: number("phone"), unmatched: number("unmatched"), older: query("older") == "1")
        }

        /// The board's address at this place, at `heading`.
        func link(_ heading: String) -> String {
            let parts = [phone > 1 ? "phone=\(phone)" : nil, unmatched > 1 ? "unmatched=\(unmatched)" : nil, older ? "older=1" : nil].compactMap { $0 }
            return "/alerts" + (parts.isEmpty ? "" : "?" + parts.joined(separator: "&")) + "#" + heading
        }
    }

    /// One page of a list of `total` rows: the `number`th, or the last when there are fewer.
    struct Page: Equatable {
        let number: Int
        let total: Int

        init(_ asked: Int, of total: Int) {
            self.total = total
            number = min(max(asked, 1), max(1, (total + AlertBoard.pageRows - 1) / AlertBoard.pageRows))
        }

        var offset: Int { (number - 1) * AlertBoard.pageRows }
        var range: Range<Int> { min(offset, total)..<min(offset + AlertBoard.pageRows, total) }

        /// "Showing 51 to 100 of 1,532" and the links to the pages either side, or nil when every
        /// row is on this page. `at` makes the address of another page of this list.
        func pager(_ at: (Int) -> String) -> [String: Any]? {
            guard total > AlertBoard.pageRows else { return nil }
            return [
                "pagerFirst": Self.grouped(range.lowerBound + 1), "pagerLast": Self.grouped(range.upperBound), "pagerTotal": Self.grouped(total),
                "pagerPrevious": number > 1 ? at(number - 1) as Any : NSNull(),
                "pagerNext": range.upperBound < total ? at(number + 1) as Any : NSNull(),
                "pagerRows": AlertBoard.pageRows,
            ]
        }

        /// `1,532`, as the report writes its figures.
        static func grouped(_ n: Int) -> String { InspectionReport.Figure.grouped(n) }
    }

    /// The schools to phone (`AlertLifecycle.isToPhone`, newest deadline first): every one, for
    /// the count not yet phoned, and this page's with their schools.
    struct PhoneList {
        var page: Page
        /// This page's rows.
        var rows: [ToPhone]
        /// Of every row, those nobody has phoned the school it is for now about.
        var notPhoned: Int
        /// Unacknowledged alerts whose links have closed: on the record, not on the list.
        var closedLinks: Int
    }

    /// The unmatched children: this page of the recent ones (incidents reported within
    /// `alerts.max_age_days`: `AlertPlanner.oldestConsidered`), or of the older ones.
    struct UnmatchedList {
        var page: Page
        var rows: [AlertRow]
        var recent: Int
        var older: Int
        /// `alerts.max_age_days`; nil: no limit, every unmatched child is recent.
        var maxAgeDays: Int?
    }

    let values: [String: Any]

    init(run: [AlertRow], phone: PhoneList, unmatched: UnmatchedList, place: Place = Place(), notices: [HubNoticeEntry],
         noticeSchools: [String: School] = [:], unsentNotices: Int, now: Date, zone: Zone,
         problem: Problem?, recorded: AlertRow?, phoned: String?, lastRun: NotifyRunRecord? = nil) {
        let time = DisplayTime(zone: zone)
        var counts: [AlertState: Int] = [:]
        for a in run { counts[a.state, default: 0] += 1 }
        let toPhone = phone.rows

        var v: [String: Any] = [
            "asOf": time.dayAndClock(now),
            "recentDays": Self.recentDays,
            "counts": Self.runStates.map { ["countState": $0.rawValue, "count": counts[$0] ?? 0] as [String: Any] },
            "runTotal": run.count,
            "overdueCount": counts[.overdue] ?? 0,
            "failedCount": counts[.failed] ?? 0,
            "unmatchedCount": unmatched.recent,
            "unsentNotices": unsentNotices,
            "unsentWords": unsentNotices == 1 ? "hub notice not yet sent" : "hub notices not yet sent",
            "run": run.map { Self.runRow($0, time: time) },
            "hasRun": !run.isEmpty,
            "unmatched": unmatched.rows.map { Self.unmatchedRow($0, problem: problem?.form == .school && problem?.reference == $0.reference ? problem : nil) },
            "phone": toPhone.map { Self.phoneRow($0, time: time, problem: problem?.form == .call && problem?.reference == $0.alert.reference ? problem : nil) },
            "hasPhone": !toPhone.isEmpty,
            "phoneCount": phone.notPhoned,
            "phonePager": phone.page.pager { Place(phone: $0, unmatched: place.unmatched, older: place.older).link("phone-heading") }
                .map { $0 as Any } ?? NSNull(),
            "closedLinks": phone.closedLinks == 1
                ? "1 more not acknowledged, whose link has closed, is not listed: its school can no longer acknowledge it"
                : "\(Page.grouped(phone.closedLinks)) more not acknowledged, whose links have closed, are not listed: their schools can no longer acknowledge them",
            "hasClosedLinks": phone.closedLinks > 0,
            "hasUnmatched": !unmatched.rows.isEmpty,
            "unmatchedPager": unmatched.page.pager { Place(phone: place.phone, unmatched: $0, older: place.older).link("unmatched-heading") }
                .map { $0 as Any } ?? NSNull(),
            "showingOlder": place.older,
            "olderUnmatched": Page.grouped(unmatched.older),
            "olderLine": "\(Page.grouped(unmatched.older)) more, \(unmatched.older == 1 ? "of an older incident, is" : "of older incidents, are")",
            "hasOlderUnmatched": unmatched.older > 0,
            "maxAgeDays": unmatched.maxAgeDays.map { $0 as Any } ?? NSNull(),
            "olderLink": Place(phone: place.phone, older: true).link("unmatched-heading"),
            "recentLink": Place(phone: place.phone).link("unmatched-heading"),
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
        if let alert = recorded {
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
