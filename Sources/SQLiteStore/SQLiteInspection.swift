import Foundation
import GRDB
import RiskModel
import StoreContract

extension SQLiteStore: InspectionStore {
    public func inspectionTallies(_ bins: ReportBins, durations: Bool) async throws -> InspectionTallies {
        try await pool.read { db in
            func counts(_ sql: String) throws -> [[Int?]] {
                try Row.fetchAll(db, sql: sql).map { r in (0..<r.count).map { r[$0] as Int? } }
            }
            return InspectionTallies.assemble(
                binCount: bins.count,
                incidents: try counts(InspectionSQL.incidents(bins)),
                links: try counts(InspectionSQL.links(bins)),
                alerts: try counts(InspectionSQL.alerts(bins)),
                unmatched: try counts(InspectionSQL.unmatched(bins)),
                alertedLinks: try counts(InspectionSQL.alertedLinks(bins)),
                namedTooLate: try counts(InspectionSQL.namedTooLate(bins)),
                decisions: try counts(InspectionSQL.decisions(bins)),
                acknowledgements: !durations ? [] : try Row.fetchAll(db, sql: InspectionSQL.acknowledgements(bins)).map { (bin: $0[0], seconds: $0[1]) },
                episodes: try Row.fetchAll(db, sql: InspectionSQL.episodes(bins)).map { r in
                    EpisodeFact(episodeId: r[0], missingAt: Date(timeIntervalSince1970: r[1]),
                                returnedAt: (r[2] as Double?).map(Date.init(timeIntervalSince1970:)),
                                returnInterviewAt: (r[3] as Double?).map(Date.init(timeIntervalSince1970:)))
                })
        }
    }

    public func latestDecisionDays(through: LocalDate) async throws -> [String: LocalDate] {
        try await pool.read { db in
            var out: [String: LocalDate] = [:]
            for r in try Row.fetchAll(db, sql: InspectionSQL.latestDecisions(through: through)) {
                out[r[0]] = LocalDate(iso: r[1] as String)
            }
            return out
        }
    }
}
