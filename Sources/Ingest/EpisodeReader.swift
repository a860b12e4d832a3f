import DelimitedText
import Foundation
import InputRules
import RiskModel

/// What kind of records an ingest file holds (SPEC §10): a file whose CSV header, or whose first
/// JSON Lines object, has `episode_id` holds missing episodes; any other holds incidents. One with
/// neither id but a name a letter or two from `episode_id` (`episod_id`) is an episodes file with
/// its id misnamed, by the header's rule (`MisnamedColumns`): read as incidents, its errors spoke of
/// an `incident_id` the sender never meant, and not of the typo.
public enum IngestFileKind: Sendable, Equatable {
    case incidents
    case episodes

    public init(_ data: Data, format: IncidentFileFormat) {
        let keys = EpisodeReader.firstRecordKeys(data, format: format)
        if keys.contains(EpisodeReader.idColumn) {
            self = .episodes
        } else if keys.contains(Column.incidentId.name) {
            self = .incidents
        } else {
            var misnamed = MisnamedColumns(known: [Column.incidentId.name, EpisodeReader.idColumn])
            let hints = misnamed.hints(unknown: keys.sorted()) { _ in true }
            self = hints[1] != nil && hints[0] == nil ? .episodes : .incidents
        }
    }
}

/// Reads and checks missing-episode files, all or nothing: every episode, or every error as
/// `FILE:LINE: column: message`. Episode files are a few thousand rows a year, so this reads them
/// whole, with the config files' CSV reader, rather than streaming as incidents do.
public enum EpisodeReader {
    static let idColumn = "episode_id"
    static let columns = [
        "episode_id", "child_id", "child_given_name", "child_family_name", "child_dob", "school_urn", "missing_at",
        "returned_at", "risk", "return_interview_at",
    ]
    static let required: Set<String> = ["episode_id", "child_id", "child_given_name", "child_family_name", "child_dob", "missing_at"]

    /// Every episode of the files, sorted by id (one each), or every error in file then line order.
    public static func read(_ sources: [(name: String, data: Data, format: IncidentFileFormat)],
                            now: Date) -> Result<[Episode], IngestFailure> {
        var errors: [IngestError] = []
        var byId: [String: (episode: Episode, at: String)] = [:]
        let checker = EpisodeRowCheck(now: now)
        for source in sources {
            var log = FileErrorLog(file: source.name)
            for record in records(source, log: &log) {
                guard let episode = checker.check(record.values, line: record.line, log: &log) else { continue }
                let here = FilePosition.text(source.name, line: record.line)
                if let earlier = byId[episode.id] {
                    if earlier.episode != episode {
                        log.add(line: record.line, column: idColumn, "\(episode.id) is given again with other values (first at \(earlier.at))")
                    }
                } else {
                    byId[episode.id] = (episode, here)
                }
            }
            errors += log.finished()
        }
        guard errors.isEmpty else { return .failure(IngestFailure(errors: errors)) }
        return .success(byId.values.map(\.episode).sorted { $0.id < $1.id })
    }

    struct Record {
        let line: Int
        /// By column name (lower case); absent and empty alike are "".
        let values: [String: String]
    }

    /// One file's records, with what is wrong with the file as a whole in `log`.
    static func records(_ source: (name: String, data: Data, format: IncidentFileFormat), log: inout FileErrorLog) -> [Record] {
        guard let text = String(data: source.data, encoding: .utf8) else {
            log.add(line: 1, column: "-", "the file is not valid UTF-8")
            return []
        }
        var out: [Record] = []
        switch source.format {
        case .csv:
            let table: CSVTable
            do { table = try CSVTable(text: text, fileName: source.name) } catch {
                log.add(line: error.line, column: error.column, error.message)
                return []
            }
            let header = table.header.map(ColumnName.key)
            // As an incidents file's: a column named twice is refused, or the last would decide
            // silently (a second child_id, a carer's, choosing whose episode it is).
            if let repeated = ColumnName.firstRepeated(header.filter(columns.contains)) {
                log.add(line: 1, column: repeated, "appears more than once in the header")
                return []
            }
            if header.contains("incident_id") {
                log.add(line: 1, column: "incident_id", "a file holds incidents or episodes, not both")
                return []
            }
            let unknown = table.header.filter { !columns.contains(ColumnName.key($0)) }
            // The header's rule for every column it lacks, optional ones too (`MisnamedColumns`):
            // under `Returned At` a child back home was stored as still missing, unseen, and never
            // flagged for a return interview.
            var misnamed = MisnamedColumns(known: columns)
            let hints = misnamed.hints(unknown: unknown) { !header.contains(columns[$0]) }
            let errorsBefore = log.total
            for (index, name) in columns.enumerated() where !header.contains(name) {
                if required.contains(name) {
                    log.add(line: 1, column: name, "the header has no such column" + (hints[index]?.hint ?? ""))
                } else if let hint = hints[index]?.hint {
                    log.add(line: 1, column: name, "is missing from the header" + hint)
                }
            }
            // The header's fault, said once, not again on every row (as an incidents file's).
            guard log.total == errorsBefore else { return [] }
            for row in table.rows {
                var values: [String: String] = [:]
                for (name, value) in zip(header, row.fields) where columns.contains(name) { values[name] = value }
                out.append(Record(line: row.line, values: values))
            }
        case .jsonLines:
            // The lines as the incidents reader splits them (`LineEnds`): LF, CRLF or a lone CR.
            let lines: [(line: Int, bytes: [UInt8])] = source.data.withUnsafeBytes { raw in
                let b = raw.bindMemory(to: UInt8.self)
                var p = b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF ? 3 : 0
                var line = 0
                var found: [(line: Int, bytes: [UInt8])] = []
                while p < b.count {
                    line += 1
                    let (end, next, _) = LineEnds.line(in: b, from: p)
                    let text = b[p..<end]
                    p = next
                    if text.contains(where: { $0 != 0x20 && $0 != 0x09 }) { found.append((line, Array(text))) }
                }
                return found
            }
            var misnamed = MisnamedColumns(known: columns)
            for (line, bytes) in lines {
                let value: JSONValue
                do {
                    value = try bytes.withUnsafeBufferPointer { b throws(JSONSyntaxError) in try JSONParser.parse(b) }
                } catch {
                    log.add(line: line, column: "json", "not valid JSON: \(error.message)")
                    continue
                }
                guard case .object(let members) = value else {
                    log.add(line: line, column: "json", "the line is \(value.kindName), not a JSON object")
                    continue
                }
                if let repeated = ColumnName.firstRepeated(members.map { ColumnName.key($0.key) }.filter(columns.contains)) {
                    log.add(line: line, column: repeated, "appears more than once")
                    continue
                }
                var values: [String: String] = [:]
                var isIncident = false
                var unknown: [String] = []
                for m in members {
                    let key = m.key, member = m.value
                    let name = ColumnName.key(key)
                    if name == "incident_id" { isIncident = true }
                    guard columns.contains(name) else {
                        unknown.append(key)
                        continue
                    }
                    switch member {
                    case .string(let s), .number(let s): values[name] = s
                    case .null: values[name] = ""
                    default: log.add(line: line, column: name, "must be a string, not \(member.kindName)")
                    }
                }
                if isIncident, values[idColumn] == nil {
                    log.add(line: line, column: "incident_id", "an incident in an episodes file: a file holds incidents or episodes, not both")
                    continue
                }
                // The header's rule for the keys the object lacks, as for a CSV header: the line's
                // fault is its keys, said once, not again as a column missing.
                if !unknown.isEmpty {
                    let hints = misnamed.hints(unknown: unknown, in: "the line") { values[columns[$0]] == nil }
                    for (index, name) in columns.enumerated() {
                        if let hint = hints[index]?.hint { log.add(line: line, column: name, "is missing from the line" + hint) }
                    }
                    guard hints.isEmpty else { continue }
                }
                out.append(Record(line: line, values: values))
            }
        }
        // An empty export is a broken export: a pipeline must not record it as a success.
        if out.isEmpty, log.total == 0 {
            log.add(line: 1, column: "-", "no episodes: the file has no rows")
        }
        return out
    }

    /// The keys of the file's first record: the CSV header's names, or the first JSON object's keys
    /// (lower case). Empty when there is none.
    static func firstRecordKeys(_ data: Data, format: IncidentFileFormat) -> Set<String> {
        // The header or first line is near the start; a long first line is read whole all the same.
        let head = data.prefix(while: { $0 != 0x0A && $0 != 0x0D })
        guard let text = String(data: head, encoding: .utf8)?.trimmingCharacters(in: .whitespaces) else { return [] }
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        switch format {
        case .csv:
            guard let header = try? CSVTable.records(body, fileName: "").first else { return [] }
            return Set(header.fields.map(ColumnName.key))
        case .jsonLines:
            let bytes = Array(body.utf8)
            guard let value = try? bytes.withUnsafeBufferPointer({ b throws(JSONSyntaxError) in try JSONParser.parse(b) }),
                  case .object(let members) = value else { return [] }
            return Set(members.map { ColumnName.key($0.key) })
        }
    }
}

/// The column rules of SPEC §10 for one record.
struct EpisodeRowCheck {
    let latest: Date
    let today: LocalDate

    init(now: Date) {
        latest = now.addingTimeInterval(3600)
        today = Zone.london.localDate(of: now)
    }

    func check(_ values: [String: String], line: Int, log: inout FileErrorLog) -> Episode? {
        var ok = true
        func fail(_ column: String, _ message: String) {
            ok = false
            log.add(line: line, column: column, message)
        }
        func text(_ column: String, required: Bool, as kind: FieldText.Kind) -> String? {
            // Only spaces and tabs are trimmed, as in an incidents file (`RawRow`): any other space
            // at an id's edge is refused by the id rule, so `C-1`+U+00A0 is refused in both files,
            // never one child in one file and another in the other.
            let value = (values[column] ?? "").trimmingSpaces()
            // Blank is absent, as in an incidents file (`FieldText.isBlank`).
            if FieldText.isBlank(value) {
                if required { fail(column, "is required") }
                return nil
            }
            if let problem = FieldText.problem(value, as: kind) {
                fail(column, problem.description)
                return nil
            }
            return value
        }
        func instant(_ column: String, required: Bool) -> Date? {
            guard let value = text(column, required: required, as: .identifier) else { return nil }
            switch Array(value.utf8).withUnsafeBufferPointer({ FieldValues.instant($0, latest: latest) }) {
            case .success(let d): return d
            case .failure(let problem): fail(column, problem.message)
            }
            return nil
        }

        let id = text("episode_id", required: true, as: .identifier)
        let child = text("child_id", required: true, as: .identifier)
        let given = text("child_given_name", required: true, as: .name)
        let family = text("child_family_name", required: true, as: .name)
        // The episode's time, for the date of birth: read here without a word, and said (if it is
        // wrong) in its column's turn below, so a line's errors stay in the columns' order.
        let missingAt = Array((values["missing_at"] ?? "").trimmingSpaces().utf8).withUnsafeBufferPointer {
            try? FieldValues.instant($0, latest: latest).get()
        }
        var dob: LocalDate?
        if let d = text("child_dob", required: true, as: .identifier) {
            switch Array(d.utf8).withUnsafeBufferPointer({ FieldValues.dateOfBirth($0, today: today, event: missingAt.map { ($0, "missing_at") }) }) {
            case .success(let date): dob = date
            case .failure(let problem): fail("child_dob", problem.message)
            }
        }
        let urn = text("school_urn", required: false, as: .identifier)
        if let urn, !URN.isValid(urn) { fail("school_urn", "is not a 6-digit URN") }
        let missing = instant("missing_at", required: true)
        let returned = instant("returned_at", required: false)
        if let missing, let returned, returned < missing { fail("returned_at", "is before missing_at") }
        var risk: EpisodeRisk?
        if let r = text("risk", required: false, as: .identifier) {
            risk = EpisodeRisk(rawValue: r.lowercased())
            if risk == nil { fail("risk", "unknown risk (expected no-apparent-risk, low, medium or high)") }
        }
        let interview = instant("return_interview_at", required: false)
        if interview != nil, values["returned_at"]?.trimmingSpaces().isEmpty ?? true {
            fail("return_interview_at", "needs returned_at: a return interview follows the return")
        }
        if let interview, let returned, interview < returned { fail("return_interview_at", "is before returned_at") }

        guard ok, let id, let child, let given, let family, let dob, let missing else { return nil }
        return Episode(id: id, childId: child, givenName: given, familyName: family, dateOfBirth: dob, schoolURN: urn,
                       missingAt: missing, returnedAt: returned, risk: risk, returnInterviewAt: interview)
    }
}
