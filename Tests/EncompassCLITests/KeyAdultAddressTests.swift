import Foundation
import Stores
import StoreContract
import Testing
import TestSupport

/// A school's key adults' addresses as the real relay answers them, on both databases: a dead
/// address among live ones is told to the hub, and a corrected one gets the alert it missed.
@Suite("key adults' addresses the relay refuses")
struct KeyAdultAddressTests {
    /// 120501 has three key adults: the relay refuses one for good (550), one for now (451, the
    /// first time), and takes the third. Both of the school's alerts are delivered; the run's one
    /// notice names the dead address once, with the school's URN and the code, and nothing of the
    /// one refused for now; the board's notices list it; logs and last errors name no address. A
    /// later run the same day does not tell it again.
    @Test(arguments: TestDatabase.allCases)
    func aDeadKeyAdultAddressIsToldToTheHubOnceADayWhileTheAlertIsDelivered(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        try rig.addKeyAdult("120501,Dan Deputy,reject-deputy@boston.school.example,smtp,")
        try rig.addKeyAdult("120501,Gil Deputy,greylist-deputy@boston.school.example,smtp,")
        try await rig.ingest([CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-1", urn: "120501"),
                              CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-2", urn: "120501")])
        let run = try await rig.notify("2026-11-20T06:00:00Z")
        #expect(run.status == 0, "\(run.stderr)")
        let alerts = try await rig.alerts()
        for child in ["C-1", "C-2"] {
            #expect(alerts[child]?["state"] as? String == "delivered", "a key adult heard")
            #expect(alerts[child]?["last_error"] is NSNull, "\(alerts[child] ?? [:])")
        }
        #expect(!(run.stdout + run.stderr).contains("@"), "no address in the run's output")

        let mail = try rig.hubMail()
        #expect(mail.count == 1, "the run's one notice")
        let notice = try #require(mail.first)
        #expect(notice.subject.contains("1 key adult address(es) refused"), "\(notice.subject)")
        let text = try #require(notice.part("text/plain")?.text)
        let line = "school 120501: our relay refused key adult address reject-deputy@boston.school.example with reply 550"
        #expect(text.contains("KEY ADULT ADDRESS REFUSED"), "\(text)")
        #expect(text.components(separatedBy: line).count == 2, "named once for the school's two alerts: \(text)")
        #expect(!text.contains("greylist-deputy"), "a refusal for now is not told")
        #expect(!text.contains("dsl@boston"))
        #expect(!text.contains("Amelia") && !text.contains("Hartley"), "never a child's name")

        let store = try StoreFactory.open(rig.h.database)
        let board = try await store.hubNotices(since: Date(timeIntervalSince1970: 0), limit: 10)
        #expect(board.map(\.notice.kind) == [AlertLifecycle.refusedAddressKind])
        #expect(board.first?.notice.detail.hasPrefix(line) == true)

        try await rig.ingest([CSVRows.row("I-2", "2026-11-20T07:00:00Z", child: "C-3", urn: "120501")])
        let later = try await rig.notify("2026-11-20T09:00:00Z")
        #expect(later.status == 0, "\(later.stderr)")
        #expect(try await rig.alerts()["C-3"]?["state"] as? String == "delivered")
        #expect(try rig.hubMail().count == 1, "told once a day")
    }

    /// Audit 23, F3: 120502's two key adults, one address dead (550) and one greylisted (451 the
    /// first time), both refused at RCPT. libcurl keeps only the last RCPT's code, and the store
    /// sorts the addresses, so which sorts last decided: the alert failed for good when the dead
    /// one did. In either order it retries, and the next run the greylisted key adult takes it and
    /// the hub is told of the dead address. No address in the run's output or the last error.
    @Test(arguments: TestDatabase.allCases, [false, true])
    func aSchoolWhoseAddressesAreAllRefusedOneForNowRetriesInEitherOrder(_ database: TestDatabase, deadFirst: Bool) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        let (dead, greylisted) = deadFirst
            ? ("a-reject@skegness.school.example", "b-greylist@skegness.school.example")
            : ("b-reject@skegness.school.example", "a-greylist@skegness.school.example")
        let file = rig.h.configDir.appendingPathComponent("key-adults.csv")
        let csv = String(decoding: try Data(contentsOf: file), as: UTF8.self)
        try csv.replacingOccurrences(of: "120502,Bea Lead,reject-dsl@skegness.school.example,smtp,\n",
                                     with: "120502,Bea Lead,\(dead),smtp,\n120502,Bo Deputy,\(greylisted),smtp,\n")
            .write(to: file, atomically: true, encoding: .utf8)
        try await rig.ingest([CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-1", urn: "120502")])

        let first = try await rig.notify("2026-11-20T06:00:00Z")
        #expect(first.status == 0, "\(first.stderr)")
        let retrying = try #require(try await rig.alerts()["C-1"])
        #expect(retrying["state"] as? String == "retrying", "\(retrying)")
        let error = try #require(retrying["last_error"] as? String)
        #expect(error.hasPrefix("smtp reply 451 4.7.1") && error.contains("(all 2 recipients refused: 451, 550), will retry"), "\(error)")
        #expect(!error.contains("@") && !(first.stdout + first.stderr).contains("@"), "no address in logs or the last error")
        #expect(try rig.received().isEmpty, "nothing went: no key adult has it, and a retry is no news for the hub")

        let second = try await rig.notify("2026-11-20T08:00:00Z")
        #expect(second.status == 0, "\(second.stderr)")
        let alert = try #require(try await rig.alerts()["C-1"])
        #expect(alert["state"] as? String == "delivered", "\(alert)")
        #expect(alert["attempts"] as? Int == 2)
        #expect(try rig.received().filter { $0.to != ["hub@police.example"] }.map(\.to) == [[greylisted]])
        let notice = try #require(try rig.hubMail().first?.part("text/plain")?.text)
        #expect(try rig.hubMail().count == 1, "the second run's one notice")
        #expect(notice.contains("school 120502: our relay refused key adult address \(dead) with reply 550"), "\(notice)")
        #expect(!notice.contains(greylisted), "a refusal for now is not told")
    }

    /// An alert refused for good at a school's only key adult (120502's: 550) fails; the schools
    /// team corrects the address in Config/key-adults.csv; the next run sends it to the corrected
    /// address, once, under the same reference, and a further run sends nothing.
    @Test(arguments: TestDatabase.allCases)
    func aFailedAlertGoesOnceToTheKeyAdultWhoseAddressWasCorrected(_ database: TestDatabase) async throws {
        let rig = try await OutboxRig(database)
        defer { rig.stop() }
        try await rig.ingest([CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-1", urn: "120502")])
        let first = try await rig.notify("2026-11-20T06:00:00Z")
        #expect(first.status == 0, "\(first.stderr)")
        let failed = try #require(try await rig.alerts()["C-1"])
        #expect(failed["state"] as? String == "failed")
        let reference = try #require(failed["reference"] as? String)
        let messageID = NotifyTwoHostsTests.messageID(reference)

        let file = rig.h.configDir.appendingPathComponent("key-adults.csv")
        let csv = String(decoding: try Data(contentsOf: file), as: UTF8.self)
        try csv.replacingOccurrences(of: "reject-dsl@skegness.school.example", with: "dsl@skegness.school.example")
            .write(to: file, atomically: true, encoding: .utf8)
        let second = try await rig.notify("2026-11-20T06:30:00Z")
        #expect(second.status == 0, "\(second.stderr)")
        let alert = try #require(try await rig.alerts()["C-1"])
        #expect(alert["state"] as? String == "delivered", "\(alert)")
        #expect(alert["reference"] as? String == reference)
        #expect(try rig.received().filter { $0.messageID == messageID }.map(\.to) == [["dsl@skegness.school.example"]])

        let sent = try rig.smtp.log().count
        let third = try await rig.notify("2026-11-20T07:00:00Z")
        #expect(third.status == 0, "\(third.stderr)")
        #expect(try rig.smtp.log().count == sent, "a further run sends nothing")
        #expect(try await rig.alerts()["C-1"]?["state"] as? String == "delivered")
    }
}
