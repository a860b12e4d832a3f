import Delivery
import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoreContract
import Testing

/// The school's side (SPEC §7): the link's page, its one button, the webhook's signed
/// acknowledgement, and the board's "phone the school" for alerts nobody acknowledged.
@Suite struct AcknowledgementTests {
    static let links = AcknowledgementLinks(publicURL: "https://hub.police.example", days: 14)!
    static let reference = "ENC-I-11-C-11"
    static let secret = "webhook-secret-of-the-force"

    /// The board's fixture, with I-11's alert (school 120503, deadline 2026-11-24T20:00Z) delivered
    /// with its link, and school 120503's telephone known. `webhook`: 120503's key adult takes
    /// webhooks, so the alert goes by `https`; otherwise by e-mail.
    static func fixture(webhook: Bool = false) async throws -> (WebFixture, token: String) {
        var fixture = try await AlertBoardTests.fixture()
        fixture.configuration.webhookSecret = secret
        fixture.configuration.hub = HubContact(name: "Lincs Hub", phone: "01632 960999", email: "hub@lincs.police.example")
        var directory = AlertBoardTests.directory
        directory.schools[2].telephone = "01632 960123"
        if webhook {
            directory.keyAdults[1] = KeyAdult(urn: "120503", name: "Key Adult Three", email: "", channel: .https,
                                              endpoint: "https://three.school.example/encompass")
        }
        try await fixture.store.replaceDirectory(directory)
        let claimed = try await fixture.store.claimDue(now: fixture.clock.now(), owner: "test", lease: 60, limit: 10, isDead: { _ in false })
        let alert = try #require(claimed.alerts.first { $0.reference == reference })
        let token = AcknowledgementLinks.newToken()
        try await fixture.store.issueAcknowledgementTokens([(alert.alertKey, AcknowledgementLinks.hash(token),
                                                             fixture.clock.now().addingTimeInterval(links.validFor))], at: fixture.clock.now())
        try await fixture.store.record(.delivered, for: alert.alertKey, owner: "test", now: fixture.clock.now())
        return (fixture, token)
    }

    static func alert(_ fixture: WebFixture) async throws -> AlertRow {
        try #require(try await AlertBoardTests.state(reference, fixture.store))
    }

    @Test func theLinkShowsTheAlertAndAGetNeverAcknowledges() async throws {
        let (fixture, token) = try await Self.fixture()
        defer { fixture.cleanUp() }
        let page = try await fixture.withBrowser { browser in
            _ = try await browser.get("/ack/" + token)
            return try await browser.get("/ack/" + token)
        }
        #expect(page.status == .ok)
        for shown in ["Zoë Ní Bhriain", "2 February 2015", "I-11", Self.reference, "Lincoln St Giles Primary School", "01632 960999"] {
            #expect(page.text.contains(shown), "\(shown)")
        }
        #expect(page.text.contains(#"<form method="post" class="ack-form">"#))
        #expect(page.text.contains("I have read this notification"))
        #expect(!page.text.contains("<script"))
        #expect(try await Self.alert(fixture).acknowledgedAt == nil)
    }

    @Test func thePostAcknowledgesOnceWithoutSignInOrCSRF() async throws {
        let (fixture, token) = try await Self.fixture()
        defer { fixture.cleanUp() }
        let first = fixture.clock.now()
        let (pressed, again) = try await fixture.withBrowser { browser in
            let pressed = try await browser.post("/ack/" + token, form: [])
            fixture.clock.advance(minutes: 30)
            return (pressed, try await browser.post("/ack/" + token, form: []))
        }
        #expect(pressed.status == .ok)
        #expect(pressed.text.contains("Thank you"))
        #expect(!pressed.text.contains("I have read this notification</button>"))
        #expect(again.status == .ok)
        #expect(!again.text.contains("Thank you"), "a second press changes nothing")
        #expect(again.text.contains("Read and acknowledged on"))
        #expect(try await Self.alert(fixture).acknowledgedAt == first)
        let audit = try await fixture.store.auditEntries(limit: 100).filter { $0.action == "alert.acknowledged" }
        #expect(audit.count == 1)
    }

    /// Unknown, malformed and expired tokens all get the same page: the hub's number and nothing else.
    @Test func aLinkThatOpensNothingGetsThePlainNotFoundPage() async throws {
        let (fixture, token) = try await Self.fixture()
        defer { fixture.cleanUp() }
        let unknown = AcknowledgementLinks.newToken()
        let (a, b, c, expiredGet, expiredPost) = try await fixture.withBrowser { browser in
            let a = try await browser.get("/ack/" + unknown)
            let b = try await browser.get("/ack/not-a-token")
            let c = try await browser.post("/ack/" + unknown, form: [])
            fixture.clock.advance(minutes: 14 * 24 * 60 + 1)
            return (a, b, c, try await browser.get("/ack/" + token), try await browser.post("/ack/" + token, form: []))
        }
        for response in [a, b, c, expiredGet, expiredPost] {
            #expect(response.status == .notFound)
            #expect(response.text.contains("01632 960999"))
            #expect(!response.text.contains("Zoë") && !response.text.contains(Self.reference) && !response.text.contains("120503"))
            #expect(response.text == a.text)
        }
        #expect(try await Self.alert(fixture).acknowledgedAt == nil)
    }

    func webhook(_ fixture: WebFixture, body: String, signature: String?, reference: String = Self.reference) async throws -> TestResponse {
        try await fixture.withBrowser { browser in
            var headers: HTTPFields = [.contentType: "application/json"]
            if let signature { headers[HTTPField.Name("X-Encompass-Signature")!] = signature }
            return try await browser.send("/api/alerts/\(reference)/ack", method: .post, headers: headers, body: ByteBuffer(string: body))
        }
    }

    @Test func aWebhookReceiverAcknowledgesWithASignedPost() async throws {
        let (fixture, _) = try await Self.fixture(webhook: true)
        defer { fixture.cleanUp() }
        #expect(try await Self.alert(fixture).channel == "https")
        let body = #"{"reference": "ENC-I-11-C-11"}"#
        let wrong = try await webhook(fixture, body: body, signature: WebhookSignature.header(body: Data(body.utf8), secret: "not-the-secret"))
        let missing = try await webhook(fixture, body: body, signature: nil)
        #expect(wrong.status == .unauthorized)
        #expect(missing.status == .unauthorized)
        #expect(try await Self.alert(fixture).acknowledgedAt == nil)

        let other = #"{"reference": "ENC-I-10-C-10"}"#
        let mismatch = try await webhook(fixture, body: other, signature: WebhookSignature.header(body: Data(other.utf8), secret: Self.secret))
        #expect(mismatch.status == .badRequest)
        let big = String(repeating: " ", count: 5_000) + body
        let tooBig = try await webhook(fixture, body: big, signature: WebhookSignature.header(body: Data(big.utf8), secret: Self.secret))
        #expect(tooBig.status == .contentTooLarge)
        #expect(try await Self.alert(fixture).acknowledgedAt == nil)

        let right = try await webhook(fixture, body: body, signature: WebhookSignature.header(body: Data(body.utf8), secret: Self.secret))
        #expect(right.status == .ok)
        #expect(right.text == "{\"reference\": \"ENC-I-11-C-11\", \"acknowledged_at\": \"2026-11-22T08:00:00Z\"}\n")
        #expect(try await Self.alert(fixture).acknowledgedAt == fixture.clock.now())
    }

    /// The secret is the whole force's and a reference can be worked out: an alert sent by e-mail,
    /// or one whose links have ended, gets the answer an unknown reference gets, and stays unacknowledged.
    @Test func aWebhookCannotAcknowledgeAnEmailedAlertOrOneWhoseLinksHaveEnded() async throws {
        let (emailed, _) = try await Self.fixture()
        defer { emailed.cleanUp() }
        let (hooked, _) = try await Self.fixture(webhook: true)
        defer { hooked.cleanUp() }
        func signed(_ fixture: WebFixture, _ reference: String) async throws -> TestResponse {
            let body = "{\"reference\": \"\(reference)\"}"
            return try await webhook(fixture, body: body, signature: WebhookSignature.header(body: Data(body.utf8), secret: Self.secret),
                                     reference: reference)
        }
        #expect(try await Self.alert(emailed).channel == "smtp")
        let unknown = try await signed(emailed, "ENC-I-99-C-99")
        let byEmail = try await signed(emailed, Self.reference)
        hooked.clock.advance(minutes: 14 * 24 * 60 + 1)
        let ended = try await signed(hooked, Self.reference)
        for response in [unknown, byEmail, ended] {
            #expect(response.status == .notFound)
            #expect(response.text == unknown.text)
        }
        #expect(try await Self.alert(emailed).acknowledgedAt == nil)
        #expect(try await Self.alert(hooked).acknowledgedAt == nil)
    }

    @Test func aServerWithoutTheWebhookSecretRefusesEveryWebhookAcknowledgement() async throws {
        var (fixture, _) = try await Self.fixture()
        defer { fixture.cleanUp() }
        fixture.configuration.webhookSecret = ""
        let body = #"{"reference": "ENC-I-11-C-11"}"#
        let response = try await webhook(fixture, body: body, signature: WebhookSignature.header(body: Data(body.utf8), secret: ""))
        #expect(response.status == .unauthorized)
        #expect(try await Self.alert(fixture).acknowledgedAt == nil)
    }

    @Test func theBoardPutsUnacknowledgedAlertsFirstToPhoneAndKeepsTheCall() async throws {
        let (fixture, _) = try await Self.fixture()
        defer { fixture.cleanUp() }
        // Past I-11's deadline (2026-11-24T20:00Z), still unacknowledged.
        fixture.clock.advance(minutes: 3 * 24 * 60)
        let (board, tooLong, recorded, after) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let board = try await browser.get("/alerts")
            let tooLong = try await browser.submit("/alerts/\(Self.reference)/call", from: "/alerts",
                                                   form: [("note", String(repeating: "x", count: 1_001))])
            let recorded = try await browser.submit("/alerts/\(Self.reference)/call", from: "/alerts", form: [("note", "Spoke to the head; she has it")])
            return (board, tooLong, recorded, try await browser.get(recorded.location ?? "/alerts"))
        }
        #expect(board.status == .ok)
        let phone = try #require(board.text.range(of: "<h2 id=\"phone-heading\">Phone the school</h2>"))
        let run = try #require(board.text.range(of: "<h2 id=\"run-heading\">"))
        #expect(phone.lowerBound < run.lowerBound, "first on the board")
        let section = String(board.text[phone.upperBound..<run.lowerBound])
        #expect(section.contains("Lincoln St Giles Primary School"))
        #expect(section.contains("<a href=\"tel:01632 960123\">01632 960123</a>"))
        #expect(section.contains(Self.reference))
        #expect(!section.contains("ENC-I-10-C-10"), "overdue, not delivered: not this list")
        #expect(!section.contains("Zoë"), "ids only")
        #expect(tooLong.status == .unprocessableContent)
        #expect(recorded.status == .seeOther)
        #expect(after.text.contains("Call recorded for alert \(Self.reference)."))
        #expect(after.text.contains("Phoned by hana"))
        #expect(after.text.contains("Spoke to the head; she has it"))
        let calls = try await fixture.store.calls(references: [Self.reference])
        #expect(calls.map(\.calledBy) == ["hana"])
        let audit = try await fixture.store.auditEntries(limit: 100).filter { $0.action == "alert.school-phoned" }
        #expect(audit.map(\.actor) == ["user:hana"])
    }

    /// Audit 23, F11: the hub phoned school 120503, which had not acknowledged; the incident was
    /// then corrected to 120501, which was sent the alert and did not acknowledge either. The board
    /// counted it phoned by the call to 120503. It is to phone again, the earlier call shown as
    /// to the school it went to before.
    @Test func aCallToTheSchoolBeforeAReRouteLeavesTheNewSchoolToPhone() async throws {
        let (fixture, _) = try await Self.fixture()
        defer { fixture.cleanUp() }
        fixture.clock.advance(minutes: 3 * 24 * 60)
        let recorded = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.submit("/alerts/\(Self.reference)/call", from: "/alerts", form: [("note", "Rang St Giles: DSL has it")])
        }
        #expect(recorded.status == .seeOther)
        try await fixture.ingest(AlertBoardTests.csv.replacingOccurrences(of: "2015-02-02,120503", with: "2015-02-02,120501"),
                                 planner: AlertBoardTests.planner)
        let claimed = try await fixture.store.claimDue(now: fixture.clock.now(), owner: "test", lease: 60, limit: 10, isDead: { _ in false })
        let alert = try #require(claimed.alerts.first { $0.reference == Self.reference })
        #expect(alert.recipient == "dsl@one.school.example")
        try await fixture.store.issueAcknowledgementTokens([(alert.alertKey, AcknowledgementLinks.hash(AcknowledgementLinks.newToken()),
                                                             fixture.clock.now().addingTimeInterval(Self.links.validFor))], at: fixture.clock.now())
        try await fixture.store.record(.delivered, for: alert.alertKey, owner: "test", now: fixture.clock.now())

        let board = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/alerts")
        }
        #expect(board.text.contains("<strong>1</strong> to phone"))
        let phone = try #require(board.text.range(of: "<h2 id=\"phone-heading\">Phone the school</h2>"))
        let run = try #require(board.text.range(of: "<h2 id=\"run-heading\">"))
        let section = String(board.text[phone.upperBound..<run.lowerBound])
        #expect(section.contains("Boston Pioneers Primary Academy"))
        #expect(section.contains("To the school it went to before: Phoned by hana"))
        #expect(section.contains("Rang St Giles: DSL has it"), "kept on the record")
        #expect(section.contains("none yet to the school it goes to now"))
    }
}
