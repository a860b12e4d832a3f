import Foundation
import Testing

/// `encompass report` (SPEC §11) from the command line, on SQLite and PostgreSQL: the SPEC's JSON keys
/// in its order, the table for people, a bad period one line with exit 64, nothing written.
@Suite("report from the command line")
struct ReportCLITests {
    @Test(arguments: TestDatabase.allCases)
    func theJSONHasTheSPECsKeysAndThePeriodsFigures(kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        // 23:30 BST on 31 October is October's; 00:30 GMT on 1 November is not.
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-10-31T22:30:00Z"),
                                                       CSVRows.row("I-2", "2026-11-01T00:30:00Z", child: "C-2")]))
        #expect(try await h.run(["ingest", file]).status == 0)
        let before = try await h.run(["alerts", "--json"]).stdout
        let out = try await h.run(["report", "--from", "2026-10-01", "--to", "2026-10-31", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix(#"{"from": "2026-10-01", "to": "2026-10-31","# + "\n" + #" "incidents": {"count": 1, "with_children": 1, "child_links": 1,"#))
        let doc = try h.json(out)
        #expect(Set(doc.keys) == ["from", "to", "incidents", "alerts", "decisions", "missing", "extra"])
        #expect(Set(try #require(doc["alerts"] as? [String: Int]).keys)
                == ["due", "delivered_on_time", "delivered_late", "not_delivered", "unmatched", "acknowledged", "acknowledged_on_time",
                   "too_old"])
        #expect(Set(try #require(doc["missing"] as? [String: Int]).keys) == ["episodes", "return_interview_overdue"])
        let spec = try h.json(try await h.run(["report", "--from", "2026-10-01", "--to", "2026-10-31", "--json", "--spec-only"]))
        #expect(Set(spec.keys) == ["from", "to", "incidents", "alerts", "decisions", "missing"])
        #expect(spec["incidents"] as? [String: Int] == doc["incidents"] as? [String: Int])
        let table = try await h.run(["report", "--from", "2026-10-01", "--to", "2026-10-31"])
        #expect(table.stdout.contains("Inspection report, 2026-10-01 to 2026-10-31"))
        #expect(table.stdout.contains("with a child linked"))
        #expect(!table.stdout.contains("This period has not ended"), "October 2026 has ended")
        // A period still running (to the last day the command takes): its table says the figures
        // are not final; its JSON stays the SPEC's.
        let running = try await h.run(["report", "--from", "2026-10-01", "--to", "9998-12-31"])
        #expect(running.stdout.hasSuffix("This period has not ended: until the end of 9998-12-31, alerts whose deadline is still ahead count as "
                                         + "not delivered and return interviews are judged as of the period's end, so those figures are not final.\n"))
        #expect(!(try await h.run(["report", "--from", "2026-10-01", "--to", "9998-12-31", "--json"])).stdout.contains("not ended"))
        #expect(try await h.run(["alerts", "--json"]).stdout == before, "reading writes nothing")
    }

    @Test(arguments: [(["--from", "2026-10-02", "--to", "2026-10-01"], "encompass: --from 2026-10-02 is after --to 2026-10-01"),
                      (["--from", "October", "--to", "2026-10-31"], "encompass: --from must be a date as YYYY-MM-DD in the years 1900 to 9998, such as 2026-10-01"),
                      (["--from", "2026-10-01"], "")])
    func aBadPeriodIsExit64InOneLine(arguments: [String], line: String) async throws {
        let h = try CLIHarness(.sqlite)
        defer { h.cleanUp() }
        #expect(try await h.run(["ingest", try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-10-01T21:40:00Z")]))]).status == 0)
        let out = try await h.run(["report"] + arguments)
        #expect(out.status == 64)
        if !line.isEmpty { #expect(out.stderr == line + "\n") }
    }
}
