import Foundation
import Logging
import PostgresNIO
import RiskModel
import StoreContract

extension PostgresStore: InspectionStore {
    public func inspectionTallies(_ bins: ReportBins, durations: Bool) async throws -> InspectionTallies {
        let logger = self.logger
        return try await read { conn in
            func counts(_ sql: String) async throws -> [[Int?]] {
                var out: [[Int?]] = []
                for try await row in try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
                    out.append(try row.map { cell in cell.bytes == nil ? nil : Int(try cell.decode(Int64.self)) })
                }
                return out
            }
            let acknowledgements = !durations ? [] : try await conn.rows(PostgresQuery(unsafeSQL: InspectionSQL.acknowledgements(bins)), logger,
                                                                         as: (Int32, Double).self)
            let episodes = try await conn.rows(PostgresQuery(unsafeSQL: InspectionSQL.episodes(bins)), logger,
                                               as: (String, Double, Double?, Double?).self)
            return InspectionTallies.assemble(
                binCount: bins.count,
                incidents: try await counts(InspectionSQL.incidents(bins)),
                links: try await counts(InspectionSQL.links(bins)),
                alerts: try await counts(InspectionSQL.alerts(bins)),
                unmatched: try await counts(InspectionSQL.unmatched(bins)),
                alertedLinks: try await counts(InspectionSQL.alertedLinks(bins)),
                namedTooLate: try await counts(InspectionSQL.namedTooLate(bins)),
                decisions: try await counts(InspectionSQL.decisions(bins)),
                acknowledgements: acknowledgements.map { (bin: Int($0.0), seconds: $0.1) },
                episodes: episodes.map { r in
                    EpisodeFact(episodeId: r.0, missingAt: Date(timeIntervalSince1970: r.1),
                                returnedAt: r.2.map(Date.init(timeIntervalSince1970:)),
                                returnInterviewAt: r.3.map(Date.init(timeIntervalSince1970:)))
                })
        }
    }

    public func latestDecisionDays(through: LocalDate) async throws -> [String: LocalDate] {
        let logger = self.logger
        return try await read { conn in
            var out: [String: LocalDate] = [:]
            for (child, on) in try await conn.rows(PostgresQuery(unsafeSQL: InspectionSQL.latestDecisions(through: through)), logger,
                                                   as: (String, String).self) {
                out[child] = LocalDate(iso: on)
            }
            return out
        }
    }
}
