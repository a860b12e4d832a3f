import Foundation

/// Seeded synthetic incidents in the SPEC §2 CSV form, for benchmarks and demos.
public enum Synth {
    /// The SPEC §2 header, in the order of its column table.
    public static let header =
        "incident_id,reported_at,risk_tool,officer_grade,dash_yes_count,supervisor_grade,victim_id," +
        "perpetrator_id,child_id,child_given_name,child_family_name,child_dob,school_urn," +
        "child_present,child_spoken_to,child_voice,bwv_used"

    private static let chunkBytes = 1 << 18

    /// Streams the SPEC §2 CSV (header first) in chunks to `write`, so 1,000,000 rows never sit in memory at once.
    /// Rows end in CRLF (RFC 4180); exactly `options.rows` data rows follow the header.
    public static func generateCSV(_ options: SynthOptions, write: (String) throws -> Void) rethrows {
        var households = HouseholdWriter(options)
        var buffer = RowBuffer(capacity: chunkBytes + 16_384)
        buffer.append(Array(header.utf8))
        buffer.endRow()
        var rowsLeft = max(options.rows, 0)
        while rowsLeft > 0 {
            rowsLeft -= households.appendHousehold(rowsLeft: rowsLeft, to: &buffer)
            if buffer.count >= chunkBytes {
                try write(String(decoding: buffer.bytes, as: UTF8.self))
                buffer.removeAll()
            }
        }
        if buffer.count > 0 {
            try write(String(decoding: buffer.bytes, as: UTF8.self))
        }
    }
}
