import AlertLifecycle
import CivilTime
import Foundation
import RiskModel

/// What the inspection report (SPEC §11) reads: counts the database makes over the rows of a span of
/// time, cut into consecutive bins (one for a period, twelve for a chart by month), in one pass.
/// The figures are made from these by `Inspection` (pure); a store only counts.
public protocol InspectionStore: Sendable {
    /// `durations`: also each due alert's time from delivery to acknowledgement (for the median, an
    /// extra figure; a row per alert, so left out when not wanted).
    func inspectionTallies(_ bins: ReportBins, durations: Bool) async throws -> InspectionTallies
    /// Each child's latest decision date (`on`) of either kind, of the decisions dated on or before
    /// `through`, whenever they were typed in.
    func latestDecisionDays(through: LocalDate) async throws -> [String: LocalDate]
}

/// Consecutive spans of local dates: bin `i` runs from `dates[i]` to the day before `dates[i + 1]`,
/// and in time from `instants[i]` (that date's local midnight) up to, not including,
/// `instants[i + 1]`.
public struct ReportBins: Sendable, Equatable {
    public let dates: [LocalDate]
    public let instants: [Date]

    /// `boundaries`: the first date of each bin, then the day after the last bin's last date.
    public init(boundaries: [LocalDate], zone: Zone) {
        precondition(boundaries.count >= 2 && zip(boundaries, boundaries.dropFirst()).allSatisfy { $0 < $1 },
                     "bins need increasing boundaries")
        dates = boundaries
        instants = boundaries.map { zone.instant(on: $0) }
    }

    public var count: Int { dates.count - 1 }
}

/// The counts of one bin (see `Inspection.InspectionReport` for what each means).
public struct BinTallies: Sendable, Equatable {
    public var incidents = 0
    public var withChildren = 0
    public var gradeBelowChecklist = 0
    public var supervisorReviewed = 0
    public var supervisorRaised = 0
    public var supervisorLowered = 0
    public var childLinks = 0
    public var childPresent = 0
    public var childSpokenTo = 0
    public var childVoiceRecorded = 0
    public var bwvUsed = 0
    public var alertsDue = 0
    public var deliveredOnTime = 0
    public var deliveredLate = 0
    public var unmatched = 0
    /// Links with no alert at all: too old when their incident reached the hub (`InspectionSQL.alertedLinks`),
    /// and those whose alert is kept as named again too late (`InspectionSQL.namedTooLate`).
    public var tooOld = 0
    public var acknowledged = 0
    public var acknowledgedOnTime = 0
    public var maracReferred = 0
    public var maracDeclined = 0
    public var strategyMeetingHeld = 0
    public var strategyMeetingDeclined = 0
    /// Seconds from delivery to acknowledgement of each due alert that has both, for the median.
    public var secondsToAcknowledge: [Double] = []

    public init() {}

    /// Two bins' counts as one bin's: every figure is a count of rows in its bin (or, for the
    /// durations, the rows themselves), so a period cut into bins is their sum.
    public static func += (lhs: inout BinTallies, rhs: BinTallies) {
        lhs.incidents += rhs.incidents
        lhs.withChildren += rhs.withChildren
        lhs.gradeBelowChecklist += rhs.gradeBelowChecklist
        lhs.supervisorReviewed += rhs.supervisorReviewed
        lhs.supervisorRaised += rhs.supervisorRaised
        lhs.supervisorLowered += rhs.supervisorLowered
        lhs.childLinks += rhs.childLinks
        lhs.childPresent += rhs.childPresent
        lhs.childSpokenTo += rhs.childSpokenTo
        lhs.childVoiceRecorded += rhs.childVoiceRecorded
        lhs.bwvUsed += rhs.bwvUsed
        lhs.alertsDue += rhs.alertsDue
        lhs.deliveredOnTime += rhs.deliveredOnTime
        lhs.deliveredLate += rhs.deliveredLate
        lhs.unmatched += rhs.unmatched
        lhs.tooOld += rhs.tooOld
        lhs.acknowledged += rhs.acknowledged
        lhs.acknowledgedOnTime += rhs.acknowledgedOnTime
        lhs.maracReferred += rhs.maracReferred
        lhs.maracDeclined += rhs.maracDeclined
        lhs.strategyMeetingHeld += rhs.strategyMeetingHeld
        lhs.strategyMeetingDeclined += rhs.strategyMeetingDeclined
        lhs.secondsToAcknowledge += rhs.secondsToAcknowledge
    }
}

public struct InspectionTallies: Sendable, Equatable {
    public var bins: [BinTallies]
    /// Every episode with `missing_at` in the whole span, for the pure rules (which bin, flagged as of
    /// its bin's end).
    public var episodes: [EpisodeFact]

    public init(bins: [BinTallies], episodes: [EpisodeFact]) {
        self.bins = bins
        self.episodes = episodes
    }
}

/// The report's counting statements, in SQL both databases run unchanged over the tables they share,
/// so SQLite and PostgreSQL cannot count differently. The bins' bounds are written in as literals:
/// whole seconds and ISO dates this program made, never text from outside. Each returns a `bin`
/// column (0-based) and the counts in the order `InspectionTallies` reads them.
public enum InspectionSQL {
    /// `CASE` choosing the bin of a value already known to lie inside the span.
    static func bin(_ column: String, _ bounds: [String]) -> String {
        let inner = bounds.dropFirst().dropLast()
        guard !inner.isEmpty else { return "0" }
        return "CASE " + inner.enumerated().map { "WHEN \(column) < \($0.element) THEN \($0.offset)" }.joined(separator: " ")
            + " ELSE \(inner.count) END"
    }

    static func seconds(_ bins: ReportBins) -> [String] { bins.instants.map { String(Int64($0.timeIntervalSince1970.rounded())) } }
    static func dates(_ bins: ReportBins) -> [String] { bins.dates.map { "'\($0)'" } }

    /// One bin is one row already: grouping by a constant would still cost SQLite a sorter pass.
    static func groupBy(_ bounds: [String]) -> String { bounds.count > 2 ? " GROUP BY 1" : "" }

    static func span(_ column: String, _ bounds: [String]) -> String {
        "\(column) >= \(bounds.first!) AND \(column) < \(bounds.last!)"
    }

    /// Incidents reported in each bin.
    public static func incidents(_ bins: ReportBins) -> String {
        let s = seconds(bins)
        return """
            SELECT \(bin("reported_at", s)) AS bin, count(*),
                   sum(CASE WHEN child_keys <> '[]' THEN 1 ELSE 0 END),
                   sum(CASE WHEN flags LIKE '%grade-below-checklist%' THEN 1 ELSE 0 END),
                   sum(CASE WHEN supervisor_grade IS NOT NULL THEN 1 ELSE 0 END),
                   sum(CASE WHEN supervisor_grade > officer_grade THEN 1 ELSE 0 END),
                   sum(CASE WHEN supervisor_grade < officer_grade THEN 1 ELSE 0 END),
                   sum(CASE WHEN bwv_used = 1 THEN 1 ELSE 0 END)
            FROM incidents WHERE \(span("reported_at", s))\(groupBy(s))
            """
    }

    /// (incident, child) links of the bins' incidents.
    public static func links(_ bins: ReportBins) -> String {
        let s = seconds(bins)
        return """
            SELECT \(bin("reported_at", s)) AS bin, count(*),
                   sum(CASE WHEN present = 1 THEN 1 ELSE 0 END),
                   sum(CASE WHEN spoken_to = 1 THEN 1 ELSE 0 END),
                   sum(CASE WHEN child_voice <> '' THEN 1 ELSE 0 END)
            FROM incident_children WHERE \(span("reported_at", s))\(groupBy(s))
            """
    }

    /// A due alert's delivery time as the report counts it: only where the school it is now for has
    /// it (`AlertLifecycle.reachedItsSchool`), else NULL. A re-routed alert keeps the earlier
    /// school's `delivered_at` while it waits for or has failed at the new one, and counting that
    /// time would count a child whose school was never told as told (audit 21, F1).
    static let deliveredAt = "CASE WHEN state = '\(AlertLifecycle.reachedItsSchool.rawValue)' THEN delivered_at END"

    /// A reason as an SQL string literal: one of this program's constants.
    static func literal(_ reason: String) -> String { "'" + reason.replacingOccurrences(of: "'", with: "''") + "'" }

    /// Alerts whose deadline falls in each bin: every planned alert but those withdrawn (their
    /// incident no longer names the child, so no school was owed one) and those kept as named
    /// again too late (`AlertLifecycle.namedTooLate`: counted as too old, `namedTooLate`).
    public static func alerts(_ bins: ReportBins) -> String {
        let s = seconds(bins)
        return """
            SELECT \(bin("deadline", s)) AS bin, count(*),
                   sum(CASE WHEN \(deliveredAt) <= deadline THEN 1 ELSE 0 END),
                   sum(CASE WHEN \(deliveredAt) > deadline THEN 1 ELSE 0 END),
                   sum(CASE WHEN acknowledged_at IS NOT NULL THEN 1 ELSE 0 END),
                   sum(CASE WHEN acknowledged_at <= deadline THEN 1 ELSE 0 END)
            FROM alerts
            WHERE state <> 'unmatched' AND \(span("deadline", s))
              AND NOT (state = 'failed' AND last_error IS NOT NULL
                       AND last_error IN (\(literal(AlertLifecycle.withdrawnReason)), \(literal(AlertLifecycle.namedTooLateReason))))\(groupBy(s))
            """
    }

    /// Each due alert's delivery (to the school it is now for: `deliveredAt`) and acknowledgement,
    /// where it has both.
    public static func acknowledgements(_ bins: ReportBins) -> String {
        let s = seconds(bins)
        return """
            SELECT \(bin("deadline", s)) AS bin, acknowledged_at - \(deliveredAt)
            FROM alerts
            WHERE state <> 'unmatched' AND \(span("deadline", s))
              AND \(deliveredAt) IS NOT NULL AND acknowledged_at IS NOT NULL
            """
    }

    /// Links of the bins' incidents that have no alert because no school or key adult was known.
    public static func unmatched(_ bins: ReportBins) -> String {
        let s = seconds(bins)
        return """
            SELECT \(bin("i.reported_at", s)) AS bin, count(*)
            FROM alerts a JOIN incidents i ON i.incident_key = a.incident_key
            WHERE a.state = 'unmatched' AND \(span("i.reported_at", s))\(groupBy(s))
            """
    }

    /// Links of the bins' incidents that have no alert row at all: an ingest with alerts set up
    /// makes one for every link (queued or unmatched) but those whose incident reached the hub more
    /// than `alerts.max_age_days` after it was reported (`AlertPlanner.planNew`), so those are the
    /// ones never alerted because too old, whatever their school. Counted from the rows, so a store
    /// loaded before this count existed shows its late incidents too.
    /// What is read is the links that have one (`alertedLinks`), less from the bins' links: an alert
    /// looked up for every link of the period made a year's report on a ten-million-row store 7.1-10.4 s
    /// instead of 4.4-6.1 s (most links of a back-loaded history have none); each alert's link is one
    /// look-up, and a store has no more alerts than links. `CROSS JOIN` keeps SQLite's order (the
    /// alerts, then each one's link by its key): left to choose, it scanned every link.
    public static func alertedLinks(_ bins: ReportBins) -> String {
        let s = seconds(bins)
        return """
            SELECT \(bin("l.reported_at", s)) AS bin, count(*)
            FROM alerts a CROSS JOIN incident_children l
            WHERE l.incident_key = a.incident_key AND l.child_key = a.child_key AND \(span("l.reported_at", s))\(groupBy(s))
            """
    }

    /// Links of the bins' incidents whose alert is kept as named again too late
    /// (`AlertLifecycle.namedTooLate`): too old, as a link with no alert row is (`alertedLinks`
    /// counted them as alerted). Read apart from `alertedLinks`, through the alerts' state index:
    /// that statement reads no alert's state, so it stays as fast as it was.
    public static func namedTooLate(_ bins: ReportBins) -> String {
        let s = seconds(bins)
        return """
            SELECT \(bin("l.reported_at", s)) AS bin, count(*)
            FROM alerts a CROSS JOIN incident_children l
            WHERE a.state = 'failed' AND a.last_error = \(literal(AlertLifecycle.namedTooLateReason))
              AND l.incident_key = a.incident_key AND l.child_key = a.child_key AND \(span("l.reported_at", s))\(groupBy(s))
            """
    }

    /// Decisions of both kinds dated in each bin.
    public static func decisions(_ bins: ReportBins) -> String {
        let d = dates(bins)
        return """
            SELECT \(bin("on_date", d)) AS bin,
                   sum(CASE WHEN kind = 'marac' AND outcome = 'referred' THEN 1 ELSE 0 END),
                   sum(CASE WHEN kind = 'marac' AND outcome = 'declined' THEN 1 ELSE 0 END),
                   sum(CASE WHEN kind <> 'marac' AND outcome = 'held' THEN 1 ELSE 0 END),
                   sum(CASE WHEN kind <> 'marac' AND outcome = 'declined' THEN 1 ELSE 0 END)
            FROM all_decisions WHERE \(span("on_date", d))\(groupBy(d))
            """
    }

    /// Episodes that went missing in the span, for the pure rules.
    public static func episodes(_ bins: ReportBins) -> String {
        let s = seconds(bins)
        return """
            SELECT episode_id, missing_at, returned_at, return_interview_at
            FROM episodes WHERE \(span("missing_at", s))
            """
    }

    /// Each child's latest decision date up to a day. Dates are YYYY-MM-DD text, so they compare as
    /// dates in both databases.
    public static func latestDecisions(through day: LocalDate) -> String {
        """
        SELECT child_id, max(on_date) FROM all_decisions
        WHERE on_date <= '\(day.description)' GROUP BY child_id
        """
    }
}

extension InspectionTallies {
    /// Fills the bins from the rows of `InspectionSQL`'s statements, as each store reads them: a
    /// bin number and integer counts (nil where SQL's `sum` had no rows), in the statement's order.
    public static func assemble(binCount: Int, incidents: [[Int?]], links: [[Int?]], alerts: [[Int?]],
                                unmatched: [[Int?]], alertedLinks: [[Int?]], namedTooLate: [[Int?]], decisions: [[Int?]],
                                acknowledgements: [(bin: Int, seconds: Double)], episodes: [EpisodeFact]) -> InspectionTallies {
        var bins = Array(repeating: BinTallies(), count: binCount)
        func rows(_ rows: [[Int?]], _ fill: (inout BinTallies, [Int]) -> Void) {
            for r in rows {
                guard let b = r.first ?? nil, bins.indices.contains(b) else { continue }
                fill(&bins[b], r.dropFirst().map { $0 ?? 0 })
            }
        }
        rows(incidents) { t, v in
            (t.incidents, t.withChildren, t.gradeBelowChecklist) = (v[0], v[1], v[2])
            (t.supervisorReviewed, t.supervisorRaised, t.supervisorLowered, t.bwvUsed) = (v[3], v[4], v[5], v[6])
        }
        rows(links) { t, v in (t.childLinks, t.childPresent, t.childSpokenTo, t.childVoiceRecorded) = (v[0], v[1], v[2], v[3]) }
        rows(alerts) { t, v in (t.alertsDue, t.deliveredOnTime, t.deliveredLate, t.acknowledged, t.acknowledgedOnTime) = (v[0], v[1], v[2], v[3], v[4]) }
        rows(unmatched) { t, v in t.unmatched = v[0] }
        // Every link with no alert row: `childLinks` is filled above, from the same links.
        rows(alertedLinks) { t, v in t.tooOld = -v[0] }
        rows(namedTooLate) { t, v in t.tooOld += v[0] }
        for b in bins.indices { bins[b].tooOld += bins[b].childLinks }
        rows(decisions) { t, v in
            (t.maracReferred, t.maracDeclined, t.strategyMeetingHeld, t.strategyMeetingDeclined) = (v[0], v[1], v[2], v[3])
        }
        for a in acknowledgements where bins.indices.contains(a.bin) { bins[a.bin].secondsToAcknowledge.append(a.seconds) }
        return InspectionTallies(bins: bins, episodes: episodes)
    }
}
