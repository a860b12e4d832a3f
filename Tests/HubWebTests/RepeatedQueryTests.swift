import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import Testing

/// A query parameter given twice (audit 26, fuzz: `GET /api/escalations?as_of=A&as_of=B` took the
/// first, the pages the last, `escalations --as-of` twice the last): refused with 400 naming it, on
/// the API and on every page, by one rule (`QueryMiddleware`), never read as either value.
@Suite struct RepeatedQueryTests {
    @Test(arguments: [
        "/api/escalations?as_of=2026-11-21T12:00:00Z&as_of=2026-11-22T07:00:00Z",
        // The same name however it is written.
        "/api/escalations?as_of=2026-11-21T12:00:00Z&as%5Fof=2026-11-22T07:00:00Z",
        "/api/escalations?as_of=&as_of=2026-11-22T07:00:00Z",
    ])
    func theAPIRefusesAParameterGivenTwice(uri: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await APITests.call(fixture, .get, uri)
        #expect(response.status == .badRequest)
        #expect(response.text == #"{"error":"as_of: is given more than once in the address; give it once."}"# + "\n", "\(response.text)")
    }

    @Test(arguments: [
        ("/?level=high&level=medium", "level"),
        ("/?school=120501&undecided=1&school=none", "school"),
        ("/report?from=2026-10-01&to=2026-10-31&to=2026-11-30", "to"),
        ("/search?child=C-1&child=C-2", "child"),
    ])
    func aPageRefusesAParameterGivenTwice(uri: String, name: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("sam")
            return try await browser.get(uri)
        }
        #expect(response.status == .badRequest)
        #expect(response.text.contains("\(name): is given more than once in the address; give it once."), "\(response.text)")
        #expect(!response.text.contains("/children/C-1\""), "no child listed")
    }

    /// Each once is as before.
    @Test func eachOnceIsTaken() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let api = try await APITests.call(fixture, .get, "/api/escalations?as_of=2026-11-21T12:00:00Z")
        #expect(api.status == .ok)
        let page = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            return try await browser.get("/?level=high&undecided=1")
        }
        #expect(page.status == .ok)
    }
}
