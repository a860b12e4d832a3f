import Delivery
import Foundation
import TestSupport
import Testing

@Suite struct FileTransportTests {
    private let composer = EmailComposer(from: "encompass@police.example", fromName: "Police Safeguarding Hub")

    @Test func writesAnEmlAndForHTTPSTheJSONBody() async throws {
        let scratch = try Scratch()
        let folder = scratch.url.appendingPathComponent("outbox")
        let transport = FileTransport(folder: folder, composer: composer)
        let email = try Fixtures.alert(to: "dsl@school.example", child: Fixtures.child("C-1"))
        let webhook = try Fixtures.alert(to: "https://school.example/hook", channel: .https, child: Fixtures.child("C-2"))
        let outcomes = await transport.send([email, webhook])

        #expect(outcomes.map(\.status) == [.delivered, .delivered])
        let decoded = try DecodedEmail(file: transport.emailFile(for: email.reference).path)
        #expect(decoded.messageID == "<\(email.reference)@police.example>")
        #expect(decoded.part("text/plain")?.text == email.textBody)
        let json = try Data(contentsOf: transport.jsonFile(for: webhook.reference))
        #expect(json == webhook.jsonBody)
        #expect(!FileManager.default.fileExists(atPath: transport.jsonFile(for: email.reference).path))
    }

    @Test func writingTheSameMessageAgainLeavesOneFile() async throws {
        let scratch = try Scratch()
        let transport = FileTransport(folder: scratch.url, composer: composer)
        let message = try Fixtures.alert(to: "dsl@school.example")
        _ = await transport.send([message])
        _ = await transport.send([message])
        let files = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path)
        #expect(files == ["\(message.reference).eml"])
    }

    @Test func anUnwritableFolderIsAConfigurationError() async throws {
        let scratch = try Scratch()
        let blocker = scratch.url.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        let transport = FileTransport(folder: blocker.appendingPathComponent("inside"), composer: composer)
        let outcome = try #require(await transport.send([try Fixtures.alert(to: "dsl@school.example")]).first)
        #expect(outcome.status == .configuration)
    }

    @Test func theRouterSendsFileMessagesToFilesAndTheRestToTheNetwork() async throws {
        let scratch = try Scratch()
        let files = FileTransport(folder: scratch.url, composer: composer)
        // No relay: an e-mail reaching the network side comes back as a configuration error.
        let router = ChannelRouter(network: CurlTransport(relay: nil, webhooks: nil), files: files)
        let demo = try Fixtures.alert(to: "dsl@school.example", channel: .file, child: Fixtures.child("C-1"))
        let real = try Fixtures.alert(to: "dsl@school.example", channel: .smtp, child: Fixtures.child("C-2"))
        let outcomes = Dictionary(uniqueKeysWithValues: await router.send([demo, real]).map { ($0.reference, $0.status) })

        #expect(outcomes == [demo.reference: .delivered, real.reference: .configuration])
        #expect(FileManager.default.fileExists(atPath: files.emailFile(for: demo.reference).path))
        #expect(!FileManager.default.fileExists(atPath: files.emailFile(for: real.reference).path))
    }
}

@Suite struct CancellationTests {
    @Test func cancellingTheReaderAbandonsWhatIsInFlight() async throws {
        let scratch = try Scratch()
        let pki = try TestPKI(in: scratch.path("pki"))
        let server = try await LoopbackServer.smtp(pki: pki, folder: scratch.url.path, options: ["--tarpit-seconds", "30"])
        let relay = SMTPRelay(url: "smtp://127.0.0.1:\(server.port)", from: "encompass@police.example", caFile: pki.caFile)
        let transport = CurlTransport(
            relay: relay, webhooks: nil, timeouts: TransferTimeouts(total: .seconds(60)),
            relayLimits: ConnectionLimits(connections: 2))
        let tarpitted = try Fixtures.alert(to: "tarpit@school.example", child: Fixtures.child("C-0"))
        let quick = try Fixtures.alert(to: "dsl@school.example", child: Fixtures.child("C-1"))

        let reader = Task {
            var seen: [DeliveryOutcome] = []
            for await outcome in transport.deliver([tarpitted, quick]) {
                seen.append(outcome)
                // The quick one is in: stop reading, as a notify run does when it is told to stop.
                withUnsafeCurrentTask { $0?.cancel() }
            }
            return seen
        }
        let seen = await reader.value

        #expect(seen.map(\.reference) == [quick.reference])
        #expect(try server.log().count == 1)
    }
}
