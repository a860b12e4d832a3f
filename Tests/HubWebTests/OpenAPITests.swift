import Foundation
import HubWeb
import Hummingbird
import Testing
import Yams

@Suite struct OpenAPITests {
    static let document = WebFixture.packageRoot.appendingPathComponent("docs/openapi.yaml")

    /// "METHOD /path" for every operation; OpenAPI's `{name}` is how Hummingbird prints a parameter too.
    static func documentedRoutes() throws -> Set<String> {
        let text = try String(contentsOf: document, encoding: .utf8)
        let root = try #require(try Yams.load(yaml: text) as? [String: Any])
        let paths = try #require(root["paths"] as? [String: Any])
        var out = Set<String>()
        for (path, item) in paths {
            let operations = try #require(item as? [String: Any])
            for method in operations.keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                out.insert("\(method.uppercased()) \(path)")
            }
        }
        return out
    }

    @Test func everyDocumentedRouteExistsAndEveryRouteIsDocumented() async throws {
        let fixture = try await WebFixture.make(csv: "")
        defer { fixture.cleanUp() }
        let routes = Set(try await fixture.router().routes.map { "\($0.method.rawValue) \($0.path)" })
        let documented = try Self.documentedRoutes()
        #expect(documented.subtracting(routes).isEmpty, "documented but not served: \(documented.subtracting(routes).sorted())")
        #expect(routes.subtracting(documented).isEmpty, "served but not documented: \(routes.subtracting(documented).sorted())")
    }

    @Test func theAPIRoutesAndTheMetricsNeedTheBearerTokenInTheDocument() throws {
        let text = try String(contentsOf: Self.document, encoding: .utf8)
        let root = try #require(try Yams.load(yaml: text) as? [String: Any])
        let paths = try #require(root["paths"] as? [String: [String: Any]])
        #expect(paths["/metrics"] != nil)
        // A webhook receiver's acknowledgement is signed with the webhook secret instead.
        for (path, item) in paths where (path.hasPrefix("/api/") || path == "/metrics") && path != "/api/alerts/{reference}/ack" {
            for (_, operation) in item {
                guard let op = operation as? [String: Any] else { continue }
                let security = try #require(op["security"] as? [[String: Any]], "\(path) has no security")
                #expect(security.contains { $0["bearer"] != nil }, "\(path)")
                let responses = try #require(op["responses"] as? [String: Any])
                #expect(responses["401"] != nil, "\(path) does not document 401")
            }
        }
    }
}
