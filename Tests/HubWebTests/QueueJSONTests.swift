import Foundation
import HubWeb
@testable import Review
import RiskModel
import SQLiteStore
import StoreContract
import Testing

/// The queue's JSON writes each newest incident time digit by digit; it must read as `JSONText.utc`
/// does for every kind of instant: whole seconds, fractions, offsets, old dates.
@Suite struct QueueJSONTests {
    @Test func newestIncidentTimesReadAsTheReferenceWritesThem() async throws {
        let times = [
            "2026-07-01T22:15:00+01:00", "2026-03-29T00:59:59Z", "2026-10-25T01:30:00+01:00",
            "2026-11-21T23:59:59.250Z", "2026-01-01T00:00:00Z", "2026-02-28T09:05:07-05:00",
        ]
        let rows = times.enumerated().map { i, t in
            "Q-\(i),\(t),DASH,medium,11,,V-\(i),P-1,C-Q\(i),Amelia,Hartley,2016-04-02,120501,Y,N,,Y"
        }
        let fixture = try await WebFixture.make(csv: ([Sample.header] + rows).joined(separator: "\n") + "\n")
        defer { fixture.cleanUp() }
        let queue = try await ReviewQueue.build(store: fixture.store, settings: fixture.configuration.scoring,
                                                asOf: WebFixture.start, includeAll: false)
        #expect(queue.entries.count == times.count)
        let json = queue.json()
        for e in queue.entries {
            #expect(json.contains("\"newest_incident_at\": \"\(JSONText.utc(e.assessment.newestIncidentAt))\""), "\(e.assessment.childId)")
        }
        #expect(json.contains("\"newest_incident_at\": \"2026-07-01T21:15:00Z\""))
        #expect(json.contains("\"newest_incident_at\": \"2026-11-21T23:59:59.250Z\""))
    }

    /// Milliseconds, rounded as a whole: a fraction of .9995 or more carries into the next second
    /// (it printed .000 of the same second, almost a second early); less than half a millisecond
    /// is a whole second; before 1970 too (audit 21, spec F1).
    @Test func timesAreWrittenToTheNearestMillisecond() {
        let minute = ISO8601DateFormatter().date(from: "2026-05-01T12:00:00Z")!
        for (offset, text) in [(59.9996, "2026-05-01T12:01:00Z"), (59.9994, "2026-05-01T12:00:59.999Z"), (0.0004, "2026-05-01T12:00:00Z"),
                               (0.25, "2026-05-01T12:00:00.250Z"), (0.001, "2026-05-01T12:00:00.001Z"), (0.1, "2026-05-01T12:00:00.100Z")] {
            #expect(JSONText.utc(minute.addingTimeInterval(offset)) == text, "\(offset)")
        }
        let old = ISO8601DateFormatter().date(from: "1950-01-01T00:00:00Z")!
        #expect(JSONText.utc(old.addingTimeInterval(-0.25)) == "1949-12-31T23:59:59.750Z")
        #expect(JSONText.utc(old.addingTimeInterval(-0.0002)) == "1950-01-01T00:00:00Z")
    }

    /// The queue's buffer manages its own memory: grown far past its first capacity, it holds every
    /// byte, escapes as `JSONText.string` does, and reads back as the strings written.
    @Test func theBufferGrowsKeepsEveryByteAndEscapesAsTheReference() throws {
        let texts = ["plain", "quote \" and back \\ slash", "<script>", "tab\tline\nfeed\u{01}", "é Ω 😀",
                     String(repeating: "x", count: 5_000), ""]
        var out = JSONBytes(capacity: 1)
        var expected = ""
        for t in texts {
            out.string(t); out.raw(", ")
            expected += JSONText.string(t) + ", "
        }
        out.array(texts)
        expected += "[" + texts.map(JSONText.string).joined(separator: ", ") + "]"
        #expect(String(decoding: out.bytes, as: UTF8.self) == expected)
        var array = JSONBytes(capacity: 8)
        array.array(texts)
        #expect(try JSONSerialization.jsonObject(with: Data(array.bytes)) as? [String] == texts)
        out.removeAll()
        out.raw("{}")
        #expect(out.bytes == Array("{}".utf8), "emptied, it starts again")
    }
}
