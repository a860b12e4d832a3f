import Foundation
import Testing

/// An optional column of the GIAS extract misnamed (audit 26 follow-up: only required columns had
/// the header's rule there): `EstablishmentStatus(name)` loaded the closed schools as open, and
/// `Telephone Num` every school with no number for the hub to ring, without a word. Refused by the
/// header's rule (`MisnamedColumns`), 65, naming both, before the store is opened; in
/// `schools import` and in Config/schools.csv alike.
@Suite("a GIAS column misnamed")
struct MisnamedSchoolColumnCLITests {
    @Test(arguments: [
        ("EstablishmentStatus (name)", "EstablishmentStatus(name)"),
        ("EstablishmentStatus (name)", "establishmentstatus (name)"),
        ("LA (code)", "LA(code)"),
    ])
    func aMisnamedColumnOfTheExtractIsRefused(column: String, typed: String) async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let text = ([SchoolsCLITests.header.replacingOccurrences(of: column, with: typed)] + SchoolsCLITests.rows).joined(separator: "\r\n") + "\r\n"
        let file = try h.write("edubasealldata.csv", text)
        let out = try await h.run(["schools", "import", file])
        #expect(out.status == 65)
        let said = column == "LA (code)" ? "missing column" : "is missing from the header"
        #expect(out.stderr == "\(file):1: \(column): \(said) (the header has \"\(typed)\": a typo?)\n", "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: h.databasePath), "the file is checked before the store is opened")
    }

    @Test func aMisnamedTelephoneInConfigSchoolsStopsTheCommand() async throws {
        let h = try CLIHarness()
        defer { h.cleanUp() }
        let file = h.configDir.appendingPathComponent("schools.csv")
        let bytes = try Data(contentsOf: file)
        let header = try #require(bytes.firstIndex(of: 0x0A))
        let renamed = String(decoding: bytes[..<header], as: UTF8.self).replacingOccurrences(of: "TelephoneNum", with: "Telephone Num")
        try (Data(renamed.utf8) + bytes[header...]).write(to: file)
        let out = try await h.run(["deadline", "--reported-at", "2026-12-01T10:00:00Z", "--urn", "120501"])
        #expect(out.status == 65)
        #expect(out.stderr == "\(file.path):1: TelephoneNum: is missing from the header (the header has \"Telephone Num\": a typo?)\n",
                "\(out.stderr)")
    }
}
