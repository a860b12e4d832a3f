import AlertLifecycle
import Delivery
import Foundation
import Outbox
import StoreContract
import Stores
import Testing
import TestSupport

/// A run whose every recipient our relay refused with the same 5xx is held as our configuration
/// (`NotifyRun`'s settle). A school's message refused at every RCPT counts each recipient's code,
/// not only the last one libcurl keeps: one refused 550 and 553 was not refused alike (audit 23, F3).
@Suite("Our relay's refusals by each recipient's code, on SQLite and PostgreSQL")
struct RelayRefusalTests {
    let now = at("2026-11-22T08:00:00Z")

    /// Refuses C-1's message at both its RCPTs with `first`'s codes (the last is libcurl's reply),
    /// and C-2's at its one RCPT with 553; the hub's notice goes.
    struct Relay: Transport {
        let first: [Int]

        func deliver(_ batch: [AlertMessage], pacing _: DeliveryPacing?) -> AsyncStream<DeliveryOutcome> {
            let (stream, continuation) = AsyncStream.makeStream(of: DeliveryOutcome.self)
            for message in batch {
                guard !message.reference.hasPrefix("ENC-HUB-") else {
                    continuation.yield(DeliveryOutcome(reference: message.reference, channel: .smtp, status: .delivered,
                                                       replyCode: 250, detail: "smtp reply 250", attempted: true))
                    continue
                }
                let codes = message.reference.hasSuffix("C-1") ? first : [553]
                var outcome = DeliveryOutcome(reference: message.reference, channel: .smtp, status: .permanent,
                                              replyCode: codes.last, detail: "smtp reply \(codes.last ?? 0)", attempted: true)
                if codes.count > 1 {
                    outcome.refusedRecipients = codes.enumerated().map { RefusedAddress(address: "k\($0.offset)@s.example", replyCode: $0.element) }
                }
                continuation.yield(outcome)
            }
            continuation.finish()
            return stream
        }
    }

    @Test(arguments: StoreKind.allCases, [[553, 553], [550, 553]])
    func aMessageRefusedWithTwoCodesWasNotRefusedAlike(kind: StoreKind, first: [Int]) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: ["120501", "120502"].map(SchoolDirectoryStoreTests.adult)))
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1"), child("C-2", urn: "120502")])],
                                     actor: "test", at: now, planner: SchoolDirectoryStoreTests.planner)
        let report = try await run(t, Relay(first: first))
        let alike = first == [553, 553]
        #expect(report.heldBack == (alike ? 2 : 0), "every recipient refused with 553: our configuration")
        #expect(report.failed == (alike ? 0 : 2), "550 and 553: the schools' addresses, failed")
        let states = try await t.store.alerts(state: nil).map(\.state)
        #expect(states == (alike ? [.queued, .queued] : [.failed, .failed]), "\(states)")
    }

    func run(_ t: TempStore, _ transport: some Transport) async throws -> NotifyRun.Report {
        let run = NotifyRun(store: t.store, transport: transport,
                            renderer: try AlertRenderer(templatesDirectory: Repository.templates),
                            hub: HubContact(name: "Police Safeguarding Hub", phone: "0000 000 0000", email: "hub@police.example"),
                            retry: RetryPolicy(), owner: "test:1", isDead: { _ in false })
        return try await run.run(now: now)
    }

    /// Siblings at one school whose one key adult's address is dead: two messages refused alike,
    /// but by one school's address, not every school's. Failed, and the hub told which school;
    /// they were held as "our settings" and tried every run for ever (audit 23, review F12).
    @Test(arguments: StoreKind.allCases)
    func siblingsRefusedAtTheirSchoolsOneAddressAreThatSchoolsNotOurSettings(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: [SchoolDirectoryStoreTests.adult("120501")]))
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1"), child("C-2")])],
                                     actor: "test", at: now, planner: SchoolDirectoryStoreTests.planner)
        let report = try await run(t, Relay(first: [553]))
        #expect(report.heldBack == 0 && report.failed == 2)
        #expect(try await t.store.alerts(state: nil).map(\.state) == [.failed, .failed])
    }

    /// Two schools of a federation share one safeguarding lead's address, and it is dead: two
    /// schools refused alike, but at one address, the schools', not our settings. Failed, the hub
    /// told; they were held as our settings every run until overdue (audit 24, diff F6).
    @Test(arguments: StoreKind.allCases)
    func twoSchoolsSharingOneDeadAddressAreTheirsNotOurSettings(kind: StoreKind) async throws {
        let t = try await TempStore(kind)
        defer { t.cleanUp() }
        try await t.store.replaceDirectory(SchoolDirectory(schoolsOf: ["120501", "120502"].map {
            KeyAdult(urn: $0, name: "Fed Lead", email: "dsl@federation.school.example", channel: .smtp, endpoint: nil)
        }))
        _ = try await t.store.ingest([incident("I-1", "2026-11-21T20:00:00Z", children: [child("C-1"), child("C-2", urn: "120502")])],
                                     actor: "test", at: now, planner: SchoolDirectoryStoreTests.planner)
        let report = try await run(t, Relay(first: [553]))
        #expect(report.heldBack == 0 && report.failed == 2)
        #expect(try await t.store.alerts(state: nil).map(\.state) == [.failed, .failed])
    }
}
