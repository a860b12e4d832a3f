import Foundation
import Ingest
import InputRules
import RiskModel
import Testing

/// Issue 10, item 3: control characters and over-long values are refused at ingest, each with its
/// FILE:LINE: column, and the value is never quoted back.
@Suite struct FieldTextIngestTests {
    @Test(arguments: [
        ("incident_id", "I-\u{1B}[2J1"), ("victim_id", "V\u{0}1"), ("perpetrator_id", "P\u{7F}"),
        ("child_id", "C-\u{1B}]0;x\u{7}"), ("child_given_name", "Zeph\u{0}yrine"),
        ("child_family_name", "Quill\nfeather"), ("child_voice", "said \u{1B}[31m no"),
    ])
    func controlCharactersAreRefused(column: String, value: String) {
        let errors = Fixture.errors(Fixture.ingest(Fixture.csv([[column: value]])))
        #expect(errors == ["in.csv:2: \(column): contains a control character"])
        #expect(!errors.joined().unicodeScalars.contains { $0.value < 0x20 })
    }

    /// C1 controls (U+0080-U+009F: U+009B is a terminal's CSI) are refused in every column, as C0
    /// controls are.
    @Test(arguments: [("child_given_name", "Zeph\u{9B}31myrine"), ("child_voice", "said \u{85} no"), ("child_id", "C-\u{90}1")])
    func c1ControlsAreRefused(column: String, value: String) {
        let errors = Fixture.errors(Fixture.ingest(Fixture.csv([[column: value]])))
        #expect(errors == ["in.csv:2: \(column): contains a control character"])
    }

    /// An id with a zero-width space looks like another child's id and is a separate child; a bidi
    /// override shows an id reversed. Ids refuse Unicode format characters (Cf); names keep them.
    @Test(arguments: [
        ("child_id", "C-9001\u{200B}"), ("child_id", "C-\u{202E}1009"), ("victim_id", "V\u{2066}-1\u{2069}"),
        ("perpetrator_id", "\u{FEFF}P-1"), ("incident_id", "I-\u{200D}1"),
    ])
    func formatCharactersAreRefusedInIds(column: String, value: String) {
        let errors = Fixture.errors(Fixture.ingest(Fixture.csv([[column: value]])))
        #expect(errors == ["in.csv:2: \(column): contains an invisible or look-alike character (a space other than U+0020, zero-width, bidi or a filler)"])
    }

    @Test func aNameKeepsAZeroWidthNonJoiner() throws {
        let text = Fixture.csv([["child_given_name": "Mehr\u{200C}ab"]])
        #expect(Fixture.incidents(Fixture.ingest(text)).first?.children.first?.givenName == "Mehr\u{200C}ab")
    }

    @Test func tabsEverywhereAndLineBreaksInTheChildsWordsAreKept() throws {
        let text = Fixture.csv([["child_given_name": "Zeph\tyrine", "child_voice": "one\r\ntwo\nthree\rfour\tfive"]])
        let incident = try #require(Fixture.incidents(Fixture.ingest(text)).first)
        #expect(incident.children.first?.givenName == "Zeph\tyrine")
        #expect(incident.children.first?.voice == "one\r\ntwo\nthree\rfour\tfive")
    }

    /// Blank text is no text (audit 19, F5): a child's words of only white space, line breaks and
    /// wide spaces included, are "no voice recorded", in CSV and JSON Lines alike; so is a blank
    /// value in any other column (a blank school is none). A vertical tab is still refused.
    @Test(arguments: ["   ", "\t", "\n", "\r\n", " \r ", "\u{A0}", "\u{3000}\u{2028}", "\u{2003}\n"])
    func aBlankVoiceIsNoVoice(voice: String) throws {
        let csv = try #require(Fixture.incidents(Fixture.ingest(Fixture.csv([["child_voice": voice, "school_urn": voice]]))).first)
        #expect(csv.children.count == 1)
        #expect(csv.children.first?.voice == nil)
        #expect(csv.children.first?.schoolURN == nil)
        let escaped = String(data: try JSONEncoder().encode(voice), encoding: .utf8)!
        let line = #"{"incident_id":"I-1","reported_at":"2026-07-01T22:15:00+01:00","officer_grade":"standard","victim_id":"V-1","#
            + #""children":[{"child_id":"C-1","child_given_name":"Zephyrine","child_family_name":"Quillfeather","#
            + #""child_dob":"2015-04-02","child_voice":"# + escaped + "}]}"
        let json = try #require(Fixture.incidents(Fixture.ingest(line, fileName: "in.jsonl", format: .jsonLines)).first)
        #expect(json.children.first?.voice == nil)
        #expect(Fixture.errors(Fixture.ingest(Fixture.csv([["child_voice": "\u{0B}"]]))) == ["in.csv:2: child_voice: contains a control character"])
    }

    /// Text with no visible character is blank (audit 20, F6): invisible format characters (Cf)
    /// alone, or with white space, are no text, so a decline's reason of a word joiner and a byte
    /// order mark is no reason. A visible character among them, or a refused control, is not blank.
    static let invisible: [Unicode.Scalar] = [
        "\u{200B}", "\u{200C}", "\u{200D}", "\u{2060}", "\u{FEFF}", "\u{00AD}", "\u{061C}", "\u{180E}",
        "\u{200E}", "\u{200F}", "\u{202A}", "\u{202B}", "\u{202C}", "\u{202D}", "\u{202E}",
        "\u{2066}", "\u{2067}", "\u{2068}", "\u{2069}", "\u{2061}", "\u{2062}", "\u{2063}", "\u{2064}",
    ]

    @Test func textOfOnlyInvisibleCharactersIsBlank() {
        for scalar in Self.invisible {
            let alone = String(Character(scalar))
            #expect(FieldText.isBlank(alone), "U+\(String(scalar.value, radix: 16))")
            #expect(FieldText.isBlank(" " + alone + "\n\u{3000}"), "U+\(String(scalar.value, radix: 16)) among spaces")
            #expect(!FieldText.isBlank(alone + "x"), "U+\(String(scalar.value, radix: 16)) beside a letter")
            let bytes = Array((alone + "\t").utf8)
            #expect(bytes.withUnsafeBufferPointer { FieldText.isBlank(utf8: $0) })
        }
        #expect(FieldText.isBlank("\u{200B}\u{2060}\u{FEFF}"), "the audit's reason")
        #expect(FieldText.isBlank("\u{2060}\u{FEFF}"))
        #expect(!FieldText.isBlank("\u{200B}\u{0B}"), "a vertical tab is refused, not blank")
        #expect(!FieldText.isBlank("\u{200B}.") && !FieldText.isBlank("\u{1F600}"))
    }

    @Test func jsonEscapedControlsAreRefusedToo() {
        let line = #"{"incident_id":"I-1","reported_at":"2026-07-01T22:15:00+01:00","officer_grade":"standard","victim_id":"V\u0000-1"}"#
        #expect(Fixture.errors(Fixture.ingest(line, fileName: "in.jsonl", format: .jsonLines)) == [
            "in.jsonl:1: victim_id: contains a control character",
        ])
    }

    @Test func everyTextColumnHasALengthLimit() {
        let long = [
            "incident_id": String(repeating: "I", count: 65), "victim_id": String(repeating: "V", count: 65),
            "child_id": String(repeating: "C", count: 65), "child_given_name": String(repeating: "Z", count: 101),
            "child_family_name": String(repeating: "Q", count: 101), "child_voice": String(repeating: "w", count: 4001),
        ]
        #expect(Fixture.errors(Fixture.ingest(Fixture.csv([long]))) == [
            "in.csv:2: incident_id: is longer than 64 characters",
            "in.csv:2: victim_id: is longer than 64 characters",
            "in.csv:2: child_id: is longer than 64 characters",
            "in.csv:2: child_given_name: is longer than 100 characters",
            "in.csv:2: child_family_name: is longer than 100 characters",
            "in.csv:2: child_voice: is longer than 4000 characters",
        ])
        // At the limit, and counted in characters, not bytes.
        let atLimit = ["incident_id": String(repeating: "é", count: 64), "child_given_name": String(repeating: "Ø", count: 100)]
        #expect(Fixture.incidents(Fixture.ingest(Fixture.csv([atLimit]))).count == 1)
    }

    /// Issue 10, item 10: a disagreement with a row that has other errors is reported in the same
    /// run, not only once the other errors are fixed.
    @Test func disagreementsAreReportedBesideOtherErrors() {
        let text = Fixture.csv([
            ["child_dob": "2015-13-40"],
            ["child_id": "C-2", "reported_at": "2026-03-07T21:40:00Z", "school_urn": "12"],
            ["child_id": "C-3", "officer_grade": "severe", "victim_id": "V-9"],
        ])
        #expect(Fixture.errors(Fixture.ingest(text)) == [
            "in.csv:2: child_dob: is not a YYYY-MM-DD date",
            "in.csv:3: school_urn: is not a 6-digit URN",
            "in.csv:3: reported_at: disagrees with line 2 of in.csv for incident I-1",
            "in.csv:4: officer_grade: unknown grade (expected standard, medium or high)",
            "in.csv:4: victim_id: disagrees with line 2 of in.csv for incident I-1",
        ])
    }
}

@Suite struct FieldTextRuleTests {
    @Test func theRule() {
        #expect(FieldText.problem("J. Smith", as: .identifier) == nil)
        #expect(FieldText.problem("a\u{1F}b", as: .name) == .controlCharacter)
        #expect(FieldText.problem("a\nb", as: .name) == .controlCharacter)
        #expect(FieldText.problem("a\nb", as: .words) == nil)
        #expect(FieldText.problem("a\u{0}b", as: .words) == .controlCharacter)
        #expect(FieldText.problem(String(repeating: "x", count: 65), as: .identifier) == .tooLong(maximum: 64))
        #expect(FieldText.problem("a\u{9B}b", as: .words) == .controlCharacter)
        #expect(FieldText.problem("a\u{200B}b", as: .identifier) == .formatCharacter)
        #expect(FieldText.problem("a\u{200B}b", as: .name) == nil)
        #expect(FieldText.problem("Hub\r\nBcc: x", as: .line) == .controlCharacter)
        #expect(FieldText.problem(String(repeating: "é", count: 500), as: .line) == nil)
        #expect(FieldText.problem(String(repeating: "é", count: 501), as: .line) == .tooLong(maximum: 500))
        // The byte scan and the one-character rule agree, for every scalar up to U+07FF and some past it.
        for value in Array(0..<0x800) + [0x200B, 0x200C, 0x202E, 0x2066, 0xFEFF, 0x2028, 0x1F600] {
            guard let scalar = Unicode.Scalar(value) else { continue }
            for kind in [FieldText.Kind.identifier, .name, .words, .line] {
                let one = FieldText.problem(scalar, lineBreaks: kind.allowsLineBreaks, formatCharacters: kind.allowsFormatCharacters)
                #expect(FieldText.problem("a" + String(Character(scalar)) + "b", as: kind) == one, "U+\(String(value, radix: 16)) \(kind)")
            }
        }
        #expect(FieldText.forTerminal("C-\u{1B}[2J\t1\u{9B}") == "C-\\u{1B}[2J\\u{9}1\\u{9B}")
        // Columns counted as a terminal shows them: characters, not bytes, once a cell is not ASCII.
        #expect(FieldText.terminalWidth("C-0000001") == 9 && FieldText.terminalWidth("") == 0)
        #expect(FieldText.terminalWidth("Gŵyr Cafe\u{301}") == 9, "its bytes are 12")
        #expect(FieldText.terminalWidth("\u{1F1EC}\u{1F1E7} UK") == 4, "a flag is one character of eight bytes")
        // Every scalar up to U+07FF, and some past it, alone and inside text: escaped exactly when
        // it is a C0 or C1 control or DEL (the bytes' first look must miss none).
        let others: [UInt32] = [0x2028, 0x200B, 0xFEFF, 0x1F600]
        for value in Array(0..<0x800) + others {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let control = value < 0x20 || (0x7F...0x9F).contains(value)
            let alone = String(Character(scalar))
            let expected = control ? "\\u{" + String(value, radix: 16, uppercase: true) + "}" : alone
            #expect(FieldText.forTerminal(alone) == expected)
            #expect(FieldText.forTerminal("é" + alone + "x") == "é" + expected + "x")
        }
        #expect(FieldText.forTerminal("Zoë") == "Zoë")
    }

    @Test func urnAndLACodeAreASCIIDigitsOnly() {
        #expect(URN("123456")?.text == "123456")
        #expect(URN("١٢٣٤٥٦") == nil)
        #expect(URN("１２３４５６") == nil)
        #expect(URN("12345") == nil)
        #expect(URN(" 123456") == nil)
        #expect(LACode("201")?.text == "201")
        #expect(LACode("٢٠١") == nil)
        #expect(LACode("2010") == nil)
    }
}

/// An error repeats an id it was given only when it has an id's shape (`TypedId`): a name typed
/// where an id belongs never reaches stderr or the journal (audit 22, people F5).
@Suite struct TypedIdTests {
    @Test(arguments: ["C-404", "120501", "ENC-I-11-C-11", "PPN/2026/0042"])
    func anIdIsRepeated(text: String) {
        #expect(TypedId.hasIdShape(text))
        #expect(TypedId.named(text) == "id " + text)
    }

    @Test(arguments: ["Zebedee Quillfeather", "Zebedee", "C- 404", "C-404\u{A0}", "C-4\u{1B}[2J", "", String(repeating: "1", count: 65)])
    func anythingElseIsThatId(text: String) {
        #expect(!TypedId.hasIdShape(text))
        #expect(TypedId.named(text, as: "reference") == "that reference")
    }
}
