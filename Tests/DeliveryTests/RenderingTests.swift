import CivilTime
import Delivery
import Foundation
import TestSupport
import RiskModel
import Testing

@Suite struct RenderingTests {
    @Test func alertCarriesTheMinimalContentAndNoNameInTheSubject() throws {
        let message = try Fixtures.alert(to: "dsl@school.example")
        #expect(message.subject == "Operation Encompass notification [\(message.reference)]")
        #expect(!message.subject.contains("Zoë"))
        #expect(!message.subject.contains("Bhriain"))
        for body in [message.textBody, message.htmlBody ?? ""] {
            #expect(body.contains("Zoë"))
            #expect(body.contains("Ní Bhriain"))
            #expect(body.contains("14 February 2016"))
            #expect(body.contains("I-1001"))
            #expect(body.contains("Friday 6 March 2026 at 21:40 (GMT)"))
            #expect(body.contains("Monday 9 March 2026 at 09:00 (GMT)"))
            #expect(body.contains("0000 000 0000"))
            #expect(body.contains("hub@police.example"))
            // Not what the child said, not the adults' ids.
            #expect(!body.contains(Fixtures.voice))
            #expect(!body.contains("V-77"))
            #expect(!body.contains("P-31"))
        }
        #expect(message.textBody.contains("Child present at incident:    Yes"))
        #expect(message.textBody.contains("Child spoken to by police:    No"))
        // The pragma line leaves nothing behind.
        #expect(message.textBody.hasPrefix("OPERATION ENCOMPASS NOTIFICATION"))
    }

    /// A template that does not parse is named with its line and column and what is wrong, in
    /// words: not the library's value dump.
    @Test func aBrokenTemplateIsNamedWithItsPlaceInWords() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("templates-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in AlertRenderer.templateNames {
            try FileManager.default.copyItem(atPath: Repository.templates + "/\(name).mustache", toPath: folder.path + "/\(name).mustache")
        }
        let broken = folder.appendingPathComponent("alert.txt.mustache")
        try Data("Hello\n{{#hub}}\n".utf8).write(to: broken)
        let error = #expect(throws: RenderingError.self) { try AlertRenderer(templatesDirectory: folder.path) }
        let message = error?.message ?? ""
        #expect(message.hasPrefix("template \(broken.path):"), "\(message)")
        #expect(message.contains(" does not parse: a section is not closed"), "\(message)")
        #expect(!message.contains("ParserError"))
    }

    @Test func htmlPartEscapesWhatItShows() throws {
        let child = Fixtures.child(given: "Siobhán", family: "O'Neill <b>")
        let message = try Fixtures.alert(to: "dsl@school.example", child: child)
        let html = try #require(message.htmlBody)
        #expect(html.contains("Siobhán O&#39;Neill &lt;b&gt;"))
        #expect(!html.contains("<b>"))
        #expect(message.textBody.contains("Siobhán O'Neill <b>"))
    }

    @Test(arguments: [
        (Optional(true), "Yes"), (Optional(false), "No"), (Bool?.none, "Not known"),
    ])
    func presentAndSpokenToReadAsPeopleSayThem(value: Bool?, text: String) throws {
        var child = Fixtures.child()
        child.present = value
        child.spokenTo = value
        let message = try Fixtures.alert(to: "dsl@school.example", child: child)
        #expect(message.textBody.contains("Child present at incident:    \(text)\n"))
        #expect(message.textBody.contains("Child spoken to by police:    \(text)\n"))
    }

    @Test func summerTimeIsLabelledBST() throws {
        var content = Fixtures.content()
        content.incidentAt = Date(timeIntervalSince1970: 1_782_940_500)  // 2026-07-01 21:15 UTC
        let message = try Fixtures.renderer().alert(
            content, reference: "ENC-X", channel: .smtp, recipient: "dsl@school.example", date: Fixtures.reportedAt)
        #expect(message.textBody.contains("Wednesday 1 July 2026 at 22:15 (BST)"))
    }

    @Test func jsonBodyHoldsTheMinimalFieldsWithStableBytes() throws {
        let message = try Fixtures.alert(to: "https://school.example/encompass", channel: .https)
        let again = try Fixtures.alert(to: "https://school.example/encompass", channel: .https)
        let body = try #require(message.jsonBody)
        #expect(body == again.jsonBody)
        let json = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(Set(json.keys) == [
            "reference", "incident_id", "incident_at", "child", "child_present", "child_spoken_to",
            "school", "hub", "deadline",
        ])
        #expect(json["reference"] as? String == message.reference)
        #expect(json["incident_id"] as? String == "I-1001")
        #expect(json["incident_at"] as? String == "2026-03-06T21:40:00+00:00")
        #expect(json["child_present"] as? Bool == true)
        #expect(json["child_spoken_to"] as? Bool == false)
        let child = try #require(json["child"] as? [String: Any])
        #expect(child["given_name"] as? String == "Zoë")
        #expect(child["family_name"] as? String == "Ní Bhriain")
        #expect(child["date_of_birth"] as? String == "2016-02-14")
        let hub = try #require(json["hub"] as? [String: Any])
        #expect(hub["email"] as? String == "hub@police.example")
        #expect(!String(decoding: body, as: UTF8.self).contains(Fixtures.voice))
    }

    @Test func unknownAnswersAreNullInJSON() throws {
        var child = Fixtures.child()
        child.present = nil
        let message = try Fixtures.alert(to: "https://school.example/x", channel: .https, child: child)
        let text = String(decoding: try #require(message.jsonBody), as: UTF8.self)
        #expect(text.contains("\"child_present\":null"))
    }

    @Test func referenceIsStableAndKeepsDifferentPairsApart() {
        let a = AlertReference.make(incidentId: "I-1", childId: "C-7")
        #expect(a == AlertReference.make(incidentId: "I-1", childId: "C-7"))
        // The incident, never the child (audit 22, people F3): a reference is in every message's headers.
        #expect(a.hasPrefix("ENC-I-1-") && !a.contains("C-7") && a.count == "ENC-I-1-".count + 12)
        #expect(Set((1...500).map { AlertReference.make(incidentId: "I-1", childId: "C-\($0)") }).count == 500, "each child of an incident its own")
        // Both cut down to "I_1"; the hash still tells them apart.
        #expect(AlertReference.make(incidentId: "I/1", childId: "C") != AlertReference.make(incidentId: "I 1", childId: "C"))
        let odd = AlertReference.make(incidentId: "inc@force <1>", childId: "Zoë")
        #expect(odd.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
    }

    /// One message per run (SPEC §7): every alert by reference and incident id under its heading,
    /// the configuration problems with the alerts they hold, and the count of each in the subject.
    @Test func theRunsOneNoticeListsEveryAlertAndProblem() throws {
        let overdue = HubNotice(
            reason: .overdue, reference: "ENC-I-1001-C-1-abcd1234", incidentId: "I-1001", childId: "C-1",
            schoolURN: "100001", channel: .smtp, deadline: Fixtures.deadline, attempts: 3,
            lastError: "smtp reply 451, will retry: RCPT failed: 451 (curl 55)")
        let failed = HubNotice(
            reason: .failed, reference: "ENC-A", incidentId: "I-2", childId: "C-2", schoolURN: nil, channel: nil,
            deadline: Fixtures.deadline, attempts: 1, lastError: "cannot be sent: its stored channel is not smtp or https")
        let unread = HubNotice(
            reason: .unacknowledged, reference: "ENC-U", incidentId: "I-3", childId: "C-3", schoolURN: "100002", channel: .https,
            deadline: Fixtures.deadline, attempts: 1, lastError: nil)
        let problem = ConfigurationNotice(
            reference: "ENC-CONFIG-9", channel: .smtp, problem: "smtp relay does not offer STARTTLS and plaintext is not allowed",
            affectedReferences: ["ENC-B", "ENC-C"])
        let digest = HubDigest(reference: "ENC-HUB-1-4", alerts: [overdue, failed, unread], configurations: [problem],
                               boardURL: "https://hub.police.example/alerts")
        let message = try Fixtures.renderer().hubNotices(digest, to: "hub@police.example", hubName: "Hub", date: Fixtures.deadline)
        #expect(message.subject == "Encompass needs the hub: 1 unacknowledged, 1 overdue, 1 failed, 1 configuration problem(s) [ENC-HUB-1-4]")
        #expect(message.recipient == "hub@police.example")
        #expect(message.reference == "ENC-HUB-1-4")
        #expect(message.htmlBody == nil)
        let text = message.textBody
        #expect(text.contains("https://hub.police.example/alerts"))
        #expect(text.contains("PHONE THE SCHOOL"))
        #expect(text.contains("  ENC-U  incident I-3  child C-3  school 100002"))
        #expect(text.contains("  ENC-I-1001-C-1-abcd1234  incident I-1001  child C-1  school 100001  by smtp"))
        #expect(text.contains("attempts 3; last error: smtp reply 451, will retry: RCPT failed: 451 (curl 55)"))
        #expect(text.contains("  ENC-A  incident I-2  child C-2  school none  by none"))
        #expect(text.contains("channel smtp: smtp relay does not offer STARTTLS"))
        #expect(text.contains("2 alert(s) held in the queue"))
        #expect(text.contains("    ENC-B\n    ENC-C\n"))
        // Each heading appears once, in this order.
        let order = ["PHONE THE SCHOOL", "OVERDUE", "FAILED", "CANNOT DELIVER"].map { text.range(of: $0)!.lowerBound }
        #expect(order == order.sorted())
    }

    @Test func aNoticeWithOnlyOneKindLeavesTheOtherHeadingsOut() throws {
        let failed = HubNotice(
            reason: .failed, reference: "ENC-A", incidentId: "I-2", childId: "C-2", schoolURN: "100001", channel: .https,
            deadline: Fixtures.deadline, attempts: 1, lastError: "https HTTP 404")
        let message = try Fixtures.renderer().hubNotices(HubDigest(reference: "ENC-HUB-5-5", alerts: [failed], configurations: [], boardURL: nil),
                                                         to: "hub@police.example", hubName: "Hub", date: Fixtures.deadline)
        #expect(message.subject == "Encompass needs the hub: 1 failed [ENC-HUB-5-5]")
        for heading in ["PHONE THE SCHOOL", "OVERDUE", "CANNOT DELIVER", "/alerts"] { #expect(!message.textBody.contains(heading)) }
        #expect(message.textBody.contains("FAILED"))
    }

    /// The relay down: its own heading in the e-mail, and the same digest as `hub.webhook`'s signed
    /// JSON, counts and references only.
    @Test func aRelayOutageIsToldByEmailAndAsTheHubWebhooksJSON() throws {
        let outage = ConfigurationNotice(reference: "ENC-CONFIG-7", channel: .smtp,
                                         problem: "smtp our relay 10.1.2.3:587 cannot be reached: Failed to connect (curl 7)",
                                         affectedReferences: ["ENC-B", "ENC-C"])
        let overdue = HubNotice(reason: .overdue, reference: "ENC-A", incidentId: "I-2", childId: "C-2", schoolURN: "100001", channel: .smtp,
                                deadline: Fixtures.deadline, attempts: 1, lastError: "smtp our relay 10.1.2.3:587 cannot be reached")
        let digest = HubDigest(reference: "ENC-HUB-7-8", alerts: [overdue], configurations: [], outages: [outage], boardURL: nil)
        let renderer = try Fixtures.renderer()
        let mail = renderer.hubNotices(digest, to: "hub@police.example", hubName: "Hub", date: Fixtures.deadline)
        #expect(mail.subject == "Encompass needs the hub: relay down, 1 overdue [ENC-HUB-7-8]")
        #expect(mail.textBody.contains("RELAY DOWN"))
        #expect(mail.textBody.contains("10.1.2.3:587 cannot be reached"))
        #expect(mail.textBody.contains("2 e-mail alert(s) that waited on it not yet sent; the next run sends them:\n    ENC-B\n    ENC-C\n"))
        // Audit 19, D1: read through the relay, the notice does not say it is still down, nor count twice.
        #expect(mail.textBody.contains("It answers\nagain now"))
        #expect(!mail.textBody.contains("exiting 69") && !mail.textBody.contains("first run that reaches it"))
        #expect(!mail.textBody.contains("CANNOT DELIVER"))
        let sentSince = ConfigurationNotice(reference: "ENC-CONFIG-7", channel: .smtp, problem: outage.problem, affectedReferences: [])
        let later = renderer.hubNotices(HubDigest(reference: "ENC-HUB-7-7", alerts: [], configurations: [], outages: [sentSince], boardURL: nil),
                                        to: "hub@police.example", hubName: "Hub", date: Fixtures.deadline)
        #expect(later.textBody.contains("Every e-mail alert that waited on it has been sent since."))
        #expect(!later.textBody.contains("0 e-mail alert(s)"))
        var late = overdue
        late.deliveredAt = Fixtures.deadline.addingTimeInterval(600)
        let deliveredLate = renderer.hubNotices(HubDigest(reference: "ENC-HUB-9-9", alerts: [late], configurations: [], boardURL: nil),
                                                to: "hub@police.example", hubName: "Hub", date: Fixtures.deadline)
        #expect(deliveredLate.textBody.contains("delivered late on"))
        #expect(!deliveredLate.textBody.contains("last error"), "a delivered alert has no error to show beside it")

        let hook = renderer.hubWebhook(digest, url: "https://hooks.police.example/hub", date: Fixtures.deadline)
        #expect(hook.channel == .https && hook.recipient == "https://hooks.police.example/hub" && hook.reference == "ENC-HUB-7-8")
        let body = try #require(hook.jsonBody)
        let json = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(json["kind"] as? String == "encompass-hub-digest")
        let counts = try #require(json["counts"] as? [String: Int])
        #expect(counts == ["relay_down": 1, "waiting_on_relay": 2, "unacknowledged": 0, "overdue": 1, "failed": 0, "configuration": 0,
                           "refused_address": 0, "rerouted": 0, "too_old": 0, "no_longer_named": 0])
        let alerts = try #require(json["alerts"] as? [[String: String]])
        #expect(alerts.first?["reference"] == "ENC-A" && alerts.first?["incident_id"] == "I-2" && alerts.first?["reason"] == "overdue")
        #expect(alerts.first?["child_id"] == nil && alerts.first?["school_urn"] == nil, "references only")
        #expect((json["relay_down"] as? [[String: Any]])?.first?["waiting"] as? [String] == ["ENC-B", "ENC-C"])
    }

    /// A key adult's address refused for good: its own heading in the e-mail (not "our settings"),
    /// and the webhook's JSON names it apart from the configuration problems.
    @Test func aRefusedKeyAdultAddressIsToldApartFromOurSettings() throws {
        let problem = "school 100001: our relay refused key adult address old@school.example with reply 550"
        let refused = ConfigurationNotice(reference: "ENC-CONFIG-9", channel: .smtp, problem: problem, affectedReferences: [])
        let digest = HubDigest(reference: "ENC-HUB-9-9", alerts: [], configurations: [], refusedAddresses: [refused], boardURL: nil)
        let renderer = try Fixtures.renderer()
        let mail = renderer.hubNotices(digest, to: "hub@police.example", hubName: "Hub", date: Fixtures.deadline)
        #expect(mail.subject == "Encompass needs the hub: 1 key adult address(es) refused [ENC-HUB-9-9]")
        #expect(mail.textBody.contains("KEY ADULT ADDRESS REFUSED"))
        #expect(mail.textBody.contains("  " + problem + "\n"))
        #expect(!mail.textBody.contains("CANNOT DELIVER"))
        let body = try #require(renderer.hubWebhook(digest, url: "https://hooks.police.example/hub", date: Fixtures.deadline).jsonBody)
        let json = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect((json["counts"] as? [String: Int])?["refused_address"] == 1)
        #expect((json["counts"] as? [String: Int])?["configuration"] == 0)
        #expect((json["refused_address"] as? [[String: Any]])?.first?["problem"] as? String == problem)
    }

    /// Audit 22, people F8: an alert re-routed after it was delivered to a school the record no
    /// longer names. A notice of only this is sent, under its own heading, naming the reference, the
    /// incident, and the school that has the child's details and since when, with what to do; the
    /// webhook's JSON adds a key for it (keys may be added, never renamed) and keeps the others.
    @Test func anAlertDeliveredToASchoolNoLongerNamedIsToldWithTheSchoolToContact() throws {
        let rerouted = ReroutedNotice(reference: "ENC-R", incidentId: "I-4", schoolURN: "100001", deliveredAt: Fixtures.deadline)
        let digest = HubDigest(reference: "ENC-HUB-4-4", alerts: [], configurations: [], rerouted: [rerouted], boardURL: nil)
        let renderer = try Fixtures.renderer()
        let mail = renderer.hubNotices(digest, to: "hub@police.example", hubName: "Hub", date: Fixtures.deadline)
        #expect(mail.subject == "Encompass needs the hub: 1 sent to a school no longer named [ENC-HUB-4-4]")
        let text = mail.textBody
        #expect(text.contains("SENT TO A SCHOOL NO LONGER NAMED"))
        #expect(text.contains("ask that the notification be deleted, and log it as a disclosure"))
        #expect(text.contains("  ENC-R  incident I-4  delivered to school 100001 on Monday 9 March 2026 at 09:00 (GMT)\n"), "\(text)")
        for heading in ["PHONE THE SCHOOL", "OVERDUE", "FAILED", "WITHDRAWN", "CANNOT DELIVER"] { #expect(!text.contains(heading)) }

        let body = try #require(renderer.hubWebhook(digest, url: "https://hooks.police.example/hub", date: Fixtures.deadline).jsonBody)
        let json = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect((json["counts"] as? [String: Int])?["rerouted"] == 1)
        #expect((json["alerts"] as? [Any])?.isEmpty == true, "not among the alerts' reasons: their values are kept as they were")
        let told = try #require((json["rerouted"] as? [[String: String]])?.first)
        #expect(Set(told.keys) == ["reference", "incident_id", "school_urn", "delivered_at"], "ids only: no child, no school's name")
        #expect(told["reference"] == "ENC-R" && told["incident_id"] == "I-4" && told["school_urn"] == "100001")
        #expect(told["delivered_at"]?.hasPrefix("2026-03-09T09:00:00") == true, "\(told)")
    }

    /// Audit 23 year, F1: an ingest's incidents too old to alert a school about are told to the hub
    /// under their own heading (ids only), as a school to contact by another route; the webhook's
    /// JSON adds a key for them and keeps the others.
    @Test func incidentsTooOldToAlertAreToldUnderTheirOwnHeading() throws {
        let line = "2 children in 1 incident reached the hub more than 28 days after the incident was reported "
            + "(alerts.max_age_days): no school was alerted. Incidents: PPN-00146"
        let digest = HubDigest(reference: "ENC-HUB-5-5", alerts: [], configurations: [], tooOld: [line], boardURL: nil)
        let renderer = try Fixtures.renderer()
        let mail = renderer.hubNotices(digest, to: "hub@police.example", hubName: "Hub", date: Fixtures.deadline)
        #expect(mail.subject == "Encompass needs the hub: incidents too old to alert a school [ENC-HUB-5-5]")
        #expect(mail.textBody.contains("TOO OLD TO ALERT A SCHOOL"))
        #expect(mail.textBody.contains("\n  " + line + "\n"), "\(mail.textBody)")
        #expect(mail.textBody.contains("contact its key adult by\nanother route"))
        for heading in ["PHONE THE SCHOOL", "OVERDUE", "FAILED", "WITHDRAWN", "CANNOT DELIVER"] { #expect(!mail.textBody.contains(heading)) }
        let body = try #require(renderer.hubWebhook(digest, url: "https://hooks.police.example/hub", date: Fixtures.deadline).jsonBody)
        let json = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect((json["counts"] as? [String: Int])?["too_old"] == 1)
        #expect(json["too_old"] as? [String] == [line])
        #expect((json["alerts"] as? [Any])?.isEmpty == true)
    }

    /// Audit 23: an alert delivered to a school the record then stopped naming for the child, sent
    /// nowhere else (`AlertLifecycle.noLongerNamedNotices`): its own heading, saying no alert went
    /// elsewhere and what to do, and its own key in the webhook's JSON, not among the re-routes.
    @Test func anAlertKeptAtASchoolNoLongerNamedIsToldWithTheSchoolToContact() throws {
        let held = ReroutedNotice(reference: "ENC-N", incidentId: "I-5", schoolURN: "100001", deliveredAt: Fixtures.deadline)
        let digest = HubDigest(reference: "ENC-HUB-5-5", alerts: [], configurations: [], noLongerNamed: [held], boardURL: nil)
        let renderer = try Fixtures.renderer()
        let mail = renderer.hubNotices(digest, to: "hub@police.example", hubName: "Hub", date: Fixtures.deadline)
        #expect(mail.subject == "Encompass needs the hub: 1 held by a school no longer named [ENC-HUB-5-5]")
        let text = mail.textBody
        #expect(text.contains("HELD BY A SCHOOL NO LONGER NAMED"))
        #expect(text.contains("the alert went to no other school"))
        #expect(text.contains("ask that the notification\nbe deleted, and log it as a disclosure"), "\(text)")
        #expect(text.contains("  ENC-N  incident I-5  delivered to school 100001 on Monday 9 March 2026 at 09:00 (GMT)\n"), "\(text)")
        #expect(!text.contains("SENT TO A SCHOOL NO LONGER NAMED"), "no alert was re-routed")

        let body = try #require(renderer.hubWebhook(digest, url: "https://hooks.police.example/hub", date: Fixtures.deadline).jsonBody)
        let json = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect((json["counts"] as? [String: Int])?["no_longer_named"] == 1)
        #expect((json["counts"] as? [String: Int])?["rerouted"] == 0)
        let told = try #require((json["no_longer_named"] as? [[String: String]])?.first)
        #expect(Set(told.keys) == ["reference", "incident_id", "school_urn", "delivered_at"], "ids only: no child, no school's name")
        #expect(told["reference"] == "ENC-N" && told["incident_id"] == "I-5" && told["school_urn"] == "100001")
    }

    /// fix-order's note: the record named no school for the child, then the next feed another, with
    /// no run between. The hub's one word about the school that has the child's details (the
    /// re-route tells nothing more of it) said the alert went to no other school; its line names
    /// the school it was re-routed to, in the e-mail and the webhook's JSON (a key added).
    @Test func anAlertKeptAtASchoolNoLongerNamedAndReRoutedSinceSaysWhere() throws {
        let held = ReroutedNotice(reference: "ENC-N", incidentId: "I-5", schoolURN: "100001", deliveredAt: Fixtures.deadline,
                                  reroutedTo: "100002")
        let still = ReroutedNotice(reference: "ENC-M", incidentId: "I-6", schoolURN: "100001", deliveredAt: Fixtures.deadline)
        let digest = HubDigest(reference: "ENC-HUB-5-6", alerts: [], configurations: [], noLongerNamed: [held, still], boardURL: nil)
        let renderer = try Fixtures.renderer()
        let text = renderer.hubNotices(digest, to: "hub@police.example", hubName: "Hub", date: Fixtures.deadline).textBody
        #expect(text.contains("the alert went to no other school,\nunless its line names the school it was re-routed to since."), "\(text)")
        #expect(text.contains("  ENC-N  incident I-5  delivered to school 100001 on Monday 9 March 2026 at 09:00 (GMT); "
                              + "re-routed since to school 100002\n"), "\(text)")
        #expect(text.contains("  ENC-M  incident I-6  delivered to school 100001 on Monday 9 March 2026 at 09:00 (GMT)\n"), "\(text)")

        let body = try #require(renderer.hubWebhook(digest, url: "https://hooks.police.example/hub", date: Fixtures.deadline).jsonBody)
        let json = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        let told = try #require(json["no_longer_named"] as? [[String: String]])
        #expect(told.map { $0["rerouted_to"] } == ["100002", nil])
        #expect(Set(told[0].keys) == ["reference", "incident_id", "school_urn", "delivered_at", "rerouted_to"])
    }

    @Test func aMissingTemplateStopsTheRenderer() throws {
        let scratch = try Scratch()
        #expect(throws: RenderingError.self) {
            try AlertRenderer(templatesDirectory: scratch.url.path)
        }
    }
}
