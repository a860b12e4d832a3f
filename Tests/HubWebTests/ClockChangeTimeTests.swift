import Foundation
import HTTPTypes
import HummingbirdTesting
import TestSupport
import Testing

/// The night the clocks go back, 01:30 comes twice an hour apart; the hub's pages name the zone
/// with each time, as the school's page does (audit 20, F3).
@Suite struct ClockChangeTimeTests {
    /// I-31 at 01:30 BST (00:30Z) and I-32 at 01:30 GMT (01:30Z) on Sunday 25 October 2026.
    static let csv = [
        Sample.header,
        "I-31,2026-10-25T00:30:00Z,DASH,high,16,,V-31,P-31,C-31,Ann,Child,2015-01-01,,Y,Y,,N",
        "I-32,2026-10-25T01:30:00Z,DASH,high,16,,V-31,P-31,C-31,Ann,Child,2015-01-01,,Y,Y,,N",
    ].joined(separator: "\n") + "\n"

    @Test(arguments: MetricsDatabase.allCases)
    func theTwo0130sOfTheClockChangeAreToldApart(database: MetricsDatabase) async throws {
        let fixture = try await WebFixture.make(csv: Self.csv, database: database == .postgres ? try PostgresServer.shared().makeDatabase() : nil)
        defer { fixture.cleanUp() }
        let (child, first, second) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return (try await browser.get("/children/C-31").text,
                    try await browser.get("/?as_of=2026-10-25T00:30:00Z").text,
                    try await browser.get("/?as_of=2026-10-25T01:30:00Z").text)
        }
        let bst = try #require(child.range(of: "Sun 25 Oct 2026, 01:30 BST"))
        let gmt = try #require(child.range(of: "Sun 25 Oct 2026, 01:30 GMT"))
        #expect(gmt.lowerBound < bst.lowerBound, "newest first: I-32, an hour after I-31")
        #expect(first.contains("as of Sun 25 Oct 2026, 01:30 BST:"))
        #expect(second.contains("as of Sun 25 Oct 2026, 01:30 GMT:"))
    }
}
