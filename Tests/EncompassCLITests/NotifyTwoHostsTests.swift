import Foundation
import Testing
import TestSupport

/// SPEC §12: `notify` runs on two hosts at once against one PostgreSQL database. Each run is the
/// real binary in a UTS namespace of its own with its own host name (`unshare --uts`), so its lease
/// owner names that host and it cannot see the other host's processes, as on two machines.
///
/// Nothing here waits on time to decide an outcome: the relay holds one recipient's RCPT (its
/// `--hold` option) so a run is surely in the middle of its work when the test acts, and writes
/// when it starts holding, which the test waits for (bounded, as set-up).
@Suite("notify on two hosts at once, one PostgreSQL database")
struct NotifyTwoHostsTests {
    /// A school whose key adult's address the relay holds.
    static let heldSchool = "120590,Hal Lead,hold-dsl@holbeach.school.example,smtp,"

    /// The held school's alert first (claims go by deadline, then by the order alerts were queued),
    /// then `others` more for Boston's school, all for the same Friday 09:00 deadline.
    static func rows(others: Int) -> [String] {
        [CSVRows.row("I-0", "2026-11-19T21:40:00Z", child: "C-0", urn: "120590")]
            + (1...others).map { CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-\($0)", urn: "120501") }
    }

    /// "alerts: N delivered, ..." as a run prints it.
    static func delivered(_ stdout: String) -> Int? {
        guard let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix("alerts: ") }) else { return nil }
        return Int(line.dropFirst("alerts: ".count).prefix { $0.isNumber })
    }

    static func messageID(_ reference: String) -> String { "<\(reference)@police.example>" }

    /// Waits until `condition` holds while `process` runs: bounded (a minute), as set-up, never as
    /// a measurement; the test's own checks come after.
    static func wait(while process: Process, _ what: String, until condition: () throws -> Bool) async throws {
        for _ in 0..<3_000 where process.isRunning {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(try condition(), "\(what) did not happen while the run ran")
    }

    @Test func unshareGivesEachRunItsOwnHostName() async throws {
        let run = try await Command.run("/usr/bin/unshare", ["--uts", "/bin/sh", "-c", "hostname host-a && hostname"])
        #expect(run.exitCode == 0 && run.output == "host-a\n", "unshare --uts needs root: \(run.output)")
    }

    @Test func twoRunsOnTwoHostsAtOnceSendEachAlertOnce() async throws {
        // 100 alerts: a first batch of 64 (NotifyRun.batchSize) with the held one, and 36 more.
        // The relay holds the held RCPT until the 99 others have arrived, so the run that claimed
        // the first batch cannot finish it, nor claim again, until the other run has claimed and
        // sent the rest: both runs claim alerts, whichever starts first and however fast each is.
        let rig = try await OutboxRig(.postgres, relay: ["--hold", "hold-dsl:99"])
        defer { rig.stop() }
        try rig.addHeldSchool()
        try await rig.ingest(Self.rows(others: 99))
        let args = ["notify", "--now", "2026-11-20T06:00:00Z"]
        let a = try rig.h.start(args, environment: rig.environment, name: "host-a", host: "host-a")
        let b = try rig.h.start(args, environment: rig.environment, name: "host-b", host: "host-b")
        let endA = await a.waitForExit(), endB = await b.waitForExit()
        let outA = rig.h.output(of: "host-a"), outB = rig.h.output(of: "host-b")
        #expect(endA.status == 0, "\(outA.stderr)")
        #expect(endB.status == 0, "\(outB.stderr)")

        let alerts = try await rig.alerts()
        #expect(alerts.count == 100)
        #expect(alerts.values.allSatisfy { $0["state"] as? String == "delivered" && $0["attempts"] as? Int == 1 })
        let expected = Set(alerts.values.compactMap { $0["reference"] as? String }.map(Self.messageID))
        let ids = try rig.received().map(\.messageID)
        #expect(ids.count == 100, "no alert sent twice")
        #expect(Set(ids) == expected, "every alert arrived once, under its own Message-ID")

        // Both hosts took part: what each run says it delivered adds up to every alert.
        let byA = try #require(Self.delivered(outA.stdout), "\(outA.stdout)")
        let byB = try #require(Self.delivered(outB.stdout), "\(outB.stdout)")
        #expect(byA > 0 && byB > 0, "host-a delivered \(byA), host-b \(byB)")
        #expect(byA + byB == 100)
    }

    @Test func aRunKilledOnOneHostLeavesItsAlertsLeasedUntilTheLeaseEndsThenAnotherHostSendsThem() async throws {
        // 80 alerts: host-a claims the first 64 (the held one among them) and is killed while the
        // relay holds that RCPT; the other 16 are never claimed by host-a.
        let rig = try await OutboxRig(.postgres, relay: ["--hold", "hold-dsl"])
        defer { rig.stop() }
        try rig.addHeldSchool()
        try await rig.ingest(Self.rows(others: 79))
        let references = try await rig.alerts().mapValues { try #require($0["reference"] as? String) }
        #expect(references.count == 80)

        rig.lastRun.set("2026-11-20T06:00:00Z")
        let a = try rig.h.start(["notify", "--now", "2026-11-20T06:00:00Z"], environment: rig.environment, name: "host-a", host: "host-a")
        // Killed once the relay holds the first alert and has every other message of host-a's
        // batch, so no message of host-a's can still arrive after the kill.
        try await Self.wait(while: a, "the relay holding host-a's first alert") {
            FileManager.default.fileExists(atPath: rig.smtp.outFolder + "/held.jsonl")
        }
        try await Self.wait(while: a, "host-a sending the rest of its batch") { try rig.received().count == 63 }
        kill(a.processIdentifier, SIGKILL)
        #expect(await a.waitForExit() == ChildEnd(status: SIGKILL, signalled: true))

        // What host-a left behind: alerts in `sending`, leased by it (its owner names its host).
        let leases = try await rig.h.psql("SELECT reference, lease_owner, lease_until FROM alerts WHERE state = 'sending' ORDER BY reference")
            .split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        let leasedByA = Set(leases.map { $0[0] })
        #expect(leases.allSatisfy { $0[1].hasPrefix("host-a:") }, "\(leases)")
        #expect(leasedByA.contains(try #require(references["C-0"])), "the held alert is still host-a's")
        let leaseUntil = try #require(leases.compactMap { Double($0[2]) }.max())
        #expect(leaseUntil >= ISO8601DateFormatter().date(from: "2026-11-20T06:10:00Z")!.timeIntervalSince1970, "600 s from the claim")
        let sentByA = try rig.received().map(\.messageID)

        // host-b at once: it cannot see host-a's processes, so host-a's alerts are not its to take.
        let early = try await rig.notify("2026-11-20T06:00:00Z", host: "host-b")
        #expect(early.status == 0, "\(early.stderr)")
        #expect(Self.delivered(early.stdout) == 80 - 64, "only what host-a never claimed: \(early.stdout)")
        let sentByEarlyB = try rig.received().map(\.messageID).dropFirst(sentByA.count)
        #expect(Set(sentByEarlyB).isDisjoint(with: leasedByA.map(Self.messageID)), "nothing host-a holds went out from host-b")
        let stillLeased = try await rig.h.psql("SELECT reference FROM alerts WHERE state = 'sending' AND lease_owner LIKE 'host-a:%'")
        #expect(Set(stillLeased.split(separator: "\n").map(String.init)) == leasedByA)

        // host-b once the lease has ended (a second after it): host-a's alerts go out from host-b.
        let after = Date(timeIntervalSince1970: leaseUntil.rounded(.down) + 1)
        let late = try await rig.notify(ISO8601DateFormatter().string(from: after), host: "host-b")
        #expect(late.status == 0, "\(late.stderr)")
        #expect(Self.delivered(late.stdout) == leasedByA.count, "\(late.stdout)")

        let alerts = try await rig.alerts()
        #expect(alerts.values.allSatisfy { $0["state"] as? String == "delivered" }, "nothing lost")
        let ids = try rig.received().map(\.messageID)
        #expect(Set(ids) == Set(references.values.map(Self.messageID)), "every alert arrived, under its own Message-ID")
        // Sent twice only if host-a sent it and was killed before recording it: then both copies
        // carry the alert's one Message-ID, so the school can drop the second.
        let counts = Dictionary(ids.map { ($0, 1) }, uniquingKeysWith: +)
        let twice = Set(counts.filter { $0.value > 1 }.keys)
        #expect(counts.values.allSatisfy { $0 <= 2 })
        #expect(twice.isSubset(of: Set(leasedByA.map(Self.messageID)).intersection(sentByA)), "only alerts host-a sent but had not recorded")
        #expect(counts[Self.messageID(try #require(references["C-0"]))] == 1, "the held message never reached the relay from host-a")
    }

    /// Two machines under one host name (a cloned image, containers given the same `hostname:`),
    /// each its own PID namespace here. host-a is mid-batch, its run alive; host-b's run cannot see
    /// host-a's process, and host-a's pid is not one host-b has, but it must not take that for a
    /// run gone: host-a's alerts stay host-a's (audit 20 F2: they went out twice).
    @Test func twoMachinesUnderOneHostNameNeverTakeEachOthersLiveRunForDead() async throws {
        let rig = try await OutboxRig(.postgres, relay: ["--hold", "hold-dsl"])
        defer { rig.stop() }
        try rig.addHeldSchool()
        try await rig.ingest(Self.rows(others: 79))
        // host-a's pid in its namespace is past 300; host-b's run is its namespace's third process,
        // its threads the next few: none of them host-a's pid.
        rig.lastRun.set("2026-11-20T06:00:00Z")
        let a = try rig.h.start(["notify", "--now", "2026-11-20T06:00:00Z"], environment: rig.environment, name: "host-a",
                                host: "samebox", pidsBefore: 300)
        defer { kill(a.processIdentifier, SIGKILL) }
        try await Self.wait(while: a, "the relay holding host-a's first alert") {
            FileManager.default.fileExists(atPath: rig.smtp.outFolder + "/held.jsonl")
        }
        try await Self.wait(while: a, "host-a sending the rest of its batch") { try rig.received().count == 63 }
        let leases = try await rig.h.psql("SELECT reference, lease_owner FROM alerts WHERE state = 'sending' ORDER BY reference")
            .split(separator: "\n").map { $0.split(separator: "|").map(String.init) }
        // Those of host-a's batch not yet recorded as sent (the held one among them) are still its.
        #expect(!leases.isEmpty && leases.allSatisfy { $0[1].hasPrefix("samebox:") && Int($0[1].split(separator: ":")[1])! > 300 }, "\(leases)")
        let sentByA = try rig.received().count

        let b = try await rig.notify("2026-11-20T06:00:00Z", host: "samebox", pidsBefore: 0)
        #expect(b.status == 0, "\(b.stderr)")
        #expect(Self.delivered(b.stdout) == 80 - 64, "only what host-a never claimed: \(b.stdout)")
        let sentByB = try rig.received().map(\.messageID).dropFirst(sentByA)
        #expect(Set(sentByB).isDisjoint(with: leases.map { Self.messageID($0[0]) }), "nothing host-a holds went out from host-b")
        #expect(a.isRunning, "host-a's run was alive throughout")
        kill(a.processIdentifier, SIGKILL)
        _ = await a.waitForExit()
    }
}
