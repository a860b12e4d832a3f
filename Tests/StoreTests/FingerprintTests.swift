import Foundation
import GRDB
import RiskModel
@testable import SQLiteStore
import StoreContract
import Testing

/// The digest that tells a re-ingested incident from a changed one.
@Suite("Incident fingerprints")
struct FingerprintTests {
    let base = incident("I-1", "2026-10-01T10:00:00Z", children: [child("C-1", voice: "ab"), child("C-2")])

    @Test func everyKeptColumnChangesTheDigest() {
        var changes: [(String, (inout Incident) -> Void)] = [
            ("id", { $0.id = "I-2" }),
            ("reported_at", { $0.reportedAt += 60 }),
            ("risk_tool", { $0.riskTool = .dara }),
            ("officer_grade", { $0.officerGrade = .medium }),
            ("dash_yes_count", { $0.dashYesCount = nil }),
            ("supervisor_grade", { $0.supervisorGrade = .high }),
            ("victim_id", { $0.victimId = "V-2" }),
            ("perpetrator_id", { $0.perpetratorId = nil }),
            ("a child fewer", { $0.children.removeLast() }),
        ]
        let childChanges: [(String, (inout ChildLink) -> Void)] = [
            ("child_id", { $0.childId = "C-9" }),
            ("given name", { $0.givenName += "x" }),
            ("family name", { $0.familyName = "Other" }),
            ("date of birth", { $0.dateOfBirth = LocalDate(iso: "2015-05-06")! }),
            ("school", { $0.schoolURN = nil }),
            ("present", { $0.present = nil }),
            ("spoken to", { $0.spokenTo = true }),
            ("voice", { $0.voice = "ab " }),
            ("voice empty, not missing", { $0.voice = "" }),
            ("body-worn video", { $0.bodyWornVideo = false }),
        ]
        for (name, change) in childChanges {
            changes.append((name, { change(&$0.children[0]) }))
        }
        let digest = Fingerprint.of(base)
        // Pinned: stored digests must read the same in every process and every later version.
        #expect(digest.bytes.map { String(format: "%02x", $0) }.joined() == "d7da82b448c2528dfdcbba027bfedbf8")
        #expect(Fingerprint.legacyHex(base) == "60f163bc2242895fbf220de0b1546aa6", "rows stored before the BLOB hold this")
        var seen = [digest.bytes]
        for (name, change) in changes {
            var changed = base
            change(&changed)
            let other = Fingerprint.of(changed)
            #expect(other != digest, "\(name)")
            seen.append(other.bytes)
        }
        #expect(Set(seen).count == seen.count, "every change gives its own digest")
    }

    @Test func fieldsAreKeptApart() {
        // The same bytes split differently between two fields.
        var a = base
        a.children[0].givenName = "ab"
        a.children[0].familyName = "c"
        var b = base
        b.children[0].givenName = "a"
        b.children[0].familyName = "bc"
        #expect(Fingerprint.of(a) != Fingerprint.of(b))
    }

    @Test func aRowStoredWithTheOlderHexDigestIsStillRecognised() async throws {
        let t = try await TempStore()
        defer { t.cleanUp() }
        let now = at("2026-11-01T12:00:00Z")
        _ = try await t.store.ingest([base], actor: "test", at: now, planner: nil)
        let queue = try DatabaseQueue(path: t.path)
        #expect(try await queue.read { try String.fetchOne($0, sql: "SELECT typeof(fingerprint) FROM incidents") } == "blob")
        try await queue.write {
            try $0.execute(sql: "UPDATE incidents SET fingerprint = ?", arguments: [Fingerprint.legacyHex(base)])
        }
        try queue.close()

        var s = try await t.store.ingest([base], actor: "test", at: now, planner: nil)
        #expect((s.added, s.updated, s.unchanged) == (0, 0, 1))
        var regraded = base
        regraded.supervisorGrade = .high
        s = try await t.store.ingest([regraded], actor: "test", at: now, planner: nil)
        #expect((s.added, s.updated, s.unchanged) == (0, 1, 0))
        let reopened = try DatabaseQueue(path: t.path)
        #expect(try await reopened.read { try String.fetchOne($0, sql: "SELECT typeof(fingerprint) FROM incidents") } == "blob",
                "an update stores the current digest")
    }
}
