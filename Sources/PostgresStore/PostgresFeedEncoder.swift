import Foundation
import RiskModel
import StoreContract

/// What PostgreSQL's writer needs that the thread reading the files can work out while the writer
/// writes: each incident's fingerprint.
final class PostgresFeedEncoder: IncidentFeedEncoder {
    func encode(_ incidents: [Incident]) -> Any { incidents.map(Fingerprint.of) }
}
