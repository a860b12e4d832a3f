import Foundation
import RiskModel
import StoreContract

/// SQLite's rows for an ingest, made on the thread that reads the files while the writer writes:
/// each incident's fingerprint, its row and its links' rows ready to bind, and the batch's children
/// (each numbered in the order first seen, with their newest details).
///
/// The value counts below must match the column lists of `SQLiteIngest`'s INSERTs;
/// `SQLiteFeedEncoderTests` checks them against the statements.
final class SQLiteFeedEncoder: IncidentFeedEncoder {
    /// Values of an incident's row after its key, up to (not with) the two timestamps.
    static let incidentValues = 11
    /// Values of a link's row after its child and incident keys.
    static let linkValues = 8
    /// Values of a child's row after its key.
    static let childValues = 6

    struct Chunk {
        var incidents: [Incident] = []
        var fingerprints: [Fingerprint.Digest] = []
        /// `incidentValues` per incident, in order.
        var incidentRows = EncodedRows()
        /// `linkValues` per link, in order of incident then child.
        var linkRows = EncodedRows()
        /// Per link, the child's number in the batch.
        var childNumbers: [Int] = []
    }

    /// The batch's children by number.
    struct Children {
        var ids: [String] = []
        var numbers: [String: Int] = [:]
        /// Each child's newest incident time in the batch, and their details on it (ties: the later).
        var newest: [Double] = []
        var details: [Details] = []
        /// Once the batch is whole: `childValues` per child, in number order (the values of a
        /// child's row after its key).
        var rows = EncodedRows()

        struct Details {
            var givenName: String
            var familyName: String
            var dateOfBirth: LocalDate
            var schoolURN: String?

            init(_ c: ChildLink) {
                givenName = c.givenName
                familyName = c.familyName
                dateOfBirth = c.dateOfBirth
                schoolURN = c.schoolURN
            }
        }

        mutating func encodeRows() {
            rows = EncodedRows(capacity: ids.count * SQLiteFeedEncoder.childValues)
            for n in ids.indices {
                rows.add(ids[n]); rows.add(details[n].givenName); rows.add(details[n].familyName)
                rows.add(details[n].dateOfBirth.description); rows.add(details[n].schoolURN); rows.add(newest[n])
            }
        }
    }

    private var children = Children()

    /// `expectedRows`: about how many rows the batch has (a guess from the files' size is enough),
    /// so the children's index is sized once rather than rehashed as it grows.
    init(expectedRows: Int = 0) {
        children.numbers.reserveCapacity(expectedRows)
    }

    func encode(_ incidents: [Incident]) -> Any { chunk(incidents) }

    func finish() -> Any { wholeBatch() }

    func chunk(_ incidents: [Incident]) -> Chunk {
        var fingerprints: [Fingerprint.Digest] = []
        fingerprints.reserveCapacity(incidents.count)
        var incidentRows = EncodedRows(capacity: incidents.count * Self.incidentValues)
        var linkRows = EncodedRows(capacity: incidents.count * Self.linkValues)
        var childNumbers: [Int] = []
        for incident in incidents {
            let fingerprint = Fingerprint.of(incident)
            fingerprints.append(fingerprint)
            let reported = incident.reportedAt.timeIntervalSince1970
            let grade = incident.effectiveGrade.rawValue
            incidentRows.add(incident.id); incidentRows.add(reported); incidentRows.add(incident.riskTool.rawValue)
            incidentRows.add(incident.officerGrade.rawValue); incidentRows.add(incident.dashYesCount)
            incidentRows.add(incident.supervisorGrade?.rawValue); incidentRows.add(grade); incidentRows.add(incident.flagsText)
            incidentRows.add(incident.victimId); incidentRows.add(incident.perpetratorId); incidentRows.add(fingerprint)
            for c in incident.children {
                childNumbers.append(number(c, reportedAt: reported))
                linkRows.add(incident.id); linkRows.add(reported); linkRows.add(grade); linkRows.add(c.schoolURN)
                linkRows.add(c.present); linkRows.add(c.spokenTo); linkRows.add(c.voice); linkRows.add(c.bodyWornVideo)
            }
        }
        return Chunk(incidents: incidents, fingerprints: fingerprints, incidentRows: incidentRows,
                     linkRows: linkRows, childNumbers: childNumbers)
    }

    /// The batch's children with their rows encoded: once every incident was handed over.
    func wholeBatch() -> Children {
        children.encodeRows()
        return children
    }

    /// The child's number in the batch, noting their details when this incident is their newest.
    private func number(_ c: ChildLink, reportedAt: Double) -> Int {
        if let n = children.numbers[c.childId] {
            if reportedAt >= children.newest[n] {
                children.newest[n] = reportedAt
                children.details[n] = Children.Details(c)
            }
            return n
        }
        let n = children.ids.count
        children.numbers[c.childId] = n
        children.ids.append(c.childId)
        children.newest.append(reportedAt)
        children.details.append(Children.Details(c))
        return n
    }
}
