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

    /// I-20 was reported on 1 November and reaches the hub only now (a late PPN, alerted about all
    /// the same: no age limit here), due 4 November. Its school's relay refuses it this morning: it
    /// failed today, so today's run lists it and the board counts it; a week on it has gone.
    @Test(arguments: MetricsDatabase.allCases)
    func anAlertThatFailedTodayIsOnTheBoardHoweverOldItsDeadline(database: MetricsDatabase) async throws {
        var fixture = try await WebFixture.make(csv: "", database: database == .postgres ? try PostgresServer.shared().makeDatabase() : nil)
        defer { fixture.cleanUp() }
        fixture.configuration.alertPlanner = AlertBoardTests.planner
        try await fixture.store.replaceDirectory(AlertBoardTests.directory)
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
}
