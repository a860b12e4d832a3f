import Foundation
import InputRules
import Review
import RiskModel
import StoreContract

/// The values of a child's page: who the child is, why they are in the queue, every incident with
/// the rules that used it, the chart, the decisions so far and the alerts to schools.
struct ChildPage {
    let values: [String: Any]

    init(record: ChildRecord, asOf: Date, settings: ScoringSettings, serial: SerialPerpetrators = .none, user: UserAccount,
         today: LocalDate) {
        let time = DisplayTime(zone: settings.zone)
        let assessment = RiskRules.assess(record.history, asOf: asOf, settings: settings, serial: serial)
        let episodesUsed = Set(assessment?.hit(.repeatMissing)?.episodeIds ?? [])
        var rulesByIncident: [String: [RuleID]] = [:]
        for hit in assessment?.rules ?? [] {
            for id in hit.incidentIds { rulesByIncident[id, default: []].append(hit.rule) }
        }
        let windowStart = asOf.addingTimeInterval(-Double(settings.windowDays) * RiskRules.secondsPerDay)
        let regradesByIncident = Dictionary(grouping: record.regrades, by: \.incidentId)

        var v: [String: Any] = [
            "childId": record.childId,
            "name": record.name.full,
            "dob": LocalDate(iso: record.dateOfBirth).map(time.day) ?? record.dateOfBirth,
            "asOf": time.dayAndClock(asOf),
            "windowDays": settings.windowDays,
            "canRegrade": user.role.includes(.supervisor),
            // An officer reads the page: no form is shown (and the routes refuse them).
            "canChange": user.role.includes(.hub),
            "today": today.description,
        ]
        if let urn = record.schoolURN {
            v["school"] = record.schoolName.map { "\($0) (URN \(urn))" } ?? "URN \(urn)"
        }
        if let a = assessment {
            v["assessment"] = [
                "level": a.level.name,
                "score": String(format: "%.2f", ReviewQueue.displayScore(a.score)),
                "suggestMARAC": a.suggestions.contains(Assessment.maracReferralSuggestion),
                "suggestStrategy": a.suggestions.contains(Assessment.strategyMeetingSuggestion),
                "rules": a.rules.map { hit in
                    [
                        "rule": hit.rule.rawValue,
                        "level": hit.level.name,
                        "words": hit.rule.summary(settings: settings),
                        "incidents": hit.incidentIds.map { ["id": $0, "anchor": Self.anchor($0)] },
                        "episodes": hit.episodeIds.map { ["id": $0, "anchor": Self.anchor("episode-" + $0)] },
                        "hasIncidents": !hit.incidentIds.isEmpty,
                        "hasEpisodes": !hit.episodeIds.isEmpty,
                        "serial": hit.rule == .serialPerpetrator ? Self.serialWords(hit.incidentIds, serial: serial, time: time) : [],
                    ] as [String: Any]
                },
            ] as [String: Any]
        }
        v["chart"] = IncidentChart(incidents: record.incidents, episodes: record.episodes,
                                   usedByRules: Set(rulesByIncident.keys).union(episodesUsed.map { "episode:" + $0 }), asOf: asOf,
                                   settings: settings, time: time).values
        v["incidents"] = record.incidents.reversed().map { i in
            Self.incidentRow(i, rules: rulesByIncident[i.incidentId] ?? [], inWindow: i.reportedAt >= windowStart && i.reportedAt <= asOf,
                             regrades: regradesByIncident[i.incidentId] ?? [], childId: record.childId, time: time)
        }
        // The decision of each kind dated latest stands (Decision's rule); the others of that kind are
        // superseded. Listed by date, newest first (the same date: the last entered first), so what
        // stands comes before what it supersedes, however late an older decision was typed in.
        let standing = Set(Decision.standing(record.decisions.map(\.decision)).values)
        let order = record.decisions.indices.sorted { a, b in
            let (x, y) = (record.decisions[a].decision.on, record.decisions[b].decision.on)
            return x != y ? x > y : a > b
        }
        let decisions = order.map { i in
            Self.decisionRow(record.decisions[i], current: standing.contains(i), time: time)
        }
        v["hasEpisodes"] = !record.episodes.isEmpty
        v["episodes"] = record.episodes.reversed().map { e -> [String: Any] in
            var row: [String: Any] = [
                "id": e.episodeId, "anchor": Self.anchor("episode-" + e.episodeId),
                "missing": time.dayAndClock(e.missingAt),
                "returned": e.returnedAt.map(time.dayAndClock) ?? "not back (as recorded)",
                "risk": e.risk?.rawValue ?? "not recorded",
                "interview": e.returnInterviewAt.map(time.dayAndClock) ?? "none recorded",
                "used": episodesUsed.contains(e.episodeId),
                "flags": e.fact.flags(asOf: asOf).map(\.rawValue),
            ]
            if let urn = e.schoolURN { row["episodeSchool"] = urn }
            return row
        }
        v["decisions"] = decisions
        if let alerts = record.alerts {
            v["alertsKnown"] = true
            v["alerts"] = alerts.map { a -> [String: Any] in
                var row: [String: Any] = [:]
                row["reference"] = a.reference
                row["incidentId"] = a.incidentId
                row["alertSchool"] = a.schoolURN
                row["channel"] = a.channel
                row["state"] = a.stateAsRead(at: asOf)
                row["deadline"] = a.deadline.map(time.dayAndClock)
                row["attempts"] = a.attempts
                // "Delivered is not read" (SPEC §7): when it reached its school and whether anyone
                // there acknowledged it, so an alert late and unread does not look like one read on
                // time (audit 22, people F4); the board's "phone the school" words when it is overdue.
                row["delivered"] = a.deliveredToItsSchool.map(time.dayAndClock)
                row["acknowledged"] = Self.acknowledgement(a, now: asOf, time: time)
                return row
            }
        }
        values = v
    }

    /// Whether the school acknowledged a delivered alert: when, or that nobody has by its deadline
    /// (the board's "phone the school" while its links open, as the board lists it; after, that the
    /// links closed, as the board counts it), or not yet; nothing for one not delivered to its school.
    static func acknowledgement(_ alert: AlertSummary, now: Date, time: DisplayTime) -> String? {
        if let at = alert.acknowledgedAt { return time.dayAndClock(at) }
        guard alert.deliveredToItsSchool != nil else { return nil }
        if alert.isToPhone(now: now) { return AlertLifecycle.unacknowledgedDetail }
        if alert.isUnacknowledged(now: now) { return AlertLifecycle.unacknowledgedClosedDetail }
        return alert.linkIssued ? "not yet" : "no link was sent"
    }

    /// A fragment id made only of safe characters, the same for the link and the row.
    static func anchor(_ incidentId: String) -> String {
        "incident-" + String(incidentId.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "-" })
    }

    private static func yesNo(_ value: Bool?) -> String {
        switch value {
        case .some(true): "yes"
        case .some(false): "no"
        case .none: "not recorded"
        }
    }

    private static func incidentRow(_ i: ChildIncident, rules: [RuleID], inWindow: Bool, regrades: [Regrade],
                                    childId: String, time: DisplayTime) -> [String: Any] {
        var row: [String: Any] = [
            "id": i.incidentId,
            "anchor": anchor(i.incidentId),
            "when": time.dayAndClock(i.reportedAt),
            "effective": i.effectiveGrade.name,
            "officer": i.officerGrade.name,
            "supervisor": i.supervisorGrade?.name ?? "not reviewed",
            "tool": i.riskTool.rawValue,
            "present": yesNo(i.present),
            "spokenTo": yesNo(i.spokenTo),
            "bwv": yesNo(i.bodyWornVideo),
            "flags": i.flags.map { $0.replacingOccurrences(of: "-", with: " ") },
            "used": !rules.isEmpty,
            "rules": rules.map(\.rawValue),
            "inWindow": inWindow,
            "regradeLink": ChildRoutes.path(childId) + "/incidents/" + ChildRoutes.encode(i.incidentId) + "/regrade",
            "regrades": regrades.reversed().map { r in
                [
                    "from": r.oldGrade?.name ?? "not reviewed", "to": r.newGrade.name, "reason": r.reason,
                    "by": r.by, "when": time.dayAndClock(r.at),
                ] as [String: Any]
            },
        ]
        if let yes = i.dashYesCount { row["yesCount"] = yes }
        // A blank voice is none (FieldText's rule; ingest stores it so, an older version may not have).
        if let voice = i.voice, !FieldText.isBlank(voice) { row["voice"] = voice }
        if let urn = i.schoolURN { row["incidentSchool"] = urn }
        return row
    }

    /// "the perpetrator in incident I-9 has been named in incidents against 3 victims since 4 March 2025",
    /// once per serial perpetrator the child's incidents name: ids and counts only.
    static func serialWords(_ incidentIds: [String], serial: SerialPerpetrators, time: DisplayTime) -> [String] {
        var seen = Set<String>()
        return incidentIds.compactMap { id in
            guard let f = serial.finding(forIncident: id), seen.insert(f.perpetratorId).inserted else { return nil }
            return "the perpetrator in incident \(id) has been named in incidents against \(f.victims) victims since \(time.day(f.since))"
        }
    }

    /// What a decision was, in the words of the child's page and the review queue alike.
    static func outcomeWords(_ d: Decision) -> String {
        switch (d.kind, d.outcome) {
        case (.marac, .referred): "MARAC referral made"
        case (.marac, _): "MARAC referral declined"
        case (.strategyMeeting, .held): "Strategy meeting held"
        case (.strategyMeeting, _): "Strategy meeting declined"
        }
    }

    private static func decisionRow(_ entry: DecisionEntry, current: Bool, time: DisplayTime) -> [String: Any] {
        let d = entry.decision
        var row: [String: Any] = [
            "outcome": outcomeWords(d),
            "declined": d.outcome == .declined,
            "on": time.day(d.on),
            "by": d.by,
            "recorded": time.dayAndClock(d.recordedAt),
            "current": current,
        ]
        if d.kind == .marac {
            row["strategy"] = entry.strategyDiscussion.map { $0 ? "requested" : "not requested" } ?? "not asked (recorded by command)"
        }
        if let reason = d.reason { row["reason"] = reason }
        return row
    }
}
