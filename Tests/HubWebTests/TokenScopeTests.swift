import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import NIOCore
import StoreContract
import Testing

/// A token opens what its scope does (`TokenScope`): a scraper's `metrics` token reads the metrics
/// and no child's record; an `api` token opens the JSON API and the metrics, as every token did
/// before scopes. On SQLite and PostgreSQL.
@Suite("Token scopes, on SQLite and PostgreSQL")
struct TokenScopeTests {
    @Test(arguments: MetricsDatabase.allCases)
    func aMetricsTokenScrapesAndIsRefusedTheAPIAuditedAndToldNothingElse(database: MetricsDatabase) async throws {
        let world = try await MetricsWorld.make(database)
        defer { world.cleanUp() }
        let token = try await world.token("prometheus", scope: .metrics)
        let before = try await world.store.auditEntries(limit: 500).count
        let answers = try await world.withBrowser { browser in
            let bearer: HTTPFields = [.authorization: "Bearer \(token)"]
            var answers: [String: TestResponse] = [:]
            answers["metrics"] = try await browser.scrape(token)
            for path in ["/api/escalations", "/api/children/C-10", "/api/children/C-99"] {
                answers[path] = try await browser.send(path, method: .get, headers: bearer, body: nil)
            }
            var csv = bearer
            csv[.contentType] = "text/csv"
            answers["ingest"] = try await browser.send("/api/incidents", method: .post, headers: csv,
                                                       body: ByteBuffer(string: AlertBoardTests.csv.replacingOccurrences(of: "I-1", with: "I-9")))
            return answers
        }
        #expect(answers["metrics"]?.status == .ok)
        #expect(answers["metrics"]?.text.contains("encompass_alerts{") == true)
        let refused = try #require(answers["/api/children/C-10"])
        #expect(refused.status == .forbidden, "a live token: 403, not 401")
        #expect(refused.headers[.contentType] == "application/json")
        #expect(refused.text.contains("scope"), "the problem named: \(refused.text)")
        #expect(refused.headers[.wwwAuthenticate] == nil)
        // The same answer for a child who exists and one who does not, and none of the child's data.
        #expect(answers["/api/children/C-99"]?.status == .forbidden && answers["/api/children/C-99"]?.text == refused.text)
        #expect(!refused.text.contains("C-10") && !refused.text.contains("Ava"))
        #expect(answers["/api/escalations"]?.status == .forbidden && answers["/api/escalations"]?.text == refused.text)
        #expect(answers["ingest"]?.status == .forbidden)

        let audit = try await world.store.auditEntries(limit: 500)
        let outOfScope = audit.filter { $0.action == "token.out-of-scope" }
        #expect(outOfScope.count == 4, "each refusal audited")
        #expect(outOfScope.allSatisfy { $0.actor == "api:prometheus" && $0.subject == "scope:api" })
        #expect(!audit.contains { $0.action == "child.viewed" }, "no child's record read")
        #expect(audit.count == before + 4, "nothing else written: no ingest either")
    }

    /// The scope every token made before scopes was given: what it opened, it still opens.
    @Test(arguments: MetricsDatabase.allCases)
    func anAPITokenOpensTheAPIAndTheMetricsAsBefore(database: MetricsDatabase) async throws {
        let world = try await MetricsWorld.make(database)
        defer { world.cleanUp() }
        let token = try await world.token("records")
        #expect(try await world.store.apiTokens().map(\.scope) == [.api], "api unless asked otherwise")
        let statuses = try await world.withBrowser { browser in
            var statuses: [HTTPResponse.Status] = [try await browser.scrape(token).status]
            for path in ["/api/escalations", "/api/children/C-10"] {
                statuses.append(try await browser.send(path, method: .get, headers: [.authorization: "Bearer \(token)"], body: nil).status)
            }
            return statuses
        }
        #expect(statuses == [.ok, .ok, .ok])
        let audit = try await world.store.auditEntries(limit: 500)
        #expect(!audit.contains { $0.action == "token.out-of-scope" })
        #expect(audit.contains { $0.action == "child.viewed" && $0.actor == "api:records" && $0.subject == "child:C-10" })
    }

    @Test func theAPIScopeIncludesTheMetricsAndNotTheOtherWayRound() {
        #expect(TokenScope.api.includes(.api) && TokenScope.api.includes(.metrics))
        #expect(TokenScope.metrics.includes(.metrics) && !TokenScope.metrics.includes(.api))
        #expect(TokenScope(stored: "unknown") == .metrics, "a scope no store should hold opens the least")
    }
}
