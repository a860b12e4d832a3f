import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import StoreContract
import Testing

/// Admins manage each school's key adult and deputies in the app: add, change, remove, each
/// audited; the rules are Config/key-adults.csv's; waiting alerts follow.
@Suite struct KeyAdultPageTests {
    static let page = "/admin/key-adults"

    @Test func onlyAnAdminOpensTheList() async throws {
        let fixture = try await AlertBoardTests.fixture()
        defer { fixture.cleanUp() }
        let hub = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get(Self.page)
        }
        let admin = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            return try await browser.get(Self.page)
        }
        #expect(hub.status == .forbidden)
        #expect(admin.status == .ok)
        #expect(admin.text.contains("dsl@one.school.example") && admin.text.contains("Boston Pioneers Primary Academy (URN 120501)"))
    }

    @Test func addingAKeyAdultQueuesTheSchoolsWaitingAlertAndIsAudited() async throws {
        let fixture = try await AlertBoardTests.fixture()
        defer { fixture.cleanUp() }
        #expect(try await AlertBoardTests.state("ENC-I-13-C-13", fixture.store)?.state == .unmatched)
        let (added, list) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            let added = try await browser.submit(Self.page, from: Self.page, form: [
                ("urn", "120502"), ("name", "Bea Lead"), ("channel", "smtp"), ("email", "dsl@two.school.example"), ("endpoint", ""),
            ])
            return (added, try await browser.get(added.location ?? Self.page))
        }
        #expect(added.status == .seeOther)
        #expect(list.text.contains("Saved."))
        #expect(try await fixture.store.keyAdults(urn: "120502").map(\.email) == ["dsl@two.school.example"])
        let alert = try #require(try await AlertBoardTests.state("ENC-I-13-C-13", fixture.store))
        #expect(alert.state == .queued)
        let audit = try await fixture.store.auditEntries(limit: 50).filter { $0.action == "key-adult.added" }
        #expect(audit.map(\.actor) == ["user:ade"])
        #expect(audit.first?.subject == "school:120502")
    }

    @Test(arguments: [
        ("999999", "smtp", "x@nine.school.example", "", "is not in the directory"),
        ("120501", "smtp", "dsl@one.school.example", "", "already a key adult at school 120501"),
        ("120501", "https", "", "https://one.school.example/hook", "share one channel"),
        ("120502", "smtp", "not an address", "", "Enter an e-mail address"),
        ("12050", "smtp", "x@two.school.example", "", "6 digits"),
    ])
    func aKeyAdultTheRulesRefuseIsNotAdded(urn: String, channel: String, email: String, endpoint: String, says: String) async throws {
        let fixture = try await AlertBoardTests.fixture()
        defer { fixture.cleanUp() }
        let before = try await fixture.store.keyAdults(urn: nil)
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            return try await browser.submit(Self.page, from: Self.page, form: [
                ("urn", urn), ("name", "Someone"), ("channel", channel), ("email", email), ("endpoint", endpoint),
            ])
        }
        #expect(response.status == .unprocessableContent)
        #expect(response.text.contains(says), "\(response.text)")
        #expect(response.text.contains("Nothing was changed"))
        #expect(try await fixture.store.keyAdults(urn: nil) == before)
    }

    @Test func changingAndRemovingMoveTheWaitingAlertsWithThem() async throws {
        let fixture = try await AlertBoardTests.fixture()
        defer { fixture.cleanUp() }
        // I-11's alert is queued to school 120503's key adult.
        let (changed, removed) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            let html = try await browser.get(Self.page).text
            let row = try #require(html.range(of: #"name="row" value="(ka-[0-9]+)"[^§]*?dsl@three"#, options: .regularExpression)
                .flatMap { html[$0].range(of: #"ka-[0-9]+"#, options: .regularExpression).map { String(html[$0]) } })
            // That row's own forms, as the browser sends them: each field once (`submit` would add
            // the first row's hidden fields, and a field given twice is refused).
            let token = try #require(Browser.csrf(in: html))
            let changed = try await browser.post("/admin/key-adults/change", form: [
                ("csrf", token), ("row", row), ("original", "dsl@three.school.example"), ("urn", "120503"), ("channel", "smtp"),
                ("name", "Cal Lead"), ("email", "head@three.school.example"), ("endpoint", ""),
            ])
            let removed = try await browser.post("/admin/key-adults/remove", form: [
                ("csrf", token), ("urn", "120503"), ("email", "head@three.school.example"),
            ])
            return (changed, removed)
        }
        #expect(changed.status == .seeOther)
        #expect(removed.status == .seeOther)
        let alert = try #require(try await AlertBoardTests.state("ENC-I-11-C-11", fixture.store))
        #expect(alert.state == .unmatched)
        #expect(alert.lastError == "school 120503 has no key adult")
        let actions = try await fixture.store.auditEntries(limit: 50).map(\.action).filter { $0.hasPrefix("key-adult.") }
        #expect(actions == ["key-adult.removed", "key-adult.changed"])
    }
}
