import Foundation
import HTTPTypes
import HubWeb
import HummingbirdTesting
import StoreContract
import TestSupport
import Testing

/// The board's two lists with no time of their own, bounded (audit 26, F1): "Phone the school"
/// while the alert's links still work, newest deadline first; the unmatched children of incidents an
/// alert may still be sent for, newest first; each a page of `AlertBoard.pageRows` at a time. After
/// two years of history the board was every row ever, 252 MB, this morning's calls last.
@Suite struct AlertBoardListsTests {
    static let day: TimeInterval = 86_400
    static let links = 14 * day

    static func date(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

    /// A row of the board's CSV: incident `id` reported at `at`, its child `C-<id>` at `urn`.
    static func row(_ id: String, _ at: Date, urn: String = "120501") -> String {
        "\(id),\(ISO8601DateFormatter().string(from: at)),DASH,standard,3,,V-\(id),P-\(id),C-\(id),Ava,Lee,2016-01-01,\(urn),Y,N,,N"
    }

    static func page(_ fixture: WebFixture, _ path: String = "/alerts") async throws -> String {
        try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get(path).text
        }
    }

    /// The part of the board from `heading` to the next section.
    static func section(_ html: String, _ heading: String) throws -> String {
        let start = try #require(html.range(of: #"<h2 id="\#(heading)">"#))
        let end = html.range(of: "<section", range: start.upperBound..<html.endIndex)?.lowerBound ?? html.endIndex
        return String(html[start.upperBound..<end])
    }

    /// Claims every alert due at `at`, delivers each then, with a link that works `links` after the
    /// later of that and its deadline (`AlertLifecycle.linkEnd`), as a run does.
    static func deliver(_ fixture: WebFixture, at: Date) async throws {
        let claimed = try await fixture.store.claimDue(now: at, owner: "test", lease: 60, limit: 1_000, isDead: { _ in false })
        try await fixture.store.issueAcknowledgementTokens(claimed.alerts.map {
            ($0.alertKey, "hash-\($0.reference)", AlertLifecycle.linkEnd(sentAt: at, deadline: $0.deadline, validFor: links))
        }, at: at)
        for alert in claimed.alerts { try await fixture.store.record(.delivered, for: alert.alertKey, owner: "test", now: at) }
    }

    /// I-30, I-31 and I-32 all went to 120501 on 4 November with a link, and nobody acknowledged
    /// them: due 4, 21 and 22 November (20:00), their links work until 18 November, 5 and 6
    /// December. On the morning of the 23rd the school is to be phoned about I-32 and I-31, the
    /// newest deadline first; I-30's link has closed (the school can no longer acknowledge it, its
    /// deadline nearly three weeks gone): it is counted, with where to find it, not listed.
    @Test(arguments: MetricsDatabase.allCases)
    func phoneTheSchoolListsTheAlertsWhoseLinksStillWorkNewestDeadlineFirst(database: MetricsDatabase) async throws {
        let fixture = try await AlertBoardFailureTests.fixture(database)
        defer { fixture.cleanUp() }
        let start = WebFixture.start
        try await fixture.ingest(Sample.header + "\n" + [Self.row("I-30", Self.date("2026-11-01T20:00:00Z")), Self.row("I-31", Self.date("2026-11-18T20:00:00Z")),
                                                        Self.row("I-32", Self.date("2026-11-19T20:00:00Z"))].joined(separator: "\n") + "\n",
                                 planner: AlertBoardTests.planner)
        try await Self.deliver(fixture, at: Self.date("2026-11-04T12:00:00Z"))
        fixture.clock.advance(minutes: 24 * 60)
        #expect(fixture.clock.now() == start.addingTimeInterval(Self.day))

        let html = try await Self.page(fixture)
        let phone = try Self.section(html, "phone-heading")
        let newer = try #require(phone.range(of: "ENC-I-32-C-I-32"))
        let older = try #require(phone.range(of: "ENC-I-31-C-I-31"))
        #expect(newer.lowerBound < older.lowerBound, "newest deadline first")
        #expect(!phone.contains("ENC-I-30-C-I-30"), "its link has closed")
        #expect(phone.contains("1 more not acknowledged, whose link has closed, is not listed"))
        #expect(phone.contains("<code>encompass alerts --state unacknowledged</code>"))
        #expect(html.contains("<strong>2</strong> to phone"))
        // Still unacknowledged to the record.
        let all = try #require(try await fixture.store.alert(reference: "ENC-I-30-C-I-30"))
        #expect(all.isUnacknowledged(now: fixture.clock.now()) && !all.isToPhone(now: fixture.clock.now()))
        #expect(try await fixture.store.unacknowledgedCount(now: fixture.clock.now()) == 3)
    }

    /// 55 children with no school and 52 schools to phone: the board shows 50 of each list, says
    /// how many there are, and links to the next page, which shows the rest. A call just recorded
    /// about an alert on the second page shows that page; a refused school for a child on the
    /// second page shows its row on the first, where the error summary's link finds it.
    @Test(arguments: MetricsDatabase.allCases)
    func eachListIsAPageOfFiftyWithLinksToTheRest(database: MetricsDatabase) async throws {
        let fixture = try await AlertBoardFailureTests.fixture(database)
        defer { fixture.cleanUp() }
        let base = Self.date("2026-11-10T20:00:00Z")
        // U-1 is the oldest incident, U-55 the newest; P-1 the earliest deadline, P-52 the latest.
        let rows = (1...55).map { Self.row("U-\($0)", base.addingTimeInterval(Double($0) * 600), urn: "") }
            + (1...52).map { Self.row("P-\($0)", base.addingTimeInterval(Double($0) * 600)) }
        try await fixture.ingest(Sample.header + "\n" + rows.joined(separator: "\n") + "\n", planner: AlertBoardTests.planner)
        try await Self.deliver(fixture, at: Self.date("2026-11-11T06:00:00Z"))

        let first = try await Self.page(fixture)
        let phone = try Self.section(first, "phone-heading")
        #expect(phone.contains("Showing 1 to 50 of 52."))
        #expect(phone.components(separatedBy: #"class="call-form""#).count - 1 == 50)
        #expect(phone.contains("ENC-P-52-C-P-52") && !phone.contains("ENC-P-2-C-P-2<"))
        #expect(phone.contains(#"<a href="/alerts?phone=2#phone-heading" rel="next">Next 50</a>"#))
        #expect(first.contains("<strong>52</strong> to phone"), "every one counted")
        let unmatched = try Self.section(first, "unmatched-heading")
        #expect(unmatched.contains("Showing 1 to 50 of 55."))
        #expect(unmatched.components(separatedBy: #"class="school-form""#).count - 1 == 50)
        #expect(unmatched.contains("ENC-U-55-C-U-55") && !unmatched.contains("ENC-U-5-C-U-5<"))
        #expect(unmatched.contains(#"<a href="/alerts?unmatched=2#unmatched-heading" rel="next">Next 50</a>"#))
        #expect(first.contains("<strong>55</strong> unmatched"))

        let second = try await Self.page(fixture, "/alerts?phone=2&unmatched=2")
        let phone2 = try Self.section(second, "phone-heading")
        #expect(phone2.contains("Showing 51 to 52 of 52."))
        #expect(phone2.contains("ENC-P-1-C-P-1<") && phone2.contains("ENC-P-2-C-P-2<") && !phone2.contains("ENC-P-3-C-P-3<"))
        #expect(phone2.contains(#"<a href="/alerts?unmatched=2#phone-heading" rel="prev">Previous 50</a>"#))
        let unmatched2 = try Self.section(second, "unmatched-heading")
        #expect(unmatched2.contains("Showing 51 to 55 of 55."))
        #expect(unmatched2.contains("ENC-U-1-C-U-1<") && !unmatched2.contains("ENC-U-6-C-U-6<"))
        #expect(unmatched2.contains(#"<a href="/alerts?phone=2#unmatched-heading" rel="prev">Previous 50</a>"#))

        let called = try await Self.page(fixture, "/alerts?phoned=ENC-P-1-C-P-1")
        #expect(called.contains("Call recorded for alert ENC-P-1-C-P-1."))
        #expect(try Self.section(called, "phone-heading").contains("Showing 51 to 52 of 52."))

        let refused = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.submit("/alerts/unmatched/ENC-U-1-C-U-1/school", from: "/alerts", form: [("urn", "12345")])
        }
        #expect(refused.status == .unprocessableContent)
        #expect(refused.text.contains(#"id="urn-ENC-U-1-C-U-1" name="urn""#))
    }

    /// With `alerts.max_age_days` at 28: U-40, reported on 30 October, was unmatched when it came in;
    /// on 2 December it is 33 days old, past the age any alert is made at, and the board lists the
    /// children of recent incidents (U-41) and counts it, with a link to the older ones.
    @Test(arguments: MetricsDatabase.allCases)
    func theUnmatchedListIsOfIncidentsAnAlertMayStillBeSentFor(database: MetricsDatabase) async throws {
        var fixture = try await AlertBoardFailureTests.fixture(database)
        defer { fixture.cleanUp() }
        var planner = AlertBoardTests.planner
        planner.maxAge = 28 * Self.day
        fixture.configuration.alertPlanner = planner
        try await fixture.ingest(Sample.header + "\n" + Self.row("U-40", Self.date("2026-10-30T20:00:00Z"), urn: "") + "\n", planner: planner)
        fixture.clock.advance(minutes: 10 * 24 * 60)
        try await fixture.ingest(Sample.header + "\n" + Self.row("U-41", Self.date("2026-11-21T20:00:00Z"), urn: "") + "\n", planner: planner)

        let html = try await Self.page(fixture)
        let unmatched = try Self.section(html, "unmatched-heading")
        #expect(unmatched.contains("ENC-U-41-C-U-41"))
        #expect(!unmatched.contains("ENC-U-40-C-U-40"))
        #expect(unmatched.contains("incidents reported in the last 28 days"))
        #expect(unmatched.contains(#"1 more, of an older incident, is not listed: <a href="/alerts?older=1#unmatched-heading">"#))
        #expect(html.contains("<strong>1</strong> unmatched"))

        let older = try Self.section(try await Self.page(fixture, "/alerts?older=1"), "unmatched-heading")
        #expect(older.contains("ENC-U-40-C-U-40"))
        #expect(!older.contains("ENC-U-41-C-U-41"))
        #expect(older.contains(#"<a href="/alerts#unmatched-heading">Back to the recent unmatched children</a>"#))
    }
}
