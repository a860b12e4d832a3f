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
        #expect(a.hasPrefix("ENC-I-1-C-7-"))
        // Both cut down to "I_1"; the hash still tells them apart.
        #expect(AlertReference.make(incidentId: "I/1", childId: "C") != AlertReference.make(incidentId: "I 1", childId: "C"))
        let odd = AlertReference.make(incidentId: "inc@force <1>", childId: "Zoë")
        #expect(odd.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
    }

    @Test func hubNoticeNamesReferenceAndIncidentButNoChild() throws {
        let notice = HubNotice(
            reason: .overdue, reference: "ENC-I-1001-C-1-abcd1234", incidentId: "I-1001", childId: "C-1",
            schoolURN: "100001", channel: .smtp, deadline: Fixtures.deadline, attempts: 3,
            lastError: "smtp reply 451, will retry: RCPT failed: 451 (curl 55)")
        let message = try Fixtures.renderer().hubNotice(
            notice, to: "hub@police.example", hubName: "Police Safeguarding Hub", date: Fixtures.deadline)
        #expect(message.subject.contains("ENC-I-1001-C-1-abcd1234"))
        #expect(message.subject.contains("I-1001"))
        #expect(message.subject.contains("OVERDUE"))
        #expect(message.recipient == "hub@police.example")
        #expect(message.reference == "ENC-I-1001-C-1-abcd1234-hub-overdue")
        #expect(message.htmlBody == nil)
        #expect(message.textBody.contains("C-1"))
        #expect(message.textBody.contains("100001"))
        #expect(message.textBody.contains("RCPT failed: 451"))
        #expect(message.textBody.contains("Attempts so far:   3"))
        #expect(message.textBody.contains("still being retried"))
    }

    @Test func configurationNoticeListsTheHeldAlerts() throws {
        let notice = ConfigurationNotice(
            reference: "ENC-CONFIG-smtp-20260309", channel: .smtp,
            problem: "smtp relay does not offer STARTTLS and plaintext is not allowed",
            affectedReferences: ["ENC-A", "ENC-B"])
        let message = try Fixtures.renderer().configurationNotice(
            notice, to: "hub@police.example", hubName: "Hub", date: Fixtures.deadline)
        #expect(message.subject.contains("ENC-CONFIG-smtp-20260309"))
        #expect(message.textBody.contains("2 alert(s) are held"))
        #expect(message.textBody.contains("  ENC-A\n  ENC-B\n"))
        #expect(message.textBody.contains("STARTTLS"))
    }

    @Test func configurationNoticeForHTTPSSaysHTTPS() throws {
        let notice = ConfigurationNotice(
            reference: "ENC-CONFIG-3", channel: .https, problem: "https not sent: no signing secret is set (ENCOMPASS_WEBHOOK_SECRET)",
            affectedReferences: ["ENC-A"])
        let message = try Fixtures.renderer().configurationNotice(notice, to: "hub@police.example", hubName: "Hub", date: Fixtures.deadline)
        #expect(message.subject == "Encompass cannot deliver https alerts: configuration [ENC-CONFIG-3]")
        #expect(message.textBody.hasPrefix("ENCOMPASS CANNOT DELIVER https ALERTS\n"))
        #expect(message.textBody.contains("1 alert(s) are held"))
        #expect(!message.textBody.contains("smtp alert"))
    }

    /// A notice stored before channels were recorded knows neither: it claims no channel and no count.
    @Test func configurationNoticeWithoutARecordedChannel() throws {
        let notice = ConfigurationNotice(reference: "ENC-CONFIG-7", channel: nil, problem: "smtp login refused", affectedReferences: [])
        let message = try Fixtures.renderer().configurationNotice(notice, to: "hub@police.example", hubName: "Hub", date: Fixtures.deadline)
        #expect(message.subject == "Encompass cannot deliver alerts: configuration [ENC-CONFIG-7]")
        #expect(message.textBody.hasPrefix("ENCOMPASS CANNOT DELIVER ALERTS\n"))
        #expect(!message.textBody.contains("alert(s) are held"))
        #expect(message.textBody.contains("encompass alerts --state queued"))
    }

    @Test func hubNoticeForAnAlertWithNoKnownChannelSaysNone() throws {
        let notice = HubNotice(
            reason: .failed, reference: "ENC-A", incidentId: "I-1", childId: "C-1", schoolURN: nil, channel: nil,
            deadline: Fixtures.deadline, attempts: 1, lastError: "cannot be sent: its stored channel is not smtp or https")
        let message = try Fixtures.renderer().hubNotice(notice, to: "hub@police.example", hubName: "Hub", date: Fixtures.deadline)
        #expect(message.textBody.contains("Channel:           none\n"))
    }

    @Test func aMissingTemplateStopsTheRenderer() throws {
        let scratch = try Scratch()
        #expect(throws: RenderingError.self) {
            try AlertRenderer(templatesDirectory: scratch.url.path)
        }
    }
}
