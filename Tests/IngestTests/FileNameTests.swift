import Ingest
import InputRules
import Testing

/// Audit 26, F4: every error line names its file through the terminal-safe rule (`FilePosition`).
@Suite struct FileNameTests {
    /// F4: a file's name is written as the tables write a value, its control characters as visible
    /// escapes, so an error is one line and no escape sequence reaches the terminal.
    @Test func aFileNameIsWrittenSafeInEveryErrorLine() {
        let text = Fixture.csv([["officer_grade": "bogus"]])
        #expect(Fixture.errors(Fixture.ingest(text, fileName: "feed\nencompass: all fine.csv")) == [
            #"feed\u{A}encompass: all fine.csv:2: officer_grade: unknown grade (expected standard, medium or high)"#,
        ])
        #expect(InputError(file: "a\u{1B}[2J.csv", line: 3, column: "-", message: "m").description == #"a\u{1B}[2J.csv:3: -: m"#)
        let twice = Fixture.csv([[:], ["victim_id": "V-9"]])
        #expect(Fixture.errors(Fixture.ingest(twice, fileName: "x\r.csv")) == [
            #"x\u{D}.csv:3: victim_id: disagrees with line 2 of x\u{D}.csv for incident I-1"#,
        ])
    }
}
