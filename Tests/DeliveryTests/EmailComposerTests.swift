import Delivery
import Foundation
import TestSupport
import Testing

@Suite struct EmailComposerTests {
    private func decoded(_ message: AlertMessage, composer: EmailComposer) throws -> (DecodedEmail, String) {
        let scratch = try Scratch()
        let file = scratch.path("m.eml")
        let data = composer.compose(message)
        try data.write(to: URL(fileURLWithPath: file))
        return (try DecodedEmail(file: file), String(decoding: data, as: UTF8.self))
    }

    @Test func multipartAlternativeDecodesWithNamesIntact() throws {
        let child = Fixtures.child(given: "Siobhán", family: "Zoë-Brontë")
        let message = try Fixtures.alert(to: "dsl@school.example", child: child)
        let composer = EmailComposer(from: "encompass@police.example", fromName: "Heddlu Gogledd Cymru – Hwb")
        let (email, raw) = try decoded(message, composer: composer)
        #expect(email.defects.isEmpty)
        #expect(email.rawHeadersASCII)
        #expect(email.crlfOnly)
        #expect(email.maxLineLength <= 78)
        #expect(email.contentType == "multipart/alternative")
        #expect(email.subject == message.subject)
        #expect(email.from == "Heddlu Gogledd Cymru – Hwb <encompass@police.example>")
        #expect(email.to == "dsl@school.example")
        #expect(email.messageID == "<\(message.reference)@police.example>")
        #expect(raw.contains("Date: Fri, 06 Mar 2026 21:41:00 +0000\r\n"))
        let text = try #require(email.part("text/plain"))
        let html = try #require(email.part("text/html"))
        for part in [text, html] {
            #expect(part.charset == "utf-8")
            #expect(part.transferEncoding == "quoted-printable")
            #expect(part.text.contains("Siobhán"))
            #expect(part.text.contains("Zoë-Brontë"))
            #expect(!part.text.contains(Fixtures.voice))
        }
        #expect(text.text == message.textBody)
        #expect(html.text == message.htmlBody)
        #expect(!raw.contains("Siobhán"))  // encoded on the wire, not raw 8-bit
    }

    @Test func nonASCIISubjectIsEncodedAndDecodesBack() throws {
        var message = try Fixtures.alert(to: "dsl@school.example")
        message.subject = "Hysbysiad Ymgyrch Encompass – ysgol Llanfair­pwll­gwyngyll Zoë Siobhán [\(message.reference)]"
        let (email, raw) = try decoded(message, composer: EmailComposer(from: "encompass@police.example"))
        #expect(email.subject == message.subject)
        #expect(raw.contains("Subject: =?UTF-8?B?"))
        #expect(email.maxLineLength <= 78)
    }

    @Test func textOnlyMessageIsOnePlainPart() throws {
        let notice = HubNotice(
            reason: .failed, reference: "ENC-R", incidentId: "I-1", childId: "C-1", schoolURN: nil,
            channel: .https, deadline: Fixtures.deadline, attempts: 1, lastError: "https HTTP 404")
        let message = try Fixtures.renderer().hubNotices(HubDigest(reference: "ENC-HUB-1-1", alerts: [notice], configurations: [], boardURL: nil),
                                                         to: "hub@police.example", hubName: "Hub", date: Fixtures.deadline)
        let (email, _) = try decoded(message, composer: EmailComposer(from: "encompass@police.example"))
        #expect(email.contentType == "text/plain")
        #expect(email.parts.count == 1)
        // The Message-ID's domain is smtp.from's.
        #expect(email.messageID == "<ENC-HUB-1-1@police.example>")
        #expect(email.parts[0].text == message.textBody)
    }

    @Test func longLinesAndTrailingSpacesSurviveQuotedPrintable() throws {
        var message = try Fixtures.alert(to: "dsl@school.example")
        let long = String(repeating: "é=ab ", count: 40) + "end with space "
        message.textBody = long + "\n.starts with a dot\n\n"
        message.htmlBody = nil
        let (email, _) = try decoded(message, composer: EmailComposer(from: "encompass@police.example"))
        #expect(email.maxLineLength <= 76)
        #expect(email.parts[0].text == message.textBody)
    }

    @Test func sameReferenceSameMessageID() throws {
        let composer = EmailComposer(from: "encompass@police.example")
        let a = try Fixtures.alert(to: "dsl@school.example")
        let b = try Fixtures.alert(to: "dsl@school.example")
        #expect(composer.compose(a) == composer.compose(b))
        #expect(composer.messageID(for: a.reference) == "<\(a.reference)@police.example>")
    }
}
