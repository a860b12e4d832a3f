import Foundation
import Ingest
import Testing

/// Which kind of file ingest reads a file as (SPEC §10), by its first record's names.
@Suite struct IngestFileKindTests {
    @Test(arguments: [
        ("episode_id,child_id\n", IngestFileKind.episodes),
        ("incident_id,reported_at\n", .incidents),
        // The id misspelt is an episodes file's (`MisnamedColumns`), said as its column missing.
        ("episod_id,child_id\n", .episodes),
        (" Episode ID ,child_id\n", .episodes),
        // An incidents file's id misspelt, or neither id near, stays an incidents file.
        ("incidnt_id,child_id\n", .incidents),
        ("ref,child_id\n", .incidents),
        // An incidents file that has its id keeps it, whatever else it has.
        ("incident_id,episode_no\n", .incidents),
    ])
    func aFileIsReadAsItsFirstRecordSays(_ header: String, _ kind: IngestFileKind) {
        #expect(IngestFileKind(Data(header.utf8), format: .csv) == kind)
    }

    @Test func aJSONLinesFileIsReadByItsFirstObject() {
        #expect(IngestFileKind(Data(#"{"episod_id": "E-1"}"#.utf8), format: .jsonLines) == .episodes)
        #expect(IngestFileKind(Data(#"{"incident_id": "I-1", "episod_id": "E-1"}"#.utf8), format: .jsonLines) == .incidents)
    }
}
