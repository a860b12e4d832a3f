import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import NIOCore
import RiskModel
import StoreContract
import Testing
import TestSupport

/// A program's retried `POST /api/children/{id}/decisions` (a timeout, sent again) records once when
/// it carries an `Idempotency-Key`: the retry is answered what the first was. Two servers on one
/// database, SQLite and PostgreSQL, so nothing rests on one process's memory.
@Suite("Idempotency-Key on the decisions API, on two servers on SQLite and PostgreSQL")
struct IdempotencyKeyTests {
    typealias Database = OnePressTests.Database

    static let declined = #"{"marac": "declined", "on": "2026-11-21", "reason": "Retry test reason"}"#

    static func post(_ fixture: WebFixture, child: String = "C-1", token: String, key: String?, body: String) async throws -> TestResponse {
        try await fixture.withBrowser { browser in
            var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
            return try await browser.send("/api/children/\(child)/decisions", method: .post, headers: headers, body: ByteBuffer(string: body))
        }
    }

    static func decisionAudits(_ fixture: WebFixture) async throws -> Int {
        try await fixture.store.auditEntries(limit: 100).filter { $0.action.hasPrefix("decision.") }.count
    }

    @Test(arguments: Database.allCases)
    func aRetryWithTheSameKeyIsAnsweredAsTheFirstAndRecordedOnce(kind: Database) async throws {
        let (a, b) = try await OnePressTests.servers(kind)
        defer { a.cleanUp(); b.cleanUp() }
        let token = try await APITests.token(a)
        let first = try await Self.post(a, token: token, key: "retry-1", body: Self.declined)
        #expect(first.status == .created)
        // Later, to the other server: the answer is the first's, its recorded_at included.
        b.clock.advance(minutes: 3)
        let again = try await Self.post(b, token: token, key: "retry-1", body: Self.declined)
        #expect(again.status == .created)
        #expect(again.text == first.text)
        #expect(try await a.store.decisions(childId: "C-1").count == 1)
        #expect(try await Self.decisionAudits(a) == 1)
    }

    @Test(arguments: Database.allCases)
    func theSameKeyWithAnotherRequestIsRefusedAndWritesNothing(kind: Database) async throws {
        let (a, b) = try await OnePressTests.servers(kind)
        defer { a.cleanUp(); b.cleanUp() }
        let token = try await APITests.token(a)
        #expect(try await Self.post(a, token: token, key: "k-7", body: Self.declined).status == .created)
        let referred = #"{"marac": "referred", "on": "2026-11-21"}"#
        let other = try await Self.post(b, token: token, key: "k-7", body: referred)
        #expect(other.status == .unprocessableContent)
        #expect(other.text.contains("Idempotency-Key") && !other.text.contains("k-7"), "the header named, the key not quoted")
        // The same body for another child is another request too (the path is part of it).
        #expect(try await Self.post(b, child: "C-4", token: token, key: "k-7", body: Self.declined).status == .unprocessableContent)
        #expect(try await a.store.decisions(childId: "C-1").map(\.outcome) == [.declined])
        #expect(try await a.store.decisions(childId: "C-4").isEmpty)
    }

    /// A key is the token's own: another token's request with the same key is its own request,
    /// recorded, and is never answered the first token's response.
    @Test(arguments: Database.allCases)
    func anotherTokensSameKeyIsItsOwnRequest(kind: Database) async throws {
        let (a, b) = try await OnePressTests.servers(kind)
        defer { a.cleanUp(); b.cleanUp() }
        let one = try await APITests.token(a), two = try await APITests.token(a)
        let first = try await Self.post(a, token: one, key: "shared", body: Self.declined)
        b.clock.advance(minutes: 1)
        let second = try await Self.post(b, token: two, key: "shared", body: Self.declined)
        #expect(first.status == .created && second.status == .created)
        #expect(second.text != first.text)
        #expect(try await a.store.decisions(childId: "C-1").count == 2)
    }

    @Test(arguments: Database.allCases)
    func withoutTheHeaderEachRequestIsRecordedAsBefore(kind: Database) async throws {
        let (a, b) = try await OnePressTests.servers(kind)
        defer { a.cleanUp(); b.cleanUp() }
        let token = try await APITests.token(a)
        #expect(try await Self.post(a, token: token, key: nil, body: Self.declined).status == .created)
        #expect(try await Self.post(b, token: token, key: nil, body: Self.declined).status == .created)
        #expect(try await a.store.decisions(childId: "C-1").count == 2)
    }

    @Test(arguments: Database.allCases)
    func twoIdenticalRequestsAtOnceToTwoServersRecordOnce(kind: Database) async throws {
        let (a, b) = try await OnePressTests.servers(kind)
        defer { a.cleanUp(); b.cleanUp() }
        let token = try await APITests.token(a)
        // Each of the sample's four children, a fresh key each: four races, not one.
        for round in 1...4 {
            let child = "C-\(round)"
            async let x = Self.post(a, child: child, token: token, key: "at-once-\(round)", body: Self.declined)
            async let y = Self.post(b, child: child, token: token, key: "at-once-\(round)", body: Self.declined)
            let answers = try await [x, y]
            #expect(answers.map(\.status) == [.created, .created], "\(answers.map(\.text))")
            #expect(answers[0].text == answers[1].text)
            #expect(try await a.store.decisions(childId: child).count == 1, "round \(round)")
        }
    }

    @Test(arguments: [String(repeating: "k", count: 256), "", "   ", "tab\there", "caf\u{E9}"])
    func aKeyThatCannotBeOneIs400AndWritesNothing(key: String) async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let token = try await APITests.token(fixture)
        let response = try await Self.post(fixture, token: token, key: key, body: Self.declined)
        #expect(response.status == .badRequest)
        #expect(response.text.contains("Idempotency-Key"))
        #expect(key.trimmingCharacters(in: .whitespaces).isEmpty || !response.text.contains(key), "never quoted back")
        #expect(try await fixture.store.decisions(childId: "C-1").isEmpty)
    }

    @Test func aKeyOf255PrintableCharactersIsOne() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let token = try await APITests.token(fixture)
        let key = "\"" + String(repeating: "~", count: 253) + "\""
        #expect(try await Self.post(fixture, token: token, key: key, body: Self.declined).status == .created)
        #expect(try await Self.post(fixture, token: token, key: key, body: Self.declined).status == .created)
        #expect(try await fixture.store.decisions(childId: "C-1").count == 1)
    }
}
