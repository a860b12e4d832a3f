import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// The school's side end to end (SPEC §7), with the real relay, the real webhook receiver, a real
/// `serve` and a real headless Chromium: the link in the e-mail, a scanner's GET that changes
/// nothing, the button, the link-only message, and the hub's one notice per run.
@Suite struct AcknowledgementCLITests {
    /// The rig's environment with acknowledgement links to `publicURL`.
    static func linked(_ rig: OutboxRig, _ publicURL: String, content: String = "full") -> [String: String] {
        rig.environment.merging(["ENCOMPASS_WEB_PUBLIC_URL": publicURL, "ENCOMPASS_ALERTS_CONTENT": content]) { $1 }
    }

    /// The message the relay passed to `address`, as Python's email package reads it, and its raw text.
    static func mail(_ rig: OutboxRig, to address: String) throws -> (DecodedEmail, String) {
        let entry = try #require(try rig.smtp.log().first { ($0["rcpt_tos"] as? [String])?.contains(address) == true }, "nothing for \(address)")
        let file = rig.smtp.outFolder + "/\(entry["n"] as? Int ?? 0).eml"
        return (try DecodedEmail(file: file), try String(contentsOfFile: file, encoding: .utf8))
    }

    static func alert(_ rig: OutboxRig, _ child: String) async throws -> [String: Any] {
        try #require(try await rig.alerts()[child])
    }

    static func link(in text: String, base: String) -> String? {
        guard let r = text.range(of: NSRegularExpression.escapedPattern(for: base) + "/ack/[A-Za-z0-9_-]{43}", options: .regularExpression) else {
            return nil
        }
        return String(text[r])
    }

    @Test(.enabled(if: BrowserTools.available || BrowserTools.required))
    func aSchoolReadsItsAlertThroughTheLinkInARealBrowser() async throws {
        try #require(BrowserTools.available, "install chromium, chromium-driver and the selenium pip package")
        let rig = try await OutboxRig(.sqlite)
        defer { rig.stop() }
        let (server, address) = try rig.h.serve(environment: rig.environment)
        defer { server.terminate() }
        // The server checks the link against the real clock (a browser cannot be given another), so
        // this run is dated now: the incident last night, the morning run a moment ago.
        let iso = ISO8601DateFormatter()
        let sent = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 60).rounded(.down))
        try await rig.ingest([CSVRows.row("I-1", iso.string(from: sent.addingTimeInterval(-8 * 3600)), urn: "120501", voice: "he shouted at mum")])
        rig.lastRun.set(iso.string(from: sent))
        let run = try await rig.h.run(["notify", "--now", iso.string(from: sent)], environment: Self.linked(rig, address))
        #expect(run.status == 0, "\(run.stderr)")

        let (mail, _) = try Self.mail(rig, to: "dsl@boston.school.example")
        let text = try #require(mail.part("text/plain")?.text)
        let link = try #require(Self.link(in: text, base: address), "no link in the text part")
        #expect(mail.part("text/html")?.text.contains("href=\"\(link)\"") == true, "the same link in the HTML part")

        // A mail scanner opens the link: the page is there, and nothing is acknowledged.
        let (data, response) = try await URLSession.shared.data(from: URL(string: link)!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self).contains("I have read this notification"))
        var alert = try await Self.alert(rig, "C-1")
        #expect(alert["delivered_at"] as? String == iso.string(from: sent))
        #expect(alert["acknowledged_at"] is NSNull)

        let out = CLIHarness.packageRoot.appendingPathComponent(".build/test-output/ack-flow")
        try? FileManager.default.removeItem(at: out)
        let browser = try await Command.run("/usr/bin/env", ["python3", CLIHarness.packageRoot.appendingPathComponent("Tests/Browser/ack_flow.py").path,
                                                              "--url", link, "--out", out.path])
        #expect(browser.exitCode == 0, "\(browser.output)")

        alert = try await Self.alert(rig, "C-1")
        let acknowledged = try #require(alert["acknowledged_at"] as? String)
        #expect(acknowledged.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"#, options: .regularExpression) != nil)
        let unread = try await rig.h.run(["alerts", "--state", "unacknowledged", "--now", iso.string(from: sent.addingTimeInterval(30 * 86_400))])
        #expect(unread.stdout == "No alerts.\n")
    }

    /// A send reported failing though its copy arrived (the school's endpoint took the body and
    /// answered 503), then its retry: one reference (the Idempotency-Key) and a link of its own in
    /// each body, and both links open the alert in a real `serve`: the first acknowledges, the
    /// second shows that it was.
    @Test(arguments: TestDatabase.allCases)
    func aRetryCarriesANewLinkAndTheFirstStillWorks(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        try rig.addKeyAdult("120504,Fay Lead,,https,https://127.0.0.1:\(rig.https.port)/busy")
        let (server, address) = try rig.h.serve(environment: rig.environment)
        defer { server.terminate() }
        // The server checks the links against the real clock: the first run a moment ago.
        let iso = ISO8601DateFormatter()
        let sent = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 60).rounded(.down))
        try await rig.ingest([CSVRows.row("I-1", iso.string(from: sent.addingTimeInterval(-8 * 3600)), urn: "120504")])
        for run in [sent, sent.addingTimeInterval(3600)] {
            rig.lastRun.set(iso.string(from: run))
            let out = try await rig.h.run(["notify", "--now", iso.string(from: run)], environment: Self.linked(rig, address))
            #expect(out.status == 0, "\(out.stderr)")
        }
        let posts = try rig.https.log().filter { $0["path"] as? String == "/busy" }
        #expect(posts.count == 2, "sent, then sent again")
        let keys = posts.compactMap { ($0["headers"] as? [String: String])?.first { $0.key.lowercased() == "idempotency-key" }?.value }
        #expect(keys.count == 2 && Set(keys).count == 1, "the same Idempotency-Key both times")
        let links = try posts.map { post in
            let body = try JSONSerialization.jsonObject(with: Data((post["body"] as? String ?? "").utf8)) as? [String: Any]
            return try #require(body?["ack_url"] as? String)
        }
        #expect(Set(links).count == 2, "the retry carries a new link")

        func press(_ link: String) async throws -> (Int?, String) {
            var request = URLRequest(url: try #require(URL(string: link)))
            request.httpMethod = "POST"
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode, String(decoding: data, as: UTF8.self))
        }
        let (firstStatus, first) = try await press(links[0])
        #expect(firstStatus == 200 && first.contains("Thank you"), "the first send's link acknowledges")
        let (secondStatus, second) = try await press(links[1])
        #expect(secondStatus == 200 && second.contains("Read and acknowledged on") && !second.contains("Thank you"),
                "the retry's link shows the acknowledgement")
        #expect(try await Self.alert(rig, "C-1")["acknowledged_at"] is String)
    }

    @Test(arguments: TestDatabase.allCases)
    func theLinkOnlyMessageHoldsNoPersonalDataInAnyPart(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        try await rig.ingest([
            CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-ZQ1", urn: "120501", voice: "he shouted at mum"),
            CSVRows.row("I-2", "2026-11-19T21:50:00Z", child: "C-OX2", urn: "119603", given: "Bethany", family: "Quinlan", dob: "2015-07-09",
                        voice: "she hid upstairs"),
        ])
        rig.lastRun.set("2026-11-20T06:00:00Z")
        let run = try await rig.h.run(["notify", "--now", "2026-11-20T06:00:00Z"],
                                environment: Self.linked(rig, "https://hub.police.example", content: "link"))
        #expect(run.status == 0, "\(run.stderr)")
        let (mail, raw) = try Self.mail(rig, to: "dsl@boston.school.example")
        #expect(mail.parts.count == 2)
        // The child's police person id too (audit 22, people F3): it was in the reference, so in the
        // Subject, the Message-ID and the webhook's Idempotency-Key.
        let personal = ["Amelia", "Hartley", "2016-04-02", "2 April 2016", "shouted", "21:40", "C-ZQ1"]
        for part in mail.parts {
            for value in personal { #expect(!part.text.contains(value), "\(part.contentType) holds \(value)") }
            #expect(Self.link(in: part.text, base: "https://hub.police.example") != nil, "\(part.contentType) has the link")
            #expect(part.text.contains("I-1"))
        }
        for value in personal { #expect(!raw.contains(value) && !mail.subject.contains(value)) }

        let posted = try #require(try rig.https.log().first)
        let body = try #require(try JSONSerialization.jsonObject(with: Data((posted["body"] as? String ?? "").utf8)) as? [String: Any])
        #expect(body["child"] == nil && body["incident_at"] == nil && body["child_present"] == nil)
        #expect((body["ack_url"] as? String)?.hasPrefix("https://hub.police.example/ack/") == true)
        await #expect(body["reference"] as? String == (try Self.alert(rig, "C-OX2")["reference"] as? String))
        for value in ["Bethany", "Quinlan", "2015-07-09", "hid upstairs", "C-OX2"] { #expect(!(posted["body"] as? String ?? "").contains(value)) }
        #expect(!"\(posted)".contains("C-OX2"), "nor in a header")
    }

    /// Many alerts going wrong in one run make one message to the hub; a run later, the alert the
    /// school did not acknowledge by its deadline is told once, under "phone the school".
    @Test(arguments: TestDatabase.allCases)
    func theHubGetsOneNoticePerRunAndHearsOfUnacknowledgedAlerts(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        // Greylisted at the first try, and past their deadline (2026-11-17 09:00): overdue.
        try await rig.ingest((1...3).map { CSVRows.row("I-\($0)", "2026-11-16T21:40:00Z", child: "C-\($0)", urn: "120503") }
                       + [CSVRows.row("I-9", "2026-11-19T21:40:00Z", child: "C-9", urn: "120501")])
        let env = Self.linked(rig, "https://hub.police.example")
        rig.lastRun.set("2026-11-20T06:00:00Z")
        #expect(try await rig.h.run(["notify", "--now", "2026-11-20T06:00:00Z"], environment: env).status == 0)
        var hub = try rig.hubMail()
        #expect(hub.count == 1, "one notice for the run")
        let first = try #require(hub.first?.part("text/plain")?.text)
        #expect(hub.first?.subject.contains("3 overdue") == true)
        for child in ["C-1", "C-2", "C-3"] {
            let reference = try #require(try await Self.alert(rig, child)["reference"] as? String)
            #expect(first.contains("  \(reference)  incident I-\(child.dropFirst(2))  child \(child)"))
        }
        #expect(first.contains("https://hub.police.example/alerts"))

        // C-9 was delivered at 06:00 and nobody pressed the button by 09:00.
        rig.lastRun.set("2026-11-20T09:30:00Z")
        let late = try await rig.h.run(["notify", "--now", "2026-11-20T09:30:00Z"], environment: env)
        #expect(late.status == 0, "\(late.stderr)")
        hub = try rig.hubMail()
        #expect(hub.count == 2, "one more notice for the second run")
        let second = try #require(hub.last?.part("text/plain")?.text)
        let c9 = try #require(try await Self.alert(rig, "C-9")["reference"] as? String)
        #expect(hub.last?.subject.contains("unacknowledged") == true)
        #expect(second.contains("PHONE THE SCHOOL") && second.contains("  \(c9)  incident I-9  child C-9  school 120501"))
        #expect(!second.contains("OVERDUE"), "the overdue alerts were told already")
        #expect(!first.contains("  \(c9)  "), "C-9 was on time: not in the first notice")
        let unread = try rig.h.json(try await rig.h.run(["alerts", "--state", "unacknowledged", "--now", "2026-11-20T09:30:00Z", "--json"]))
        let listed = (unread["alerts"] as? [[String: Any]])?.compactMap { $0["reference"] as? String } ?? []
        #expect(listed.contains(c9))
        // Every alert told as unacknowledged is told once, in one of the two notices.
        for reference in listed {
            let told = [first, second].map { $0.components(separatedBy: "PHONE THE SCHOOL").dropFirst().joined() }
                .map { $0.components(separatedBy: "OVERDUE").first ?? "" }
                .filter { $0.contains("  \(reference)  ") }
            #expect(told.count <= 1, "\(reference) told as unacknowledged more than once")
        }
    }

    /// A school's key adult and deputies each get the one alert (one message, one RCPT each); a
    /// deputy's address the school's server refuses does not stop the others' copies.
    @Test(arguments: TestDatabase.allCases)
    func theKeyAdultAndTheDeputiesEachGetTheAlert(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        try rig.addKeyAdult("120501,Dev Deputy,deputy@boston.school.example,smtp,")
        try rig.addKeyAdult("120501,Old Deputy,reject-old@boston.school.example,smtp,")
        try await rig.ingest([CSVRows.row("I-1", "2026-11-19T21:40:00Z", urn: "120501")])
        rig.lastRun.set("2026-11-20T06:00:00Z")
        let run = try await rig.h.run(["notify", "--now", "2026-11-20T06:00:00Z"], environment: Self.linked(rig, "https://hub.police.example"))
        #expect(run.status == 0, "\(run.stderr)")
        let toSchool = try rig.smtp.log().filter { ($0["rcpt_tos"] as? [String])?.contains("dsl@boston.school.example") == true }
        #expect(toSchool.count == 1, "one message")
        #expect(toSchool.first?["rcpt_tos"] as? [String] == ["deputy@boston.school.example", "dsl@boston.school.example"])
        let (mail, _) = try Self.mail(rig, to: "deputy@boston.school.example")
        for address in ["dsl@boston.school.example", "deputy@boston.school.example", "reject-old@boston.school.example"] {
            #expect(mail.to.contains(address))
        }
        let alerts = try #require(try await rig.h.json(try rig.h.run(["alerts", "--json"]))["alerts"] as? [[String: Any]])
        #expect(alerts.count == 1, "one alert for the school, whoever acknowledges it")
        #expect(alerts.first?["state"] as? String == "delivered")
    }
}
