import Foundation
import HTTPTypes
import HummingbirdTesting
import RiskModel
import StoreContract
import Testing

/// The child's page with missing episodes, the strategy meeting form, and both kinds of decision (SPEC §5, §10).
@Suite struct EpisodePageTests {
    static func episodes(at now: Date) -> [Episode] {
        let day = 86_400.0
        return (1...3).map { n in
            // Back a day after going missing; only the first had its return interview.
            let missing = now.addingTimeInterval(-Double(40 - 10 * n) * day)
            return Episode(id: "E-\(n)", childId: "C-1", givenName: "Ava", familyName: "Test", dateOfBirth: LocalDate(iso: "2014-01-01")!,
                           missingAt: missing, returnedAt: missing.addingTimeInterval(day), risk: .medium,
                           returnInterviewAt: n == 1 ? missing.addingTimeInterval(2 * day) : nil)
        }
    }

    @Test func episodesShowWithTheirFlagAndAStrategyMeetingIsRecordedFromTheForm() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        _ = try await fixture.store.ingest(IncidentFeed(batch: [], episodes: Self.episodes(at: fixture.clock.now())), actor: "test",
                                           at: fixture.clock.now(), planner: nil)
        let (before, posted, after) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let before = try await browser.get("/children/C-1").text
            let posted = try await browser.submit("/children/C-1/decisions", from: "/children/C-1", form: [
                ("strategy_meeting", "held"), ("on", "2026-11-21"), ("reason", ""),
            ])
            return (before, posted, try await browser.get(try #require(posted.location)).text)
        }
        #expect(before.contains("Missing episode E-3"))
        #expect(before.contains("used by repeat-missing"))
        #expect(before.contains("repeat-missing</span> (high)"))
        #expect(before.contains("Suggested: strategy meeting"))
        #expect(before.components(separatedBy: "<span class=\"tag\">return-interview-overdue</span>").count - 1 == 2,
                "E-2 and E-3 came back more than 72 hours ago with no interview; E-1 had one")
        #expect(before.contains(#"class="mark episode used""#), "the chart marks the episodes")
        #expect(posted.status == .seeOther)
        #expect(after.contains("Strategy meeting held on Sat 21 Nov 2026 <span class=\"tag\">current</span>"))
        #expect(!after.contains("Suggested: strategy meeting"))
        let record = try #require(try await fixture.store.childRecord("C-1"))
        #expect(record.decisions.map(\.decision.kind) == [.strategyMeeting])
    }

    @Test func aStrategyMeetingDeclinedNeedsAReasonAndNothingIsWritten() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.submit("/children/C-1/decisions", from: "/children/C-1", form: [
                ("strategy_meeting", "declined"), ("on", "2026-11-21"), ("reason", ""),
            ])
        }
        #expect(response.status == .unprocessableContent)
        #expect(response.text.contains("Say why no strategy meeting is held: a reason is required."))
        #expect(try await fixture.store.childRecord("C-1")?.decisions.isEmpty == true)
    }
}
