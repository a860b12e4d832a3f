import Foundation
import HTTPTypes
import HubWeb
import HummingbirdTesting
import StoreContract
import TestSupport
import Testing

/// A failed alert is on the alerts board for a week from when it failed, whatever its deadline
/// (docs/web.md; audit 20, F5).
@Suite struct AlertBoardFailureTests {
    /// The board's "Today's run" part and its at-a-glance line.
    static func board(_ fixture: WebFixture) async throws -> (glance: String, run: String) {
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/alerts").text
        }
        let run = try #require(html.range(of: "Today's run"))
        let unmatched = try #require(html.range(of: #"<h2 id="unmatched-heading">"#))
        return (String(html[..<run.lowerBound]), String(html[run.upperBound..<unmatched.lowerBound]))
    }

    /// A fixture on `database` with the alerts board's planner and directory, and no incident yet.
    static func fixture(_ database: MetricsDatabase) async throws -> WebFixture {
        var fixture = try await WebFixture.make(csv: "", database: database == .postgres ? try PostgresServer.shared().makeDatabase() : nil)
        fixture.configuration.alertPlanner = AlertBoardTests.planner
        try await fixture.store.replaceDirectory(AlertBoardTests.directory)
        return fixture
    }

    /// I-20 was reported on 1 November and reaches the hub only now (a late PPN, alerted about all
    /// the same: no age limit here), due 4 November. Its school's relay refuses it this morning: it
    /// failed today, so today's run lists it and the board counts it; a week on it has gone.
    @Test(arguments: MetricsDatabase.allCases)
    func anAlertThatFailedTodayIsOnTheBoardHoweverOldItsDeadline(database: MetricsDatabase) async throws {
        let fixture = try await Self.fixture(database)
        defer { fixture.cleanUp() }
        try await fixture.ingest(Sample.header + "\nI-20,2026-11-01T20:00:00Z,DASH,standard,3,,V-20,P-20,C-20,Ava,Lee,2016-01-01,120501,Y,N,,N\n",
                                 planner: AlertBoardTests.planner)
        let now = fixture.clock.now()
        let claimed = try await fixture.store.claimDue(now: now, owner: "test", lease: 60, limit: 10, isDead: { _ in false })
        let alert = try #require(claimed.alerts.first { $0.reference == "ENC-I-20-C-20" })
        try await fixture.store.record(.permanent(error: "smtp reply 550 5.1.1 no such mailbox"), for: alert.alertKey, owner: "test", now: now)

        let today = try await Self.board(fixture)
        #expect(today.run.contains(#"<span class="state state-failed">failed</span></td>\#n      <td data-label="Reference"><code>ENC-I-20-C-20</code>"#))
        #expect(today.run.contains(#"<td data-label="failed">1</td>"#))
        #expect(today.glance.contains("<strong>1</strong> failed"))

        fixture.clock.advance(minutes: 8 * 24 * 60)
        let weekOn = try await Self.board(fixture)
        #expect(!weekOn.run.contains("ENC-I-20-C-20"))
        #expect(weekOn.glance.contains("<strong>0</strong> failed"))
    }

    /// A withdrawn alert (I-21 corrected to name C-21 only: README, "A corrected incident moves its
    /// alerts") stays `failed` to programs, but it is not a failure to contact a school about: the
    /// board neither lists nor counts it in today's run, and its notice calls it withdrawn, with why.
    @Test(arguments: MetricsDatabase.allCases)
    func aWithdrawnAlertIsNotListedAsAFailureToContactTheSchoolAbout(database: MetricsDatabase) async throws {
        let fixture = try await Self.fixture(database)
        defer { fixture.cleanUp() }
        let row = { (child: String) in "I-21,2026-11-21T20:00:00Z,DASH,standard,3,,V-21,P-21,\(child),Ava,Lee,2016-01-01,120501,Y,N,,N" }
        try await fixture.ingest(Sample.header + "\n" + row("C-21") + "\n" + row("C-22") + "\n", planner: AlertBoardTests.planner)
        try await fixture.ingest(Sample.header + "\n" + row("C-21") + "\n", planner: AlertBoardTests.planner)
        let failed = try await fixture.store.alerts(state: .failed)
        #expect(failed.map(\.reference) == ["ENC-I-21-C-22"], "failed to `alerts --state failed`, as SPEC §7 names it")
        #expect(failed.first?.lastError == AlertLifecycle.withdrawnReason)

        let board = try await Self.board(fixture)
        #expect(!board.run.contains("ENC-I-21-C-22"))
        #expect(board.run.contains(#"<td data-label="failed">0</td>"#))
        #expect(board.glance.contains("<strong>0</strong> failed"))
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/alerts").text
        }
        let notices = String(html[try #require(html.range(of: #"<h2 id="notices-heading">"#)).lowerBound...])
        #expect(notices.contains(#"<span class="state state-withdrawn">withdrawn</span></td>\#n      <td data-label="Reference"><code>ENC-I-21-C-22</code>"#))
        #expect(notices.contains(AlertLifecycle.withdrawnReason))
        #expect(!notices.contains(#"state-failed">failed"#))
    }

    /// The board's notices section once I-22's alert was delivered to 120501 (its telephone in the
    /// directory) and C-22's school then corrected to `urn` ("": none known), and then to `then`.
    static func noticesAfterDeliveryTo120501(_ database: MetricsDatabase, correctedTo urn: String, then: String? = nil) async throws -> String {
        let fixture = try await Self.fixture(database)
        defer { fixture.cleanUp() }
        var directory = AlertBoardTests.directory
        directory.schools[0].telephone = "01205 310000"
        try await fixture.store.replaceDirectory(directory)
        let row = { (urn: String) in "I-22,2026-11-21T20:00:00Z,DASH,standard,3,,V-22,P-22,C-22,Ava,Lee,2016-01-01,\(urn),Y,N,,N" }
        try await fixture.ingest(Sample.header + "\n" + row("120501") + "\n", planner: AlertBoardTests.planner)
        let now = fixture.clock.now()
        let claimed = try await fixture.store.claimDue(now: now, owner: "test", lease: 60, limit: 10, isDead: { _ in false })
        let alert = try #require(claimed.alerts.first { $0.reference == "ENC-I-22-C-22" })
        try await fixture.store.record(.delivered, for: alert.alertKey, owner: "test", now: now)
        try await fixture.ingest(Sample.header + "\n" + row(urn) + "\n", planner: AlertBoardTests.planner)
        if let then { try await fixture.ingest(Sample.header + "\n" + row(then) + "\n", planner: AlertBoardTests.planner) }

        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/alerts").text
        }
        return String(html[try #require(html.range(of: #"<h2 id="notices-heading">"#)).lowerBound...])
    }

    /// Audit 22, people F8: I-22's alert was delivered to 120501, then the force corrected C-22's
    /// school to 120503. The board's notices name it `rerouted`, with the school that has the
    /// child's details, when, and its telephone from the directory, as "Phone the school" does.
    @Test(arguments: MetricsDatabase.allCases)
    func anAlertDeliveredToASchoolNoLongerNamedIsANoticeWithThatSchoolsTelephone(database: MetricsDatabase) async throws {
        let notices = try await Self.noticesAfterDeliveryTo120501(database, correctedTo: "120503")
        #expect(notices.contains(#"<span class="state state-rerouted">rerouted</span></td>\#n      <td data-label="Reference"><code>ENC-I-22-C-22</code>"#))
        #expect(notices.contains(AlertLifecycle.reroutedDetail(school: "120501")))
        #expect(notices.contains(#"Phone Boston Pioneers Primary Academy (URN 120501): <a href="tel:01205 310000">01205 310000</a>"#), "\(notices)")
        #expect(!notices.contains("Lincoln St Giles"), "not the school it goes to now")
        #expect(!notices.contains("Ava") && !notices.contains("2016-01-01"), "never the child")
    }

    /// Audit 24, F5: the correction undone by the next feed before a run: the alert is for 120501
    /// again, so the board neither lists the rerouted notice the run would settle untold nor counts it.
    @Test(arguments: MetricsDatabase.allCases)
    func aReRouteUndoneIsNeitherListedNorCountedAsNotYetSent(database: MetricsDatabase) async throws {
        let notices = try await Self.noticesAfterDeliveryTo120501(database, correctedTo: "120503", then: "120501")
        #expect(!notices.contains("state-rerouted"), "\(notices)")
        #expect(notices.contains("Not yet sent: 0."), "\(notices)")
    }

    /// Audit 23: the same when the correction leaves C-22 with no school known: no re-route, and a
    /// `no-longer-named` notice with 120501's telephone.
    @Test(arguments: MetricsDatabase.allCases)
    func anAlertKeptAtASchoolNoLongerNamedIsANoticeWithThatSchoolsTelephone(database: MetricsDatabase) async throws {
        let notices = try await Self.noticesAfterDeliveryTo120501(database, correctedTo: "")
        #expect(notices.contains(#"<span class="state state-no-longer-named">no-longer-named</span></td>\#n      <td data-label="Reference"><code>ENC-I-22-C-22</code>"#))
        #expect(notices.contains(AlertLifecycle.noLongerNamedDetail(school: "120501")))
        #expect(notices.contains(#"Phone Boston Pioneers Primary Academy (URN 120501): <a href="tel:01205 310000">01205 310000</a>"#), "\(notices)")
        #expect(!notices.contains("Ava") && !notices.contains("2016-01-01"), "never the child")
    }
}
