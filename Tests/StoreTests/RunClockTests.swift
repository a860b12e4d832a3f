import Foundation
import Outbox
import Testing

/// The clock a `notify` run keeps: the database's when it has one, moving; `--now`'s, still.
@Suite("RunClock")
struct RunClockTests {
    @Test func withoutNowTheRunKeepsTheDatabasesTimeAsItMoves() {
        let host = Date(timeIntervalSince1970: 1_000_900)
        let clock = RunClock(given: nil, databaseNow: Date(timeIntervalSince1970: 1_000_000)) { host }
        #expect(clock.skew == 900)
        #expect(clock.start == Date(timeIntervalSince1970: 1_000_000))
        #expect(clock.now() == Date(timeIntervalSince1970: 1_000_000))
        #expect(clock.warning?.contains("900 s ahead of the database's") == true)
        let later = RunClock(given: nil, databaseNow: nil) { Date(timeIntervalSince1970: 5) }
        #expect(later.skew == 0 && later.warning == nil && later.now() == Date(timeIntervalSince1970: 5), "a file's clock is this host's")
        let close = RunClock(given: nil, databaseNow: Date(timeIntervalSince1970: 1_000_870)) { host }
        #expect(close.warning == nil, "half a minute is not told")
        let behind = RunClock(given: nil, databaseNow: Date(timeIntervalSince1970: 1_001_000)) { host }
        #expect(behind.warning?.contains("100 s behind") == true)
    }

    @Test func withNowTheClockStandsStill() {
        let given = Date(timeIntervalSince1970: 42)
        let clock = RunClock(given: given, databaseNow: Date(timeIntervalSince1970: 1_000_000)) { Date(timeIntervalSince1970: 2_000_000) }
        #expect(clock.start == given && clock.now() == given && clock.skew == 0 && clock.warning == nil)
    }
}
