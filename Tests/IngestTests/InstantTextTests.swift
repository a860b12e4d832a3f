import Foundation
import Ingest
import Testing

/// The command line and API read date-times with the same rules as `reported_at`.
@Suite struct InstantTextTests {
    @Test func offsetAndZuluGiveTheSameInstant() {
        #expect(InstantText.parse("2026-07-01T22:15:00+01:00") == .success(Date(timeIntervalSince1970: 1_782_940_500)))
        #expect(InstantText.parse("2026-07-01T21:15:00Z") == .success(Date(timeIntervalSince1970: 1_782_940_500)))
    }

    @Test(arguments: ["2026-07-01T22:15:00", "2026-07-01T22:15"])
    func missingOffsetIsNamed(_ text: String) {
        #expect(InstantText.parse(text) == .failure(.missingOffset))
    }

    @Test(arguments: ["", "2026-07-01", "2026-07-01 22:15:00Z", "2026-13-01T22:15:00Z", "2026-07-01T22:15:00+01:00x"])
    func malformedIsInvalid(_ text: String) {
        #expect(InstantText.parse(text) == .failure(.invalid))
    }
}
