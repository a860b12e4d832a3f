import CivilTime
import Foundation
import SchoolCalendar
import Testing

@Suite struct BankHolidaysTests {
    static let englandAndWales = [
        "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26",
        "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28",
        "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28",
    ]

    @Test func realFileHasExactlyTheEnglandAndWalesDates() throws {
        let holidays = try RealConfig.bankHolidays()
        #expect(holidays.dates == Set(try Self.englandAndWales.map(day)))
        #expect(holidays.latest == (try day("2027-12-28")))
    }

    @Test(arguments: ["2026-12-26", "2027-12-25", "2027-12-26", "2026-01-02", "2026-08-03", "2026-11-30",
                      "2026-03-17", "2026-07-13"])
    func realFileLeavesOutOtherDivisionsAndWeekendDates(_ text: String) throws {
        #expect(!(try RealConfig.bankHolidays()).contains(try day(text)))
    }

    @Test func realFileDatesAreWeekdays() throws {
        for d in try RealConfig.bankHolidays().dates {
            #expect(!d.isWeekend, "\(d)")
        }
    }

    /// Easter Sunday by the anonymous Gregorian algorithm, independent of the file.
    static func easter(_ y: Int) -> LocalDate {
        let a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4
        let f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31, dayOfMonth = (h + l - 7 * m + 114) % 31 + 1
        return LocalDate(year: y, month: month, day: dayOfMonth)!
    }

    @Test(arguments: [2025, 2026, 2027])
    func goodFridayAndEasterMondayFollowEaster(_ year: Int) throws {
        let holidays = try RealConfig.bankHolidays()
        let sunday = Self.easter(year)
        #expect(holidays.contains(sunday.adding(days: -2)))
        #expect(holidays.contains(sunday.adding(days: 1)))
        #expect(sunday.isoWeekday == 7)
    }

    @Test func realFileMarksSubstituteDays() throws {
        let root = try #require(try JSONSerialization.jsonObject(with: RealConfig.data("bank-holidays.json")) as? [String: Any])
        for division in ["england-and-wales", "scotland", "northern-ireland"] {
            #expect(root[division] != nil, "\(division)")
        }
        let ew = try #require(root["england-and-wales"] as? [String: Any])
        let events = try #require(ew["events"] as? [[String: Any]])
        let substitutes = events.filter { ($0["notes"] as? String) == "Substitute day" }.compactMap { $0["date"] as? String }
        #expect(substitutes.sorted() == ["2026-12-28", "2027-12-27", "2027-12-28"])
        for e in events {
            #expect(e["title"] is String && e["bunting"] is Bool)
        }
    }

    static let rejected: [(String, String)] = [
        (#"{"scotland": {"division": "scotland", "events": []}}"#, #"no "england-and-wales" division"#),
        (#"{"england-and-wales": {"division": "england-and-wales", "events": [{"date": "2026-01-01"}, {"date": "2026-04-03"}, {"date": "2026-04-06"}, {"date": "2026-02-30"}]}}"#,
         "events[3].date is not a YYYY-MM-DD date"),
        // Never the value: it may be a line of its own, or an escape sequence.
        (#"{"england-and-wales": {"division": "england-and-wales", "events": [{"date": "2026-01-01\nencompass: ok"}]}}"#,
         "bank holidays: england-and-wales.events[0].date is not a YYYY-MM-DD date"),
        (#"{"england-and-wales": {"division": "england-and-wales", "events": [{"date": 20260101}]}}"#, "events[0].date is missing"),
        (#"{"england-and-wales": {"division": "england-and-wales", "events": [{"title": "x"}]}}"#, "events[0].date is missing"),
        (#"{"england-and-wales": {"division": "england-and-wales", "events": ["2026-01-01"]}}"#, "events[0] must be an object"),
        (#"{"england-and-wales": {"division": "england-and-wales"}}"#, "events must be an array"),
        (#"{"england-and-wales": {"division": "scotland", "events": []}}"#, "division must be"),
        (#"{"england-and-wales": []}"#, "must be an object"),
        (#"[{"date": "2026-01-01"}]"#, "top level"),
        (#"{"england-and-wales": "#, "not valid JSON"),
        // As JSONSerialization, which read the file before, refused it: a text that is no object or array.
        (#""england-and-wales""#, "not valid JSON"),
        // RFC 8259 has no trailing comma (JSONSerialization let one through).
        (#"{"england-and-wales": {"division": "england-and-wales", "events": [],}}"#, "not valid JSON"),
        ("", "not valid JSON"),
    ]

    @Test(arguments: rejected)
    func rejects(_ c: (String, String)) {
        let error = #expect(throws: BankHolidaysError.self) {
            try BankHolidays.parseGovUK(Data(c.0.utf8))
        }
        #expect(error?.description.hasPrefix("bank holidays: ") == true)
        #expect(error?.description.contains(c.1) == true, "\(String(describing: error))")
    }

    /// A key given twice, at any depth, is refused at the second (JSONSerialization kept one of
    /// them, saying nothing): its line and column, and the first's line.
    @Test(arguments: [
        ("{\"england-and-wales\": {\"division\": \"england-and-wales\", \"events\": []},\n \"england-and-wales\": {\"events\": []}}",
         "england-and-wales", 2, 2, 1),
        ("{\"england-and-wales\": {\"division\": \"england-and-wales\", \"events\": [\n  {\"date\": \"2026-12-25\", \"dat\\u0065\": \"2026-12-26\"}]}}",
         "date", 2, 26, 2),
        ("{\"england-and-wales\": {\"events\": [], \"division\": \"england-and-wales\", \"events\": []}}", "events", 1, 71, 1),
        // Columns in characters: "’" is one.
        ("{\"england-and-wales\": {\"division\": \"england-and-wales\", \"events\": [{\"title\": \"New Year’s Day\", \"date\": \"2026-01-01\", \"title\": \"x\"}]}}",
         "title", 1, 118, 1),
    ])
    func aKeyGivenTwiceIsRefusedWhereItIs(_ c: (String, String, Int, Int, Int)) {
        let error = #expect(throws: BankHolidaysError.self) { try BankHolidays.parseGovUK(Data(c.0.utf8)) }
        #expect(error?.reason == "\"\(c.1)\" is given twice in one object (first on line \(c.4)): keep one", "\(String(describing: error))")
        #expect(error?.line == c.2)
        #expect(error?.column == c.3)
    }

    /// The rule holds for every file JSONSerialization reads: with a byte order mark, in UTF-16 (as
    /// PowerShell 5 saves a download) or UTF-32, and nested deeper than a JSON Lines line may be.
    @Test(arguments: [
        (Data([0xEF, 0xBB, 0xBF]) + Data(twiceOnLineTwo.utf8), 2, 2),
        (Data([0xFF, 0xFE]) + twiceOnLineTwo.data(using: .utf16LittleEndian)!, 2, 2),
        (twiceOnLineTwo.data(using: .utf16BigEndian)!, 2, 2),
        (twiceOnLineTwo.data(using: .utf32LittleEndian)!, 2, 2),
        (Data((String(repeating: "[", count: 99) + #"{"a": 1,"# + "\n" + #" "a": 2}"# + String(repeating: "]", count: 99)).utf8), 2, 2),
    ])
    func aKeyGivenTwiceIsRefusedInEveryFileJSONSerializationReads(_ c: (Data, Int, Int)) {
        let error = #expect(throws: BankHolidaysError.self) { try BankHolidays.parseGovUK(c.0) }
        #expect(error?.line == c.1, "\(String(describing: error))")
        #expect(error?.column == c.2, "\(String(describing: error))")
        #expect(error?.reason.hasSuffix("is given twice in one object (first on line 1): keep one") == true, "\(String(describing: error))")
    }

    static let twiceOnLineTwo = "{\"england-and-wales\": {\"division\": \"england-and-wales\", \"events\": []},\n \"england-and-wales\": {\"events\": []}}"

    /// The same key in two objects is no repeat: each division and each event has its own.
    @Test func theSameKeyInTwoObjectsIsTaken() throws {
        let json = #"""
        {"england-and-wales": {"division": "england-and-wales", "events": [{"title": "A", "date": "2026-12-25"},
            {"title": "B", "date": "2026-12-28"}]}, "scotland": {"division": "scotland", "events": [{"title": "C", "date": "2026-01-02"}]}}
        """#
        #expect(try BankHolidays.parseGovUK(Data(json.utf8)).dates.count == 2)
    }

    @Test func onlyEnglandAndWalesIsRead() throws {
        let json = #"""
        {"england-and-wales": {"division": "england-and-wales", "events": [
            {"title": "Christmas Day", "date": "2026-12-25", "notes": "", "bunting": true}]},
         "scotland": {"division": "scotland", "events": [
            {"title": "2nd January", "date": "2026-01-02", "notes": "", "bunting": true}]}}
        """#
        let holidays = try BankHolidays.parseGovUK(Data(json.utf8))
        #expect(holidays.dates == [try day("2026-12-25")])
    }
}
