import CivilTime
import Foundation
import Review
import RiskModel
import StoreContract
import Synchronization

/// Works the report out from a store: one pass of counting statements for the figures, and the
/// review queue as of 14 days before the end for the children waiting on a decision.
public enum Inspection {
    /// `specOnly`: the SPEC's figures alone, without the review queue the waiting-children figure needs.
    public static func report(store: any Store & InspectionStore, period: ReportPeriod, settings: ScoringSettings,
                              specOnly: Bool = false) async throws -> InspectionReport {
        let bins = ReportBins(boundaries: [period.from, period.end], zone: settings.zone)
        let end = bins.instants[1]
        async let tallies = store.inspectionTallies(bins, durations: !specOnly)
        let undecided = specOnly ? nil : try await highUndecided(store: store, settings: settings, end: end, lastDay: period.to)
        var report = report(period, of: try await tallies, in: bins, highUndecided: undecided)
        report.specOnly = specOnly
        return report
    }

    /// One report per calendar month, the last the month holding `date`: the chart's series.
    /// Counted in one pass; the queue-based extra figure is left out.
    public static func monthly(store: any InspectionStore, endingWith date: LocalDate, settings: ScoringSettings) async throws -> [InspectionReport] {
        let months = ReportPeriod.months(endingWith: date)
        let bins = ReportBins(boundaries: months.map(\.from) + [months.last!.end], zone: settings.zone)
        let counted = try await store.inspectionTallies(bins, durations: false)
        return months.map { report($0, of: counted, in: bins, highUndecided: nil) }
    }

    /// The page's two: the period's report and the chart's months ending with its last day, from
    /// one counting pass over bins cut at every bound of both (each figure is a sum over its bins,
    /// so the period's and each month's are those of their own passes). Two passes made the page
    /// twice the `report` command: 6.5-10.4 s at a million rows (audit 26, scale F3).
    public static func reportAndMonths(store: any Store & InspectionStore, period: ReportPeriod,
                                       settings: ScoringSettings) async throws -> (report: InspectionReport, months: [InspectionReport]) {
        let months = ReportPeriod.months(endingWith: period.to)
        let bins = ReportBins(boundaries: Set(months.map(\.from) + [months.last!.end, period.from, period.end]).sorted(), zone: settings.zone)
        async let tallies = store.inspectionTallies(bins, durations: true)
        let undecided = try await highUndecided(store: store, settings: settings, end: settings.zone.instant(on: period.end), lastDay: period.to)
        let counted = try await tallies
        var chart = counted
        // The chart's months are counted without the durations, as `monthly` counts them.
        for b in chart.bins.indices { chart.bins[b].secondsToAcknowledge = [] }
        return (report(period, of: counted, in: bins, highUndecided: undecided), months.map { report($0, of: chart, in: bins, highUndecided: nil) })
    }

    /// The report of `period` from tallies counted over `bins`, two of whose bounds are the
    /// period's first day and the day after its last: the sum of the bins between, and the episodes
    /// that went missing in it, as of its end.
    static func report(_ period: ReportPeriod, of counted: InspectionTallies, in bins: ReportBins, highUndecided: Int?) -> InspectionReport {
        let first = bins.dates.firstIndex(of: period.from)!, last = bins.dates.firstIndex(of: period.end)!
        var tallies = counted.bins[first]
        for b in first + 1..<last { tallies += counted.bins[b] }
        let (from, end) = (bins.instants[first], bins.instants[last])
        return InspectionReport(period: period, tallies: tallies, episodes: counted.episodes.filter { from <= $0.missingAt && $0.missingAt < end },
                                asOf: end, highUndecided: highUndecided)
    }

    /// Children who met a high rule as of 14 days before `end` and had no decision dated since their
    /// newest incident and on or before `lastDay`, the period's last (the day `end` closes).
    static func highUndecided(store: any Store & InspectionStore, settings: ScoringSettings, end: Date,
                              lastDay: LocalDate) async throws -> Int {
        let asOf = end.addingTimeInterval(-Double(InspectionReport.decisionGraceDays) * RiskRules.secondsPerDay)
        // Decisions are few: read first, so each child is counted as the scan assesses it and none
        // is kept. Level high is a rule at level high (the level is the highest rule's), so the
        // children at high alone hold every such child, and the floor skips the rest sooner.
        let decided = try await store.latestDecisionDays(through: lastDay)
        let zone = settings.zone
        let waiting = try await ReviewQueue.assess(store: store, settings: settings, asOf: asOf, minimum: .high,
                                                   tally: { Count() }) { waiting, _, a, _ in
            if a.metHighRule && a.awaitsDecision(latestDecisionOn: decided[a.childId], zone: zone) { waiting.value.add(1, ordering: .relaxed) }
        }
        return waiting.value.load(ordering: .relaxed)
    }

    /// The children counted by one reading of the queue (its parts count at once).
    final class Count: Sendable {
        let value = Atomic<Int>(0)
    }

    /// Said with a report whose period has not ended at `now` (the table and the page; the JSON is
    /// the SPEC's and stays as it is): SPEC §11 counts every alert whose deadline falls in the period
    /// as due and judges return interviews as of the period's end, so until then an alert still in
    /// time counts as not delivered and an interview not yet late as overdue (audit 27, F2). The
    /// figures are the SPEC's; the reader is told they are not final. Nil for a period ended.
    public static func notEnded(_ period: ReportPeriod, now: Date, zone: Zone) -> String? {
        guard zone.instant(on: period.end) > now else { return nil }
        return "This period has not ended: until the end of \(period.to), alerts whose deadline is still ahead count as "
            + "not delivered and return interviews are judged as of the period's end, so those figures are not final."
    }

    /// The CSV download of the monthly series: a header of `section.key` names, then a month a line.
    public static func csv(_ months: [InspectionReport]) -> String {
        guard let first = months.first else { return "" }
        var out = "month," + first.figures.map { "\($0.section).\($0.key)" }.joined(separator: ",") + "\r\n"
        for m in months {
            out += m.period.monthText + "," + m.figures.map { String($0.count) }.joined(separator: ",") + "\r\n"
        }
        return out
    }
}
