import Foundation
import Inspection
import StoreContract

/// The report's chart by month: server-rendered SVG, no script. Each series is a rate (0–100%) told
/// apart by its line's dash and its markers' shape as well as by its shade, so it reads in greyscale
/// and printed; the same numbers are in the table beside it for screen readers, so the picture is
/// one image with a summary, not something to navigate.
struct ReportChart {
    struct Series: Sendable {
        let name: String
        let dash: String
        let marker: Marker
        let shade: String
        let rate: @Sendable (InspectionReport) -> Int?
    }

    enum Marker: Sendable { case circle, square, triangle, diamond }

    static let series: [Series] = [
        Series(name: "Alerts delivered on time", dash: "", marker: .circle, shade: "#0b0c0c") { r in
            rate(r.tallies.deliveredOnTime, r.tallies.alertsDue)
        },
        Series(name: "Alerts acknowledged on time", dash: "8 4", marker: .square, shade: "#505a5f") { r in
            rate(r.tallies.acknowledgedOnTime, r.tallies.alertsDue)
        },
        Series(name: "Child's voice recorded", dash: "2 3", marker: .triangle, shade: "#1d70b8") { r in
            rate(r.tallies.childVoiceRecorded, r.tallies.childLinks)
        },
        Series(name: "Body-worn video used", dash: "10 3 2 3", marker: .diamond, shade: "#6f72af") { r in
            rate(r.tallies.bwvUsed, r.tallies.incidents)
        },
    ]

    static func rate(_ part: Int, _ whole: Int) -> Int? { whole == 0 ? nil : InspectionReport.percent(part, of: whole) }

    // Plot area inside the viewBox.
    static let width = 720.0, height = 320.0
    static let left = 48.0, right = 40.0, top = 16.0, bottom = 40.0

    /// The SVG for `months` (oldest first). Only numbers and fixed words go in: nothing typed by anyone.
    static func svg(_ months: [InspectionReport], monthLabel: (ReportPeriod) -> String) -> String {
        let plotW = width - left - right, plotH = height - top - bottom
        let step = months.count > 1 ? plotW / Double(months.count - 1) : 0
        func x(_ i: Int) -> Double { left + Double(i) * step }
        func y(_ percent: Int) -> Double { top + plotH * (1 - Double(percent) / 100) }

        let first = months.first.map { monthLabel($0.period) } ?? ""
        let last = months.last.map { monthLabel($0.period) } ?? ""
        var s = """
            <svg class="report-chart" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-labelledby="chart-title chart-desc" \
            xmlns="http://www.w3.org/2000/svg" font-family="Arial, sans-serif" font-size="12">
            <title id="chart-title">Rates by month, \(first) to \(last)</title>
            <desc id="chart-desc">Four percentages by month: \(series.map(\.name).joined(separator: ", ")). \
            The numbers are in the table "Figures by month" below the chart.</desc>

            """
        for p in stride(from: 0, through: 100, by: 25) {
            s += "<line x1=\"\(n(left))\" y1=\"\(n(y(p)))\" x2=\"\(n(width - right))\" y2=\"\(n(y(p)))\" stroke=\"#b1b4b6\" stroke-width=\"1\"/>"
            s += "<text x=\"\(n(left - 6))\" y=\"\(n(y(p) + 4))\" text-anchor=\"end\" fill=\"#0b0c0c\">\(p)%</text>\n"
        }
        for (i, m) in months.enumerated() {
            s += "<text x=\"\(n(x(i)))\" y=\"\(n(height - bottom + 18))\" text-anchor=\"middle\" fill=\"#0b0c0c\">\(monthLabel(m.period))</text>\n"
        }
        for line in series {
            // A month with nothing to count leaves a gap, not a fall to zero.
            var runs: [[(Double, Double)]] = [[]]
            for (i, m) in months.enumerated() {
                if let r = line.rate(m) { runs[runs.count - 1].append((x(i), y(r))) } else if !runs[runs.count - 1].isEmpty { runs.append([]) }
            }
            let points = runs.joined()
            for run in runs where run.count > 1 {
                let d = run.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
                s += "<polyline points=\"\(d)\" fill=\"none\" stroke=\"\(line.shade)\" stroke-width=\"2\"\(line.dash.isEmpty ? "" : " stroke-dasharray=\"\(line.dash)\"")/>\n"
            }
            for (px, py) in points { s += marker(line.marker, px, py, line.shade) + "\n" }
        }
        return s + "</svg>"
    }

    /// Coordinates to one decimal place: enough for the picture, short in the page.
    static func n(_ v: Double) -> String { String(format: "%.1f", v) }

    static func marker(_ m: Marker, _ x: Double, _ y: Double, _ shade: String) -> String {
        switch m {
        case .circle: return "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"4\" fill=\"\(shade)\"/>"
        case .square: return "<rect x=\"\(n(x - 4))\" y=\"\(n(y - 4))\" width=\"8\" height=\"8\" fill=\"#ffffff\" stroke=\"\(shade)\" stroke-width=\"2\"/>"
        case .triangle: return "<polygon points=\"\(n(x)),\(n(y - 5)) \(n(x - 5)),\(n(y + 4)) \(n(x + 5)),\(n(y + 4))\" fill=\"\(shade)\"/>"
        case .diamond: return "<polygon points=\"\(n(x)),\(n(y - 5)) \(n(x + 5)),\(n(y)) \(n(x)),\(n(y + 5)) \(n(x - 5)),\(n(y))\" fill=\"#ffffff\" stroke=\"\(shade)\" stroke-width=\"2\"/>"
        }
    }

    /// The legend as a small SVG per series (line and marker), for the list beside the chart.
    static func key(_ line: Series) -> String {
        "<svg width=\"40\" height=\"12\" viewBox=\"0 0 40 12\" aria-hidden=\"true\" focusable=\"false\">"
            + "<line x1=\"2\" y1=\"6\" x2=\"38\" y2=\"6\" stroke=\"\(line.shade)\" stroke-width=\"2\"\(line.dash.isEmpty ? "" : " stroke-dasharray=\"\(line.dash)\"")/>"
            + marker(line.marker, 20, 6, line.shade) + "</svg>"
    }
}
