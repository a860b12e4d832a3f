import Foundation
import StoreContract
import Stores
import Testing
import TestSupport

/// SPEC §2, all or nothing: a writing command imports a changed Config/key-adults.csv only with input
/// it accepts, and never a file cut to its header over key adults the database holds.
@Suite("Config/'s directory and refused commands")
struct DirectoryImportCLITests {
    static let databases = ["sqlite", "postgres"]

    func keyAdultsFile(_ h: CLIHarness) -> URL { h.configDir.appendingPathComponent("key-adults.csv") }

    /// The sample ingested (its alerts queued to the sample's key adults) on a new database of `kind`.
    func sampleStore(_ kind: String, _ h: CLIHarness) async throws -> (database: String, store: any FullStore) {
        let db = kind == "sqlite" ? h.database : try PostgresServer.shared().makeDatabase()
        let samples = h.configDir.appendingPathComponent("sample-incidents.csv").path
        #expect(try await h.run(["ingest", samples], database: db).status == 0)
        return (db, try StoreFactory.open(db))
    }

    @Test(arguments: databases)
    func aRefusedCommandLeavesAChangedKeyAdultsFileUnimported(kind: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let (db, store) = try await sampleStore(kind, h)
        let adultsBefore = try await store.keyAdults(urn: nil)
        let alertsBefore = try await store.alerts(state: nil).map { "\($0.reference) \($0.state) \($0.channel ?? "")" }
        let recipientsBefore = try await store.peekDue(now: Date.distantFuture, limit: 1_000).map(\.recipient)
        #expect(recipientsBefore.contains { $0.contains("dsl@bostonpioneers") })

        let text = try String(contentsOf: keyAdultsFile(h), encoding: .utf8)
        try Data(text.replacingOccurrences(of: "dsl@bostonpioneers", with: "changed@bostonpioneers").utf8).write(to: keyAdultsFile(h))
        // Large enough to be streamed (a file of under a thousand incidents is read whole before the
        // store is opened), with a bad row at its end.
        let big = h.dir.appendingPathComponent("big.csv").path
        #expect(try await h.run(["synth", "--rows", "3000", "--seed", "7", "-o", big]).status == 0)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        handle.seekToEndOfFile()
        handle.write(Data("PPN-999999,2026-12-01T20:46:00Z,DASH,bogus,2,,V-1,P-1,,,,,,,,,\n".utf8))
        try handle.close()
        for args in [["ingest", big], ["decide", "C-NOPE", "--marac", "referred", "--on", "2026-11-20"],
                     ["plan", "done", "999", "--on", "2026-11-20"], ["plan", "add", "C-NOPE", "--action", "Call", "--agency", "school"],
                     ["users", "disable", "nobody-here"], ["tokens", "revoke", "nobody-here"]] {
            let refused = try await h.run(args, database: db)
            #expect(refused.status == 65, "\(args): \(refused.stderr)")
            #expect(try await store.keyAdults(urn: nil) == adultsBefore, "\(args[0]) saved the changed file")
            #expect(try await store.alerts(state: nil).map { "\($0.reference) \($0.state) \($0.channel ?? "")" } == alertsBefore)
            #expect(try await store.peekDue(now: Date.distantFuture, limit: 1_000).map(\.recipient) == recipientsBefore, "\(args[0])")
        }
    }

    @Test(arguments: databases)
    func aKeyAdultsFileCutToItsHeaderIsRefused(kind: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let (db, store) = try await sampleStore(kind, h)
        let adultsBefore = try await store.keyAdults(urn: nil)
        let unmatchedBefore = try await store.alerts(state: .unmatched).count
        try Data("urn,name,email,channel,endpoint\n".utf8).write(to: keyAdultsFile(h))
        let one = try h.write("one.csv", CSVRows.file([CSVRows.row("I-NEW-1", "2026-11-19T21:40:00Z")]))
        let refused = try await h.run(["ingest", one], database: db)
        #expect(refused.status == 65)
        #expect(refused.stderr.hasPrefix("encompass: key-adults.csv: no key adults in the file, but the database holds \(adultsBefore.count)"),
                "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1)
        #expect(try await store.keyAdults(urn: nil) == adultsBefore)
        #expect(try await store.alerts(state: .unmatched).count == unmatchedBefore, "no waiting alert moved to unmatched")
        // Doctor says what the writers will do, in their words (audit 25, F11).
        let doctor = try await h.run(["doctor"], database: db)
        #expect(doctor.status == 65)
        #expect((doctor.stdout + doctor.stderr).contains("problem: key-adults.csv: no key adults in the file, but the database holds "
                                                         + "\(adultsBefore.count): every command that writes (ingest, notify, serve, the morning run) "
                                                         + "refuses it, exit 65; if the file was cut short, put its rows back"),
                "\(doctor.stdout)\(doctor.stderr)")
    }

    /// A URN mistyped in term-dates.csv (139900's own calendar as 139990, a school in no directory):
    /// the real school stayed on its LA's calendar, so an alert for a school back before its LA was due
    /// after the school had opened, with every command at exit 0 (audit 26). Every writer refuses the
    /// row, naming the calendar's first line, before writing anything; doctor names it alike.
    @Test(arguments: databases)
    func aCalendarOfAnUnknownSchoolIsRefusedNamingItsLine(kind: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let (db, store) = try await sampleStore(kind, h)
        let incidentsBefore = try await store.counts().incidents
        let terms = h.configDir.appendingPathComponent("term-dates.csv")
        var lines = try String(contentsOf: terms, encoding: .utf8).components(separatedBy: "\n")
        let first = try #require(lines.firstIndex { $0.hasPrefix("925,139900,") })
        lines = lines.map { $0.hasPrefix("925,139900,") ? "925,139990," + $0.dropFirst("925,139900,".count) : $0 }
        try Data(lines.joined(separator: "\n").utf8).write(to: terms)
        let refusal = "\(terms.path):\(first + 1): urn: school 139990 is in neither schools.csv nor the imported GIAS list"

        let one = try h.write("one.csv", CSVRows.file([CSVRows.row("I-NEW-1", "2026-11-19T21:40:00Z", child: "C-NEW-1", urn: "139900")]))
        let refused = try await h.run(["ingest", one], database: db)
        #expect(refused.status == 65, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stderr.hasPrefix(refusal), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(try await store.counts().incidents == incidentsBefore)
        let doctor = try await h.run(["doctor"], database: db)
        #expect(doctor.status == 65)
        #expect((doctor.stdout + doctor.stderr).contains("problem: " + refusal), "\(doctor.stdout)\(doctor.stderr)")
    }

    /// A URN mistyped in key-adults.csv (120503's key adult as 120530, a school in no directory) was
    /// stored and the run exited 0: 120503's children waited unmatched, and no one was told (audit 25,
    /// F1). Every writer refuses the row, naming its line, before writing anything; doctor names it alike.
    @Test(arguments: databases)
    func aKeyAdultAtAnUnknownSchoolIsRefusedNamingItsLine(kind: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let (db, store) = try await sampleStore(kind, h)
        let adultsBefore = try await store.keyAdults(urn: nil)
        let alertsBefore = try await store.alerts(state: nil).map { "\($0.reference) \($0.state) \($0.channel ?? "") \($0.lastError ?? "")" }
        let incidentsBefore = try await store.counts().incidents
        let recipientsBefore = try await store.peekDue(now: Date.distantFuture, limit: 1_000).map(\.recipient)

        var lines = try String(contentsOf: keyAdultsFile(h), encoding: .utf8).components(separatedBy: "\n")
        let index = try #require(lines.firstIndex { $0.hasPrefix("120503,") })
        lines[index] = "120530," + lines[index].dropFirst("120503,".count)
        try Data(lines.joined(separator: "\n").utf8).write(to: keyAdultsFile(h))
        let refusal = "\(keyAdultsFile(h).path):\(index + 1): urn: school 120530 is in neither schools.csv nor the imported GIAS list"

        let one = try h.write("one.csv", CSVRows.file([CSVRows.row("I-NEW-1", "2026-11-19T21:40:00Z", child: "C-NEW-1", urn: "120503")]))
        // notify with the templates it needs: refused for the row, not for anything else.
        let templates = CLIHarness.packageRoot.appendingPathComponent("Templates").path
        for args in [["ingest", one], ["notify", "--now", "2026-11-20T06:00:00Z", "--templates", templates]] {
            let refused = try await h.run(args, database: db)
            #expect(refused.status == 65, "\(args[0]): \(refused.stdout) \(refused.stderr)")
            #expect(refused.stderr.hasPrefix(refusal), "\(args[0]): \(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
            #expect(try await store.keyAdults(urn: nil) == adultsBefore, "\(args[0]) stored the row")
            #expect(try await store.alerts(state: nil).map { "\($0.reference) \($0.state) \($0.channel ?? "") \($0.lastError ?? "")" }
                    == alertsBefore, "\(args[0])")
            #expect(try await store.counts().incidents == incidentsBefore, "\(args[0])")
            #expect(try await store.peekDue(now: Date.distantFuture, limit: 1_000).map(\.recipient) == recipientsBefore, "\(args[0])")
        }
        let doctor = try await h.run(["doctor"], database: db)
        #expect(doctor.status == 65)
        #expect((doctor.stdout + doctor.stderr).contains("problem: " + refusal), "\(doctor.stdout)\(doctor.stderr)")
    }

    /// A new install: `init`'s key-adults.csv has its header only, and the database none.
    @Test func aNewInstallsEmptyFileIsImported() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        try Data("urn,name,email,channel,endpoint\n".utf8).write(to: keyAdultsFile(h))
        let one = try h.write("one.csv", CSVRows.file([CSVRows.row("I-NEW-1", "2026-11-19T21:40:00Z")]))
        let run = try await h.run(["ingest", one])
        #expect(run.status == 0, "\(run.stderr)")
        // Imported as it is, so no writer refuses it: doctor says only that no alert can reach a school.
        let doctor = try await h.run(["doctor"])
        #expect((doctor.stdout + doctor.stderr).contains("problem: key-adults.csv: no key adults: no alert can reach a school"),
                "\(doctor.stdout)\(doctor.stderr)")
        #expect(!(doctor.stdout + doctor.stderr).contains("refuses it"))
    }

    @Test func aGIASExtractWithNoOpenSchoolIsRefused() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let header = "URN,EstablishmentName,LA (code),EstablishmentStatus (name)\n"
        for text in [header, header + "120599,Old School,925,Closed\n"] {
            let file = try h.write("gias.csv", text)
            let out = try await h.run(["schools", "import", file])
            #expect(out.status == 65)
            #expect(out.stderr.contains("gias.csv:1: -: no open establishments"), "\(out.stderr)")
        }
    }
}
