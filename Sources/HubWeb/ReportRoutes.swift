import CivilTime
import Foundation
import HTTPTypes
import Hummingbird
import Inspection
import NIOCore
import RiskModel
import StoreContract

/// `/report`: the inspection report (SPEC §11) for supervisors and admins: the figures of a chosen
/// period (by default last month), a chart and table by month for the twelve months ending with
/// the period's last, and the monthly series as CSV. Each view and download is audited.
struct ReportRoutes {
    static let path = "/report"
    static let csvPath = "/report.csv"

    let store: any HubStore
    let pages: PageRenderer
    let configuration: WebConfiguration
    let clock: WebClock

    func add(to router: Router<HubRequestContext>) {
        router.get(.init(stringLiteral: Self.path)) { request, context in
            let user = try context.require(.supervisor)
            return try await page(request: request, context: context, user: user)
        }
        router.get(.init(stringLiteral: Self.csvPath)) { request, context in
            let user = try context.require(.supervisor)
            let zone = configuration.scoring.zone
            let query = request.formQuery
            // The download is the twelve months ending with `to`'s: a `from` was ignored, and the
            // months of another period came without a word.
            if query["from"]?.isEmpty == false { throw PageError.badRequest(Self.downloadTakesNoFrom) }
            let text = query["to"] ?? ""
            guard let last = text.isEmpty ? zone.localDate(of: clock.now()) : LocalDate(entered: text) else {
                throw PageError.badRequest(Self.message(.notADate(option: "to", text: text)))
            }
            let months = try await Inspection.monthly(store: store, endingWith: last, settings: configuration.scoring)
            try await store.appendAudit(actor: "user:\(user.name)", action: "report.downloaded",
                                        subject: "report:\(months.first!.period.from)/\(months.last!.period.to)", at: clock.now())
            let name = "encompass-report-\(months.first!.period.monthText)-to-\(months.last!.period.monthText).csv"
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                                   .contentDisposition: "attachment; filename=\"\(name)\""],
                            body: .init(byteBuffer: ByteBuffer(string: Inspection.csv(months))))
        }
    }

    /// Last month, the default period: the figures an inspector asks for first.
    static func lastMonth(today: LocalDate) -> ReportPeriod {
        ReportPeriod.month(of: ReportPeriod.month(of: today).from.adding(days: -1))
    }

    private func page(request: Request, context: HubRequestContext, user: UserAccount) async throws -> Response {
        let zone = configuration.scoring.zone
        let now = clock.now()
        let query = request.formQuery
        let fromText = query["from"] ?? ""
        let toText = query["to"] ?? ""
        let fallback = Self.lastMonth(today: zone.localDate(of: now))
        var problems: [FieldProblem] = []
        var period = fallback
        if !fromText.isEmpty || !toText.isEmpty {
            do {
                period = try Self.period(fromText: fromText, toText: toText)
            } catch {
                problems = error.problems
            }
        }
        let time = DisplayTime(zone: zone)
        var values: [String: Any] = [
            "from": problems.isEmpty ? period.from.description : fromText,
            "to": problems.isEmpty ? period.to.description : toText,
            "csv": Self.csvPath + "?to=" + period.to.description,
        ]
        if !problems.isEmpty {
            values.merge(FormErrors(problems).values) { _, new in new }
        } else {
            let (report, months) = try await Inspection.reportAndMonths(store: store, period: period, settings: configuration.scoring)
            try await store.appendAudit(actor: "user:\(user.name)", action: "report.viewed",
                                        subject: "report:\(period.from)/\(period.to)", at: now)
            values.merge(Self.values(report: report, months: months, time: time)) { _, new in new }
            values["notEnded"] = Inspection.notEnded(period, now: now, zone: zone)
        }
        let frame = PageFrame(context: context, title: "Inspection report", error: !problems.isEmpty)
        return pages.render("report", frame.with(values), status: problems.isEmpty ? .ok : .badRequest)
    }

    /// The period the page's From and To name, or a problem for each field that names none: both,
    /// not only the first (`?to=bad` alone was told only that From was not a date), each tied to its
    /// field; then From after To.
    static func period(fromText: String, toText: String) throws(PeriodProblems) -> ReportPeriod {
        let from = LocalDate(entered: fromText), to = LocalDate(entered: toText)
        var problems: [FieldProblem] = []
        if from == nil { problems.append(FieldProblem(field: "from", message: message(.notADate(option: "From", text: fromText)))) }
        if to == nil { problems.append(FieldProblem(field: "to", message: message(.notADate(option: "To", text: toText)))) }
        guard let from, let to else { throw PeriodProblems(problems: problems) }
        do throws(ReportPeriod.Problem) {
            return try ReportPeriod(from: from, to: to)
        } catch {
            throw PeriodProblems(problems: [FieldProblem(field: "from", message: message(error))])
        }
    }

    /// Why the page's From and To name no period, a problem a field.
    struct PeriodProblems: Error {
        let problems: [FieldProblem]
    }

    /// What `/report.csv?from=...` is told (400).
    static let downloadTakesNoFrom = "from: the download takes no from: it is the twelve months ending with the month of to, "
        + "a date as YYYY-MM-DD (such as /report.csv?to=2026-10-31); leave from out."

    static func message(_ problem: ReportPeriod.Problem) -> String {
        switch problem {
        case .notADate(let field, _): "\(field) must be a date as YYYY-MM-DD in the years \(LocalDate.enteredYears.lowerBound) to \(LocalDate.enteredYears.upperBound), such as 2026-10-01."
        case .fromAfterTo: "From must be on or before To."
        }
    }

    static func values(report: InspectionReport, months: [InspectionReport], time: DisplayTime) -> [String: Any] {
        func label(_ p: ReportPeriod) -> String { time.month(time.zone.instant(on: p.from)) }
        let figures = report.figures
        let sections: [[String: Any]] = InspectionReport.sections.map { section in
            ["sectionTitle": section.title, "sectionKey": section.key,
             "rows": figures.filter { $0.section == section.key }.map { ["label": $0.label, "value": $0.text, "key": $0.key] as [String: Any] }]
        }
        func cell(_ count: Int, _ rate: Int?) -> String {
            InspectionReport.Figure.grouped(count) + (rate.map { " (\($0)%)" } ?? "")
        }
        let monthRows: [[String: Any]] = months.map { m in
            let t = m.tallies
            return [
                "month": label(m.period),
                "incidents": InspectionReport.Figure.grouped(t.incidents),
                "links": InspectionReport.Figure.grouped(t.childLinks),
                "voice": cell(t.childVoiceRecorded, ReportChart.rate(t.childVoiceRecorded, t.childLinks)),
                "bwv": cell(t.bwvUsed, ReportChart.rate(t.bwvUsed, t.incidents)),
                "due": InspectionReport.Figure.grouped(t.alertsDue),
                "onTime": cell(t.deliveredOnTime, ReportChart.rate(t.deliveredOnTime, t.alertsDue)),
                "ackOnTime": cell(t.acknowledgedOnTime, ReportChart.rate(t.acknowledgedOnTime, t.alertsDue)),
                "unmatched": InspectionReport.Figure.grouped(t.unmatched),
                "referred": InspectionReport.Figure.grouped(t.maracReferred),
                "episodes": InspectionReport.Figure.grouped(m.missingEpisodes),
            ]
        }
        return [
            "report": true,
            "periodWords": "\(time.day(report.period.from)) to \(time.day(report.period.to))",
            "sections": sections,
            "extra": report.extraLines.map { ["label": $0.label, "value": $0.value, "key": $0.key] as [String: Any] },
            "chart": ReportChart.svg(months, monthLabel: label),
            "legend": ReportChart.series.map { ["name": $0.name, "key": ReportChart.key($0)] as [String: Any] },
            "months": monthRows,
            "chartWords": "\(label(months.first!.period)) to \(label(months.last!.period))",
        ]
    }
}
