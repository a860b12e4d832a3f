import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import SQLiteStore
import StoreContract
import Testing

/// The alerts board: today's run, the unmatched children and recording their school, the hub's notices.
@Suite struct AlertBoardTests {
    /// Every deadline three days after the report, so against `WebFixture.start` (2026-11-22T08:00Z)
    /// I-10 is overdue and I-11 queued; I-12 has no school and I-13's school has no key adult.
    static let planner = AlertPlanner(
        deadline: { reported, _, _ in reported.addingTimeInterval(3 * 86_400) },
        reference: { "ENC-\($0)-\($1)" }, maxAge: nil)

    static let csv = [
        Sample.header,
        "I-10,2026-11-01T20:00:00Z,DASH,standard,3,,V-10,P-10,C-10,Ava,Lee,2016-01-01,120501,Y,N,,N",
        "I-11,2026-11-21T20:00:00Z,DASH,standard,3,,V-11,P-11,C-11,Zoë,Ní Bhriain,2015-02-02,120503,Y,Y,,N",
        "I-12,2026-11-21T21:00:00Z,DASH,medium,12,,V-12,P-12,C-12,Siobhán,Gallagher,2014-03-03,,N,N,,N",
        "I-13,2026-11-21T22:00:00Z,DASH,standard,1,,V-13,P-13,C-13,Jack,Brown,2017-04-04,120502,N,N,,N",
    ].joined(separator: "\n") + "\n"

    static let directory = SchoolDirectory(
        schools: [
            School(urn: "120501", name: "Boston Pioneers Primary Academy", laCode: "925"),
            School(urn: "120502", name: "Skegness Seaside Infant School", laCode: "925"),
            School(urn: "120503", name: "Lincoln St Giles Primary School", laCode: "925"),
        ],
        keyAdults: [
            KeyAdult(urn: "120501", name: "Key Adult One", email: "dsl@one.school.example", channel: .smtp, endpoint: nil),
            KeyAdult(urn: "120503", name: "Key Adult Three", email: "dsl@three.school.example", channel: .smtp, endpoint: nil),
        ])

    /// The fixture with the directory, the alerts queued, and the overdue one marked (a hub notice with it).
    static func fixture() async throws -> WebFixture {
        var fixture = try await WebFixture.make(csv: "")
        fixture.configuration.alertPlanner = planner
        try await fixture.store.replaceDirectory(directory)
        try await fixture.ingest(csv, planner: planner)
        _ = try await fixture.store.claimDue(now: fixture.clock.now(), owner: "test", lease: 60, limit: 0, isDead: { _ in false })
        return fixture
    }

    static func state(_ reference: String, _ store: any FullStore) async throws -> AlertRow? {
        try await store.alerts(state: nil).first { $0.reference == reference }
    }

    @Test func theBoardNeedsSignIn() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { try await $0.get("/alerts") }
        #expect(response.status == .seeOther)
        #expect(response.location == "/sign-in?next=/alerts")
        #expect(!response.text.contains("ENC-"))
    }

    @Test(arguments: ["hana", "sam", "ade"])
    func everyRoleSeesTheBoardLinkedFromTheNavigation(user: String) async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        let (queue, board) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn(user)
            return (try await browser.get("/"), try await browser.get("/alerts"))
        }
        #expect(queue.text.contains(#"<a href="/alerts">Alerts to schools</a>"#))
        #expect(board.status == .ok)
        #expect(board.text.contains("<h1>Alerts to schools</h1>"))
    }

    @Test func theRunListsOverdueBeforeQueuedWithCountsAndEachRowsIds() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/alerts").text
        }
        let run = try #require(html.range(of: "Today's run")).upperBound
        let unmatchedSection = try #require(html.range(of: #"<h2 id="unmatched-heading">"#)).lowerBound
        let runPart = String(html[run..<unmatchedSection])
        let overdue = try #require(runPart.range(of: "ENC-I-10-C-10"))
        let queued = try #require(runPart.range(of: "ENC-I-11-C-11"))
        #expect(overdue.lowerBound < queued.lowerBound)
        #expect(!runPart.contains("ENC-I-12-C-12"), "unmatched alerts have their own list")
        #expect(runPart.contains(#"<td data-label="overdue">1</td>"#))
        #expect(runPart.contains(#"<td data-label="queued">1</td>"#))
        #expect(runPart.contains(#"<td data-label="All">2</td>"#))
        // Each row: the child linked, the school, the channel, the deadline in London time.
        #expect(runPart.contains(#"<a href="/children/C-10">C-10</a>"#))
        #expect(runPart.contains("120501"))
        #expect(runPart.contains("Wed 4 Nov 2026, 20:00 GMT"))
        #expect(runPart.contains("Tue 24 Nov 2026, 20:00"))
        #expect(runPart.contains(#"<td data-label="Channel">smtp</td>"#))
        // Ids only: no child's name anywhere on the board.
        for name in ["Ava", "Zoë", "Siobhán", "Jack", "Key Adult"] { #expect(!html.contains(name), "\(name)") }
    }

    @Test func theUnmatchedChildrenAreListedWithTheirReasonAndALabelledForm() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/alerts").text
        }
        let part = String(html[try #require(html.range(of: #"<h2 id="unmatched-heading">"#)).lowerBound...])
        #expect(part.contains("no school known for the child"))
        #expect(part.contains("school 120502 has no key adult"))
        #expect(part.contains(#"action="/alerts/unmatched/ENC-I-12-C-12/school#errors""#))
        #expect(part.contains(#"<label for="urn-ENC-I-12-C-12">"#))
        #expect(part.contains(#"id="urn-ENC-I-12-C-12" name="urn""#))
        #expect(part.contains(#"name="csrf" value=""#))
        #expect(part.contains(#"<a href="/children/C-13">C-13</a>"#))
    }

    @Test func theHubNoticesOfTheLastWeekShowWithTheUnsentCount() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/alerts").text
        }
        #expect(html.contains("<strong>1</strong> hub notice not yet sent"))
        let part = String(html[try #require(html.range(of: #"<h2 id="notices-heading">"#)).lowerBound...])
        #expect(part.contains("<code>ENC-I-10-C-10</code>"))
        #expect(part.contains(#"<td data-label="Incident">I-10</td>"#))
        #expect(part.contains("overdue"))
        #expect(part.contains("<strong>not yet</strong>"))
    }

    /// Audit 23 year, F1: an ingest's incidents too old to alert a school about are one `too-old`
    /// notice among the hub's, naming the incidents by id, never a child.
    @Test func incidentsTooOldToAlertAreOneNoticeNamingThem() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        var strict = Self.planner
        strict.maxAge = 28 * 86_400
        try await fixture.ingest([Sample.header, "I-20,2026-09-01T20:00:00Z,DASH,high,3,,V-20,P-20,C-20,Ava,Lee,2016-01-01,120501,Y,N,,N"]
                                    .joined(separator: "\n") + "\n", planner: strict)
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/alerts").text
        }
        #expect(html.contains("<strong>2</strong> hub notices not yet sent"), "the overdue one and this")
        let part = String(html[try #require(html.range(of: #"<h2 id="notices-heading">"#)).lowerBound...])
        #expect(part.contains(#"<span class="state state-too-old">too-old</span>"#))
        #expect(part.contains("1 child in 1 incident reached the hub more than 28 days after the incident was reported "
                              + "(alerts.max_age_days): no school was alerted. Incidents: I-20"), "\(part)")
        #expect(!part.contains("C-20") && !part.contains("Ava"))
    }

    @Test func recordingASchoolWithAKeyAdultQueuesTheAlertAndIsAudited() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        let (posted, page) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let posted = try await browser.submit("/alerts/unmatched/ENC-I-12-C-12/school", from: "/alerts", form: [("urn", "120503")])
            return (posted, try await browser.get(try #require(posted.location)).text)
        }
        #expect(posted.status == .seeOther)
        #expect(posted.location == "/alerts?recorded=ENC-I-12-C-12")
        #expect(page.contains("School recorded for alert ENC-I-12-C-12: it is queued"))
        let alert = try #require(try await Self.state("ENC-I-12-C-12", fixture.store))
        #expect(alert.state == .queued)
        #expect(alert.schoolURN == "120503")
        #expect(alert.channel == "smtp")
        #expect(alert.deadline == ISO8601DateFormatter().date(from: "2026-11-24T21:00:00Z"))
        // The child's school follows, since I-12 is the child's newest incident.
        #expect(try await fixture.store.childRecord("C-12")?.schoolURN == "120503")
        let entry = try #require(try await fixture.store.auditEntries(limit: 10).first { $0.action == "alert.school-recorded" })
        #expect(entry.actor == "user:hana")
        #expect(entry.subject == "alert:ENC-I-12-C-12")
        #expect(entry.detail == #"{"urn":"120503"}"#)
        #expect(entry.at == fixture.clock.now())
    }

    @Test func aSchoolWithNoKeyAdultLeavesTheAlertUnmatchedWithTheNewReason() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        let (posted, page) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let posted = try await browser.submit("/alerts/unmatched/ENC-I-12-C-12/school", from: "/alerts", form: [("urn", "120502")])
            return (posted, try await browser.get(try #require(posted.location)).text)
        }
        #expect(posted.status == .seeOther)
        let alert = try #require(try await Self.state("ENC-I-12-C-12", fixture.store))
        #expect(alert.state == .unmatched)
        #expect(alert.schoolURN == "120502")
        #expect(alert.lastError == "school 120502 has no key adult")
        #expect(page.contains("still unmatched: school 120502 has no key adult"))
        #expect(try await fixture.store.auditEntries(limit: 10).contains { $0.action == "alert.school-recorded" })
    }

    @Test func recordingASchoolWithoutTheCSRFTokenIs403AndChangesNothing() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        let (missing, forged) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let missing = try await browser.post("/alerts/unmatched/ENC-I-12-C-12/school", form: [("urn", "120503")])
            let forged = try await browser.post("/alerts/unmatched/ENC-I-12-C-12/school", form: [("csrf", "forged"), ("urn", "120503")])
            return (missing, forged)
        }
        #expect(missing.status == .forbidden)
        #expect(forged.status == .forbidden)
        #expect(try await Self.state("ENC-I-12-C-12", fixture.store)?.state == .unmatched)
        #expect(try await fixture.store.auditEntries(limit: 20).allSatisfy { $0.action != "alert.school-recorded" })
    }

    @Test(arguments: [
        ("12345", "exactly 6 digits"), ("1234567", "exactly 6 digits"), ("12a456", "exactly 6 digits"),
        ("", "Enter the school&#39;s URN"), ("<script>x</script>", "exactly 6 digits"),
    ])
    func aURNThatIsNotSixDigitsIsRefusedWithAClearMessage(urn: String, message: String) async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.submit("/alerts/unmatched/ENC-I-12-C-12/school", from: "/alerts", form: [("urn", urn)])
        }
        #expect(response.status == .unprocessableContent)
        let html = response.text
        #expect(html.contains(message), "\(html)")
        #expect(html.contains(#"aria-invalid="true""#))
        #expect(html.contains(##"<a href="#urn-ENC-I-12-C-12">"##))
        #expect(!html.contains("<script>"), "what was typed comes back escaped")
        #expect(try await Self.state("ENC-I-12-C-12", fixture.store)?.state == .unmatched)
        #expect(try await fixture.store.auditEntries(limit: 20).allSatisfy { $0.action != "alert.school-recorded" })
    }

    @Test func anAlertThatIsNoLongerUnmatchedIsNotChangedAndAnUnknownOneIs404() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.cleanUp() }
        let (conflict, unknown) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let conflict = try await browser.submit("/alerts/unmatched/ENC-I-11-C-11/school", from: "/alerts", form: [("urn", "120501")])
            let unknown = try await browser.submit("/alerts/unmatched/ENC-NOPE/school", from: "/alerts", form: [("urn", "120501")])
            return (conflict, unknown)
        }
        #expect(conflict.status == .conflict)
        #expect(conflict.text.contains("This alert is already queued"))
        #expect(unknown.status == .notFound)
        let alert = try #require(try await Self.state("ENC-I-11-C-11", fixture.store))
        #expect(alert.schoolURN == "120503")
        #expect(try await fixture.store.auditEntries(limit: 20).allSatisfy { $0.action != "alert.school-recorded" })
    }
}

/// The board says at its top, from the last run's own record, that the relay could not be reached.
@Suite struct AlertBoardRelayTests {
    @Test func theLastRunThatCouldNotReachTheRelayIsShownAtTheTopAtOnce() async throws {
        let fixture = try await AlertBoardTests.fixture()
        defer { fixture.cleanUp() }
        let finished = fixture.clock.now().addingTimeInterval(-600)
        let (before, down, back) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let before = try await browser.get("/alerts").text
            try await fixture.store.recordNotifyRun(NotifyRunRecord(
                startedAt: finished.addingTimeInterval(-2), finishedAt: finished, outcome: .serviceUnavailable,
                detail: "smtp our relay 10.1.2.3:587 cannot be reached: Failed to connect (curl 7); 3 alert(s) wait on it", relayWaiting: 3))
            let down = try await browser.get("/alerts").text
            try await fixture.store.recordNotifyRun(NotifyRunRecord(startedAt: finished, finishedAt: finished.addingTimeInterval(1), outcome: .ok, delivered: 3))
            return (before, down, try await browser.get("/alerts").text)
        }
        #expect(!before.contains("last-run-heading"), "no run recorded: nothing to say")
        // WebFixture's clock is 2026-11-22T08:00Z, London 08:00; the run ended ten minutes before.
        let heading = try #require(down.range(of: "The last notify run could not reach the relay at 07:50 GMT: 3 alerts wait on it"))
        #expect(heading.lowerBound < (down.range(of: "board-summary")?.lowerBound ?? down.startIndex), "at the top")
        #expect(down.contains("10.1.2.3:587"))
        #expect(!back.contains("last-run-heading"), "the next run reached the relay: the warning goes")
    }

    /// A run stopped by our own files (a term date mistyped, a template gone) is recorded as `error`;
    /// the board says so at its top, with the run's one line, until a run ends well.
    @Test func theLastRunStoppedOnAnErrorIsShownAtTheTop() async throws {
        let fixture = try await AlertBoardTests.fixture()
        defer { fixture.cleanUp() }
        let finished = fixture.clock.now().addingTimeInterval(-600)
        let (stopped, back) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            try await fixture.store.recordNotifyRun(NotifyRunRecord(
                startedAt: finished, finishedAt: finished, outcome: .error,
                detail: "term-dates.csv:4: term_start: is not a date as YYYY-MM-DD"))
            let stopped = try await browser.get("/alerts").text
            try await fixture.store.recordNotifyRun(NotifyRunRecord(startedAt: finished, finishedAt: finished.addingTimeInterval(1), outcome: .ok))
            return (stopped, try await browser.get("/alerts").text)
        }
        #expect(stopped.contains("The last notify run, at 07:50 GMT, stopped on an error: alerts wait until it is put right"), "\(stopped)")
        #expect(stopped.contains("term-dates.csv:4: term_start"))
        #expect(!back.contains("last-run-heading"), "the next run ended well: the warning goes")
    }
}
