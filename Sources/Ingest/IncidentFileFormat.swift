/// The two input formats of SPEC §2, chosen by file extension.
public enum IncidentFileFormat: Sendable, Hashable {
    case csv
    case jsonLines

    /// `.csv` is CSV; `.jsonl` and `.ndjson` are JSON Lines (any case); anything else is nil.
    public init?(fileName: String) {
        guard let dot = fileName.lastIndex(of: ".") else { return nil }
        switch fileName[fileName.index(after: dot)...].lowercased() {
        case "csv": self = .csv
        case "jsonl", "ndjson": self = .jsonLines
        default: return nil
        }
    }
}
