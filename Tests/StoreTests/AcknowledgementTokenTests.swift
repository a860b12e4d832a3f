import Delivery
import Foundation
import GRDB
import Outbox
import StoreContract
import Stores
import Synchronization
import Testing
import TestSupport

/// The acknowledgement link's token (SPEC §7: at least 128 random bits, for one alert, kept only as
/// a hash), as a real `notify` run draws it and both stores keep it: a token of its own for each
/// send, nothing in the database to make it again, every link sent opening the alert until its end,
/// and the links sent before the upgrade still working after it.
@Suite("Acknowledgement tokens, on SQLite and PostgreSQL")
struct AcknowledgementTokenTests {
    let now = at("2026-11-22T08:00:00Z")
    static let publicURL = "https://hub.police.example"

    /// The school's end: answers the nth send of each alert with the nth status of `script` (the
    /// last one after that), the hub's digest with delivered, and keeps every message, in order.
    final class SchoolEnd: Transport {
        let script: [DeliveryOutcome.Status]
        let given = Mutex<[AlertMessage]>([])

        init(_ script: [DeliveryOutcome.Status]) { self.script = script }

        func deliver(_ batch: [AlertMessage], pacing _: DeliveryPacing?) -> AsyncStream<DeliveryOutcome> {
            let statuses = given.withLock { given in
                batch.map { message in
                    let sent = given.filter { $0.reference == message.reference }.count
                    given.append(message)
                    return message.reference.hasPrefix("ENC-HUB-") ? .delivered : script[min(sent, script.count - 1)]
                }
            }
            let (stream, continuation) = AsyncStream.makeStream(of: DeliveryOutcome.self)
            for (message, status) in zip(batch, statuses) {
                continuation.yield(DeliveryOutcome(reference: message.reference, channel: message.channel, status: status, replyCode: nil,
                                                   detail: status == .delivered ? "250 ok" : "451 try later", attempted: true))
            }
            continuation.finish()
            return stream
        }

        /// The token of the link in each message to a school, in order.
        var tokens: [String] {
            given.withLock { $0 }.filter { $0.reference.hasPrefix("ENC-I-") }.compactMap { message in
                message.textBody.range(of: NSRegularExpression.escapedPattern(for: publicURL) + "/ack/[A-Za-z0-9_-]{43}", options: .regularExpression)
                    .map { String(message.textBody[$0].suffix(43)) }
            }
        }
    }

    func run(_ t: TempStore, _ school: SchoolEnd) throws -> NotifyRun {
        var run = NotifyRun(store: t.store, transport: school, renderer: try AlertRenderer(templatesDirectory: Repository.templates),
                            hub: HubContact(name: "Police Safeguarding Hub", phone: "0000 000 0000", email: "hub@police.example"),
                            retry: RetryPolicy(), owner: "test:1", isDead: { _ in false })
        run.links = AcknowledgementLinks(publicURL: Self.publicURL, days: 14)
        return run
    }

    /// One queued alert, C-1's, to school 120501 (due a day after its incident, at 20:00 on the 22nd,
    /// unless `planner` says otherwise).
    func store(_ kind: StoreKind, planner: AlertPlanner = OutboxStoreTests.planner) async throws -> TempStore {
        let t = try await TempStore(kind)
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501")]))
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1")])],
                                     actor: "test", at: now, planner: planner)
        return t
    }

    /// Audit 21, F3 (a): an alert sent on a Saturday early in a holiday is due on the first morning
    /// of term, 5 January. Its link must still open it then, and for `ack_days` after (SPEC §7), not
    /// die 14 days after it was sent.
    @Test(arguments: StoreKind.allCases)
    func aLinkSentEarlyInAHolidayOpensTheAlertForItsDaysAfterTheDeadline(kind: StoreKind) async throws {
        let deadline = at("2027-01-05T09:00:00Z")
        let t = try await store(kind, planner: AlertPlanner(deadline: { _, _, _ in deadline }, reference: { "ENC-\($0)-\($1)" }, maxAge: nil))
        defer { t.cleanUp() }
        let school = SchoolEnd([.delivered])
        #expect(try await run(t, school).run(now: now).delivered == 1)
        let hash = AcknowledgementLinks.hash(try #require(school.tokens.first))
        for when in [now.addingTimeInterval(14 * 86_400 + 1), deadline, deadline.addingTimeInterval(14 * 86_400)] {
            #expect(try await t.store.acknowledgement(tokenHash: hash, now: when) != nil, "\(when)")
        }
        #expect(try await t.store.acknowledgement(tokenHash: hash, now: deadline.addingTimeInterval(14 * 86_400 + 1)) == nil)
        #expect(try await t.store.acknowledge(tokenHash: hash, now: deadline.addingTimeInterval(3600))?.justAcknowledged == true,
                "the key adult reads it on the first morning of term")
        #expect(try await t.store.alerts(state: nil).filter { $0.isUnacknowledged(now: deadline.addingTimeInterval(7200)) }.isEmpty)
    }

    /// Audit 21, F3 (b): greylisted on the first attempt, delivered 23 days later (the key adult's
    /// address put right): the delivered message's link works for `ack_days` from that send, and
    /// the first attempt's link (a copy may have arrived) as long.
    @Test(arguments: StoreKind.allCases)
    func aLinkDeliveredLongAfterTheFirstAttemptWorksForItsDaysFromThatSend(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let school = SchoolEnd([.temporary, .delivered])
        _ = try await run(t, school).run(now: now)
        let late = now.addingTimeInterval(23 * 86_400)
        #expect(try await run(t, school).run(now: late).delivered == 1)
        let hashes = school.tokens.map(AcknowledgementLinks.hash)
        #expect(hashes.count == 2)
        let end = late.addingTimeInterval(14 * 86_400)
        for hash in hashes {
            #expect(try await t.store.acknowledgement(tokenHash: hash, now: late) != nil, "open when it arrives")
            #expect(try await t.store.acknowledgement(tokenHash: hash, now: end) != nil)
            #expect(try await t.store.acknowledgement(tokenHash: hash, now: end.addingTimeInterval(1)) == nil)
        }
    }

    /// Two hubs sending the same incident and child send different links, each opening the alert in
    /// its own database only; the database keeps the token's hash and nowhere the token.
    @Test(arguments: StoreKind.allCases)
    func eachSendDrawsItsOwnTokenAndTheDatabaseKeepsOnlyItsHash(kind: StoreKind) async throws {
        let (a, b) = (try await store(kind), try await store(kind))
        defer { a.cleanUp(); b.cleanUp() }
        let (toA, toB) = (SchoolEnd([.delivered]), SchoolEnd([.delivered]))
        #expect(try await run(a, toA).run(now: now).delivered == 1)
        #expect(try await run(b, toB).run(now: now).delivered == 1)
        let tokenA = try #require(toA.tokens.first), tokenB = try #require(toB.tokens.first)
        #expect(toA.tokens.count == 1 && toB.tokens.count == 1)
        #expect(tokenA != tokenB, "the same alert in two databases gets two tokens")
        #expect(try await a.store.acknowledgement(tokenHash: AcknowledgementLinks.hash(tokenA), now: now)?.alert.reference == "ENC-I-1-C-1")
        #expect(try await b.store.acknowledgement(tokenHash: AcknowledgementLinks.hash(tokenA), now: now) == nil, "A's link opens nothing in B")

        let contents = try await StoreCopy.contents(of: a.store)
        #expect(contents["alert_ack_tokens"]?.count == 1)
        #expect(contents["alert_ack_tokens"]?.first?.contains(AcknowledgementLinks.hash(tokenA)) == true, "the hash is what is kept")
        for (table, rows) in contents {
            #expect(!rows.contains { $0.contains(tokenA) }, "the token itself is in \(table)")
        }
    }

    /// A send reported failing whose copy arrived, then its retry: each message carries its own
    /// link (the same reference), and both open the alert: the first acknowledges, the second
    /// shows that it was.
    @Test(arguments: StoreKind.allCases)
    func aRetryCarriesANewLinkAndEveryLinkSentOpensTheAlert(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let school = SchoolEnd([.temporary, .delivered])
        #expect(try await run(t, school).run(now: now).retrying == 1)
        let retry = now.addingTimeInterval(3600)
        #expect(try await run(t, school).run(now: retry).delivered == 1)
        let messages = school.given.withLock { $0 }.filter { $0.reference == "ENC-I-1-C-1" }
        #expect(messages.count == 2, "sent, then sent again")
        let tokens = school.tokens
        #expect(tokens.count == 2)
        #expect(Set(tokens).count == 2, "the retry carries a new link")

        let (first, second) = (AcknowledgementLinks.hash(tokens[0]), AcknowledgementLinks.hash(tokens[1]))
        for hash in [first, second] {
            #expect(try await t.store.acknowledgement(tokenHash: hash, now: retry)?.alert.reference == "ENC-I-1-C-1")
        }
        let pressed = retry.addingTimeInterval(600)
        let acknowledged = try #require(try await t.store.acknowledge(tokenHash: first, now: pressed))
        #expect(acknowledged.justAcknowledged && acknowledged.acknowledgedAt == pressed)
        let again = try #require(try await t.store.acknowledge(tokenHash: second, now: pressed.addingTimeInterval(60)))
        #expect(!again.justAcknowledged && again.acknowledgedAt == pressed, "the retry's link shows the first acknowledgement")

        // Both end 14 days after the alert's deadline (20:00 on the 22nd), later than either send.
        let end = at("2026-11-22T20:00:00Z").addingTimeInterval(14 * 86_400)
        for hash in [first, second] {
            #expect(try await t.store.acknowledgement(tokenHash: hash, now: end) != nil)
            #expect(try await t.store.acknowledgement(tokenHash: hash, now: end.addingTimeInterval(1)) == nil)
        }
    }

    /// A purged alert's tokens go with it.
    /// Audit 19, finding 8: the "phone the school" item was kept unsent (the hub's notice could not
    /// go), the school acknowledged meanwhile; the next run must not ask the hub to phone it.
    @Test(arguments: StoreKind.allCases)
    func aPhoneTheSchoolItemIsNotToldOnceTheSchoolHasAcknowledged(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        let school = SchoolEnd([.delivered])
        _ = try await run(t, school).run(now: now)
        let late = at("2026-11-23T08:00:00Z")
        _ = try await t.store.claimDue(now: late, owner: "test:0", lease: 60, limit: 1, isDead: { _ in false })
        #expect(try await t.store.unsentHubNotices().map(\.kind) == [AlertLifecycle.unacknowledgedKind])
        // The school presses the link its e-mail carried (an acknowledgement by reference is a
        // webhook's, for an alert sent by webhook).
        let token = try #require(school.tokens.first)
        #expect(try await t.store.acknowledge(tokenHash: AcknowledgementLinks.hash(token), now: late)?.justAcknowledged == true)
        let report = try await run(t, school).run(now: late)
        #expect(school.given.withLock { $0 }.filter { $0.reference.hasPrefix("ENC-HUB-") }.isEmpty, "nothing to tell the hub: \(report.line)")
        #expect(try await t.store.unsentHubNotices().isEmpty, "settled, not left to come back")
    }

    @Test(arguments: StoreKind.allCases)
    func aPurgedAlertsTokensGoWithIt(kind: StoreKind) async throws {
        let t = try await store(kind)
        defer { t.cleanUp() }
        _ = try await run(t, SchoolEnd([.delivered])).run(now: now)
        #expect(try await StoreCopy.contents(of: t.store)["alert_ack_tokens"]?.count == 1)
        let policy = RetentionPolicy(incidentsDays: 1, episodesDays: 0)
        let later = now.addingTimeInterval(30 * 86_400)
        let due = try await t.store.due(policy, now: later)
        #expect(due.map(\.subject) == ["incident:I-1"])
        _ = try await t.store.purge(due, policy: policy, actor: "cli:root", at: later)
        #expect(try await StoreCopy.contents(of: t.store)["alert_ack_tokens"] == [])
    }

    /// A link sent by the version before (its token derived, its hash on the alert's row) opens its
    /// alert after `migrate` until its end, and the old column is gone.
    @Test(arguments: StoreKind.allCases)
    func aLinkSentBeforeTheUpgradeStillOpensItsAlert(kind: StoreKind) async throws {
        let dir = try SchemaVersionStoreTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try SchemaVersionStoreTests.newURL(kind, in: dir)
        let older = try SchemaVersionStoreTests.store(kind, url, knownUpTo: kind == .sqlite ? "v17-incident-id-index" : "pg13-text-as-bytes")
        _ = try await older.migrate(for: .write)
        // What that version's ingest wrote (this version's writes a column it did not have).
        let source = try await TempStore(kind)
        defer { source.cleanUp() }
        try await source.store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501")]))
        _ = try await source.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1"), child("C-2")])],
                                          actor: "test", at: now, planner: OutboxStoreTests.planner)
        // Delivered by this version's run, whose queries name columns that version did not have.
        let claimed = try await source.store.claimDue(now: now, owner: "test:1", lease: 600, limit: 10, isDead: { _ in false })
        for alert in claimed.alerts { try await source.store.record(.delivered, for: alert.alertKey, owner: "test:1", now: now) }
        try await SchemaVersionStoreTests.fill(older, from: source.store, SchemaVersionStoreTests.tablesBefore(missing: ["alert_ack_tokens"]))
        let token = TokenText.random()
        let end = now.addingTimeInterval(14 * 86_400)
        // What the version before kept for C-1's link.
        let sql = """
            UPDATE alerts SET ack_token_hash = '\(AcknowledgementLinks.hash(token))', ack_expires_at = \(end.timeIntervalSince1970)
            WHERE child_id = 'C-1'
            """
        try #require(try await Self.accepted(kind, url, dir, sql))

        let current = try StoreFactory.open(url)
        #expect(try await current.migrate(for: .migrate)
            == (kind == .sqlite ? ["v18-ack-tokens", "v19-incident-details", "v20-hub-notice-claims", "v21-token-scopes", "v22-hub-notice-rounds", "v23-idempotency-keys", "v24-hub-notice-schools", "v25-alert-school-rounds", "v26-hub-notice-settled", "v27-alerts-board-lists", "v28-foreign-key-indexes", "v29-routing-version"]
                                : ["pg14-ack-tokens", "pg15-incident-details", "pg16-hub-notice-claims", "pg17-token-scopes", "pg18-retention-owner-only", "pg19-hub-notice-rounds", "pg20-idempotency-keys", "pg21-hub-notice-schools", "pg22-alert-school-rounds", "pg23-hub-notice-settled", "pg24-alerts-board-lists", "pg25-foreign-key-indexes", "pg26-routing-version"]))
        let hash = AcknowledgementLinks.hash(token)
        #expect(try await current.acknowledgement(tokenHash: hash, now: end)?.alert.reference == "ENC-I-1-C-1")
        #expect(try await current.acknowledgement(tokenHash: hash, now: end.addingTimeInterval(1)) == nil, "its end moved with it")
        let rows = try await current.alerts(state: nil)
        #expect(rows.filter(\.linkIssued).map(\.childId) == ["C-1"], "C-1 carried a link, C-2 did not")
        #expect(try await current.acknowledge(tokenHash: hash, now: now)?.justAcknowledged == true)
        #expect(try await current.acknowledge(reference: "ENC-I-1-C-2", now: now) == nil, "C-2 carried no link")
        #expect(try await StoreCopy.contents(of: current)["alert_ack_tokens"]?.count == 1)
        #expect(try await !Self.accepted(kind, url, dir, "SELECT ack_token_hash FROM alerts"), "the old column is gone")
    }

    /// Whether the database ran `sql`, given straight to it.
    static func accepted(_ kind: StoreKind, _ url: String, _ dir: URL, _ sql: String) async throws -> Bool {
        switch kind {
        case .sqlite:
            do {
                try await DatabaseQueue(path: dir.appendingPathComponent("store.sqlite").path).write { try $0.execute(sql: sql) }
                return true
            } catch is DatabaseError {
                return false
            }
        case .postgres:
            return try await PostgresServer.shared().psql(String(url.split(separator: "/").last!), sql).exitCode == 0
        }
    }
}
