import Foundation
import HTTPTypes
import HubWeb
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLiteStore
import StoreContract
import Testing

/// Sign-in tells no one which names exist, slows guessing per client address and per name without
/// locking anyone out for long, keeps sessions to an absolute lifetime, and refuses passwords bcrypt
/// would cut short (issue 10, items 1, 5 and 6).
@Suite struct SignInHardeningTests {
    /// Counts the password checks sign-in makes, and makes them with bcrypt as the server does.
    final class CountingVerifier: @unchecked Sendable {
        private let lock = NSLock()
        private var calls = 0
        var count: Int { lock.withLock { calls } }
        var verifier: PasswordVerifier {
            PasswordVerifier { password, hash in
                self.lock.withLock { self.calls += 1 }
                return await Passwords.verify(password, hash: hash)
            }
        }
    }

    static let forwarded = HTTPField.Name("X-Forwarded-For")!

    /// Holds every password check until each of `expected` attempts has either reached a check or come
    /// back refused: the attempts are all in flight at once, whatever order they are run in.
    actor Gate {
        private(set) var checks = 0
        private var refused = 0
        private let expected: Int
        private var held: [CheckedContinuation<Void, Never>] = []

        init(expected: Int) { self.expected = expected }

        func check() async {
            checks += 1
            if allSeen() { return }
            await withCheckedContinuation { held.append($0) }
        }

        func refusedOne() { refused += 1; _ = allSeen() }

        private func allSeen() -> Bool {
            guard checks + refused >= expected else { return false }
            for c in held { c.resume() }
            held = []
            return true
        }
    }

    /// Guesses sent at once for one name are counted before their checks: no more than the name's
    /// free failures are checked, and the rest are refused at once without a check.
    @Test func guessesSentAtOnceAreHeldToTheNamesLimit() async throws {
        var fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let attempts = 12
        let gate = Gate(expected: attempts)
        fixture.configuration.passwordVerifier = PasswordVerifier { _, _ in
            await gate.check()
            return false
        }
        fixture.configuration.signInLimits.addressBurst = 100
        let statuses = try await fixture.withBrowser { browser in
            let token = try #require(Browser.csrf(in: try await browser.get("/sign-in").text))
            let start = browser
            return try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 1...attempts {
                    group.addTask {
                        var browser = start
                        let status = try await browser.post("/sign-in", form: [("csrf", token), ("name", "hana"), ("password", "guess \(i)")]).status
                        if status == .tooManyRequests { await gate.refusedOne() }
                        return status
                    }
                }
                var statuses: [HTTPResponse.Status] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
        }
        #expect(await gate.checks == 5)
        #expect(statuses.filter { $0 == .unauthorized }.count == 5)
        #expect(statuses.filter { $0 == .tooManyRequests }.count == attempts - 5)
    }

    /// The page with the parts that must differ (the CSRF token, the name typed back) taken out.
    static func normalised(_ response: TestResponse, name: String) -> String {
        response.text
            .replacingOccurrences(of: #"value="[A-Za-z0-9_-]{43}""#, with: "TOKEN", options: .regularExpression)
            .replacingOccurrences(of: #"value="\#(name)""#, with: "NAME")
    }

    @Test func aWrongPasswordAnUnknownNameAndADisabledAccountGetTheSameAnswerAfterTheSameCheck() async throws {
        var fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let counter = CountingVerifier()
        fixture.configuration.passwordVerifier = counter.verifier
        try await fixture.store.setDisabled(true, name: "sam", by: "test", at: fixture.clock.now())
        let (wrong, unknown, disabled) = try await fixture.withBrowser { browser in
            (try await browser.signIn("hana", password: "not the password at all"),
             try await browser.signIn("nobody", password: "not the password at all"),
             try await browser.signIn("sam"))
        }
        #expect(counter.count == 3)
        #expect([wrong.status, unknown.status, disabled.status] == [.unauthorized, .unauthorized, .unauthorized])
        #expect(Self.normalised(wrong, name: "hana") == Self.normalised(unknown, name: "nobody"))
        #expect(Self.normalised(wrong, name: "hana") == Self.normalised(disabled, name: "sam"))
        #expect(wrong.headers[values: .setCookie].map { $0.prefix(while: { $0 != "=" }) }
            == unknown.headers[values: .setCookie].map { $0.prefix(while: { $0 != "=" }) })
    }

    /// A real name and an unknown one, tried the same way, get the same statuses in the same order;
    /// every admitted attempt costs one password check, a throttled one none.
    @Test func aRealNameAndAnUnknownOneAreThrottledAlikeAndOnlyAdmittedAttemptsAreChecked() async throws {
        var fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let counter = CountingVerifier()
        fixture.configuration.passwordVerifier = counter.verifier
        fixture.configuration.signInLimits.addressBurst = 100
        let (real, unknown) = try await fixture.withBrowser { browser in
            var real: [HTTPResponse.Status] = [], unknown: [HTTPResponse.Status] = []
            for _ in 1...7 { real.append(try await browser.signIn("hana", password: "a wrong password").status) }
            for _ in 1...7 { unknown.append(try await browser.signIn("nobody", password: "a wrong password").status) }
            return (real, unknown)
        }
        #expect(real == unknown)
        #expect(real == Array(repeating: .unauthorized, count: 5) + [.tooManyRequests, .tooManyRequests])
        #expect(counter.count == 10, "five for each name; the throttled four cost nothing")
        // The account itself is never locked: the throttle slows guessing instead.
        #expect(try await fixture.store.user(named: "hana")?.lockedUntil == nil)
    }

    /// After five wrong passwords the name waits 30 seconds, not a quarter of an hour, and the right
    /// password then signs in; the wait says when, and says the password was not checked.
    @Test func aThrottledNameWaitsSecondsNotMinutes() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let clock = fixture.clock
        let (throttled, after) = try await fixture.withBrowser { browser in
            for _ in 1...5 { _ = try await browser.signIn("hana", password: "a wrong password") }
            let throttled = try await browser.signIn("hana")
            clock.advance(minutes: 0.6)
            return (throttled, try await browser.signIn("hana"))
        }
        #expect(throttled.status == .tooManyRequests)
        #expect(throttled.text.contains("Too many sign-in attempts. Your password was not checked."))
        #expect(throttled.text.contains("Wait until 08:00:30 GMT, then try again."), "web.md: HH:MM:SS and the zone")
        #expect(throttled.headers[.retryAfter] == "30")
        #expect(throttled.headers[values: .setCookie].allSatisfy { !$0.hasPrefix("encompass_session=") })
        #expect(after.status == .seeOther)
        #expect(after.location == "/#top")
    }

    /// One address trying many names is slowed after ten failures; another address is not, and the
    /// first gets a try back every 30 seconds.
    @Test func oneAddressTryingManyNamesIsSlowed() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let clock = fixture.clock
        let (first, other, later) = try await fixture.withBrowser { browser in
            browser.headers[Self.forwarded] = "203.0.113.9"
            var first: [HTTPResponse.Status] = []
            for i in 1...12 { first.append(try await browser.signIn("guess\(i)", password: "password guess").status) }
            browser.headers[Self.forwarded] = "198.51.100.7"
            let other = try await browser.signIn("guess13", password: "password guess").status
            browser.headers[Self.forwarded] = "203.0.113.9"
            clock.advance(minutes: 0.5)
            let later = try await browser.signIn("guess14", password: "password guess").status
            return (first, other, later)
        }
        #expect(first == Array(repeating: .unauthorized, count: 10) + [.tooManyRequests, .tooManyRequests])
        #expect(other == .unauthorized)
        #expect(later == .unauthorized)
    }

    /// Only the proxy's own entry in X-Forwarded-For counts: a client cannot pick a fresh address by
    /// writing one in front.
    @Test func aForgedForwardedForDoesNotEscapeTheThrottle() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let statuses = try await fixture.withBrowser { browser in
            var statuses: [HTTPResponse.Status] = []
            for i in 1...11 {
                browser.headers[Self.forwarded] = "10.0.0.\(i), 203.0.113.9"
                statuses.append(try await browser.signIn("guess\(i)", password: "password guess").status)
            }
            return statuses
        }
        #expect(statuses.last == .tooManyRequests)
    }

    // MARK: Sessions (item 5)

    @Test func aSessionEndsTwelveHoursAfterSignInHoweverBusy() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let clock = fixture.clock
        let (busy, ended, notice) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            var busy: [HTTPResponse.Status] = []
            for _ in 1...35 {  // every 20 minutes for 11 hours 40 minutes
                clock.advance(minutes: 20)
                busy.append(try await browser.get("/alerts").status)
            }
            clock.advance(minutes: 20)  // 12 hours since sign-in
            let ended = try await browser.get("/alerts")
            return (busy, ended, try await browser.get(try #require(ended.location)).text)
        }
        #expect(busy.allSatisfy { $0 == .ok })
        #expect(ended.status == .seeOther)
        #expect(ended.location?.hasPrefix("/sign-in?expired=lifetime") == true)
        #expect(notice.contains("Your session ended 12 hours after you signed in."))
        #expect(try await fixture.store.auditEntries(limit: 5).map(\.action).contains("session.expired"))
    }

    @Test func theSessionLifetimeIsConfigurable() async throws {
        var fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        fixture.configuration.sessionLifetime = 60 * 60
        let clock = fixture.clock
        let (during, after) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            clock.advance(minutes: 25)
            _ = try await browser.get("/")
            clock.advance(minutes: 25)
            let during = try await browser.get("/").status
            clock.advance(minutes: 11)
            return (during, try await browser.get("/").status)
        }
        #expect(during == .ok)
        #expect(after == .seeOther)
    }

    @Test func signingInEndsTheBrowsersPreviousSession() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let (signedIn, oldCookie, who) = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("hana")
            let hanas = try #require(browser.cookies["encompass_session"])
            // A sign-in page opened before (another tab), then sent with hana's cookie still held.
            browser.cookies["encompass_session"] = nil
            let page = try await browser.get("/sign-in").text
            let token = try #require(Browser.csrf(in: page))
            browser.cookies["encompass_session"] = hanas
            let signedIn = try await browser.post("/sign-in", form: [("csrf", token), ("name", "sam"), ("password", WebFixture.password)])
            let who = try await browser.get("/alerts").text
            browser.cookies["encompass_session"] = hanas
            return (signedIn, try await browser.get("/alerts"), who)
        }
        #expect(signedIn.status == .seeOther)
        #expect(who.contains("Signed in as <strong>sam</strong>"))
        #expect(oldCookie.status == .seeOther)
        #expect(oldCookie.location?.hasPrefix("/sign-in") == true)
    }

    // MARK: Passwords bcrypt would cut short (item 6)

    static let seventyTwo = String(repeating: "a", count: 72)

    @Test func aPasswordOver72BytesIsRefusedWhenSet() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        await #expect(throws: AccountInputProblem.self) {
            try await UserAccounts.add(name: "long", role: .hub, password: Self.seventyTwo + "b", store: fixture.store,
                                       by: "test", at: fixture.clock.now(), cost: 4)
        }
        // Seventy-two bytes of accents is fewer characters but as many bytes: "é" is two.
        await #expect(throws: AccountInputProblem.self) {
            try await UserAccounts.add(name: "accents", role: .hub, password: String(repeating: "é", count: 37), store: fixture.store,
                                       by: "test", at: fixture.clock.now(), cost: 4)
        }
        try await UserAccounts.add(name: "exact", role: .hub, password: Self.seventyTwo, store: fixture.store,
                                   by: "test", at: fixture.clock.now(), cost: 4)
        let response = try await fixture.withBrowser { browser in
            _ = try await browser.signIn("ade")
            return try await browser.submit("/admin/users", from: "/admin/users", form: [
                ("name", "long"), ("role", "hub"), ("password", Self.seventyTwo + "b"), ("confirm", Self.seventyTwo + "b"),
            ])
        }
        #expect(response.status == .unprocessableContent)
        #expect(response.text.contains("A password can be at most 72 bytes long"))
        #expect(try await fixture.store.user(named: "long") == nil)
        #expect(try await fixture.store.user(named: "exact") != nil)
    }

    /// An account whose password was set before the rule (73 bytes) cannot be signed in to with
    /// another password sharing its first 72 bytes, nor with its own.
    @Test func aSignInWithAPasswordOver72BytesFails() async throws {
        let fixture = try await WebFixture.make()
        defer { fixture.cleanUp() }
        let hash = await Passwords.hash(Self.seventyTwo + "x", cost: 4)
        try await fixture.store.addUser(name: "old", role: .hub, passwordHash: hash, by: "test", at: fixture.clock.now())
        let (other, own) = try await fixture.withBrowser { browser in
            (try await browser.signIn("old", password: Self.seventyTwo + "y"), try await browser.signIn("old", password: Self.seventyTwo + "x"))
        }
        #expect(other.status == .unauthorized)
        #expect(own.status == .unauthorized)
    }
}
