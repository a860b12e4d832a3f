import Foundation
import Hummingbird
import Ingest
import InputRules
import NIOCore
import Review
import RiskModel
import StoreContract

/// The review queue: the same children in the same order as `encompass escalations`, narrowed by the
/// filters, a page at a time, each row saying why in words.
struct QueueRoutes {
    let store: any HubStore
    let pages: PageRenderer
    let queue: QueueCache
    let configuration: WebConfiguration
    let clock: WebClock
    let rendered = RenderedPages(capacity: 256)

    func add(to router: Router<HubRequestContext>) {
        router.get("/") { request, context in
            _ = try context.require(.hub)
            return try await page(request: request, context: context)
        }
    }

    private func page(request: Request, context: HubRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = QueueFilter(query: query)
        var problems: [String] = []
        let built: ReviewQueue
        var cacheKey: (key: String, stamp: String)?
        if let text = query["as_of"].map(String.init), !text.isEmpty {
            guard case .success(let asOf) = InstantText.parse(text) else {
                throw PageError.badRequest("as_of must be an ISO 8601 date-time with Z or an offset, such as 2026-03-06T21:40:00Z, in \(InstantText.rangeWords).")
            }
            built = try await ReviewQueue.build(store: store, settings: configuration.scoring, asOf: asOf, includeAll: false)
            filter.asOf = text
        } else {
            let current = try await queue.versioned()
            built = current.queue
            let session = try context.user().name + " " + (context.session?.tokenHash ?? "")
            cacheKey = (session + " " + request.uri.description, "\(current.build) \(try await store.changeVersion())")
            if let cacheKey, let body = await rendered.body(for: cacheKey.key, stamp: cacheKey.stamp) {
                return .html(body)
            }
        }
        if let why = TextInput.schoolFilter.problem(filter.school) {
            problems.append(why)
        } else if let school = filter.school, school != QueueFilter.noSchool, !URN.isValid(school) {
            problems.append("Enter the school's URN as 6 digits, such as 100000, or “none” for children with no school known.")
        }
        let decisions = try await store.latestDecisions()
        // The unfiltered queue is the common case on a large store: no pass over every entry then.
        // A filter that cannot be read shows no one rather than everyone, with what was typed kept.
        let matching: ArraySlice<ReviewQueue.Entry> = !problems.isEmpty ? [] : filter.isEmpty ? built.entries[...]
            : built.entries.filter { filter.keeps($0, latestDecision: decisions[$0.assessment.childId], zone: configuration.scoring.zone) }[...]
        let pageCount = max(1, (matching.count + configuration.queuePageSize - 1) / configuration.queuePageSize)
        let pageNumber = min(max(1, filter.page), pageCount)
        let start = (pageNumber - 1) * configuration.queuePageSize
        let shown = Array(matching.dropFirst(start).prefix(configuration.queuePageSize))
        let names = try await store.childNames(shown.map(\.assessment.childId))
        let time = DisplayTime(zone: configuration.scoring.zone)
        let rows = shown.map { entry in
            QueueRow(entry: entry, name: names[entry.assessment.childId], decision: decisions[entry.assessment.childId],
                     settings: configuration.scoring, time: time).values
        }
        var values: [String: Any] = [
            "asOf": time.dayAndClock(built.asOf),
            "rows": rows,
            "hasRows": !rows.isEmpty,
            "total": built.entries.count,
            "matching": matching.count,
            "first": matching.isEmpty ? 0 : start + 1,
            "last": start + shown.count,
            "filter": filter.formValues,
            "levels": QueueFilter.levelChoices(selected: filter.level),
            "rules": QueueFilter.ruleChoices(selected: filter.rule),
        ]
        values.merge(FormErrors(problems.map { FieldProblem(field: "school", message: $0) }).values) { _, new in new }
        if pageNumber > 1 { values["previous"] = filter.link(page: pageNumber - 1) }
        if pageNumber < pageCount { values["next"] = filter.link(page: pageNumber + 1) }
        values["pageNumber"] = pageNumber
        values["pageCount"] = pageCount
        let frame = PageFrame(context: context, title: "Review queue", error: !problems.isEmpty)
        let body = ByteBuffer(string: try pages.html("queue", frame.with(values)))
        if let cacheKey { await rendered.keep(body, for: cacheKey.key, stamp: cacheKey.stamp) }
        return .html(body)
    }
}

/// The queue's filters, read from the query string and written back into the form and the page links.
struct QueueFilter {
    static let noSchool = "none"

    var level: Level?
    var rule: RuleID?
    var school: String?
    var undecided = false
    var page = 1
    var asOf: String?

    init(query: some Collection<(key: Substring, value: Substring)>) {
        for (key, value) in query {
            let v = String(value).trimmingCharacters(in: .whitespaces)
            switch key {
            case "level": level = Level(name: v)
            case "rule": rule = RuleID(rawValue: v)
            case "school": school = v.isEmpty ? nil : v
            case "undecided": undecided = v == "1" || v == "on"
            case "page": page = Int(v) ?? 1
            default: break
            }
        }
    }

    var isEmpty: Bool { level == nil && rule == nil && school == nil && !undecided }

    /// "No decision yet": no decision dated since the child's newest incident in the window
    /// (`Assessment.awaitsDecision`). `latestDecision`: the child's decision that stands.
    func keeps(_ entry: ReviewQueue.Entry, latestDecision: Decision?, zone: Zone) -> Bool {
        let a = entry.assessment
        if let level, a.level != level { return false }
        if let rule, a.hit(rule) == nil { return false }
        if let school {
            let urn = entry.summary?.schoolURN
            if school == Self.noSchool ? urn != nil : urn != school { return false }
        }
        if undecided, !a.awaitsDecision(latestDecisionOn: latestDecision?.on, zone: zone) { return false }
        return true
    }

    var formValues: [String: Any] {
        var v: [String: Any] = ["undecided": undecided]
        // What was typed is kept, less any control character (refused, and never written back raw).
        if let school { v["school"] = String(String.UnicodeScalarView(school.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F })) }
        if let asOf { v["asOf"] = asOf }
        return v
    }

    func link(page: Int) -> String {
        var parts: [String] = []
        func add(_ k: String, _ v: String) {
            parts.append(k + "=" + (v.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        }
        if let level { add("level", level.name) }
        if let rule { add("rule", rule.rawValue) }
        if let school { add("school", school) }
        if undecided { add("undecided", "1") }
        if let asOf { add("as_of", asOf) }
        add("page", String(page))
        return "/?" + parts.joined(separator: "&")
    }

    static func levelChoices(selected: Level?) -> [[String: Any]] {
        [["value": "", "label": "High and medium", "selected": selected == nil]]
            + [Level.high, .medium].map { ["value": $0.name, "label": $0.name.capitalized, "selected": selected == $0] }
    }

    static func ruleChoices(selected: RuleID?) -> [[String: Any]] {
        [["value": "", "label": "Any rule", "selected": selected == nil]]
            + RuleID.allCases.map { ["value": $0.rawValue, "label": $0.rawValue, "selected": selected == $0] }
    }
}

/// One child's row: who, how serious, why in words, and what was decided.
struct QueueRow {
    let values: [String: Any]

    init(entry: ReviewQueue.Entry, name: ChildName?, decision: Decision?, settings: ScoringSettings, time: DisplayTime) {
        let a = entry.assessment
        var v: [String: Any] = [
            "childId": a.childId,
            "link": ChildRoutes.path(a.childId),
            "level": a.level.name,
            "score": String(format: "%.2f", ReviewQueue.displayScore(a.score)),
            "incidentCount": a.incidentIds.count,
            "newest": time.day(a.newestIncidentAt),
            "why": a.rules.map { hit in
                let words = hit.rule.summary(settings: settings)
                return words.prefix(1).uppercased() + words.dropFirst() + " (\(IncidentWords.count(hit.incidentIds.count)))"
            },
            "suggestMARAC": a.suggestions.contains(Assessment.maracReferralSuggestion),
        ]
        if let name { v["name"] = name.full }
        if let urn = entry.summary?.schoolURN {
            v["school"] = entry.summary?.schoolName.map { "\($0) (\(urn))" } ?? urn
        }
        if let decision {
            v["decision"] = [
                "outcome": ChildPage.outcomeWords(decision),
                "on": time.day(decision.on),
                // The filter's rule: a decision dated before the newest incident leaves the child waiting.
                "before": a.awaitsDecision(latestDecisionOn: decision.on, zone: settings.zone),
            ] as [String: Any]
        }
        values = v
    }
}

enum IncidentWords {
    static func count(_ n: Int) -> String { n == 1 ? "1 incident" : "\(n) incidents" }
}
