import Foundation
import SQLiteStore
import StoreContract
import Testing

/// `encompass plan add | done | list` (SPEC §5), on SQLite and PostgreSQL: actions appended, done
/// once and never in the future, every refusal one line with the SPEC's exit status and nothing written.
@Suite("plan add, done and list from the command line")
struct PlanCLITests {
    func harness(_ kind: TestDatabase) async throws -> CLIHarness {
        let h = try CLIHarness(kind)
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-10-01T21:40:00Z"),
                                                       CSVRows.row("I-2", "2026-10-02T21:40:00Z", child: "C-2")]))
        let out = try await h.run(["ingest", file])
        #expect(out.status == 0, "\(out.stderr)")
        return h
    }

    func list(_ h: CLIHarness, _ child: String = "C-1") async throws -> [[String: Any]] {
        let out = try await h.run(["plan", "list", child, "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let doc = try h.json(out)
        #expect(doc["child_id"] as? String == child)
        #expect(Set(doc.keys) == ["child_id", "actions"])
        return try #require(doc["actions"] as? [[String: Any]])
    }

    @Test(arguments: TestDatabase.allCases)
    func anActionIsAddedListedAndMarkedDoneOnce(kind: TestDatabase) async throws {
        let h = try await harness(kind)
        defer { h.cleanUp() }
        #expect(try await list(h).isEmpty)
        let added = try await h.run(["plan", "add", "C-1", "--action", "Weekly visit by the social worker.\nCheck the locks.",
                               "--agency", "Children's Social Care", "--due", "2026-12-01", "--by", "hub.lead"])
        #expect(added.status == 0, "\(added.stderr)")
        let id = try #require(Int(added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "prints its id: \(added.stdout)")
        let second = try await h.run(["plan", "add", "C-1", "--action", "Refer to the IDVA", "--agency", "Police"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try await h.run(["plan", "add", "C-2", "--action", "Another child's", "--agency", "Health"]).status == 0)

        var actions = try await list(h)
        #expect(actions.count == 2, "only this child's actions")
        let first = actions[0]
        #expect(Set(first.keys) == ["id", "action", "agency", "due", "recorded_by", "recorded_at", "done_on"])
        #expect(first["id"] as? Int == id)
        #expect(first["action"] as? String == "Weekly visit by the social worker.\nCheck the locks.")
        #expect(first["agency"] as? String == "Children's Social Care")
        #expect(first["due"] as? String == "2026-12-01")
        #expect(first["recorded_by"] as? String == "hub.lead")
        let recordedAt = try #require(first["recorded_at"] as? String)
        #expect(recordedAt.range(of: #"^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{3})?Z$"#, options: .regularExpression) != nil,
                "UTC as every JSON time: \(recordedAt)")
        #expect(first["done_on"] is NSNull)
        #expect(actions[1]["due"] is NSNull)

        let done = try await h.run(["plan", "done", String(id), "--on", "2026-11-20", "--by", "hub.lead"])
        #expect(done.status == 0, "\(done.stderr)")
        actions = try await list(h)
        #expect(actions[0]["done_on"] as? String == "2026-11-20")
        #expect(actions[1]["done_on"] is NSNull)

        let again = try await h.run(["plan", "done", String(id), "--on", "2026-11-21"])
        #expect(again.status == 65)
        #expect(again.stderr == "encompass: plan action \(id) was already marked done on 2026-11-20\n")
        #expect(try await list(h)[0]["done_on"] as? String == "2026-11-20", "the first done stands")

        let table = try await h.run(["plan", "list", "C-1"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("2 action(s), 1 not done"))
        #expect(table.stdout.contains("Children's Social Care"))
        #expect(table.stdout.contains("Weekly visit by the social worker.\\u{A}Check the locks."), "no line break reaches the terminal")
    }

    @Test(arguments: TestDatabase.allCases)
    func unknownChildrenAndActionsAreErrorsAndTheFutureIsRefused(kind: TestDatabase) async throws {
        let h = try await harness(kind)
        defer { h.cleanUp() }
        let unknown = try await h.run(["plan", "add", "C-404", "--action", "Visit", "--agency", "Police"])
        #expect(unknown.status == 65)
        #expect(unknown.stderr == "encompass: no child with id C-404\n")
        #expect(try await h.run(["plan", "list", "C-404"]).status == 65)
        // A name typed where the id belongs is not repeated: stderr is the journal under a timer
        // (audit 22, people F5). Every command's "no child" line is `StoreError.unknownChild`'s.
        for arguments in [["plan", "list", "Zebedee Quillfeather"], ["plan", "list", "Zebedee"],
                          ["plan", "add", "Zebedee", "--action", "Visit", "--agency", "Police"],
                          ["decide", "Zebedee Quillfeather", "--marac", "referred", "--on", "2026-11-20"]] {
            let named = try await h.run(arguments)
            #expect(named.status == 65, "\(arguments)")
            #expect(named.stderr == "encompass: no child with that id\n", "\(arguments)")
        }
        let noAction = try await h.run(["plan", "done", "999", "--on", "2026-11-20"])
        #expect(noAction.status == 65)
        #expect(noAction.stderr == "encompass: no plan action with id 999\n")

        let id = try await h.run(["plan", "add", "C-1", "--action", "Visit", "--agency", "Police"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let future = try await h.run(["plan", "done", id, "--on", "2999-01-01"])
        #expect(future.status == 64)
        #expect(future.stderr == "encompass: --on: the date is in the future\n")
        #expect(try await h.run(["plan", "done", id, "--on", "01/01/2026"]).status == 64)
        #expect(try await list(h)[0]["done_on"] is NSNull, "nothing refused was written")
    }

    /// Refused before anything is opened (64), never echoing the text: on a new folder no database is made.
    @Test(arguments: [
        ["add", "C-\u{1B}[2J", "--action", "Visit", "--agency", "Police"],
        ["add", "C-1", "--action", "Visit \u{7}bell", "--agency", "Police"],
        ["add", "C-1", "--action", "Visit", "--agency", "Police\nHealth"],
        ["add", "C-1", "--action", "Visit", "--agency", "Police", "--by", "j.smith\u{1B}[8m"],
        ["add", "C-1", "--action", String(repeating: "x", count: 4001), "--agency", "Police"],
        ["add", "C-1", "--action", "  ", "--agency", "Police"],
        ["add", "C-1", "--action", "Visit", "--agency", "Police", "--due", "next week"],
        ["done", "1", "--on", "2026-11-20", "--by", "x\u{1B}"],
    ])
    func badInputIsRefusedBeforeTheDatabaseIsOpened(args: [String]) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let refused = try await h.run(["plan"] + args)
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.hasPrefix("encompass: --") || refused.stderr.hasPrefix("encompass: CHILD_ID"), "\(refused.stderr)")
        #expect(refused.stderr.filter { $0 == "\n" }.count == 1, "one line")
        #expect(!refused.stderr.contains("bell") && !refused.stderr.contains("xxxx"), "the text is never repeated")
        #expect(!FileManager.default.fileExists(atPath: h.databasePath))
    }

    /// The audit keeps ids, dates and who: the login that ran the command as the actor, the name
    /// given beside it, and never the action's text.
    @Test func theAuditKeepsIdsAndTheLoginNeverTheText() async throws {
        let h = try await harness(.sqlite)
        defer { h.cleanUp() }
        let id = try await h.run(["plan", "add", "C-1", "--action", "Move Amelia to her aunt's", "--agency", "Police", "--by", "j.smith"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await h.run(["plan", "done", id, "--on", "2026-11-20"]).status == 0)
        let store = try SQLiteStore(path: h.databasePath)
        let entries = try await store.auditEntries(limit: 10).filter { $0.action.hasPrefix("plan.") }
        #expect(entries.map(\.action) == ["plan.done", "plan.added"])
        let login = try #require(getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) })
        #expect(entries.allSatisfy { $0.actor == "cli:\(login)" && $0.subject == "child:C-1" })
        #expect(entries[1].detail == "{\"action_id\":\(id),\"by\":\"j.smith\"}")
        #expect(entries[0].detail == "{\"action_id\":\(id),\"by\":\"\(login)\",\"on\":\"2026-11-20\"}")
        #expect(!entries.contains { $0.detail?.contains("Amelia") == true })
    }
}
