import Delivery
import Foundation
import TestSupport
import Testing

/// Real signed POSTs over libcurl to a Python TLS receiver on loopback.
@Suite struct HTTPSDeliveryTests {
    static let secret = "test-signing-secret-ä"
    static let timeouts = TransferTimeouts(connect: .seconds(5), lowSpeedTime: .seconds(10), total: .seconds(15))

    struct Setup {
        let scratch: Scratch
        let pki: TestPKI
        let server: LoopbackServer

        init(_ options: [String] = []) async throws {
            scratch = try Scratch()
            pki = try TestPKI(in: scratch.path("pki"))
            server = try await LoopbackServer.https(pki: pki, secret: HTTPSDeliveryTests.secret, folder: scratch.url.path, options: options)
        }

        func url(_ path: String) -> String { "https://127.0.0.1:\(server.port)\(path)" }

        func transport(
            secret: String = HTTPSDeliveryTests.secret, caFile: String? = nil,
            limits: ConnectionLimits = .endpoints, timeouts: TransferTimeouts = HTTPSDeliveryTests.timeouts
        ) -> CurlTransport {
            CurlTransport(
                relay: nil, webhooks: WebhookConfiguration(secret: secret, caFile: caFile ?? pki.caFile),
                timeouts: timeouts, endpointLimits: limits)
        }

        func received() throws -> [[String: Any]] { try server.log() }
    }

    private func alert(_ url: String, child: String = "C-1") throws -> AlertMessage {
        try Fixtures.alert(to: url, channel: .https, child: Fixtures.child(child))
    }

    @Test func deliveredWithTheSignatureAndIdempotencyKeyTheReceiverChecks() async throws {
        let setup = try await Setup()
        let message = try alert(setup.url("/encompass/100001"))
        let outcome = try #require(await setup.transport().send([message]).first)

        #expect(outcome.status == .delivered)
        #expect(outcome.replyCode == 200)
        let log = try setup.received()
        #expect(log.count == 1)
        let request = try #require(log.first)
        #expect(request["path"] as? String == "/encompass/100001")
        #expect(request["signature_ok"] as? Bool == true)
        let headers = try #require(request["headers"] as? [String: String])
        #expect(headers["Idempotency-Key"] == message.reference)
        #expect(headers["Content-Type"] == "application/json")
        #expect(headers["X-Encompass-Signature"] == WebhookSignature.header(body: message.jsonBody!, secret: Self.secret))
        #expect(headers["Expect"] == nil)
        #expect(request["body"] as? String == String(decoding: message.jsonBody!, as: UTF8.self))
        #expect((request["body"] as? String)?.contains("Zoë") == true)
    }

    @Test func theReceiverRefusesABadSignature() async throws {
        let setup = try await Setup()
        let message = try alert(setup.url("/encompass"))
        let outcome = try #require(await setup.transport(secret: "not-the-shared-secret").send([message]).first)

        #expect(outcome.status == .permanent)
        #expect(outcome.replyCode == 401)
        #expect(try setup.received().first?["signature_ok"] as? Bool == false)
    }

    @Test(arguments: [
        (500, DeliveryOutcome.Status.temporary), (503, .temporary), (429, .temporary),
        (404, .permanent), (400, .permanent), (410, .permanent),
    ])
    func statusDecidesTheOutcome(code: Int, expected: DeliveryOutcome.Status) async throws {
        let setup = try await Setup(["--status", "/answers=\(code)"])
        let message = try alert(setup.url("/answers"))
        let outcome = try #require(await setup.transport().send([message]).first)

        #expect(outcome.status == expected)
        #expect(outcome.replyCode == code)
        #expect(outcome.lastError == "https HTTP \(code)" + (expected == .temporary ? ", will retry" : ""))
        #expect(try setup.received().count == 1)
    }

    @Test func aStalledEndpointTimesOutWhileTheOthersAreDelivered() async throws {
        let setup = try await Setup(["--stall", "/stalled=15"])
        let stalled = try alert(setup.url("/stalled"), child: "C-0")
        let others = try (1...3).map { try alert(setup.url("/school-\($0)"), child: "C-\($0)") }
        // One connection, so only the stall rule lets the others past the stalled one.
        let limits = ConnectionLimits(connections: 1, stallAfter: .milliseconds(300))
        let timeouts = TransferTimeouts(connect: .seconds(5), lowSpeedTime: .seconds(30), total: .seconds(6))
        var order: [DeliveryOutcome] = []
        for await outcome in setup.transport(limits: limits, timeouts: timeouts).deliver([stalled] + others) {
            order.append(outcome)
        }

        #expect(order.count == 4)
        #expect(order.last?.reference == stalled.reference)
        #expect(order.last?.status == .temporary)
        #expect(order.last?.lastError?.contains("timed out") == true)
        #expect(order.dropLast().allSatisfy { $0.status == .delivered })
        // The stalled endpoint did get the request; it just never answered in time.
        #expect(try setup.received().count == 4)
    }

    @Test func anEndpointWhoseCertificateWeDoNotTrustIsRetriedAndGetsNothing() async throws {
        let setup = try await Setup()
        let messages = try (1...3).map { try alert(setup.url("/encompass"), child: "C-\($0)") }
        // One connection, so the first failure is known before the next message is taken.
        let outcomes = await setup.transport(caFile: setup.pki.otherCAFile, limits: ConnectionLimits(connections: 1)).send(messages)

        #expect(outcomes.count == 3)
        #expect(outcomes.allSatisfy { $0.status == .temporary }, "the school's endpoint, not our settings")
        #expect(outcomes.filter(\.attempted).count == 1, "the others are not tried against it again in this run")
        #expect(outcomes.first { $0.attempted }?.lastError?.hasPrefix("https TLS failed, will retry") == true)
        #expect(try setup.received().isEmpty)
    }

    @Test func aCAFileWeCannotReadIsOurConfiguration() async throws {
        let setup = try await Setup()
        let message = try alert(setup.url("/encompass"))
        let outcome = try #require(await setup.transport(caFile: setup.scratch.path("no-such-ca.pem")).send([message]).first)

        #expect(outcome.status == .configuration)
        #expect(outcome.lastError?.contains("our CA file") == true)
        #expect(try setup.received().isEmpty)
    }

    @Test func noSecretMeansNothingIsSent() async throws {
        let setup = try await Setup()
        let message = try alert(setup.url("/encompass"))
        let outcome = try #require(await setup.transport(secret: "").send([message]).first)

        #expect(outcome.status == .configuration)
        #expect(!outcome.attempted)
        #expect(outcome.lastError?.contains("ENCOMPASS_WEBHOOK_SECRET") == true)
        #expect(try setup.received().isEmpty)
    }

    @Test(arguments: ["http://127.0.0.1:9/encompass", "ftp://school.example/x", "not a url"])
    func anEndpointThatIsNotHTTPSIsRefused(endpoint: String) async throws {
        let message = try alert(endpoint)
        let transport = CurlTransport(relay: nil, webhooks: WebhookConfiguration(secret: "s"))
        let outcome = try #require(await transport.send([message]).first)
        #expect(outcome.status == .configuration)
        #expect(!outcome.attempted)
    }

    @Test func emailAndWebhookGoInOneBatch() async throws {
        let https = try await Setup()
        let smtpScratch = try Scratch()
        let smtp = try await LoopbackServer.smtp(pki: https.pki, folder: smtpScratch.url.path)
        let relay = SMTPRelay(url: "smtp://127.0.0.1:\(smtp.port)", from: "encompass@police.example", caFile: https.pki.caFile)
        let transport = CurlTransport(
            relay: relay, webhooks: WebhookConfiguration(secret: Self.secret, caFile: https.pki.caFile), timeouts: Self.timeouts)
        let batch = try [
            alert(https.url("/a"), child: "C-1"),
            Fixtures.alert(to: "dsl@school.example", child: Fixtures.child("C-2")),
        ]
        let outcomes = await transport.send(batch)

        #expect(outcomes.count == 2)
        #expect(outcomes.allSatisfy { $0.status == .delivered })
        #expect(Set(outcomes.map(\.channel)) == [.https, .smtp])
        #expect(try https.received().count == 1)
        #expect(try smtp.log().count == 1)
    }
}
