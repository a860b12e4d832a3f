import Foundation
import SQLiteStore
import StoreContract
import Testing

/// `encompass schools import` with a small GIAS `edubasealldata` file written as GIAS writes it, in
/// Windows-1252, and `deadline --urn` finding an imported school's local authority.
@Suite("encompass schools import")
struct SchoolsCLITests {
    static let header = "URN,LA (code),LA (name),EstablishmentName,EstablishmentStatus (name),TypeOfEstablishment (name)"

    /// 199901 is in LA 925 (Lincolnshire, half term 26 Oct to 30 Oct 2026) and not in Config/schools.csv.
    static let rows = [
        "199901,925,Lincolnshire,St Thérèse’s Catholic Primary School,Open,Voluntary aided school",
        "199902,888,Lancashire,\"Smith, Jones & Co Academy\",\"Open, but proposed to close\",Academy converter",
        "199903,925,Lincolnshire,Old Grammar School,Closed,Community school",
        "199904,925,Lincolnshire,Lincoln Old Infants,Closed (merged),Community school",
    ]

    /// The file's bytes in Windows-1252, as GIAS publishes it.
    func gias(_ h: CLIHarness, _ name: String = "edubasealldata.csv", rows: [String] = SchoolsCLITests.rows) throws -> String {
        let text = ([Self.header] + rows).joined(separator: "\r\n") + "\r\n"
        let bytes = try #require(text.data(using: .windowsCP1252))
        #expect(!bytes.contains(0xE2), "written as Windows-1252, not UTF-8")
        let url = h.dir.appendingPathComponent(name)
        try bytes.write(to: url)
        return url.path
    }

    func stored(_ h: CLIHarness, _ urn: String) async throws -> School? {
        try await SQLiteStore(path: h.databasePath).school(urn: urn)
    }

    @Test func openEstablishmentsAreLoadedAndClosedOnesSkipped() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try gias(h)
        let out = try await h.run(["schools", "import", file])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout == "schools: 2 open establishments loaded (2 closed skipped) from \(file)\n")
        #expect(try await stored(h, "199901") == School(urn: "199901", name: "St Thérèse’s Catholic Primary School", laCode: "925"))
        #expect(try await stored(h, "199902")?.name == "Smith, Jones & Co Academy")
        #expect(try await stored(h, "199903") == nil)
        #expect(try await stored(h, "199904") == nil)
        // Config/'s own schools are there too.
        #expect(try await stored(h, "120501")?.laCode == "925")
    }

    /// An extract saved again as UTF-8 with no byte-order mark (a spreadsheet's "CSV UTF-8") gives the
    /// names as written, not "St ThÃ©rÃ¨se" (audit 20, input m9).
    @Test func anExtractSavedAsUTF8WithoutAMarkKeepsItsNames() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let url = h.dir.appendingPathComponent("edubasealldata-utf8.csv")
        try Data((([Self.header] + Self.rows).joined(separator: "\r\n") + "\r\n").utf8).write(to: url)
        #expect(try await h.run(["schools", "import", url.path]).status == 0)
        #expect(try await stored(h, "199901")?.name == "St Thérèse’s Catholic Primary School")
    }

    @Test func importedSchoolsSurviveLaterCommandsAndAReimportUpdatesThem() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        #expect(try await h.run(["schools", "import", try gias(h)]).status == 0)
        // Every command writes Config/'s directory into the store; imported schools must stay.
        #expect(try await h.run(["alerts"]).status == 0)
        #expect(try await stored(h, "199901")?.laCode == "925")

        let renamed = try gias(h, "edubasealldata-2.csv", rows: ["199901,888,Lancashire,St Thérèse’s RC Primary,Open,Academy converter"])
        let out = try await h.run(["schools", "import", renamed])
        #expect(out.stdout == "schools: 1 open establishments loaded (0 closed skipped) from \(renamed)\n")
        #expect(try await stored(h, "199901") == School(urn: "199901", name: "St Thérèse’s RC Primary", laCode: "888"))
        #expect(try await stored(h, "199902") != nil, "a school missing from a later file is kept")
    }

    @Test func deadlineFindsTheLocalAuthorityOfAnImportedSchoolAndNeverCreatesADatabase() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let args = ["deadline", "--reported-at", "2026-10-23T18:00:00Z", "--urn", "199901"]
        // Unknown to Config/ and no database yet: every weekday is a school day, and no file appears.
        let before = try await h.run(args)
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.stdout == "2026-10-26T09:00:00+00:00\n")
        #expect(!FileManager.default.fileExists(atPath: h.databasePath))

        #expect(try await h.run(["schools", "import", try gias(h)]).status == 0)
        // Now LA 925's calendar applies: half term, back on Monday 2 November.
        let after = try await h.run(args)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(after.stdout == "2026-11-02T09:00:00+00:00\n")
    }

    @Test func aMissingFileExits66AndWritesNothing() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let missing = h.dir.appendingPathComponent("nope.csv").path
        let out = try await h.run(["schools", "import", missing])
        #expect(out.status == 66)
        #expect(out.stderr == "\(missing): no such file\n")
        #expect(out.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: h.databasePath))
    }

    @Test(arguments: [
        ("19990X,925,Lincolnshire,Bad URN School,Open,Academy", "3: URN: expected 6 digits"),
        ("199905,92,Lincolnshire,Bad LA School,Open,Academy", "3: LA (code): expected 3 digits"),
        ("199905,925,Lincolnshire,Short Row", "3: -: 4 fields where the header has 6"),
        // The text rule ingest applies (FieldText): an escape sequence would reach the hub's screens
        // and e-mails, a 100,000-character paste every page that names the school.
        ("199905,925,Lincolnshire,Boston\u{1B}[31mPioneers,Open,Academy", "3: EstablishmentName: contains a control character"),
        ("199905,925,Lincolnshire,\(String(repeating: "x", count: 100_000)),Open,Academy",
         "3: EstablishmentName: is longer than 500 characters"),
        // A URN twice with another LA code: the last row would win, and choose the school's term calendar.
        ("199901,888,Lincolnshire,St Thérèse’s Catholic Primary School,Open,Voluntary aided school",
         "3: LA (code): URN 199901 is also on line 2 with another value: one row a school"),
        ("199901,925,Lincolnshire,St Teresa's,Open,Voluntary aided school",
         "3: EstablishmentName: URN 199901 is also on line 2 with another value: one row a school"),
    ])
    func aBadRowExits65WithItsLineAndColumnAndWritesNothing(row: String, message: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = try gias(h, rows: [Self.rows[0], row])
        let out = try await h.run(["schools", "import", file])
        #expect(out.status == 65)
        #expect(out.stderr == "\(file):\(message)\n")
        #expect(!FileManager.default.fileExists(atPath: h.databasePath), "the file is checked before the store is opened")
    }
}

extension SchoolsCLITests {
    /// The same row twice (two extracts joined) is one school, not an error.
    @Test func aRowRepeatedWordForWordIsOneSchool() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let out = try await h.run(["schools", "import", try gias(h, rows: [Self.rows[0], Self.rows[0]])])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("schools: 1 open establishments loaded"))
    }

    /// Config/schools.csv is read by the same rule: a second row for 120501 with another LA code
    /// stops every command that loads Config/, naming both lines.
    @Test func aConflictingRowInConfigSchoolsStopsTheCommand() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = h.configDir.appendingPathComponent("schools.csv")
        // As bytes: the file is Windows-1252.
        var lines = try Data(contentsOf: file).split(separator: 0x0A).map { Data($0) }
        let row = try #require(lines.firstIndex { $0.starts(with: Data("120501,925,".utf8)) })
        lines.append(Data("120501,888,".utf8) + lines[row].dropFirst(11))
        try Data(lines.joined(separator: [0x0A])).write(to: file)
        let out = try await h.run(["deadline", "--reported-at", "2026-12-01T10:00:00Z", "--urn", "120501"])
        #expect(out.status == 65)
        #expect(out.stderr == "\(file.path):\(lines.count): LA (code): URN 120501 is also on line \(row + 1) with another value: one row a school\n")
    }
}

/// A key adult's contact is checked when Config/ is loaded, as delivery would check it.
@Suite("key-adults.csv checked at load")
struct KeyAdultsLoadTests {
    @Test(arguments: [
        ("120502,Bea Lead,\"dsl@skegness.school.example,bcc@elsewhere.example\",smtp,", "email: expected an e-mail address"),
        ("120502,Bea Lead,dsl<x>@skegness.school.example,smtp,", "email: expected an e-mail address"),
        ("120502,Bea Lead,,https,https:///encompass/alerts", "endpoint: expected an https:// URL with a host"),
    ])
    func aContactDeliveryWouldRefuseStopsTheCommandAndNothingIsWritten(line: String, error: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = h.configDir.appendingPathComponent("key-adults.csv")
        try Data("urn,name,email,channel,endpoint\n120501,Ann Lead,dsl@boston.school.example,smtp,\n\(line)\n".utf8).write(to: file)
        let incidents = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z")]))

        let out = try await h.run(["ingest", incidents])
        #expect(out.status == 65)
        #expect(out.stderr == "\(file.path):3: \(error)\n")
        #expect(!out.stderr.contains("Bea") && !out.stderr.contains("skegness"), "no value is quoted")
        #expect(!FileManager.default.fileExists(atPath: h.databasePath), "nothing written")
    }
}

extension SchoolsCLITests {
    /// A key adult at a school only the GIAS extract has: every other writing command refuses
    /// key-adults.csv until the extract is imported (`checkNamedSchools`), so `schools import`
    /// must load the extract before it checks the file, or a force could never add such a school's
    /// key adult. Once imported, the school's children are alerted to that key adult.
    @Test(arguments: TestDatabase.allCases)
    func aKeyAdultAtASchoolOnlyTheExtractHasIsTakenByTheImport(kind: TestDatabase) async throws {
        let h = try CLIHarness(kind)
        defer { h.cleanUp() }
        let adults = h.configDir.appendingPathComponent("key-adults.csv")
        let line = "199901,Bernadette Okafor,dsl@sttherese.school.example,smtp,"
        try Data((try String(contentsOf: adults, encoding: .utf8) + line + "\n").utf8).write(to: adults)
        let feed = try h.write("in.csv", CSVRows.file([CSVRows.row("I-1", "2026-11-19T21:40:00Z", child: "C-9", urn: "199901")]))

        let before = try await h.run(["ingest", feed])
        #expect(before.status == 65, "\(before.stderr)")
        #expect(before.stderr.contains("urn: school 199901 is in neither schools.csv nor the imported GIAS list"), "\(before.stderr)")

        let file = try gias(h)
        let imported = try await h.run(["schools", "import", file])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout == "schools: 2 open establishments loaded (2 closed skipped) from \(file)\n")

        let after = try await h.run(["ingest", feed])
        #expect(after.status == 0, "\(after.stderr)")
        // Read before its deadline (20 November, 09:00): after it, it reads overdue.
        let alerts = try await h.run(["alerts", "--json", "--now", "2026-11-20T06:00:00Z"])
        #expect(alerts.status == 0, "\(alerts.stderr)")
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(alerts.stdout.utf8)) as? [String: Any])
        let rows = try #require(listed["alerts"] as? [[String: Any]]).filter { $0["child_id"] as? String == "C-9" }
        // Queued to the school's key adult, not waiting unmatched for one.
        #expect(rows.map { "\($0["school_urn"] ?? "") \($0["state"] ?? "")" } == ["199901 queued"], "\(alerts.stdout)")
    }
}
