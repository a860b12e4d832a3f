import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StoreContract
import Stores
import Testing
import TestSupport

/// `tokens create --scope`, from the command line to a real `serve`, on both databases: the
/// scraper's token of docs/web.md reads the metrics and no child's record.
@Suite("token scopes from the command line")
struct TokenScopeCLITests {
    @Test(arguments: TestDatabase.allCases)
    func aScrapersTokenOpensTheMetricsAndNoChildsRecord(kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-10-01T21:40:00Z")]))
        #expect(try await h.run(["ingest", file]).status == 0)
        let scraper = try await h.run(["tokens", "create", "prometheus", "--scope", "metrics"])
        #expect(scraper.status == 0, "\(scraper.stderr)")
        let records = try await h.run(["tokens", "create", "records"])
        #expect(records.status == 0, "\(records.stderr)")
        let serve = try h.serve()
        defer { serve.process.terminate() }

        func get(_ path: String, _ outcome: CLIHarness.Outcome) async throws -> Int? {
            var request = URLRequest(url: try #require(URL(string: serve.address + path)))
            request.setValue("Bearer " + outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines), forHTTPHeaderField: "Authorization")
            return (try await URLSession.shared.data(for: request).1 as? HTTPURLResponse)?.statusCode
        }
        #expect(try await get("/metrics", scraper) == 200)
        #expect(try await get("/api/escalations", scraper) == 403)
        #expect(try await get("/api/children/C-1", scraper) == 403)
        #expect(try await get("/api/escalations", records) == 200, "the default scope opens the API, as before")
        #expect(try await get("/api/children/C-1", records) == 200)
        #expect(try await get("/metrics", records) == 200)
        serve.process.terminate()
        await serve.process.waitForExit()

        let audit = try await StoreFactory.open(h.database).auditEntries(limit: 50)
        #expect(audit.filter { $0.action == "token.out-of-scope" }.map(\.actor) == ["api:prometheus", "api:prometheus"])
        #expect(audit.filter { $0.action == "child.viewed" }.map(\.actor) == ["api:records"], "the scraper read no child")
    }

    @Test(arguments: TestDatabase.allCases)
    func eachTokensScopeIsListedAndAnUnknownScopeIsOneLine(kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        let unknown = try await h.run(["tokens", "create", "prometheus", "--scope", "everything"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.split(separator: "\n").count == 1, "\(unknown.stderr)")
        #expect(unknown.stderr.contains("--scope") && unknown.stderr.contains("metrics (GET /metrics only)"), "\(unknown.stderr)")
        #expect(!unknown.stderr.contains("everything"), "the refused value is not quoted back")
        #expect(try await h.run(["tokens", "list"]).stdout == "No API tokens.\n", "nothing made")

        #expect(try await h.run(["tokens", "create", "prometheus", "--scope", "metrics"]).status == 0)
        #expect(try await h.run(["tokens", "create", "records", "--scope", "api"]).status == 0)
        #expect(try await h.run(["tokens", "create", "export"]).status == 0)
        let lines = try await h.run(["tokens", "list"]).stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.map { Array($0.prefix(3)) } == [
            ["name", "scope", "state"], ["prometheus", "metrics", "live"], ["records", "api", "live"], ["export", "api", "live"],
        ])
    }
}
