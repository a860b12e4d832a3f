import Foundation
import Testing
import TestSupport

/// Audit 20 (bad input), end to end against the real binary on both databases: a refused file is
/// exit 65 and one line per problem naming FILE:LINE: column, and the store is as it was.
@Suite("bad input from the command line (audit 20)")
struct BadInputCLITests {
    static let lookAlike = "contains an invisible or look-alike character (a space other than U+0020, zero-width, bidi or a filler)"
    static let lookAlikeLetter = "contains a character that may print as another: beyond ASCII an id takes only Latin letters "
        + "(accented ones too), not Cyrillic or Greek letters, fullwidth or compatibility forms, or other dashes and symbols"

    /// Every row of the tables ingest and decide write, counted.
    static func state(_ h: CLIHarness) async throws -> String {
        let sql = ["incidents", "incident_children", "children", "alerts", "episodes", "decisions", "plan_actions", "audit"]
            .map { "(SELECT count(*) FROM \($0))" }.joined(separator: " || ',' || ")
        switch h.kind {
        case .sqlite:
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            p.arguments = [h.databasePath, "SELECT " + sql]
            let ran = try await p.runToEnd()
            return String(decoding: ran.stdout, as: UTF8.self)
        case .postgres:
            return try await h.psql("SELECT " + sql)
        }
    }

    /// A store holding one incident of C-N1, as a force's first file leaves it.
    static func seeded(_ database: TestDatabase) async throws -> (CLIHarness, String) {
        let h = try CLIHarness(database)
        let first = try h.write("first.csv", CSVRows.file([CSVRows.row("N-1", "2026-10-01T21:40:00Z", child: "C-N1")]))
        let out = try await h.run(["ingest", first])
        #expect(out.status == 0, "\(out.stderr)")
        return (h, try await state(h))
    }

    /// F1: a trailing no-break space (and the like) made a child's second incident another child that
    /// printed the same, and a re-sent incident a second incident and a second alert.
    @Test(arguments: TestDatabase.allCases)
    func anIdWithALookAlikeCharacterIsRefusedAndNothingIsWritten(_ database: TestDatabase) async throws {
        let (h, before) = try await Self.seeded(database)
        defer { h.cleanUp() }
        for (row, column) in [
            (CSVRows.row("N-2", "2026-11-01T21:40:00Z", child: "C-N1\u{A0}"), "child_id"),
            (CSVRows.row("N-1\u{3000}", "2026-10-01T21:40:00Z", child: "C-N1"), "incident_id"),
            (CSVRows.row("N-2", "2026-11-01T21:40:00Z", child: "C-N1\u{2028}"), "child_id"),
            (CSVRows.row("N-2", "2026-11-01T21:40:00Z", victim: "\u{3164}V-1", child: "C-N1"), "victim_id"),
        ] {
            let file = try h.write("second.csv", CSVRows.file([CSVRows.row("N-3", "2026-11-20T21:40:00Z", child: "C-N1"), row]))
            let out = try await h.run(["ingest", file])
            #expect(out.status == 65)
            #expect(out.stderr == "\(file):3: \(column): \(Self.lookAlike)\n")
            #expect(try await Self.state(h) == before)
        }
        let episodes = try h.write("missing.csv", EpisodeCLITests.file([
            "E-1,C-N1\u{A0},Maya,Okafor,2011-05-05,120501,2026-09-01T20:00:00Z,,,",
        ]))
        let out = try await h.run(["ingest", episodes])
        #expect(out.status == 65 && out.stderr == "\(episodes):2: child_id: \(Self.lookAlike)\n", "\(out.stderr)")
        #expect(try await Self.state(h) == before)
    }

    /// Audit 26, F5: a child's third incident with a Cyrillic `С` in the id made a second child that printed
    /// as the first, and the HIGH the three incidents made was missed.
    @Test(arguments: TestDatabase.allCases)
    func anIdWithALetterOfAnotherScriptIsRefused(_ database: TestDatabase) async throws {
        let (h, before) = try await Self.seeded(database)
        defer { h.cleanUp() }
        for id in ["\u{421}-N1", "\u{FF23}-N1"] {
            let file = try h.write("second.csv", CSVRows.file([CSVRows.row("N-2", "2026-11-01T21:40:00Z", child: id)]))
            try await MisnamedColumnCLITests.expectRefused(h, file, ":2: child_id: \(Self.lookAlikeLetter)")
            #expect(try await Self.state(h) == before)
        }
    }

    /// Audit 26, F4: a feed's name is the sender's: a line break in it split one error into two
    /// lines, the second reading as the program's own, and an escape sequence reached the terminal.
    @Test func aFileNameIsWrittenSafeInTheErrorLine() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let rows = CSVRows.file([CSVRows.row("F-1", "2026-11-01T21:40:00Z", grade: "bogus")])
        for (name, shown) in [("feed\nencompass: 0 rows, all fine.csv", #"feed\u{A}encompass: 0 rows, all fine.csv"#),
                              ("feed\u{1B}[2J.csv", #"feed\u{1B}[2J.csv"#)] {
            let file = try h.write(name, rows)
            let out = try await h.run(["ingest", file])
            #expect(out.status == 65)
            #expect(out.stderr == h.dir.path + "/" + shown + ":2: officer_grade: unknown grade (expected standard, medium or high)\n")
        }
    }

    /// F2: 1 MB of combining marks was one character: SQLite stored it and PostgreSQL failed it as
    /// "database unavailable" (69). Both refuse it as bad data now, before the database: an id takes
    /// no mark at all (audit 26, F5), so as that.
    @Test(arguments: TestDatabase.allCases)
    func anIdOfPiledMarksIsTooLongOnBothDatabases(_ database: TestDatabase) async throws {
        let (h, before) = try await Self.seeded(database)
        defer { h.cleanUp() }
        let piled = "C" + String(repeating: "\u{301}", count: 20_000)
        let file = try h.write("big.csv", CSVRows.file([CSVRows.row("N-2", "2026-11-01T21:40:00Z", child: piled)]))
        let out = try await h.run(["ingest", file])
        #expect(out.status == 65)
        #expect(out.stderr == "\(file):2: child_id: \(Self.lookAlikeLetter)\n")
        #expect(try await Self.state(h) == before)
    }

    /// F11: a child under keys the reader does not know, or an empty child, was dropped silently.
    @Test(arguments: TestDatabase.allCases)
    func aChildTheReaderCannotReadIsRefused(_ database: TestDatabase) async throws {
        let (h, before) = try await Self.seeded(database)
        defer { h.cleanUp() }
        let incident = #"{"incident_id":"J-9","reported_at":"2026-11-05T21:40:00Z","officer_grade":"high","victim_id":"V-J9","children":"#
        let wrongKeys = try h.write("keys.jsonl", incident + #"[{"id":"C-J9","given_name":"Amy","dob":"2015-01-02"}]}"# + "\n")
        let keys = try await h.run(["ingest", wrongKeys])
        #expect(keys.status == 65)
        #expect(keys.stderr.split(separator: "\n").map(String.init) == [
            #"\#(wrongKeys):1: children: child 1: "id" is not a child column"#,
            #"\#(wrongKeys):1: children: child 1: "given_name" is not a child column"#,
            #"\#(wrongKeys):1: children: child 1: "dob" is not a child column"#,
            "\(wrongKeys):1: child_id: is required in each child of children",
        ])
        let empty = try h.write("empty.jsonl", incident + "[{}]}\n")
        let none = try await h.run(["ingest", empty])
        #expect(none.status == 65 && none.stderr == "\(empty):1: child_id: is required in each child of children\n", "\(none.stderr)")
        let misnamed = try h.write("misnamed.csv", "incident_id,reported_at,officer_grade,victim_id,ChildID,ChildDOB\nK-9,2026-11-05T21:40:00Z,high,V-K9,C-K9,2015-01-02\n")
        let csv = try await h.run(["ingest", misnamed])
        #expect(csv.status == 65)
        #expect(csv.stderr.split(separator: "\n").map(String.init) == [
            #"\#(misnamed):1: child_id: is missing from the header (the header has "ChildID": a typo?)"#,
            #"\#(misnamed):1: child_dob: is missing from the header (the header has "ChildDOB": a typo?)"#,
        ])
        #expect(try await Self.state(h) == before)
    }

    /// F3, F6, F4: an episodes file with a column twice, dates in no year a person enters, and the
    /// line ends JSON Lines must take.
    @Test(arguments: TestDatabase.allCases)
    func episodeAndDateRulesAreTheIncidentsOwn(_ database: TestDatabase) async throws {
        let (h, before) = try await Self.seeded(database)
        defer { h.cleanUp() }
        let twice = try h.write("twice.csv", EpisodeCLITests.header + ",child_id\n"
            + "E-1,C-E1,Maya,Okafor,2011-05-05,120501,2026-09-01T20:00:00Z,,,,C-OTHER\n")
        let dupKey = try h.write("twice.jsonl", #"{"episode_id":"E-J1","child_id":"C-E1","child_given_name":"Maya","child_family_name":"Okafor","child_dob":"2011-05-05","missing_at":"2026-09-01T20:00:00Z","child_id":"C-OTHER"}"# + "\n")
        let old = try h.write("old.csv", CSVRows.file([CSVRows.row("N-2", "1026-11-01T21:40:00Z", child: "C-N1", dob: "1800-01-01")]))
        for (file, error) in [
            (twice, "\(twice):1: child_id: appears more than once in the header"),
            (dupKey, "\(dupKey):1: child_id: appears more than once"),
            (old, "\(old):2: reported_at: is outside the years 1900 to 9998\n\(old):2: child_dob: is outside the years 1900 to 9998"),
        ] {
            let out = try await h.run(["ingest", file])
            #expect(out.status == 65)
            #expect(out.stderr == error + "\n")
            #expect(try await Self.state(h) == before)
        }
        // CRLF and lone CR line ends, in episodes and incidents alike.
        let episode = #"{"episode_id":"E-J1","child_id":"C-E1","child_given_name":"Maya","child_family_name":"Okafor","child_dob":"2011-05-05","missing_at":"2026-09-01T20:00:00Z"}"#
        let crlf = try h.write("crlf.jsonl", episode + "\r\n" + episode.replacingOccurrences(of: "E-J1", with: "E-J2") + "\r\n")
        let ok = try await h.run(["ingest", crlf])
        #expect(ok.status == 0 && ok.stdout.hasSuffix("episodes: 2 added, 0 updated, 0 unchanged\n"), "\(ok.stdout)\(ok.stderr)")
        let incident = #"{"incident_id":"CR-1","reported_at":"2026-11-05T21:40:00Z","officer_grade":"standard","victim_id":"V-9"}"#
        let cr = try h.write("cr.jsonl", incident + "\r" + incident.replacingOccurrences(of: "CR-1", with: "CR-2") + "\r")
        let crOut = try await h.run(["ingest", cr])
        #expect(crOut.status == 0 && crOut.stdout.hasPrefix("incidents: 2 added"), "\(crOut.stdout)\(crOut.stderr)")
    }

    /// F10: a refused value is never quoted back, so no escape sequence reaches the terminal.
    @Test func aRefusedOptionIsNamedNotQuoted() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        _ = try await h.run(["ingest", try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-01T21:40:00Z")]))])
        let escape = "\u{1B}]0;pwned\u{7}\u{1B}[2J"
        for (args, line) in [
            (["escalations", "--as-of", escape], "--as-of: is not an ISO 8601 date-time such as 2026-03-06T21:40:00Z"),
            (["escalations", "--as-of", "2026-11-22T08:00:00" + escape], "--as-of: is not an ISO 8601 date-time such as 2026-03-06T21:40:00Z"),
            (["deadline", "--reported-at", "2026-11-22T08:00:00"], "--reported-at: needs Z or an offset such as +01:00"),
            (["alerts", "--now", "2026" + escape], "--now: is not an ISO 8601 date-time such as 2026-03-06T21:40:00Z"),
            (["tokens", "revoke", "t" + escape], "no API token has that name"),
            (["users", "disable", "t" + escape], "no account has that name"),
        ] {
            let out = try await h.run(args)
            #expect(out.status != 0)
            #expect(out.stderr == "encompass: \(line)\n", "\(args[0])")
            #expect(!out.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        }
    }

    /// F5: bytes that are not UTF-8 were stored as U+FFFD; refused as a bad command line (64),
    /// naming the option, before anything is opened.
    @Test func anArgumentThatIsNotUTF8IsRefused() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        // A shell passes the bytes as they are; Foundation's Process takes only Strings.
        for (script, option) in [
            (#"exec "$0" decide C-1 --marac declined --on 2026-11-21 --reason "$(printf 'caf\351')" --config "$1" --database "$2""#, "--reason"),
            (#"exec "$0" decide C-1 --marac referred --on 2026-11-21 --by="$(printf 'j\351')" --config "$1" --database "$2""#, "--by"),
            (#"exec "$0" plan add C-1 --action "$(printf 'x\351')" --agency CS --config "$1" --database "$2""#, "--action"),
        ] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", script, CLIHarness.binary.path, h.configDir.path, h.database]
            p.environment = EncompassBinary.environment([:])
            let ran = try await p.runToEnd()
            #expect(ran.end.status == 64)
            #expect(String(decoding: ran.stderr, as: UTF8.self) == "encompass: \(option): is not UTF-8 text\n")
            #expect(!FileManager.default.fileExists(atPath: h.databasePath))
        }
    }

    /// F8: a named pipe is read to its end, as the README says (`gpg -d export.gpg > fifo.csv`).
    @Test func aNamedPipeIsIngested() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let fifo = h.dir.appendingPathComponent("fifo.csv").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let text = CSVRows.file([CSVRows.row("P-1", "2026-11-01T21:40:00Z"), CSVRows.row("P-2", "2026-11-02T21:40:00Z")])
        // The writer blocks in open until the reader opens the pipe; a shell does it outside this process.
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", #"printf '%s' "$1" > "$0""#, fifo, text]
        try writer.run()
        let out = try await h.run(["ingest", fifo])
        writer.waitUntilExit()
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("incidents: 2 added"), "\(out.stdout)")
    }
}

/// Audit 20 (bad input), F9: one `decide` of both kinds is one transaction. Its second write failing
/// (here a trigger refusing strategy meetings; in service a busy database past its wait, a failover)
/// kept the MARAC decision while the command exited 69, and the rerun recorded it twice.
@Suite("decide of both kinds, all or nothing")
struct DecideBothKindsCLITests {
    @Test(arguments: TestDatabase.allCases)
    func aSecondWriteThatFailsKeepsNeither(_ database: TestDatabase) async throws {
        let h = try CLIHarness(database)
        defer { h.cleanUp() }
        let file = try h.write("in.csv", CSVRows.file([CSVRows.row("N-1", "2026-10-01T21:40:00Z", child: "C-N1")]))
        #expect(try await h.run(["ingest", file]).status == 0)
        switch database {
        case .sqlite:
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            p.arguments = [h.databasePath, "CREATE TRIGGER refuse BEFORE INSERT ON strategy_meetings BEGIN SELECT RAISE(ABORT, 'refused'); END;"]
            #expect(try await p.runToEnd().end.status == 0)
        case .postgres:
            _ = try await h.psql("""
                CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$;
                CREATE TRIGGER refuse BEFORE INSERT ON strategy_meetings FOR EACH ROW EXECUTE FUNCTION refuse();
                """)
        }
        let out = try await h.run(["decide", "C-N1", "--marac", "referred", "--strategy-meeting", "held", "--on", "2026-10-02"])
        #expect(out.status != 0)
        #expect(!out.stdout.contains("recorded"), "nothing said recorded: \(out.stdout)")
        let decisions = try await BadInputCLITests.state(h).split(separator: ",")[5]
        #expect(decisions == "0", "the MARAC decision went with the strategy meeting's")
    }
}
