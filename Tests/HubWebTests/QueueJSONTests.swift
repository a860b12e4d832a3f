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
