import SchoolCalendar
import Testing

@Suite struct TimeOfDayTests {
    @Test(arguments: [("09:00", 9, 0, "09:00"), ("8:45", 8, 45, "08:45"), ("00:00", 0, 0, "00:00"),
                      ("23:59", 23, 59, "23:59"), ("12:05", 12, 5, "12:05")])
    func parses(_ c: (String, Int, Int, String)) throws {
        let t = try TimeOfDay.parse(c.0)
        #expect(t.hour == c.1 && t.minute == c.2)
        #expect(t.description == c.3)
    }

    @Test(arguments: ["24:00", "09:60", "0900", "", "9", "09:0", "09:000", " 09:00", "09:00 ", "９:00", "-1:00",
                      "+9:00", "9am", "09:00:00", "09.00", ":00", "123:00"])
    func rejects(_ text: String) {
        let error = #expect(throws: TimeOfDayError.self) { try TimeOfDay.parse(text) }
        #expect(error?.description.contains("HH:MM") == true)
    }

    @Test func outOfRangeValuesAreNil() {
        #expect(TimeOfDay(hour: 24, minute: 0) == nil)
        #expect(TimeOfDay(hour: 9, minute: -1) == nil)
        #expect(TimeOfDay(hour: 23, minute: 59) != nil)
    }
}
