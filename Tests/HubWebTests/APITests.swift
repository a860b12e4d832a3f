import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import NIOCore
import Review
import RiskModel
import SQLiteStore
import StoreContract
import Testing

@Suite struct APITests {
    static func token(_ fixture: WebFixture) async throws -> String {
        try await APITokens.create(name: "t-\(UUID().uuidString.prefix(8))", store: fixture.store, by: "test", at: fixture.clock.now())
    }

    static func call(_ fixture: WebFixture, _ method: HTTPRequest.Method, _ uri: String, type: String? = nil,
                     body: String? = nil, token given: String? = nil) async throws -> TestResponse {
        let token = if let given { given } else { try await Self.token(fixture) }
        return try await fixture.withBrowser { browser in
            var headers: HTTPFields = [.authorization: "Bearer \(token)"]
            if let type { headers[.contentType] = type }
            return try await browser.send(uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        }
    }

    /// A token with an expiry works until it, then is refused like any unknown token; its use is
    /// written down at most once a minute.
    @Test func anExpiredTokenIsRefusedAndUseIsNotedOnceAMinute() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let token = try await APITokens.create(name: "short", expiresAt: fixture.clock.now().addingTimeInterval(300), store: fixture.store,
                                               by: "test", at: fixture.clock.now())
        let store = fixture.store, clock = fixture.clock
        let (statuses, uses) = try await fixture.withBrowser { browser in
            var statuses: [HTTPResponse.Status] = [], uses: [Date?] = []
            for minutes in [0, 0.5, 5] {
                clock.advance(minutes: minutes)
                statuses.append(try await browser.send("/api/escalations", method: .get, headers: [.authorization: "Bearer \(token)"], body: nil).status)
                uses.append(try await store.apiTokens().first?.lastUsedAt)
            }
            return (statuses, uses)
        }
        #expect(statuses == [.ok, .ok, .unauthorized])
        #expect(uses[0] == WebFixture.start && uses[1] == WebFixture.start, "noted once within the minute")
    }

    @Test func escalationsAreExactlyTheQueuesJSON() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let asOf = "2026-11-21T12:00:00Z"
        let response = try await Self.call(fixture, .get, "/api/escalations?as_of=\(asOf)")
        let expected = try await ReviewQueue.build(store: fixture.store, settings: fixture.configuration.scoring,
                                                   asOf: Date(timeIntervalSince1970: 1_795_262_400), includeAll: false)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/json")
        #expect(response.text == expected.json())
        #expect(response.text.contains(#""as_of": "2026-11-21T12:00:00Z""#))
    }

    @Test func escalationsMatchTheCommandLineByteForByte() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let asOf = "2026-11-21T12:00:00+00:00"
        let cli = try await EncompassProcess.run(["escalations", "--json", "--as-of", asOf], database: fixture.databasePath)
        #expect(cli.status == 0, "\(cli.stderr)")
        let response = try await Self.call(fixture, .get, "/api/escalations?as_of=2026-11-21T12:00:00%2B00:00")
        #expect(response.text == cli.stdout)
        #expect(cli.stdout.contains("\"child_id\": \"C-1\""))
    }

    @Test func aBadAsOfIs400() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await Self.call(fixture, .get, "/api/escalations?as_of=yesterday")
        #expect(response.status == .badRequest)
        #expect(response.text.contains("as_of"))
    }

    @Test func badIncidentsGet422WithEveryErrorAndNothingIsWritten() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let token = try await Self.token(fixture)
        let before = try await fixture.store.counts()
        let csv = Sample.header + "\n"
            + "I-20,2026-11-01T10:00:00Z,DASH,extreme,3,,V-1,,C-20,Ann,Lee,2016-01-01,120501,Y,Y,,Y\n"
            + "I-21,2026-11-01T10:00:00Z,DASH,standard,3,,V-1,,C-21,Ann,Lee,2016-01-01,12050,Y,Y,,Y\n"
            + "I-22,2026-11-01T10:00:00Z,DASH,standard,3,,V-1,,C-22,Ann,Lee,2016-01-01,120501,Y,Y,,Y\n"
        let response = try await Self.call(fixture, .post, "/api/incidents", type: "text/csv", body: csv, token: token)
        #expect(response.status == .unprocessableContent)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
        let errors = try #require(json["errors"] as? [[String: Any]])
        #expect(errors.count == 2)
        #expect(errors.map { $0["line"] as? Int } == [2, 3])
        #expect(errors.map { $0["column"] as? String } == ["officer_grade", "school_urn"])
        #expect(!response.text.contains("Ann"))
        #expect(try await fixture.store.counts().incidents == before.incidents)
        #expect(try await fixture.store.counts().auditEntries == before.auditEntries)
    }

    /// Audit 26, F1 and F2: the API shares ingest's reader, so a misnamed `children` key or column
    /// is 422 naming it, where it had been 200 with the child or the supervisor's grade dropped.
    @Test(arguments: [
        ("application/x-ndjson",
         #"{"incident_id":"I-31","reported_at":"2026-11-01T10:00:00Z","officer_grade":"high","victim_id":"V-1","childen":[{"child_id":"C-31","child_given_name":"Ann","child_family_name":"Lee","child_dob":"2016-01-01"}]}"# + "\n",
         "children", #"is missing from the line (the line has "childen": a typo?)"#),
        ("text/csv", Sample.header.replacingOccurrences(of: "supervisor_grade", with: "SupervisorGrade")
            + "\nI-31,2026-11-01T10:00:00Z,DASH,standard,3,high,V-1,,C-31,Ann,Lee,2016-01-01,,,,,\n",
         "supervisor_grade", #"is missing from the header (the header has "SupervisorGrade": a typo?)"#),
    ])
    func aMisnamedKeyOrColumnIs422AndNothingIsWritten(type: String, body: String, column: String, message: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let token = try await Self.token(fixture)
        let before = try await fixture.store.counts()
        let response = try await Self.call(fixture, .post, "/api/incidents", type: type, body: body, token: token)
        #expect(response.status == .unprocessableContent)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
        let errors = try #require(json["errors"] as? [[String: Any]])
        #expect(errors.map { $0["column"] as? String } == [column])
        #expect(errors.map { $0["message"] as? String } == [message])
        #expect(try await fixture.store.counts() == before)
    }

    @Test(arguments: [
        ("text/csv; charset=utf-8", Sample.header + "\nI-30,2026-11-01T10:00:00Z,DASH,high,,,V-1,,C-30,Ann,Lee,2016-01-01,,,,,\n"),
        ("application/x-ndjson",
         #"{"incident_id":"I-30","reported_at":"2026-11-01T10:00:00Z","officer_grade":"high","victim_id":"V-1","children":[{"child_id":"C-30","child_given_name":"Ann","child_family_name":"Lee","child_dob":"2016-01-01"}]}"# + "\n"),
    ])
    func goodIncidentsAreIngestedAndTheQueueFollows(type: String, body: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await Self.call(fixture, .post, "/api/incidents", type: type, body: body)
        #expect(response.status == .ok)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
        #expect(json["added"] as? Int == 1)
        #expect(json["children"] as? Int == 1)
        #expect(json["alerts_too_old"] as? Int == 0, "the summary's count of links too old to alert about (openapi.yaml)")
        let queue = try await Self.call(fixture, .get, "/api/escalations")
        #expect(queue.text.contains("\"child_id\": \"C-30\""))
    }

    @Test func missingEpisodesGoInByTheSameRouteAndShowInTheChildsRecord() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let body = """
            {"episode_id": "E-1", "child_id": "C-1", "child_given_name": "Ava", "child_family_name": "Test", "child_dob": "2014-01-01", "missing_at": "2026-11-01T20:00:00Z", "returned_at": "2026-11-02T08:00:00Z"}

            """
        let response = try await Self.call(fixture, .post, "/api/incidents", type: "application/x-ndjson", body: body)
        #expect(response.status == .ok)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
        #expect(json["added"] as? Int == 0)
        #expect((json["episodes"] as? [String: Any])?["added"] as? Int == 1)
        let child = try #require(try JSONSerialization.jsonObject(with: Data(try await Self.call(fixture, .get, "/api/children/C-1").text.utf8))
            as? [String: Any])
        let episodes = try #require(child["episodes"] as? [[String: Any]])
        #expect(episodes.map { $0["episode_id"] as? String } == ["E-1"])
        #expect(episodes.first?["flags"] as? [String] == ["return-interview-overdue"])
        let bad = try await Self.call(fixture, .post, "/api/incidents", type: "application/x-ndjson",
                                      body: body.replacingOccurrences(of: "2026-11-02T08", with: "2026-10-02T08"))
        #expect(bad.status == .unprocessableContent)
        #expect(bad.text.contains("returned_at") && bad.text.contains("is before missing_at"))
    }

    @Test func anotherBodyTypeIs415() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await Self.call(fixture, .post, "/api/incidents", type: "application/json", body: "{}")
        #expect(response.status == .unsupportedMediaType)
    }

    @Test func aDecisionThroughTheAPIIsRecordedAndAudited() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await Self.call(fixture, .post, "/api/children/C-1/decisions", type: "application/json",
                                           body: #"{"marac": "declined", "on": "2026-11-21", "reason": "Reviewed at the daily meeting.", "by": "jo.bloggs", "strategy_discussion": true}"#)
        #expect(response.status == .created)
        #expect(response.text.contains(#""marac":"declined""#))
        let entry = try #require(try await fixture.store.childRecord("C-1")?.decisions.first)
        #expect(entry.decision.by == "jo.bloggs")
        #expect(entry.decision.reason == "Reviewed at the daily meeting.")
        #expect(entry.strategyDiscussion == true)
        let audit = try #require(try await fixture.store.auditEntries(limit: 5).first { $0.action == "decision.declined" })
        #expect(audit.actor.hasPrefix("api:t-"))
    }

    /// A blank `by` (empty, spaces, a line separator, an ideographic space) names no one: the decision
    /// is recorded as the token's, never by an empty or invisible name (audit 19, F2).
    @Test(arguments: [#""#, #"   "#, #"\u2028"#, #"\u3000\u2029"#])
    func aBlankByIsTheTokensName(by: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await Self.call(fixture, .post, "/api/children/C-1/decisions", type: "application/json",
                                           body: #"{"marac": "referred", "on": "2026-11-21", "by": ""# + by + #""}"#)
        #expect(response.status == .created)
        let decision = try #require(try await fixture.store.decisions(childId: "C-1").first)
        #expect(decision.by.hasPrefix("api:t-"), "\(decision.by.unicodeScalars.map(\.value))")
    }

    @Test(arguments: [
        (#"{"marac": "declined", "on": "2026-11-21"}"#, 422),
        (#"{"marac": "maybe", "on": "2026-11-21"}"#, 422),
        (#"{"marac": "referred", "on": "2030-01-01"}"#, 422),
        (#"{"marac": "referred", "on": 20261121}"#, 422),
        (#"{"marac": "referred", "on": "2026-11-21", "reason": ""# + String(repeating: "x", count: 4001) + #""}"#, 422),
        (#"not json"#, 400),
    ])
    func aBadDecisionIsRefusedAndNothingIsWritten(body: String, status: Int) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await Self.call(fixture, .post, "/api/children/C-1/decisions", type: "application/json", body: body)
        #expect(Int(response.status.code) == status)
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
    }

    @Test func aDecisionForAnUnknownChildIs404() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let response = try await Self.call(fixture, .post, "/api/children/C-404/decisions", type: "application/json",
                                           body: #"{"marac": "referred", "on": "2026-11-21"}"#)
        #expect(response.status == .notFound)
    }

    /// A client gone away mid-upload without closing (its network dropped) no longer holds its
    /// request open for good: once the connection has sent nothing for `connectionIdleSeconds`, the
    /// server closes it and drops the half-sent incident file, nothing ingested (audit 23). The real
    /// server, and a socket that sends a part of a large body, then nothing. The 60 s receive bound
    /// is only how long the test waits before it fails, never what passes.
    @Test func anUploadWhoseClientWentSilentIsDroppedOnceItsConnectionIdles() async throws {
        var fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        fixture.configuration.connectionIdleSeconds = 1
        let token = try await Self.token(fixture)
        let before = try await fixture.store.counts()
        let closed = try await fixture.app().test(.live) { client in
            let port = try #require(client.port)
            // A blocking socket, off the concurrency pool.
            return try await Task.detached { try SilentUpload.closedByServer(port: port, token: token) }.value
        }
        #expect(closed, "the server still held the silent upload's connection")
        #expect(try await fixture.store.counts() == before, "incident I-9 of the half-sent file was not ingested")
    }
}

/// A raw HTTP/1.1 upload that stops sending without closing, as a client whose network dropped.
enum SilentUpload {
    struct Failed: Error { let step: String }

    /// True when the server closed the connection; false when it was still open after 60 s.
    static func closedByServer(port: Int, token: String) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failed(step: "socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { throw Failed(step: "connect") }
        let head = "POST /api/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Length: \(32 * 1024 * 1024)\r\n\r\n" + Sample.header + "\n"
            + "I-9,2026-11-21T20:00:00Z,DASH,high,15,,V-9,P-9,C-9,Nia,Cole,2015-02-02,120501,Y,Y,,Y\n"
        let sent = Array(head.utf8) + Array(repeating: UInt8(ascii: "\n"), count: 1024 * 1024)
        var offset = 0
        while offset < sent.count {
            let n = sent[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failed(step: "send") }
            offset += n
        }
        var wait = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { continue }  // an answer the server wrote before closing
            if n == 0 || errno == ECONNRESET { return true }
            return false
        }
    }
}
