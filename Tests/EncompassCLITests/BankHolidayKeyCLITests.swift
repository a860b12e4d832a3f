import Foundation
import Testing

/// A key given twice in `bank-holidays.json` (audit 26, fuzz: a second "england-and-wales" division
/// was taken without a word, one of the two silently, and doctor passed it): refused where it is,
/// `FILE:LINE:COLUMN`, 65 (bad input data), by every command that reads the settings and by doctor.
@Suite("a key given twice in bank-holidays.json")
struct BankHolidayKeyCLITests {
    static let twice = """
        {
          "england-and-wales": {"division": "england-and-wales", "events": [{"title": "Christmas Day", "date": "2026-12-25", "notes": "", "bunting": true}]},
          "scotland": {"division": "scotland", "events": []},
          "england-and-wales": {"division": "england-and-wales", "events": []}
        }
        """

    @Test func aDivisionGivenTwiceIsRefusedWhereItIsAndDoctorSaysSo() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = h.configDir.appendingPathComponent("bank-holidays.json")
        try Data(Self.twice.utf8).write(to: file)
        let words = "\(file.path):4:3: \"england-and-wales\" is given twice in one object (first on line 2): keep one"
        let deadline = try await h.run(["deadline", "--reported-at", "2026-12-24T20:00:00Z"])
        #expect(deadline.status == 65, "\(deadline.stderr)")
        #expect(deadline.stderr == "\(words)\n", "\(deadline.stderr)")
        #expect(deadline.stdout.isEmpty)
        let doctor = try await h.run(["doctor", "--now", "2026-06-01T08:00:00Z"])
        #expect(doctor.status == 65, "\(doctor.stdout)\(doctor.stderr)")
        #expect(doctor.stderr.contains("problem: settings: \(words)\n"), "\(doctor.stderr)")
    }
}
