import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import StoreContract
import Testing
import TestSupport

/// `POST /api/incidents` takes a date of birth by ingest's rule: one after the incident's date is
/// refused, 422 naming the line and `child_dob`, and nothing is written, on both databases.
@Suite struct BirthAfterIncidentAPITests {
    @Test(arguments: OnePressTests.Database.allCases)
    func aBirthAfterTheIncidentIs422AndNothingIsWritten(_ kind: OnePressTests.Database) async throws {
        let fixture = try await WebFixture.make(database: kind == .postgres ? try PostgresServer.shared().makeDatabase() : nil)
        defer { fixture.cleanUp() }
        let token = try await APITests.token(fixture)
        let before = try await fixture.store.counts()
        let csv = Sample.header + "\n" + "I-30,2026-11-01T10:00:00Z,DASH,standard,3,,V-30,,C-30,Ann,Lee,2026-11-02,120501,Y,Y,,Y\n"
        let response = try await APITests.call(fixture, .post, "/api/incidents", type: "text/csv", body: csv, token: token)
        #expect(response.status == .unprocessableContent)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
        let errors = try #require(json["errors"] as? [[String: Any]])
        #expect(errors.map { $0["column"] as? String } == ["child_dob"])
        #expect(errors.first?["message"] as? String == "is after the date of reported_at: a child's date of birth is on or before it")
        #expect(!response.text.contains("Ann") && !response.text.contains("2026-11-02"))
        let after = try await fixture.store.counts()
        #expect(after.incidents == before.incidents && after.auditEntries == before.auditEntries)
    }
}
