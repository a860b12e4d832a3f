import Foundation
import Ingest
import RiskModel
import Testing

/// Inline fixtures: rows are built from one set of synthetic defaults, overridden per test.
enum Fixture {
    /// 2026-11-22T08:00:00Z, a Sunday morning in London (GMT).
    static let now = Date(timeIntervalSince1970: 1_795_334_400)

    static let columns = [
        "incident_id", "reported_at", "risk_tool", "officer_grade", "dash_yes_count", "supervisor_grade",
        "victim_id", "perpetrator_id", "child_id", "child_given_name", "child_family_name", "child_dob",
        "school_urn", "child_present", "child_spoken_to", "child_voice", "bwv_used",
    ]

    /// Synthetic personal data, distinctive so a test can search messages for it.
    static let givenName = "Zephyrine"
    static let familyName = "Quillfeather"
    static let dateOfBirth = "2015-04-02"
    static let voice = "Mummy hid in the cupboard"

    static let defaults: [String: String] = [
        "incident_id": "I-1", "reported_at": "2026-03-06T21:40:00Z", "risk_tool": "DASH",
        "officer_grade": "standard", "dash_yes_count": "5", "supervisor_grade": "",
        "victim_id": "V-1", "perpetrator_id": "P-1", "child_id": "C-1",
        "child_given_name": givenName, "child_family_name": familyName, "child_dob": dateOfBirth,
        "school_urn": "123456", "child_present": "Y", "child_spoken_to": "N",
        "child_voice": voice, "bwv_used": "Y",
    ]

    static let noChild: [String: String] = [
        "child_id": "", "child_given_name": "", "child_family_name": "", "child_dob": "",
        "school_urn": "", "child_present": "", "child_spoken_to": "", "child_voice": "", "bwv_used": "",
    ]

    static func header(_ columns: [String] = columns) -> String {
        columns.joined(separator: ",")
    }

    /// One CSV row: the defaults with `changes` applied, quoted where RFC 4180 needs it.
    static func row(_ changes: [String: String] = [:], columns: [String] = columns) -> String {
        let values = defaults.merging(changes) { $1 }
        return columns.map { quoted(values[$0] ?? "") }.joined(separator: ",")
    }

    static func quoted(_ value: String) -> String {
        // Unicode scalars, not Characters: "\r\n" is one Character.
        guard value.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
            return value
        }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func csv(_ rows: [[String: String]]) -> String {
        ([header()] + rows.map { row($0) }).joined(separator: "\n") + "\n"
    }

    static func ingest(
        _ text: String, fileName: String = "in.csv", format: IncidentFileFormat = .csv, now: Date = now
    ) -> Result<[Incident], IngestFailure> {
        var builder = IncidentBatchBuilder(now: now)
        builder.add(Array(text.utf8), fileName: fileName, format: format)
        return builder.finish()
    }

    /// The incidents, recording an issue (with every error) if there were errors.
    static func incidents(
        _ result: Result<[Incident], IngestFailure>, sourceLocation: SourceLocation = #_sourceLocation
    ) -> [Incident] {
        switch result {
        case .success(let incidents): return incidents
        case .failure(let failure):
            Issue.record("unexpected errors:\n\(failure)", sourceLocation: sourceLocation)
            return []
        }
    }

    /// The error lines, recording an issue if there were none.
    static func errors(
        _ result: Result<[Incident], IngestFailure>, sourceLocation: SourceLocation = #_sourceLocation
    ) -> [String] {
        switch result {
        case .success:
            Issue.record("expected errors, got incidents", sourceLocation: sourceLocation)
            return []
        case .failure(let failure):
            return failure.errors.map(\.description)
        }
    }

    static func instant(_ iso: String) -> Date {
        try! InstantText.parse(iso).get()
    }
}
