import Foundation
import Ingest
import RiskModel
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

    /// Outside the years a person may enter (1900 to 9998, as UTC): year 10000 had been written as
    /// `0000-01-01T00:59:59Z` and had stopped the server.
    @Test(arguments: ["9999-12-31T23:59:59-01:00", "9999-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "1900-01-01T00:30:00+01:00",
                      "0001-01-01T00:00:00Z"])
    func outOfRangeIsNamed(_ text: String) {
        #expect(InstantText.parse(text) == .failure(.outOfRange))
    }

    @Test(arguments: ["1900-01-01T00:00:00Z", "9998-12-31T23:59:59Z", "9998-12-31T23:59:59+01:00"])
    func theEndsOfTheRangeAreRead(_ text: String) throws {
        #expect(try InstantText.parse(text).get() > Date.distantPast)
    }

    @Test func anEnteredDateIsInTheSameYears() {
        #expect(LocalDate(entered: "1900-01-01") != nil && LocalDate(entered: "9998-12-31") != nil)
        #expect(LocalDate(entered: "1899-12-31") == nil && LocalDate(entered: "9999-01-01") == nil)
        #expect(LocalDate(iso: "9999-01-01") != nil, "a stored date is read as it was stored")
    }
}
