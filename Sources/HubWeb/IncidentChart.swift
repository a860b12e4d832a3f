import Foundation
import RiskModel
import StoreContract

/// The geometry of the child page's small chart: the window's incidents as marks along the time axis,
/// and the cumulative score over the window as a line, with the medium and high thresholds. Only
/// numbers reach the SVG; the incident ids in the marks' titles are escaped by the template.
struct IncidentChart {
    static let width = 640.0
    static let height = 220.0
    static let left = 52.0
    /// The threshold labels sit in this margin, right of the plot, where the score line never runs.
    static let right = 116.0
    static let top = 12.0
    static let bottom = 36.0
    static let samples = 120

    let values: [String: Any]

    init(incidents: [ChildIncident], episodes: [ChildEpisode] = [], usedByRules: Set<String>, asOf: Date, settings: ScoringSettings,
         time: DisplayTime) {
        let span = Double(settings.windowDays) * RiskRules.secondsPerDay
        let start = asOf.addingTimeInterval(-span)
        let inWindow = incidents.filter { $0.reportedAt >= start && $0.reportedAt <= asOf }
        let plotWidth = Self.width - Self.left - Self.right
        let plotHeight = Self.height - Self.top - Self.bottom
        func x(_ d: Date) -> Double { Self.left + plotWidth * d.timeIntervalSince(start) / span }

        // Sample the score, plus just before and at each incident so its step shows.
        var instants = (0...Self.samples).map { start.addingTimeInterval(span * Double($0) / Double(Self.samples)) }
        for i in inWindow { instants += [i.reportedAt.addingTimeInterval(-1), i.reportedAt] }
        instants.sort()
        let scores = instants.map { t in Self.score(at: t, incidents: incidents, settings: settings) }
        let top = max(settings.scoreHigh * 1.25, (scores.max() ?? 0) * 1.1, 1)
        func y(_ s: Double) -> Double { Self.top + plotHeight * (1 - s / top) }

        let line = zip(instants, scores).map { Self.format(x($0)) + "," + Self.format(y($1)) }.joined(separator: " ")
        let markY = Self.top + plotHeight - 10
        let marks: [[String: Any]] = inWindow.map { i in
            [
                "x": Self.format(x(i.reportedAt)),
                "y": Self.format(markY),
                "shape": Self.shape(i.effectiveGrade, x: x(i.reportedAt), y: markY, r: 7),
                "grade": i.effectiveGrade.name,
                "used": usedByRules.contains(i.incidentId),
                "label": "\(i.incidentId): \(i.effectiveGrade.name), \(time.day(i.reportedAt))",
            ]
        }
        // Missing episodes sit on the same time line, higher up, as diamonds: not incidents, so not scored.
        let episodeY = markY - 20
        let episodeMarks: [[String: Any]] = episodes.filter { $0.missingAt >= start && $0.missingAt <= asOf }.map { e in
            let (ex, f) = (x(e.missingAt), Self.format)
            return [
                "shape": "M\(f(ex)),\(f(episodeY - 8)) L\(f(ex + 7)),\(f(episodeY)) L\(f(ex)),\(f(episodeY + 8)) L\(f(ex - 7)),\(f(episodeY)) Z",
                "used": usedByRules.contains("episode:" + e.episodeId),
                "label": "missing episode \(e.episodeId): \(time.day(e.missingAt))",
            ]
        }
        let thresholds: [[String: Any]] = [("medium", settings.scoreMedium), ("high", settings.scoreHigh)].map { name, value in
            ["y": Self.format(y(value)), "label": "\(name) \(Self.plain(value))", "labelY": Self.format(y(value) + 5), "level": name]
        }
        // An axis label at the start of each quarter of the window.
        let ticks: [[String: Any]] = (0...4).map { k in
            let d = start.addingTimeInterval(span * Double(k) / 4)
            // Centred on its instant: the margins either side leave room, even at a phone's larger type.
            return ["x": Self.format(x(d)), "label": time.month(d), "anchor": "middle"]
        }
        let now = Self.score(at: asOf, incidents: incidents, settings: settings)
        values = [
            "width": Self.format(Self.width), "height": Self.format(Self.height),
            "plotLeft": Self.format(Self.left), "plotRight": Self.format(Self.width - Self.right),
            "plotTop": Self.format(Self.top), "plotBottom": Self.format(Self.top + plotHeight),
            "labelX": Self.format(Self.width - Self.right + 6),
            "legend": Grade.allCases.reversed().map { g in
                ["grade": g.name, "shapeName": Self.shapeName(g), "shape": Self.shape(g, x: 10, y: 10, r: 7)]
            },
            "axisLabelY": Self.format(Self.height - 12),
            "line": line, "marks": marks, "thresholds": thresholds, "ticks": ticks, "episodeMarks": episodeMarks,
            "hasEpisodeMarks": !episodeMarks.isEmpty,
            "summary": "\(IncidentWords.count(inWindow.count)) in the last \(settings.windowDays) days; "
                + "the score now is \(String(format: "%.2f", now)) (medium from \(Self.plain(settings.scoreMedium)), "
                + "high from \(Self.plain(settings.scoreHigh))).",
        ]
    }

    /// SPEC §4's score as of `t`: each incident in the window weighted by grade and halved every half-life.
    static func score(at t: Date, incidents: [ChildIncident], settings: ScoringSettings) -> Double {
        let start = t.addingTimeInterval(-Double(settings.windowDays) * RiskRules.secondsPerDay)
        var seen = Set<String>()
        var total = 0.0
        for i in incidents where i.reportedAt >= start && i.reportedAt <= t && seen.insert(i.incidentId).inserted {
            total += settings.weight(of: i.effectiveGrade) * RiskRules.decay(from: i.reportedAt, to: t, halfLifeDays: settings.halfLifeDays)
        }
        return total
    }

    static func format(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Each grade its own shape as well as its colour (WCAG 1.4.1): high a triangle, medium a
    /// square, standard a circle, as an SVG path centred on (x, y).
    static func shape(_ grade: Grade, x: Double, y: Double, r: Double) -> String {
        let f = format
        switch grade {
        case .high:
            return "M\(f(x)),\(f(y - r * 1.25)) L\(f(x + r * 1.2)),\(f(y + r * 0.85)) L\(f(x - r * 1.2)),\(f(y + r * 0.85)) Z"
        case .medium:
            let s = r * 0.9
            return "M\(f(x - s)),\(f(y - s)) H\(f(x + s)) V\(f(y + s)) H\(f(x - s)) Z"
        case .standard:
            return "M\(f(x - r)),\(f(y)) A\(f(r)),\(f(r)) 0 1,0 \(f(x + r)),\(f(y)) A\(f(r)),\(f(r)) 0 1,0 \(f(x - r)),\(f(y)) Z"
        }
    }

    static func shapeName(_ grade: Grade) -> String {
        switch grade {
        case .high: "triangle"
        case .medium: "square"
        case .standard: "circle"
        }
    }

    static func plain(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : String(v)
    }
}
