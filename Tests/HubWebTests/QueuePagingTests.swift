import Foundation
import HTTPTypes
import HubWeb
import HummingbirdTesting
import RiskModel
import StoreContract
import TestSupport
import Testing

/// Working the review queue a page at a time while it changes (audit 20, F2), and what each row
/// says a rule rested on (F4).
@Suite struct QueuePagingTests {
    /// C-101 to C-110, one high incident each, a day apart: C-110 newest, so first.
    static let csv = ([Sample.header] + (101...110).map { n in
        "I-\(n),2026-11-\(n - 91)T10:00:00Z,DASH,high,16,,V-\(n),P-\(n),C-\(n),Ann,Child,2015-01-01,,Y,Y,,N"
    }).joined(separator: "\n") + "\n"

    static func fixture(_ database: MetricsDatabase, csv: String = Self.csv) async throws -> WebFixture {
        try await WebFixture.make(csv: csv, database: database == .postgres ? try PostgresServer.shared().makeDatabase() : nil)
    }

    /// The address of the page link with `rel` (`next`, `prev`) as the browser follows it.
    static func link(_ rel: String, in html: String) -> String? {
        guard let range = html.range(of: #"href="[^"]*" rel="\#(rel)""#, options: .regularExpression) else { return nil }
        return String(html[range].split(separator: "\"")[1]).replacingOccurrences(of: "&amp;", with: "&")
    }

    static func decide(_ childId: String, _ fixture: WebFixture) async throws {
        try await fixture.store.record(Decision(childId: childId, outcome: .referred, on: LocalDate(iso: "2026-11-21")!,
                                                reason: nil, by: "hana", recordedAt: fixture.clock.now()))
    }

    /// The audit's q19.py: a hub member works "No decision yet" three to a page, deciding two
    /// children of each page after reading it, and a new child is escalated at the top meanwhile.
    /// By page number, each decision pulled a child of the next page onto this one behind the
    /// reader (C-107 was never shown) and the new child pushed one down (shown twice); by place,
    /// every child of the list as it was is shown exactly once, in the queue's order.
    @Test(arguments: MetricsDatabase.allCases)
    func workingNoDecisionYetPageByPageWhileDecidingShowsEveryChildOnce(database: MetricsDatabase) async throws {
        var fixture = try await Self.fixture(database)
        defer { fixture.cleanUp() }
        fixture.configuration.queuePageSize = 3
        let world = fixture
        let (pages, secondPage, previous) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            var pages: [[String]] = []
            var secondPage = "", previous = ""
            var address: String? = "/?undecided=1"
            while let next = address, pages.count < 10 {
                let html = try await browser.get(next).text
                let shown = QueuePageTests.childIds(in: html)
                pages.append(shown)
                if pages.count == 2 {
                    secondPage = html
                    previous = try await browser.get(try #require(Self.link("prev", in: html))).text
                }
                // Read, then decided: all but the page's second child.
                for (i, child) in shown.enumerated() where i != 1 { try await Self.decide(child, world) }
                if pages.count == 1 {
                    try await world.ingest(Sample.header + "\nI-200,2026-11-21T10:00:00Z,DASH,high,16,,V-200,P-200,C-200,Bea,Child,2015-01-01,,Y,Y,,N\n")
                }
                address = Self.link("next", in: html)
            }
            return (pages, secondPage, previous)
        }
        #expect(pages.flatMap { $0 } == (101...110).reversed().map { "C-\($0)" })
        #expect(pages == [["C-110", "C-109", "C-108"], ["C-107", "C-106", "C-105"], ["C-104", "C-103", "C-102"], ["C-101"]])
        // Where page 2 sits in the list as it is now: after C-200 and C-109, still undecided.
        #expect(secondPage.contains("Showing 3 to 5 of 9 children (11 in the queue)."))
        // Back from page 2: the page before C-107, which is the first page now.
        #expect(QueuePageTests.childIds(in: previous) == ["C-200", "C-109", "C-107"])
        #expect(previous.contains("Showing 1 to 3 of 9 children (11 in the queue)."))
    }

    /// Every child after the place reached was decided: the page says so and offers the first page.
    @Test func aPlacePastTheLastChildSaysSoAndLinksTheFirstPage() async throws {
        var fixture = try await Self.fixture(.sqlite)
        defer { fixture.cleanUp() }
        fixture.configuration.queuePageSize = 8
        let world = fixture
        let (first, last) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let first = try await browser.get("/?undecided=1").text
            for n in 101...102 { try await Self.decide("C-\(n)", world) }
            return (first, try await browser.get(try #require(Self.link("next", in: first))).text)
        }
        #expect(QueuePageTests.childIds(in: first).count == 8)
        #expect(QueuePageTests.childIds(in: last).isEmpty)
        #expect(last.contains("No children after the last one shown; 8 match, all earlier in the list"))
        #expect(last.contains(#"<a href="/?undecided=1">First page</a>"#))
        #expect(!last.contains("No children match these filters."))
    }

    /// A place the page links never write is refused, named and not quoted back; an old page
    /// number that is not one opens the first page, as it did.
    @Test func aPlaceThatIsNotOneIsRefusedClearly() async throws {
        let fixture = try await Self.fixture(.sqlite)
        defer { fixture.cleanUp() }
        let (responses, odd) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            var responses: [TestResponse] = []
            for query in ["after=nonsense", "before=high_x_C-1", "after=urgent_817027200.0_C-1", "after=high_inf_C-1", "after=high_817027200.0_"] {
                responses.append(try await browser.get("/?" + query))
            }
            return (responses, [try await browser.get("/?page=abc"), try await browser.get("/?page=99999999999999999999"),
                                try await browser.get("/?page=9223372036854775807")])
        }
        for response in responses {
            #expect(response.status == .badRequest)
            #expect(response.text.contains("This page link does not name a place in the queue."))
            #expect(!response.text.contains("nonsense") && !response.text.contains("urgent"))
        }
        #expect(odd.map(\.status) == [.ok, .ok, .ok])
        #expect(QueuePageTests.childIds(in: odd[0].text).first == "C-110")
        #expect(QueuePageTests.childIds(in: odd[2].text).last == "C-101", "a huge page number is the last page")
    }

    // MARK: What each rule used (F4)

    /// C-9 went missing three times and has no incident: `repeat-missing` rests on those episodes,
    /// and the queue suggests a strategy meeting as the child's page does.
    @Test(arguments: MetricsDatabase.allCases)
    func aRowForRepeatMissingSaysItsEpisodesAndTheStrategyMeetingSuggestion(database: MetricsDatabase) async throws {
        let fixture = try await Self.fixture(database, csv: Sample.csv)
        defer { fixture.cleanUp() }
        let episodes = EpisodePageTests.episodes(at: fixture.clock.now()).map { e in
            var e = e
            (e.id, e.childId, e.givenName, e.familyName) = ("E-9-" + e.id, "C-9", "Sam", "Wanders")
            return e
        }
        _ = try await fixture.store.ingest(IncidentFeed(batch: [], episodes: episodes), actor: "test", at: fixture.clock.now(), planner: nil)
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/").text
        }
        let start = try #require(html.range(of: #"<span class="id">C-9</span>"#))
        let row = String(html[start.lowerBound..<(html.range(of: "</tr>", range: start.upperBound..<html.endIndex)?.lowerBound ?? html.endIndex)])
        #expect(row.contains("(3 missing episodes)</li>"))
        #expect(!row.contains("(0 incidents)"))
        #expect(row.contains("Suggested: strategy meeting"))
        #expect(!row.contains("Suggested: MARAC referral"), "repeat-missing alone suggests no referral (SPEC §4)")
        // The other rows still count their incidents, and C-4's suggestion is a referral alone.
        #expect(html.contains("3 or more incidents in the last 365 days, whatever their grades (3 incidents)"))
        #expect(html.components(separatedBy: "Suggested: strategy meeting").count == 2)
    }
}
