import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import Review
import RiskModel
import SQLiteStore
import StoreContract
import Testing

@Suite struct QueuePageTests {
    /// The child ids in the order the queue page lists them.
    static func childIds(in html: String) -> [String] {
        html.components(separatedBy: #"<span class="id">"#).dropFirst().compactMap { part in
            let id = part.prefix { $0 != "<" }
            return id.hasPrefix("C-") ? String(id) : nil
        }
    }

    @Test func theQueueListsTheSameChildrenInTheSameOrderAsEscalations() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let expected = try await ReviewQueue.build(store: fixture.store, settings: fixture.configuration.scoring,
                                                   asOf: fixture.clock.now(), includeAll: false)
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/").text
        }
        #expect(expected.entries.map(\.assessment.childId) == ["C-4", "C-1", "C-2"])
        #expect(Self.childIds(in: html) == expected.entries.map(\.assessment.childId))
        #expect(html.contains("3 or more incidents in the last 365 days, whatever their grades (3 incidents)"))
        #expect(html.contains("Suggested: MARAC referral"))
        #expect(html.contains(#"<a href="/children/C-1">Amelia Hartley</a>"#))
    }

    @Test(arguments: [
        ("level=high", ["C-4", "C-1"]),
        ("level=medium", ["C-2"]),
        ("rule=visible-high-risk", ["C-4"]),
        ("rule=potential-escalation", ["C-1"]),
        ("school=120501", ["C-1"]),
        ("school=none", ["C-2"]),
        ("undecided=1", ["C-4", "C-2"]),
        ("level=high&undecided=1", ["C-4"]),
    ])
    func filtersNarrowTheQueueAndKeepItsOrder(query: String, expected: [String]) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.store.record(Decision(childId: "C-1", outcome: .declined, on: LocalDate(iso: "2026-11-21")!,
                                                reason: "Family moved; social care involved.", by: "hana",
                                                recordedAt: fixture.clock.now()), strategyDiscussion: false, actor: "test")
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/?\(query)").text
        }
        #expect(Self.childIds(in: html) == expected)
    }

    @Test func aBadSchoolFilterIsExplainedNotIgnoredSilently() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/?school=12").text
        }
        #expect(html.contains("URN as 6 digits"))
    }

    @Test func theQueueIsPaged() async throws {
        var fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        fixture.configuration.queuePageSize = 2
        let (first, second, back, bookmark) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let first = try await browser.get("/").text
            let second = try await browser.get(try #require(QueuePagingTests.link("next", in: first))).text
            let back = try await browser.get(try #require(QueuePagingTests.link("prev", in: second))).text
            return (first, second, back, try await browser.get("/?page=2").text)
        }
        #expect(Self.childIds(in: first) == ["C-4", "C-1"])
        #expect(first.contains("Showing 1 to 2 of 3 children (3 in the queue)."))
        #expect(QueuePagingTests.link("prev", in: first) == nil)
        #expect(Self.childIds(in: second) == ["C-2"])
        #expect(second.contains("Showing 3 to 3 of 3 children (3 in the queue)."))
        #expect(QueuePagingTests.link("next", in: second) == nil)
        #expect(Self.childIds(in: back) == ["C-4", "C-1"])
        // An old bookmark's page number still opens that page of the list as it is now.
        #expect(Self.childIds(in: bookmark) == ["C-2"])
    }

    @Test func aDecisionRecordedElsewhereShowsOnTheNextQueuePage() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let store = fixture.store, clock = fixture.clock
        let (before, after) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let before = try await browser.get("/").text
            _ = try await browser.get("/")  // the same page again, from the rendered-page cache
            try await store.record(Decision(childId: "C-4", outcome: .declined, on: LocalDate(iso: "2026-11-21")!,
                                            reason: "Recorded with the decide command.", by: "cli", recordedAt: clock.now()))
            return (before, try await browser.get("/").text)
        }
        #expect(before.contains("No decision yet"))
        #expect(after.contains("MARAC referral declined, Sat 21 Nov 2026"))
    }

    /// "No decision yet" asks the decision's date, not when it was typed in (audit 19, F4): C-4's
    /// newest incident is of 20 November; a decision dated the 19th, typed in after it, leaves C-4
    /// waiting and says so in the row; one dated the 20th answers it.
    @Test func aDecisionDatedBeforeTheNewestIncidentLeavesTheChildWaitingHoweverLateItWasTypedIn() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let store = fixture.store, clock = fixture.clock
        let (before, row, after) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            try await store.record(Decision(childId: "C-4", outcome: .declined, on: LocalDate(iso: "2026-11-19")!,
                                            reason: "Taken before the incident, recorded late.", by: "hana", recordedAt: clock.now()))
            let before = try await browser.get("/?undecided=1").text
            let row = try await browser.get("/").text
            try await store.record(Decision(childId: "C-4", kind: .strategyMeeting, outcome: .held, on: LocalDate(iso: "2026-11-20")!,
                                            reason: nil, by: "hana", recordedAt: clock.now()))
            return (before, row, try await browser.get("/?undecided=1").text)
        }
        #expect(Self.childIds(in: before).contains("C-4"))
        #expect(row.contains("MARAC referral declined, Thu 19 Nov 2026 <span class=\"muted\">(before the newest incident)</span>"))
        #expect(!Self.childIds(in: after).contains("C-4"))
    }

    @Test func aDecisionMadeInTheAppShowsInTheQueueAtOnce() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (before, after) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let before = try await browser.get("/?undecided=1").text
            _ = try await browser.submit("/children/C-4/decisions", from: "/children/C-4",
                                         form: [("marac", "referred"), ("on", "2026-11-21")])
            return (before, try await browser.get("/?undecided=1").text)
        }
        #expect(Self.childIds(in: before).contains("C-4"))
        #expect(!Self.childIds(in: after).contains("C-4"))
    }
}

@Suite struct ChildPageTests {
    @Test func aScriptInTheChildsWordsAndMarkupInANameComeBackInert() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (one, two, queue) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return (try await browser.get("/children/C-1").text, try await browser.get("/children/C-2").text,
                    try await browser.get("/").text)
        }
        #expect(one.contains("I hid. &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))
        #expect(!one.contains("<script"))
        #expect(two.contains("<h1>&lt;b&gt;Bold&lt;/b&gt; O&#39;Neill &amp; Co</h1>"))
        #expect(!two.contains("<b>Bold"))
        #expect(queue.contains("&lt;b&gt;Bold&lt;/b&gt;"))
        #expect(!queue.contains("<b>Bold"))
    }

    @Test func theTimelineShowsEveryIncidentWithItsGradesAndTheRulesThatUsedIt() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/children/C-1").text
        }
        for id in ["I-1", "I-2", "I-3"] {
            #expect(html.contains(#"<li id="incident-\#(id)" class="incident used">"#))
            #expect(html.contains(##"<a href="#incident-\##(id)">\##(id)</a>"##))
        }
        // Newest first.
        let i3 = try #require(html.range(of: "incident I-3")), i1 = try #require(html.range(of: "incident I-1"))
        #expect(i3.lowerBound < i1.lowerBound)
        #expect(html.contains("Used by: <span class=\"rule-id\">potential-escalation</span>"))
        #expect(html.contains("<dt>Officer's grade</dt><dd>standard</dd>"))
        #expect(html.contains("<dt>Supervisor's grade</dt><dd>not reviewed</dd>"))
        #expect(html.contains("<dt>Body-worn video</dt><dd>yes</dd>"))
        #expect(html.contains("<dt>Child spoken to</dt><dd>no</dd>"))
        #expect(html.contains("<svg viewBox=\"0 0 640.0 220.0\" role=\"img\""))
        #expect(html.contains("<path class=\"mark grade-standard used\""))
        #expect(html.contains("No alerts to schools for this child."))
        #expect(html.contains("No decision has been recorded for this child."))
    }

    @Test func theAlertsToTheChildsSchoolAreListedWithTheirStates() async throws {
        let fixture = try await WebFixture.make(csv: "")
        defer { fixture.cleanUp() }
        try await fixture.store.replaceDirectory(SchoolDirectory(
            schools: [School(urn: "120501", name: "Hartley Primary", laCode: "925")],
            keyAdults: [KeyAdult(urn: "120501", name: "DSL", email: "dsl@school.example", channel: .smtp, endpoint: nil)]))
        let due = Date(timeIntervalSince1970: 1_795_338_000)  // 2026-11-22T09:00:00Z
        try await fixture.ingest(Sample.csv, planner: AlertPlanner(deadline: { _, _, _ in due },
                                                                    reference: { "REF-\($0)-\($1)" }, maxAge: nil))
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/children/C-1").text
        }
        #expect(html.contains(#"<td data-label="Reference">REF-I-3-C-1</td>"#))
        #expect(html.contains(#"<span class="state state-queued">queued</span>"#))
        #expect(html.contains("Sun 22 Nov 2026, 09:00"))
    }

    @Test func theFlagShowsWhereTheOfficerGradedBelowTheChecklist() async throws {
        let fixture = try await WebFixture.make(csv: Sample.header + "\n"
            + "I-9,2026-11-01T10:00:00Z,DASH,standard,15,,V-9,,C-9,Zoe,Hill,2018-01-01,,,,,\n")
        defer { fixture.cleanUp() }
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/children/C-9").text
        }
        #expect(html.contains(#"<span class="flag">grade below checklist</span>"#))
        #expect(html.contains(#"<span class="grade grade-high">high</span>"#))
    }

    @Test func aDeclinedDecisionWithAReasonIsRecordedAndShown() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (posted, page) = try await fixture.withBrowser { browser in
            let _ = try await browser.signIn("hana")
            let posted = try await browser.submit("/children/C-1/decisions", from: "/children/C-1", form: [
                ("marac", "declined"), ("on", "2026-11-21"),
                ("reason", "Strategy discussion held; mother engaging with IDVA."), ("strategy", "1"),
            ])
            return (posted, try await browser.get(try #require(posted.location)).text)
        }
        #expect(posted.status == .seeOther)
        #expect(posted.location == "/children/C-1?recorded=1#decisions")
        #expect(page.contains("Decision recorded."))
        #expect(page.contains("MARAC referral declined on Sat 21 Nov 2026 <span class=\"tag\">current</span>"))
        #expect(page.contains("Reason: Strategy discussion held; mother engaging with IDVA."))
        #expect(page.contains("Strategy discussion requested · recorded by hana"))
        let record = try #require(try await fixture.store.childRecord("C-1"))
        #expect(record.decisions.count == 1)
        #expect(record.decisions[0].decision.outcome == .declined)
        #expect(record.decisions[0].decision.by == "hana")
        #expect(record.decisions[0].strategyDiscussion == true)
    }

    @Test func aLaterDecisionSupersedesAndTheEarlierStays() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let page = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            _ = try await browser.submit("/children/C-1/decisions", from: "/children/C-1",
                                         form: [("marac", "declined"), ("on", "2026-11-20"), ("reason", "First look.")])
            _ = try await browser.submit("/children/C-1/decisions", from: "/children/C-1",
                                         form: [("marac", "referred"), ("on", "2026-11-21")])
            return try await browser.get("/children/C-1").text
        }
        #expect(page.contains("MARAC referral made on Sat 21 Nov 2026 <span class=\"tag\">current</span>"))
        #expect(page.contains("MARAC referral declined on Fri 20 Nov 2026 <span class=\"tag muted-tag\">superseded</span>"))
        #expect(try await fixture.store.decisions(childId: "C-1").count == 2)
    }

    /// A decision dated earlier, typed in later, does not supersede one dated after it: the page,
    /// and the queue's row, say what stands by date (audit 19, F4).
    @Test func aDecisionTypedInLateDoesNotSupersedeOneDatedAfterIt() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (page, queue) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            _ = try await browser.submit("/children/C-1/decisions", from: "/children/C-1",
                                         form: [("marac", "referred"), ("on", "2026-11-21")])
            _ = try await browser.submit("/children/C-1/decisions", from: "/children/C-1",
                                         form: [("marac", "declined"), ("on", "2026-11-20"), ("reason", "First look, recorded late.")])
            return (try await browser.get("/children/C-1").text, try await browser.get("/").text)
        }
        let current = try #require(page.range(of: "MARAC referral made on Sat 21 Nov 2026 <span class=\"tag\">current</span>"))
        let superseded = try #require(page.range(of: "MARAC referral declined on Fri 20 Nov 2026 <span class=\"tag muted-tag\">superseded</span>"))
        #expect(current.lowerBound < superseded.lowerBound, "listed by date, what stands first")
        #expect(queue.contains("MARAC referral made, Sat 21 Nov 2026"))
        #expect(!queue.contains("MARAC referral declined, Fri 20 Nov 2026"))
    }

    @Test(arguments: [
        ([("marac", "declined"), ("on", "2026-11-21"), ("reason", "   ")], "a reason is required"),
        ([("on", "2026-11-21"), ("reason", "x")], "Choose a MARAC decision, a strategy meeting decision, or both"),
        ([("marac", "referred"), ("on", "21/11/2026")], "YYYY-MM-DD"),
        ([("marac", "referred"), ("on", "2026-11-23")], "cannot be in the future"),
        ([("marac", "declined"), ("on", "2026-11-21"), ("reason", String(repeating: "x", count: 4001))], "at most 4000 characters"),
    ])
    func aDecisionWithAProblemIsRefusedWithTheReasonAndNothingIsWritten(form: [(String, String)], problem: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.submit("/children/C-1/decisions", from: "/children/C-1", form: form)
        }
        #expect(response.status == .unprocessableContent)
        #expect(response.text.contains("The decision was not recorded"))
        #expect(response.text.contains(problem))
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
    }

    @Test func anUnknownChildIsNotFound() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let status = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/children/C-404").status
        }
        #expect(status == .notFound)
    }

    @Test func everyFieldHasALabel() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let pages = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            var out: [(status: HTTPResponse.Status, text: String)] = []
            for path in ["/", "/children/C-1", "/children/C-1/incidents/I-1/regrade", "/admin/users"] {
                let page = try await browser.get(path)
                out.append((page.status, page.text))
            }
            browser.cookies = [:]
            let signIn = try await browser.get("/sign-in")
            out.append((signIn.status, signIn.text))
            return out
        }
        for (status, html) in pages {
            // A page that did not render would have no fields, and nothing below could fail.
            #expect(status == .ok)
            #expect(html.contains("<input") || html.contains("<select") || html.contains("<textarea"))
            let ids = html.components(separatedBy: "<input").dropFirst().map { String($0.prefix { $0 != ">" }) }
                .filter { !$0.contains(#"type="hidden""#) }
                .compactMap { tag -> String? in
                    guard let r = tag.range(of: #"id="[^"]+""#, options: .regularExpression) else { return "missing id: \(tag)" }
                    return String(tag[r].dropFirst(4).dropLast())
                }
            let others = ["<select", "<textarea"].flatMap { html.components(separatedBy: $0).dropFirst() }
                .compactMap { tag -> String? in
                    guard let r = tag.range(of: #"id="[^"]+""#, options: .regularExpression) else { return "missing id" }
                    return String(tag[r].dropFirst(4).dropLast())
                }
            for id in ids + others {
                #expect(html.contains(#"<label for="\#(id)""#), "field \(id) has no label")
            }
        }
    }
}
