import Foundation
@testable import Ingest
import RiskModel
import Testing

/// The reader tells its caller how far it has come, so the pages of a mapped file it has passed can
/// be given back: never past a record it has still to read, and the incidents are the same.
@Suite("How far the reader has come")
struct PassedOffsetTests {
    static var csv: String {
        Fixture.csv((0..<3_000).map { i in ["incident_id": String(format: "I-%05d", i), "child_id": "C-\(i % 400)"] })
    }

    static var jsonLines: String {
        (0..<3_000).map { i in
            #"{"incident_id":"J-\#(i)","reported_at":"2026-03-06T21:40:00Z","officer_grade":"standard","dash_yes_count":"3","victim_id":"V-1","#
                + #""children":[{"child_id":"C-\#(i % 400)","child_given_name":"Zoë","child_family_name":"Ní","child_dob":"2015-05-05"}]}"#
        }.joined(separator: "\n") + "\n"
    }

    func read(_ text: String, _ format: IncidentFileFormat, step: Int?) -> (Result<[Incident], IngestFailure>, [Int]) {
        var offsets: [Int] = []
        var builder = IncidentBatchBuilder(now: Fixture.now)
        if let step { builder.passStep = step }
        builder.add(Data(text.utf8), fileName: "in", format: format, passed: step == nil ? nil : { offsets.append($0) })
        return (builder.finish(), offsets)
    }

    @Test(arguments: [IncidentFileFormat.csv, .jsonLines])
    func everyOffsetIsTheStartOfARecordStillToRead(format: IncidentFileFormat) throws {
        let text = format == .csv ? Self.csv : Self.jsonLines
        let bytes = Array(text.utf8)
        let (told, offsets) = read(text, format, step: 4_096)
        let (plain, none) = read(text, format, step: nil)
        #expect(none.isEmpty)
        #expect(try told.get() == plain.get())
        #expect(try told.get().count == 3_000)
        #expect(offsets.count > 10, "told as it went")
        for (a, b) in zip(offsets, offsets.dropFirst()) { #expect(b - a >= 4_096) }
        for offset in offsets { #expect(bytes[offset - 1] == UInt8(ascii: "\n"), "\(offset) starts a line") }
    }
}
