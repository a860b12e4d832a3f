import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import NIOCore
import RiskModel
import SQLiteStore
import StoreContract
import Testing

/// Control characters and over-long text are refused in every form and API field, bodies over a
/// route's limit get 413, and forms sent back with problems are usable with a screen reader
/// (issue 10, items 3, 4 and 11).
@Suite struct InputHardeningTests {
    // MARK: Control characters and lengths (item 3)

    @Test(arguments: ["Held\u{0}back", "Esc\u{1B}[31mred", "Del\u{7F}ete", "Bell\u{7}", "Csi\u{9B}31mred"])
    func aDecisionReasonWithAControlCharacterIsRefusedAndNotStored(reason: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.submit("/children/C-1/decisions", from: "/children/C-1",
                                            form: [("marac", "declined"), ("on", "2026-11-21"), ("reason", reason)])
        }
        #expect(response.status == .unprocessableContent)
        #expect(response.text.contains("The reason has a"))
        #expect(response.text.contains("which cannot be kept. Type it again without it."))
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
    }

    @Test func tabsAndLineBreaksAreKeptInAReason() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.submit("/children/C-1/decisions", from: "/children/C-1",
                                            form: [("marac", "declined"), ("on", "2026-11-21"), ("reason", "First line.\r\n\tSecond line.")])
        }
        #expect(response.status == .seeOther)
        #expect(try await fixture.store.decisions(childId: "C-1").first?.reason == "First line.\r\n\tSecond line.")
    }

    /// A form whose bytes are not UTF-8, raw or once %-decoded, is refused whole (400, the problem
    /// named) where every form is read: never kept with replacement characters, never a field emptied.
    @Test(arguments: [[0xFF, 0xFE, 0xC3], Array("%FF%FE%C3".utf8), Array("%zz".utf8)])
    func aFormThatIsNotUTF8TextIsRefusedAndNothingIsStored(reason: [UInt8]) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let token = try #require(Browser.csrf(in: try await browser.get("/children/C-1").text))
            var body = ByteBuffer(string: "csrf=\(token)&marac=declined&on=2026-11-21&reason=")
            body.writeBytes(reason)
            return try await browser.send("/children/C-1/decisions", method: .post,
                                          headers: [.contentType: "application/x-www-form-urlencoded"], body: body)
        }
        #expect(response.status == .badRequest)
        #expect(response.text.contains("The form was not sent as UTF-8 text"))
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
    }

    @Test func aRegradeReasonWithAControlCharacterIsRefused() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("sam")
            return try await browser.submit("/children/C-3/incidents/I-5/regrade", from: "/children/C-3/incidents/I-5/regrade",
                                            form: [("grade", "high"), ("reason", "Raised\u{1B}]0;x\u{7}")])
        }
        #expect(response.status == .unprocessableContent)
        #expect(response.text.contains("The reason has a control character in it"))
        #expect(try await fixture.store.childRecord("C-3")?.incidents.first?.supervisorGrade == nil)
    }

    @Test(arguments: ["new\u{0}user", "esc\u{1B}[2J", String(repeating: "n", count: 65), "csi\u{9B}2J", "ha\u{200B}na", "\u{202E}anah"])
    func anAccountNameWithAControlCharacterOrTooLongIsRefused(name: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            return try await browser.submit("/admin/users", from: "/admin/users", form: [
                ("name", name), ("role", "hub"), ("password", WebFixture.password), ("confirm", WebFixture.password),
            ])
        }
        #expect(response.status == .unprocessableContent)
        #expect(response.text.contains("The sign-in name"))
        #expect(try await fixture.store.users().count == 3)
    }

    @Test func aSignInNameWithAControlCharacterIsRefusedPlainly() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { try await $0.signIn("hana\u{0}", password: WebFixture.password) }
        #expect(response.status == .unprocessableContent)
        #expect(response.text.contains("The sign-in name has a null character in it"))
    }

    /// An id looks the same with a zero-width space in it, and is another id: refused, by name.
    @Test func aChildsIdWithAnInvisibleCharacterIsRefusedInTheSearchBox() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/search?child=C-1%E2%80%8B")
        }
        #expect(response.status == .unprocessableContent)
        #expect(response.text.contains("id has an invisible or look-alike character in it"), "\(response.text.prefix(2000))")
    }

    @Test(arguments: [
        #"{"marac": "declined", "on": "2026-11-21", "reason": "Held\u0000back"}"#,
        #"{"marac": "declined", "on": "2026-11-21", "reason": "Esc\u001b[31m"}"#,
        #"{"marac": "referred", "on": "2026-11-21", "by": "jo\u001b[2Jbloggs"}"#,
        #"{"marac": "referred", "on": "2026-11-21", "by": ""# + String(repeating: "b", count: 65) + #""}"#,
        #"{"marac": "referred\u0000", "on": "2026-11-21"}"#,
    ])
    func anAPIDecisionWithAControlCharacterOrTooLongIsRefused(body: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await APITests.call(fixture, .post, "/api/children/C-1/decisions", type: "application/json", body: body)
        #expect(response.status == .unprocessableContent)
        #expect(response.headers[.contentType] == "application/json")
        #expect(response.text.contains(#""errors""#))
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
    }

    /// A decline's reason with no visible character (audit 20, F6: a zero-width space, a word joiner
    /// and a byte order mark) is no reason, through the page and the API alike; nothing is stored.
    @Test(arguments: ["\u{200B}\u{2060}\u{FEFF}", "\u{2060}\u{FEFF}", "\u{200F}\u{2066}\u{2069}"])
    func aReasonOfOnlyInvisibleCharactersIsRefusedAsBlank(reason: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let page = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.submit("/children/C-1/decisions", from: "/children/C-1",
                                            form: [("marac", "declined"), ("on", "2026-11-21"), ("reason", reason)])
        }
        #expect(page.status == .unprocessableContent)
        #expect(page.text.contains("Say why the referral was declined: a reason is required."))
        let escaped = String(decoding: try JSONEncoder().encode(reason), as: UTF8.self)
        let api = try await APITests.call(fixture, .post, "/api/children/C-1/decisions", type: "application/json",
                                          body: #"{"marac": "declined", "on": "2026-11-21", "reason": "# + escaped + "}")
        #expect(api.status == .unprocessableContent)
        #expect(api.text.contains("a reason is required"))
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
    }

    // MARK: Bodies over the limit (item 4)

    @Test func aSignInFormOverTheLimitIs413() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            let html = try await browser.get("/sign-in").text
            let token = try #require(Browser.csrf(in: html))
            return try await browser.post("/sign-in", form: [
                ("csrf", token), ("name", "hana"), ("password", String(repeating: "p", count: 1_100_000)),
            ])
        }
        #expect(response.status == .contentTooLarge)
        #expect(response.headers[.contentType] == "text/html; charset=utf-8")
        #expect(response.text.contains("larger than this address takes"))
    }

    @Test func aDecisionFormOverTheLimitIs413AndNothingIsWritten() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.submit("/children/C-1/decisions", from: "/children/C-1", form: [
                ("marac", "declined"), ("on", "2026-11-21"), ("reason", String(repeating: "r", count: 1024 * 1024)),
            ])
        }
        #expect(response.status == .contentTooLarge)
        #expect(response.text.contains("larger than this address takes"))
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
    }

    @Test func anAPIDecisionOverTheLimitIs413JSON() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let body = #"{"marac": "declined", "on": "2026-11-21", "reason": ""# + String(repeating: "r", count: 70_000) + #""}"#
        let response = try await APITests.call(fixture, .post, "/api/children/C-1/decisions", type: "application/json", body: body)
        #expect(response.status == .contentTooLarge)
        #expect(response.headers[.contentType] == "application/json")
        #expect(response.text.contains(#""error""#))
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
    }

    @Test func anAPIIncidentFileOverTheLimitIs413JSON() async throws {
        var fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        fixture.configuration.maxBodyBytes = 4096
        let response = try await APITests.call(fixture, .post, "/api/incidents", type: "text/csv",
                                               body: Sample.header + "\n" + String(repeating: "x", count: 8192))
        #expect(response.status == .contentTooLarge)
        #expect(response.headers[.contentType] == "application/json")
    }

    // MARK: Forms sent back with problems (item 11)

    @Test func aDecisionFormWithProblemsLandsOnItsSummaryAndTiesEachMessageToItsField() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (blank, response) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let blank = try await browser.get("/children/C-1").text
            return (blank, try await browser.submit("/children/C-1/decisions", from: "/children/C-1",
                                                    form: [("on", "2030-01-01"), ("reason", " typed  ")]))
        }
        #expect(blank.contains(#"action="/children/C-1/decisions#errors""#))
        #expect(!blank.contains("<title>Error:"))
        let html = response.text
        #expect(response.status == .unprocessableContent)
        #expect(html.contains("<title>Error: Child C-1"))
        #expect(html.contains(#"<div class="error-summary" id="errors" tabindex="-1" role="alert""#))
        #expect(html.contains(##"<a href="#on">The date of the decision cannot be in the future.</a>"##))
        #expect(html.contains(#"<p id="on-error" class="error"><span class="visually-hidden">Error:</span> The date of the decision cannot be in the future.</p>"#))
        #expect(html.contains(#"value="2030-01-01" max="2026-11-22" required aria-describedby="on-error" aria-invalid="true""#))
        #expect(html.contains(#"<fieldset aria-describedby="marac-error">"#))
        #expect(html.contains(##"<a href="#marac-referred">Choose a MARAC decision, a strategy meeting decision, or both.</a>"##))
        #expect(html.contains(#"value="referred" aria-invalid="true">"#))
        #expect(html.contains(#"aria-describedby="reason-hint">"#))
        #expect(html.contains("> typed  </textarea>"))
        // Words for people, not field names.
        #expect(!html.contains("(marac:"))
        #expect(!html.contains("(reason)"))
    }

    @Test func aBadSchoolFilterKeepsWhatWasTypedAndShowsNoOne() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/?school=12ab").text
        }
        #expect(html.contains("<title>Error: Review queue"))
        #expect(html.contains(#"value="12ab""#))
        #expect(html.contains(#"aria-describedby="school-hint school-error" aria-invalid="true""#))
        #expect(html.contains("Enter the school&#39;s URN as 6 digits") || html.contains("Enter the school's URN as 6 digits"))
        #expect(!html.contains("/children/C-1\""))
        #expect(html.contains("No children match these filters."))
    }

    @Test func theRegradeAndAccountFormsLandOnTheirSummaries() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (regrade, account) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            let regrade = try await browser.submit("/children/C-3/incidents/I-5/regrade", from: "/children/C-3/incidents/I-5/regrade",
                                                   form: [("grade", "high"), ("reason", "")])
            let account = try await browser.submit("/admin/users", from: "/admin/users", form: [
                ("name", "kim"), ("role", "hub"), ("password", "short"), ("confirm", "short"),
            ])
            return (regrade.text, account.text)
        }
        #expect(regrade.contains("<title>Error: Regrade incident I-5"))
        #expect(regrade.contains(#"/regrade#errors""#))
        #expect(regrade.contains(#"<p id="reason-error" class="error">"#))
        #expect(account.contains("<title>Error: Accounts"))
        #expect(account.contains(#"action="/admin/users#errors""#))
        #expect(account.contains(#"aria-describedby="password-hint new-password-error" aria-invalid="true""#))
        #expect(account.contains(#"value="kim""#))
    }

    @Test func theMenuWrapsOnANarrowScreen() async throws {
        let css = try String(contentsOf: WebFixture.packageRoot.appendingPathComponent("Templates/web/static/hub.css"), encoding: .utf8)
        let rule = try #require(css.split(separator: "\n").first { $0.hasPrefix(".nav-list {") })
        #expect(rule.contains("flex-wrap: wrap"))
    }

    /// High, medium and standard marks differ in shape as well as colour, the key names each shape,
    /// the threshold labels sit outside the plot where the score line never runs, and a phone gets
    /// larger type in the chart.
    @Test func theChartDoesNotRelyOnColourAloneAndItsLabelsAreClear() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        try await fixture.ingest(Sample.header + "\n"
            + "I-20,2026-10-01T20:00:00Z,DASH,medium,11,,V-9,P-9,C-9,Ola,Nowak,2015-02-02,,Y,Y,,Y\n"
            + "I-21,2026-11-01T20:00:00Z,DASH,high,15,,V-9,P-9,C-9,Ola,Nowak,2015-02-02,,Y,Y,,Y\n"
            + "I-22,2026-11-10T20:00:00Z,DASH,standard,1,,V-9,P-9,C-9,Ola,Nowak,2015-02-02,,Y,Y,,Y\n")
        let html = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/children/C-9").text
        }
        func shape(_ grade: String) throws -> String {
            let range = try #require(html.range(of: #"<path class="mark grade-\#(grade)( used)?" d="[^"]+""#, options: .regularExpression))
            let d = html[range].split(separator: "d=\"")[1].dropLast()
            // The drawing commands alone, without coordinates.
            return String(d.filter { $0.isLetter })
        }
        let shapes = [try shape("high"), try shape("medium"), try shape("standard")]
        #expect(Set(shapes).count == 3, "\(shapes)")
        #expect(html.contains("triangle: high"))
        #expect(html.contains("square: medium"))
        #expect(html.contains("circle: standard"))
        let plotRight = try #require(html.range(of: #"x2="([0-9.]+)" y2="[0-9.]+"/>"#, options: .regularExpression))
        let right = try #require(Double(html[plotRight].split(separator: "\"")[1]))
        let labels = html.ranges(of: #/<text class="threshold-label" x="([0-9.]+)"/#).map { html[$0] }
        #expect(labels.count == 2)
        for label in labels {
            let x = try #require(Double(label.split(separator: "\"")[3]))
            #expect(x > right)
        }
        let css = try String(contentsOf: WebFixture.packageRoot.appendingPathComponent("Templates/web/static/hub.css"), encoding: .utf8)
        #expect(css.contains("@media (max-width: 40rem) {\n  .chart .threshold-label, .chart .tick { font-size: 22px; }"))
    }
}
