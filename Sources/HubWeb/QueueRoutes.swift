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
        let query = request.formQuery
        var filter = QueueFilter(query: query)
        guard let place = filter.place(pageSize: configuration.queuePageSize) else {
            throw PageError.badRequest("This page link does not name a place in the queue. Open the review queue from its first page.")
        }
        var problems: [FieldProblem] = []
        let built: ReviewQueue
        var cacheKey: (key: String, stamp: String)?
        if let text = query["as_of"], !text.isEmpty {
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
        problems += filter.problems
        let decisions = try await store.latestDecisions()
        // The unfiltered queue is the common case on a large store: no pass over every entry then.
        // A filter that cannot be read shows no one rather than everyone, with what was typed kept.
        let matching: ArraySlice<ReviewQueue.Entry> = !problems.isEmpty ? [] : filter.isEmpty ? built.entries[...]
            : built.entries.filter { filter.keeps($0, latestDecision: decisions[$0.assessment.childId], zone: configuration.scoring.zone) }[...]
        // The queue's order places the page (`QueuePage`); the links go on from the first and last
        // child shown, so a child the list gains or loses meanwhile moves no other across a page.
        let page = QueuePage(matching, at: place, size: configuration.queuePageSize)
        let shown = Array(matching.dropFirst(page.range.lowerBound).prefix(page.range.count))
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
            "first": page.range.lowerBound + 1,
            "last": page.range.upperBound,
            "hasShown": !shown.isEmpty,
            // Every child after the place asked for has gone (decided, or left the queue).
            "pastEnd": shown.isEmpty && !matching.isEmpty,
            "filter": filter.formValues,
            "levels": QueueFilter.levelChoices(selected: filter.level),
            "rules": QueueFilter.ruleChoices(selected: filter.rule),
        ]
        values.merge(FormErrors(problems).values) { _, new in new }
        if page.hasPrevious {
            values["firstPage"] = filter.link(.start)
            if let top = shown.first { values["previous"] = filter.link(.before(RiskRules.QueueKey(top.assessment))) }
        }
        if page.hasNext, let bottom = shown.last { values["next"] = filter.link(.after(RiskRules.QueueKey(bottom.assessment))) }
        let frame = PageFrame(context: context, title: "Review queue", error: !problems.isEmpty)
        // A filter that cannot be read is answered as the report's period is (400, the page with the
        // problem), and never kept: the cache answers 200.
        guard problems.isEmpty else { return pages.render("queue", frame.with(values), status: .badRequest) }
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
    /// What the address asked of the page: `after` or `before` a place (`QueuePlace`), or an old `page`.
    var after: String?
    var before: String?
    var page: Int?
    var asOf: String?
    /// Each filter given a value it cannot take, in the form's order: said on the page (400), with
    /// no one shown, as a bad school always was; a bad level or rule was read as none, and the
    /// whole queue shown as though filtered (audit 26, fuzz).
    var problems: [FieldProblem] = []

    init(query: FormFields) {
        var given: [String: String] = [:]
        for (key, value) in query.values {
            let v = value.trimmingCharacters(in: .whitespaces)
            switch key {
            case "level", "rule", "undecided": given[key] = v
            case "school": school = v.isEmpty ? nil : v
            case "after": after = v
            case "before": before = v
            // An old bookmark's page number: anything that is not one is the first page, as it was.
            case "page": page = Int(v) ?? 1
            default: break
            }
        }
        // Empty is the form's "any" choice; anything else must be one of the choices the form offers.
        if let v = given["level"], !v.isEmpty {
            level = Level(name: v).flatMap { $0 == .standard ? nil : $0 }
            if level == nil { problems.append(FieldProblem(field: "level", message: "Choose the level from the list: high or medium.")) }
        }
        if let v = given["rule"], !v.isEmpty {
            rule = RuleID(rawValue: v)
            if rule == nil { problems.append(FieldProblem(field: "rule", message: "Choose the rule from the list.")) }
        }
        if let why = TextInput.schoolFilter.problem(school) {
            problems.append(FieldProblem(field: "school", message: why))
        } else if let school, school != Self.noSchool, !URN.isValid(school) {
            problems.append(FieldProblem(field: "school", message: "Enter the school's URN as 6 digits, such as 100000, or “none” for children with no school known."))
        }
        if let v = given["undecided"], !v.isEmpty {
            undecided = v == "1" || v == "on"
            if !undecided { problems.append(FieldProblem(field: "undecided", message: "No decision yet is ticked or left out: the address gave it another value.")) }
        }
    }

    var isEmpty: Bool { level == nil && rule == nil && school == nil && !undecided }

    /// Where the page starts; nil when `after` or `before` is not a place the page links write.
    func place(pageSize: Int) -> QueuePlace? {
        if let after { return RiskRules.QueueKey(cursor: after).map(QueuePlace.after) }
        if let before { return RiskRules.QueueKey(cursor: before).map(QueuePlace.before) }
        guard let page, page > 1 else { return .start }
        // Capped before multiplying: `?page=` with a huge number is the last page, never an overflow.
        return .position((min(page, Int(Int32.max) / max(1, pageSize)) - 1) * pageSize)
    }

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

    func link(_ place: QueuePlace) -> String {
        var parts: [String] = []
        func add(_ k: String, _ v: String) {
            parts.append(k + "=" + (v.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        }
        if let level { add("level", level.name) }
        if let rule { add("rule", rule.rawValue) }
        if let school { add("school", school) }
        if undecided { add("undecided", "1") }
        if let asOf { add("as_of", asOf) }
        switch place {
        case .start: break
        case .after(let key): add("after", key.cursor)
        case .before(let key): add("before", key.cursor)
        // Never a link's: a page reached by an old `?page=` goes on by place like any other.
        case .position: break
        }
        return parts.isEmpty ? "/" : "/?" + parts.joined(separator: "&")
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
                return words.prefix(1).uppercased() + words.dropFirst() + " (\(IncidentWords.used(by: hit)))"
            },
            "suggestMARAC": a.suggestions.contains(Assessment.maracReferralSuggestion),
            "suggestStrategy": a.suggestions.contains(Assessment.strategyMeetingSuggestion),
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

    static func episodes(_ n: Int) -> String { n == 1 ? "1 missing episode" : "\(n) missing episodes" }

    /// What a rule rested on: its incidents, or the missing episodes `repeat-missing` counts (it
    /// uses no incident, and "0 incidents" read as though it rested on nothing: audit 20, F4).
    static func used(by hit: RuleHit) -> String {
        var parts: [String] = []
        if !hit.incidentIds.isEmpty || hit.episodeIds.isEmpty { parts.append(count(hit.incidentIds.count)) }
        if !hit.episodeIds.isEmpty { parts.append(episodes(hit.episodeIds.count)) }
        return parts.joined(separator: ", ")
    }
}
