import Foundation
import RiskModel
import StoreContract

/// SQLite's rows for an ingest, made on the thread that reads the files while the writer writes:
/// each incident's fingerprint, its row and its links' rows ready to bind, and the children each
/// chunk first names or gives newer details (`BatchChildren`), with their rows' values.
///
/// The value counts below must match the column lists of `SQLiteIngest`'s INSERTs: a mismatch
/// fails every ingest with SQLite's "values for columns" error, which any ingest test shows.
final class SQLiteFeedEncoder: IncidentFeedEncoder {
    /// Values of an incident's row after its key, up to (not with) the two timestamps.
    static let incidentValues = 12
    /// Values of a link's row after its child and incident keys.
    static let linkValues = 11
    /// Values of a child's row after its key.
    static let childValues = 6

    struct Chunk {
        var incidents: [Incident] = []
        var fingerprints: [Fingerprint.Digest] = []
        /// `incidentValues` per incident, in order.
        var incidentRows = EncodedRows()
        /// `linkValues` per link, in order of incident then child.
        var linkRows = EncodedRows()
        /// Per link, the child's number in the batch; the children first seen here, and those
        /// given newer details.
        var children = BatchChildren.Chunk()
        /// `childValues` per child of `children.newest`, in order: their row's values after the key
        /// (their newest details in the batch so far, and when).
        var childRows = EncodedRows()
    }

    private var children: BatchChildren

    /// `expectedRows`: about how many rows the batch has (a guess from the files' size is enough);
    /// a row of a real export names a child about a third of the time.
    init(expectedRows: Int = 0) {
        children = BatchChildren(expected: expectedRows / 3)
    }

    func encode(_ incidents: [Incident]) -> Any { chunk(incidents) }

    func chunk(_ incidents: [Incident]) -> Chunk {
        var fingerprints: [Fingerprint.Digest] = []
        fingerprints.reserveCapacity(incidents.count)
        var incidentRows = EncodedRows(capacity: incidents.count * Self.incidentValues)
        var linkRows = EncodedRows(capacity: incidents.count * Self.linkValues)
        for incident in incidents {
            let fingerprint = Fingerprint.of(incident)
            fingerprints.append(fingerprint)
            let reported = incident.reportedAt.timeIntervalSince1970
            let grade = incident.effectiveGrade.rawValue
            incidentRows.add(incident.id); incidentRows.add(reported); incidentRows.add(incident.riskTool.rawValue)
            incidentRows.add(incident.officerGrade.rawValue); incidentRows.add(incident.dashYesCount)
            incidentRows.add(incident.supervisorGrade?.rawValue); incidentRows.add(grade); incidentRows.add(incident.flagsText)
            incidentRows.add(incident.victimId); incidentRows.add(incident.perpetratorId); incidentRows.add(fingerprint)
            incidentRows.add(incident.usedBodyWornVideo)
            for c in incident.children {
                linkRows.add(incident.id); linkRows.add(reported); linkRows.add(grade); linkRows.add(c.schoolURN)
                linkRows.add(c.present); linkRows.add(c.spokenTo); linkRows.add(c.voice); linkRows.add(c.bodyWornVideo)
                linkRows.add(c.givenName); linkRows.add(c.familyName); linkRows.add(c.dateOfBirth.description)
            }
        }
        let numbered = children.chunk(incidents)
        var childRows = EncodedRows(capacity: numbered.newest.count * Self.childValues)
        for place in numbered.newest {
            let incident = incidents[Int(place.incident)]
            let c = incident.children[Int(place.child)]
            childRows.add(c.childId); childRows.add(c.givenName); childRows.add(c.familyName)
            childRows.add(c.dateOfBirth.description); childRows.add(c.schoolURN); childRows.add(incident.reportedAt.timeIntervalSince1970)
        }
        return Chunk(incidents: incidents, fingerprints: fingerprints, incidentRows: incidentRows,
                     linkRows: linkRows, children: numbered, childRows: childRows)
    }
}
