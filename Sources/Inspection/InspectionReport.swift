import CivilTime
import Foundation
import Review
import RiskModel
import StoreContract

/// The inspection report of one period (SPEC §11): the SPEC's figures, and three more an inspector
/// asks for (`Extra`).
public struct InspectionReport: Sendable, Equatable {
    public let period: ReportPeriod
    public let tallies: BinTallies
    /// Episodes that went missing in the period, and those of them flagged
    /// `return-interview-overdue` as of the period's end.
    public let missingEpisodes: Int
    public let returnInterviewOverdue: Int
    public let extra: Extra
    /// Only the SPEC's figures: no `extra` in the JSON, no "Also" in the table (`report --spec-only`).
    public var specOnly = false

    public struct Extra: Sendable, Equatable {
        /// The median time from delivery to acknowledgement of the period's due alerts, in minutes
        /// to one decimal place; nil when none was both delivered and acknowledged.
        public var medianMinutesToAcknowledge: Double?
        /// Supervisor reviews that changed the grade (raised or lowered), as a whole percentage of
        /// the reviews; nil when there were none.
        public var supervisorChangedPercent: Int?
        /// Children who met a high rule 14 days before the period's end and had no decision of
        /// either kind recorded since their newest incident, by the period's end. Nil where not
        /// worked out (the months of the chart).
        public var highUndecidedOver14Days: Int?
    }

    /// How long a child who met a high rule may wait for a decision before the report counts them.
    public static let decisionGraceDays = 14

    public init(period: ReportPeriod, tallies: BinTallies, episodes: [EpisodeFact], asOf: Date, highUndecided: Int?) {
        self.period = period
        self.tallies = tallies
        missingEpisodes = episodes.count
        returnInterviewOverdue = episodes.filter { $0.flags(asOf: asOf).contains(.returnInterviewOverdue) }.count
        let changed = tallies.supervisorRaised + tallies.supervisorLowered
        extra = Extra(
            medianMinutesToAcknowledge: Self.median(tallies.secondsToAcknowledge).map { ($0 / 6).rounded() / 10 },
            supervisorChangedPercent: tallies.supervisorReviewed == 0 ? nil : Self.percent(changed, of: tallies.supervisorReviewed),
            highUndecidedOver14Days: highUndecided)
    }

    public var notDelivered: Int { tallies.alertsDue - tallies.deliveredOnTime - tallies.deliveredLate }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// A whole percentage, halves rounded up.
    public static func percent(_ part: Int, of whole: Int) -> Int {
        Int((Double(part) * 100 / Double(whole)).rounded(.toNearestOrAwayFromZero))
    }

    // MARK: The figures, in the SPEC's order

    /// One figure: its JSON section and key, what people read, its count, and the count it is a
    /// share of, where a rate makes sense.
    public struct Figure: Sendable, Equatable {
        public let section: String
        public let key: String
        public let label: String
        public let count: Int
        public let of: (count: Int, noun: String)?

        public static func == (a: Figure, b: Figure) -> Bool {
            a.section == b.section && a.key == b.key && a.count == b.count && a.of?.count == b.of?.count
        }

        /// `412 of 1,180 children (35%)`, or the count alone.
        public var text: String {
            guard let of else { return Figure.grouped(count) }
            let rate = of.count == 0 ? "" : " (\(InspectionReport.percent(count, of: of.count))%)"
            return "\(Figure.grouped(count)) of \(Figure.grouped(of.count)) \(of.noun)\(rate)"
        }

        /// `1,180`.
        public static func grouped(_ n: Int) -> String {
            let digits = String(n.magnitude)
            var out = ""
            for (i, c) in digits.enumerated() {
                if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
                out.append(c)
            }
            return n < 0 ? "-" + out : out
        }
    }

    public static let sections: [(key: String, title: String)] = [
        ("incidents", "Incidents reported in the period"),
        ("alerts", "Alerts to schools due in the period"),
        ("decisions", "Decisions dated in the period"),
        ("missing", "Missing from home"),
    ]

    public var figures: [Figure] {
        let t = tallies
        let incidents = (t.incidents, "incidents"), links = (t.childLinks, "children"), due = (t.alertsDue, "alerts")
        func f(_ s: String, _ k: String, _ label: String, _ n: Int, _ of: (Int, String)? = nil) -> Figure {
            Figure(section: s, key: k, label: label, count: n, of: of.map { (count: $0.0, noun: $0.1) })
        }
        return [
            f("incidents", "count", "incidents", t.incidents),
            f("incidents", "with_children", "with a child linked", t.withChildren, incidents),
            f("incidents", "child_links", "children linked (a child in two incidents counts twice)", t.childLinks),
            f("incidents", "child_present", "child present", t.childPresent, links),
            f("incidents", "child_spoken_to", "child spoken to", t.childSpokenTo, links),
            f("incidents", "child_voice_recorded", "child's voice recorded", t.childVoiceRecorded, links),
            f("incidents", "bwv_used", "body-worn video used", t.bwvUsed, incidents),
            f("incidents", "grade_below_checklist", "officer's grade below the checklist", t.gradeBelowChecklist, incidents),
            f("incidents", "supervisor_reviewed", "reviewed by a supervisor", t.supervisorReviewed, incidents),
            f("incidents", "supervisor_raised", "supervisor raised the grade", t.supervisorRaised, (t.supervisorReviewed, "reviews")),
            f("incidents", "supervisor_lowered", "supervisor lowered the grade", t.supervisorLowered, (t.supervisorReviewed, "reviews")),
            f("alerts", "due", "alerts due", t.alertsDue),
            f("alerts", "delivered_on_time", "delivered on time", t.deliveredOnTime, due),
            f("alerts", "delivered_late", "delivered late", t.deliveredLate, due),
            f("alerts", "not_delivered", "not delivered", notDelivered, due),
            f("alerts", "unmatched", "children with no alert: no school or key adult known", t.unmatched, links),
            f("alerts", "acknowledged", "acknowledged by the school", t.acknowledged, due),
            f("alerts", "acknowledged_on_time", "acknowledged by the deadline", t.acknowledgedOnTime, due),
            f("decisions", "marac_referred", "referred to MARAC", t.maracReferred),
            f("decisions", "marac_declined", "MARAC referral declined", t.maracDeclined),
            f("decisions", "strategy_meeting_held", "strategy meeting held", t.strategyMeetingHeld),
            f("decisions", "strategy_meeting_declined", "strategy meeting declined", t.strategyMeetingDeclined),
            f("missing", "episodes", "episodes that began in the period", missingEpisodes),
            f("missing", "return_interview_overdue", "return interview overdue at the period's end", returnInterviewOverdue,
              (missingEpisodes, "episodes")),
        ] + (specOnly ? [] : [
            // Added (SPEC §11 allows keys that change no other's meaning), last: shown in its
            // section (JSON, table), and the CSV's last column, so no other column moves. The
            // children no school was alerted about because the incident reached the hub too late.
            f("alerts", "too_old", "children with no alert: reported more than alerts.max_age_days before ingest", t.tooOld, links),
        ])
    }

    /// The extra figures as people read them, in the order of the JSON's `extra`.
    public var extraLines: [(key: String, label: String, value: String)] {
        [
            ("median_minutes_to_acknowledge", "median minutes from delivery to acknowledgement",
             extra.medianMinutesToAcknowledge.map { Self.decimal($0) } ?? "none acknowledged"),
            ("supervisor_changed_percent", "supervisor reviews that changed the grade",
             extra.supervisorChangedPercent.map { "\($0)%" } ?? "no reviews"),
            ("high_undecided_over_14_days", "children high-risk for over 14 days with no decision since",
             extra.highUndecidedOver14Days.map { Figure.grouped($0) } ?? "not worked out"),
        ]
    }

    static func decimal(_ d: Double) -> String {
        d == d.rounded() ? String(Int(d)) : String(format: "%.1f", d)
    }

    // MARK: Output

    /// `report --json`: the SPEC's keys in its order, then `extra`.
    public var json: String {
        var out = "{\"from\": \"\(period.from)\", \"to\": \"\(period.to)\""
        for section in Self.sections {
            let items = figures.filter { $0.section == section.key }.map { "\"\($0.key)\": \($0.count)" }
            out += ",\n \"\(section.key)\": {" + items.joined(separator: ", ") + "}"
        }
        guard !specOnly else { return out + "}\n" }
        let e = extra
        out += ",\n \"extra\": {\"median_minutes_to_acknowledge\": \(e.medianMinutesToAcknowledge.map { Self.decimal($0) } ?? "null"), "
            + "\"supervisor_changed_percent\": \(e.supervisorChangedPercent.map(String.init) ?? "null"), "
            + "\"high_undecided_over_14_days\": \(e.highUndecidedOver14Days.map(String.init) ?? "null")}"
        return out + "}\n"
    }

    /// The table `report` prints for people.
    public var table: String {
        let width = (figures.map(\.label.count) + extraLines.map(\.label.count)).max()! + 2
        func line(_ label: String, _ value: String) -> String {
            "  " + label + String(repeating: " ", count: width - label.count) + value + "\n"
        }
        var out = "Inspection report, \(period.from) to \(period.to) (London dates, both inclusive)\n"
        for section in Self.sections {
            out += "\n\(section.title)\n"
            for f in figures where f.section == section.key { out += line(f.label, f.text) }
        }
        guard !specOnly else { return out }
        out += "\nAlso\n"
        for e in extraLines { out += line(e.label, e.value) }
        return out
    }
}
