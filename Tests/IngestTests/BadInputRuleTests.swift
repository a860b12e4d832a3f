import Foundation
import Ingest
import InputRules
import RiskModel
import Testing

/// Audit 20 (bad input): one rule for every reader, each refusal one `FILE:LINE: column:` line.
@Suite struct BadInputRuleTests {
    static let lookAlike = "contains an invisible or look-alike character (a space other than U+0020, zero-width, bidi or a filler)"

    static let episodeHeader = "episode_id,child_id,child_given_name,child_family_name,child_dob,school_urn,missing_at,returned_at,risk,return_interview_at"
    static let episodeRow = "E-1,C-E1,Maya,Okafor,2011-05-05,120501,2026-09-01T20:00:00Z,,,"

    static func episodes(_ text: String, name: String = "missing.csv", format: IncidentFileFormat = .csv) -> Result<[Episode], IngestFailure> {
        EpisodeReader.read([(name: name, data: Data(text.utf8), format: format)], now: Fixture.now)
    }

    static func episodeErrors(_ result: Result<[Episode], IngestFailure>) -> [String] {
        guard case .failure(let failure) = result else { return ["(no errors)"] }
        return failure.errors.map(\.description)
    }

    /// F1: an id with a no-break space (or an ideographic space, a line separator, a Hangul filler, a
    /// braille blank...) printed the same as the id without and was another child. Refused in every
    /// id column, at the edges as inside, in incident and episode files alike.
    @Test(arguments: ["\u{A0}", "\u{3000}", "\u{2028}", "\u{2029}", "\u{3164}", "\u{2800}", "\u{FFFF}", "\u{E000}", "\u{115F}", "\u{202F}"])
    func anIdWithALookAlikeCharacterIsRefusedByEveryReader(character: String) {
        for column in ["incident_id", "victim_id", "perpetrator_id", "child_id"] {
            for value in ["C-N1" + character, character + "C-N1", "C-" + character + "N1"] {
                #expect(Fixture.errors(Fixture.ingest(Fixture.csv([[column: value]]))) == ["in.csv:2: \(column): \(Self.lookAlike)"],
                        "\(column) U+\(String(character.unicodeScalars.first!.value, radix: 16))")
            }
        }
        let line = #"{"incident_id":"I-1","reported_at":"2026-07-01T22:15:00+01:00","officer_grade":"standard","victim_id":"V-1","#
            + #""children":[{"child_id":"C-N1"# + character + #"","child_given_name":"A","child_family_name":"B","child_dob":"2012-12-12"}]}"#
        #expect(Fixture.errors(Fixture.ingest(line, fileName: "in.jsonl", format: .jsonLines)) == ["in.jsonl:1: child_id: \(Self.lookAlike)"])
        // Episode files had trimmed these at the edges (Foundation's .whitespaces): the same id rule now.
        for row in [Self.episodeRow.replacingOccurrences(of: "C-E1", with: "C-E1" + character),
                    Self.episodeRow.replacingOccurrences(of: "E-1,", with: character + "E-1,")] {
            let errors = Self.episodeErrors(Self.episodes(Self.episodeHeader + "\n" + row + "\n"))
            #expect(errors.count == 1 && errors[0].hasPrefix("missing.csv:2: ") && errors[0].hasSuffix(": " + Self.lookAlike), "\(errors)")
        }
    }

    @Test func namesKeepANoBreakSpaceAndPlainSpacesAreTrimmedFromIdsInBothFiles() throws {
        let incident = try #require(Fixture.incidents(Fixture.ingest(Fixture.csv([["child_id": " C-1\t", "child_given_name": "Anne\u{A0}Marie"]]))).first)
        #expect(incident.children.first?.childId == "C-1")
        #expect(incident.children.first?.givenName == "Anne\u{A0}Marie")
        let episode = try #require(try Self.episodes(Self.episodeHeader + "\n" + Self.episodeRow.replacingOccurrences(of: "C-E1", with: " C-E1 ") + "\n").get().first)
        #expect(episode.childId == "C-E1")
    }

    @Test func theLookAlikeRule() {
        for scalar: Unicode.Scalar in ["\u{A0}", "\u{3000}", "\u{2028}", "\u{3164}", "\u{2800}", "\u{FFFF}", "\u{E000}", "\u{200B}", "\u{FE0F}", "\u{1160}"] {
            #expect(FieldText.isLookAlike(scalar), "U+\(String(scalar.value, radix: 16))")
        }
        for scalar: Unicode.Scalar in [" ", "A", "é", "Ø", "ß", "\u{0627}", "\u{4E2D}", "-", "_"] {
            #expect(!FieldText.isLookAlike(scalar), "U+\(String(scalar.value, radix: 16))")
        }
        #expect(FieldText.problem("C\u{A0}1", as: .identifier) == .formatCharacter)
        #expect(FieldText.problem("C\u{A0}1", as: .name) == nil)
    }

    /// F2: the length limit counted grapheme clusters, and combining marks join the character before
    /// them without limit: a 1 MB id was one character. The bytes are bounded too (four a character).
    /// An id takes no mark at all (audit 26, F5: beyond ASCII, Latin letters only), so piled on
    /// an id they are refused as that, before their length.
    @Test func marksPiledOnOneCharacterAreTooLong() {
        let piled = "C" + String(repeating: "\u{301}", count: 1000)
        #expect(piled.count == 1)
        #expect(Fixture.errors(Fixture.ingest(Fixture.csv([["child_id": piled, "child_given_name": piled, "child_voice": "a" + String(repeating: "\u{301}", count: 9000)]]))) == [
            "in.csv:2: child_id: \(FieldText.Problem.lookAlikeLetter)",
            "in.csv:2: child_given_name: is longer than 100 characters",
            "in.csv:2: child_voice: is longer than 4000 characters",
        ])
        #expect(FieldText.problem(String(repeating: "\u{1F600}", count: 100), as: .name) == nil, "100 characters of four bytes each")
        #expect(FieldText.problem(String(repeating: "e\u{301}", count: 100), as: .name) == nil, "a mark on each of 100 characters")
        let episodes = Self.episodeErrors(Self.episodes(Self.episodeHeader + "\n" + Self.episodeRow.replacingOccurrences(of: "Maya", with: piled) + "\n"))
        #expect(episodes == ["missing.csv:2: child_given_name: is longer than 100 characters"])
    }

    /// F6: the years a person enters (1900 to 9998) for every date and date-time of a file.
    @Test func datesOutsideTheEnteredYearsAreRefusedByEveryReader() {
        #expect(Fixture.errors(Fixture.ingest(Fixture.csv([["reported_at": "1026-03-06T21:40:00Z", "child_dob": "1800-01-01"]]))) == [
            "in.csv:2: reported_at: is outside the years 1900 to 9998",
            "in.csv:2: child_dob: is outside the years 1900 to 9998",
        ])
        #expect(Fixture.errors(Fixture.ingest(Fixture.csv([["reported_at": "1900-01-01T00:30:00+01:00", "child_dob": "0001-01-01"]]))) == [
            "in.csv:2: reported_at: is outside the years 1900 to 9998",
            "in.csv:2: child_dob: is outside the years 1900 to 9998",
        ])
        let row = "E-1,C-E1,Maya,Okafor,1899-12-31,,0001-01-01T00:00:00Z,1899-12-31T23:00:00Z,,"
        #expect(Self.episodeErrors(Self.episodes(Self.episodeHeader + "\n" + row + "\n")) == [
            "missing.csv:2: child_dob: is outside the years 1900 to 9998",
            "missing.csv:2: missing_at: is outside the years 1900 to 9998",
            "missing.csv:2: returned_at: is outside the years 1900 to 9998",
        ])
        #expect(Fixture.incidents(Fixture.ingest(Fixture.csv([["reported_at": "1900-01-01T00:00:00Z", "child_dob": "1900-01-01"]]))).count == 1)
    }

    /// F11: an object inside `children` is a child: keys we do not read, or no child id, are refused
    /// rather than the child dropped (an incident with no child, no alert, nothing unmatched).
    @Test(arguments: [
        (#"[{"id":"C-J9","given_name":"Amy","family_name":"Test","dob":"2015-01-02","school":"120501"}]"#, [
            #"in.jsonl:1: children: child 1: "id" is not a child column"#,
            #"in.jsonl:1: children: child 1: "given_name" is not a child column"#,
            #"in.jsonl:1: children: child 1: "family_name" is not a child column"#,
            #"in.jsonl:1: children: child 1: "dob" is not a child column"#,
            #"in.jsonl:1: children: child 1: "school" is not a child column"#,
            "in.jsonl:1: child_id: is required in each child of children",
        ]),
        ("[{}]", ["in.jsonl:1: child_id: is required in each child of children"]),
        (#"[{"child_id":"C-1","child_given_name":"A","child_family_name":"B","child_dob":"2012-12-12"},{"ChildID":"C-2"}]"#, [
            #"in.jsonl:1: children: child 2: "ChildID" is not a child column (did you mean child_id?)"#,
            "in.jsonl:1: child_id: is required in each child of children",
        ]),
        (#"[{"child_id":"C-1","child_given_name":"A","child_family_name":"B","child_dob":"2012-12-12","victim_id":"V-2"}]"#, [
            #"in.jsonl:1: children: child 1: "victim_id" is not a child column"#,
        ]),
    ])
    func aChildUnderKeysWeDoNotReadIsRefused(children: String, errors: [String]) {
        let line = #"{"incident_id":"J-9","reported_at":"2026-07-01T22:15:00+01:00","officer_grade":"high","victim_id":"V-1","children":"# + children + "}"
        #expect(Fixture.errors(Fixture.ingest(line, fileName: "in.jsonl", format: .jsonLines)) == errors)
    }

    @Test func aCSVWhoseChildColumnsAreMisnamedIsRefused() {
        let text = "incident_id,reported_at,officer_grade,victim_id,ChildID,ChildForename,ChildSurname,ChildDOB,SchoolURN\n"
            + "K-9,2026-03-06T21:40:00Z,high,V-K9,C-K9,Amy,Test,2015-01-02,120501\n"
        #expect(Fixture.errors(Fixture.ingest(text)) == [
            #"in.csv:1: child_id: is missing from the header (the header has "ChildID": a typo?)"#,
            #"in.csv:1: child_dob: is missing from the header (the header has "ChildDOB": a typo?)"#,
            #"in.csv:1: school_urn: is missing from the header (the header has "SchoolURN": a typo?)"#,
        ])
        // A file of incidents with no child columns at all is still an incidents file.
        let plain = "incident_id,reported_at,officer_grade,victim_id,force_ref\nK-9,2026-03-06T21:40:00Z,high,V-K9,X\n"
        #expect(Fixture.incidents(Fixture.ingest(plain)).count == 1)
    }

    /// F3: an episodes file with a column named twice is refused, as an incidents file is; the last
    /// had decided whose episode it was.
    @Test func anEpisodeColumnNamedTwiceIsRefused() {
        let csv = Self.episodeHeader + ",Child_ID\n" + Self.episodeRow + ",C-OTHER\n"
        #expect(Self.episodeErrors(Self.episodes(csv)) == ["missing.csv:1: child_id: appears more than once in the header"])
        let json = #"{"episode_id":"E-J1","child_id":"C-E1","child_given_name":"Maya","child_family_name":"Okafor","child_dob":"2011-05-05","missing_at":"2026-09-01T20:00:00Z"," child_id":"C-OTHER"}"#
        #expect(Self.episodeErrors(Self.episodes(json + "\n", name: "missing.jsonl", format: .jsonLines))
            == ["missing.jsonl:1: child_id: appears more than once"])
        // An unknown column twice is not a column we read.
        #expect((try? Self.episodes(Self.episodeHeader + ",note,note\n" + Self.episodeRow + ",a,b\n").get().count) == 1)
    }

    /// F4: JSON Lines end lines as CSV does, at LF, CRLF or a lone CR, in both readers.
    @Test(arguments: ["\n", "\r\n", "\r"])
    func everyLineEndWorksInJSONLines(end: String) throws {
        let episode = #"{"episode_id":"E-J1","child_id":"C-E1","child_given_name":"Maya","child_family_name":"Okafor","child_dob":"2011-05-05","missing_at":"2026-09-01T20:00:00Z"}"#
        let two = episode + end + episode.replacingOccurrences(of: "E-J1", with: "E-J2") + end
        #expect(try Self.episodes(two, name: "missing.jsonl", format: .jsonLines).get().map(\.id) == ["E-J1", "E-J2"])
        let incident = "{" + JSONLinesTests.incidentKeys + "}"
        let lines = incident + end + incident.replacingOccurrences(of: "I-1", with: "I-2") + end + "[]" + end
        #expect(Fixture.errors(Fixture.ingest(lines, fileName: "in.jsonl", format: .jsonLines)) == [
            "in.jsonl:3: json: the line is an array, not a JSON object",
        ])
        let badEpisode = two + "{}" + end
        #expect(Self.episodeErrors(Self.episodes(badEpisode, name: "missing.jsonl", format: .jsonLines)).first?.hasPrefix("missing.jsonl:3: ") == true)
    }

    /// F7's rule, shared with the API: a key given twice, in any case or spacing.
    @Test func aRepeatedKeyIsFound() {
        #expect(JSONObjectKeys.firstRepeated(in: Array(#"{"marac":"declined","reason":"x","marac":"referred"}"#.utf8)) == "marac")
        #expect(JSONObjectKeys.firstRepeated(in: Array(#"{"on":"2026-11-22"," On":"2026-01-01"}"#.utf8)) == "on")
        #expect(JSONObjectKeys.firstRepeated(in: Array(#"{"marac":"referred","on":"2026-11-22"}"#.utf8)) == nil)
        #expect(JSONObjectKeys.firstRepeated(in: Array("[1,1]".utf8)) == nil)
    }

    /// F5: arguments that are not UTF-8 are named by their option, never quoted.
    @Test func anArgumentThatIsNotUTF8IsNamedByItsOption() {
        func args(_ list: [[UInt8]]) -> [[UInt8]] { [Array("encompass".utf8)] + list }
        let bad: [UInt8] = [0x63, 0x61, 0x66, 0xE9]
        #expect(ArgumentText.problem(args([Array("decide".utf8), Array("C-1".utf8), Array("--reason".utf8), bad])) == "--reason: is not UTF-8 text")
        #expect(ArgumentText.problem(args([Array("decide".utf8), Array("--by=".utf8) + bad])) == "--by: is not UTF-8 text")
        #expect(ArgumentText.problem(args([Array("decide".utf8), bad])) == "argument 2: is not UTF-8 text")
        #expect(ArgumentText.problem(args([Array("decide".utf8), Array("café".utf8)])) == nil)
    }
}
