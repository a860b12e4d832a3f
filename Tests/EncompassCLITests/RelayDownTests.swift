import Foundation
import Testing
import TestSupport

/// The morning the relay is down (issue 14, item 3): a run that cannot reach our relay at all
/// exits 69 naming it, holds the e-mail alerts without charging an attempt, tells the hub by
/// `hub.webhook`, and the first run after the relay is back sends every alert that waited.
@Suite("notify while our relay is down, and after it comes back")
struct RelayDownTests {
    /// A relay started and stopped: its port is known, and now closed.
    static func stoppedRelayPort(_ rig: OutboxRig) async throws -> Int {
        let folder = rig.h.dir.path + "/relay"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let server = try await LoopbackServer.smtp(pki: rig.pki, folder: folder)
        server.stop()
        return server.port
    }

    @Test(arguments: TestDatabase.allCases)
    func aDownRelayHoldsItsAlertsWithoutAttemptsAndTheNextRunAfterItIsBackSendsThemAll(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        let port = try await Self.stoppedRelayPort(rig)
        try Data("""
            hub:
              email: hub@police.example
              webhook: https://127.0.0.1:\(rig.https.port)/hub
            smtp:
              url: smtp://127.0.0.1:\(port)
              ca_file: \(rig.pki.caFile)
            https:
              ca_file: \(rig.pki.caFile)
            alerts:
              max_age_days: 0

            """.utf8).write(to: rig.h.configDir.appendingPathComponent("encompass.yaml"))
        try await rig.ingest([
            CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-1", given: "Zoë"),
            CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-2", given: "Yusuf"),
            CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-3", given: "Xena"),
            CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-4", urn: "119603", given: "Wanda"),
        ])
        let email = ["C-1", "C-2", "C-3"]

        let down = try await rig.notify("2026-11-20T06:00:00Z")
        #expect(down.status == 69, "\(down.stdout) \(down.stderr)")
        let line = down.stderr.trimmingCharacters(in: .newlines)
        #expect(!line.contains("\n"), "one line: \(line)")
        #expect(line.contains("smtp relay 127.0.0.1:\(port) could not be reached (smtp.url): "), "\(line)")
        #expect(line.contains("3 alert(s) wait on it"), "\(line)")
        #expect(down.stdout.contains("3 waiting on the relay") && down.stdout.contains("the hub's notice sent by hub.webhook, naming 1"), "\(down.stdout)")
        var alerts = try await rig.alerts()
        for child in email {
            #expect(alerts[child]?["state"] as? String == "queued", "\(child): \(alerts[child] ?? [:])")
            #expect(alerts[child]?["attempts"] as? Int == 0, "no attempt is charged for the relay's outage")
            #expect((alerts[child]?["last_error"] as? String)?.contains("could not be reached") == true)
        }
        #expect(alerts["C-4"]?["state"] as? String == "delivered", "a school's webhook goes while the relay is down")

        // The hub heard by its second channel, signed, with references and no child's details.
        var hub = try rig.https.log().filter { $0["path"] as? String == "/hub" }
        #expect(hub.count == 1)
        #expect(hub.first?["signature_ok"] as? Bool == true)
        let body = try #require(hub.first?["body"] as? String)
        let digest = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let counts = try #require(digest["counts"] as? [String: Any])
        #expect(counts["relay_down"] as? Int == 1 && counts["waiting_on_relay"] as? Int == 3)
        let outage = try #require((digest["relay_down"] as? [[String: Any]])?.first)
        let references = email.compactMap { alerts[$0]?["reference"] as? String }
        #expect(Set(outage["waiting"] as? [String] ?? []) == Set(references))
        for name in ["Zoë", "Yusuf", "Xena", "Hartley", "2016-04-02", "dsl@"] { #expect(!body.contains(name), "\(name) in \(body)") }

        // Ten minutes on, still down: 69 again, nothing charged, and the hub is not told twice.
        let still = try await rig.notify("2026-11-20T06:10:00Z")
        #expect(still.status == 69, "\(still.stderr)")
        alerts = try await rig.alerts()
        for child in email { #expect(alerts[child]?["attempts"] as? Int == 0 && alerts[child]?["state"] as? String == "queued") }
        hub = try rig.https.log().filter { $0["path"] as? String == "/hub" }
        #expect(hub.count == 1, "told once an outage")

        // The relay is back on the same port: the next run sends every alert that waited, in that one run.
        let relay = try await LoopbackServer.smtp(pki: rig.pki, folder: rig.h.dir.path + "/relay-back", options: ["--port", "\(port)"])
        defer { relay.stop() }
        let back = try await rig.notify("2026-11-20T06:20:00Z")
        #expect(back.status == 0, "\(back.stdout) \(back.stderr)")
        alerts = try await rig.alerts()
        for child in email {
            #expect(alerts[child]?["state"] as? String == "delivered", "\(child): \(alerts[child] ?? [:])")
            #expect(alerts[child]?["attempts"] as? Int == 1)
        }
        let received = try relay.log().compactMap { ($0["rcpt_tos"] as? [String])?.first }
        #expect(received.filter { $0 == "dsl@boston.school.example" }.count == 3)
    }

    /// With no hub.webhook the line said "the hub's notices could not be sent either (hub.webhook)",
    /// a setting not set, after "smtp our relay HOST:PORT cannot be reached" (audit 25, F10): the
    /// runbook quotes the line as it is now.
    @Test func withNoHubWebhookTheLineSaysToSetOne() async throws {
        let rig = try await OutboxRig()
        defer { rig.stop() }
        let port = try await Self.stoppedRelayPort(rig)
        try Data("""
            hub:
              email: hub@police.example
            smtp:
              url: smtp://127.0.0.1:\(port)
              ca_file: \(rig.pki.caFile)
            alerts:
              max_age_days: 0

            """.utf8).write(to: rig.h.configDir.appendingPathComponent("encompass.yaml"))
        try await rig.ingest([CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-1")])
        let down = try await rig.notify("2026-11-20T06:00:00Z")
        #expect(down.status == 69, "\(down.stdout) \(down.stderr)")
        let line = down.stderr.trimmingCharacters(in: .newlines)
        #expect(line.hasPrefix("encompass: a relay or endpoint could not be used: smtp relay 127.0.0.1:\(port) could not be reached (smtp.url): "),
                "\(line)")
        #expect(line.hasSuffix("; 1 alert(s) wait on it; the hub's notices could not be sent either; "
                               + "set hub.webhook for a second channel when the relay is down"), "\(line)")
        #expect(!line.contains("(hub.webhook)"), "\(line)")
    }
}
