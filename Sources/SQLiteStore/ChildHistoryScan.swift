import Foundation
import GRDB
import RiskModel
import StoreContract

/// One range of children's histories read in one pass over the link table, in its own (child, time)
/// order, so rows arrive grouped by child and oldest first.
struct ChildHistoryScan: Sendable {
    let windowStart: Date
    let asOf: Date
    let schoolNames: [String: String]
    let referrals: [Int64: [LocalDate]]

    func run(_ db: Database, keys: ClosedRange<Int64>,
             _ visit: (ChildHistory, () throws -> ChildSummary) throws -> Void) throws {
        // Rows before the window are skipped in SQL, except a referred child's (repeat-marac reaches
        // back past the window). Read through the C API: this loop sees every link in the window,
        // and GRDB's Row costs several times the step.
        let links = try SQLiteRawStatement(db, """
            SELECT child_key, incident_id, reported_at, effective_grade, incident_key FROM incident_children
            WHERE child_key BETWEEN ?3 AND ?4 AND reported_at <= ?1 AND (reported_at >= ?2 OR child_key IN (
                SELECT c.child_key FROM children c JOIN decisions d ON d.child_id = c.child_id WHERE d.marac = 'referred'))
            ORDER BY child_key, reported_at
            """)
        links.bind(1, asOf.timeIntervalSince1970)
        links.bind(2, windowStart.timeIntervalSince1970)
        links.bind(3, keys.lowerBound)
        links.bind(4, keys.upperBound)
        // The children of the range, walked beside the links in key order: one sequential read,
        // where a lookup per child would seek once for each.
        let children = try SQLiteRawStatement(db, """
            SELECT child_key, child_id, school_urn FROM children WHERE child_key BETWEEN ?1 AND ?2 ORDER BY child_key
            """)
        children.bind(1, keys.lowerBound)
        children.bind(2, keys.upperBound)

        // Most children have no incident in the window: their rows are stepped over by key, and only
        // a wanted child's text is read.
        var aheadKey: Int64 = -1
        var ahead: SQLiteRawStatement.Columns?
        var childrenDone = false
        func child(_ key: Int64) throws -> (id: String, urn: String?) {
            while true {
                if let a = ahead, aheadKey >= key { return aheadKey == key ? (a.text(1), a.optionalText(2)) : ("", nil) }
                guard !childrenDone, let row = try children.next() else {
                    childrenDone = true
                    ahead = nil
                    return ("", nil)
                }
                ahead = row
                aheadKey = row.int64(0)
            }
        }

        var facts: [IncidentFact] = []
        var currentKey: Int64 = -1
        func flush() throws {
            guard !facts.isEmpty else { return }
            let (id, urn) = try child(currentKey)
            try visit(ChildHistory(childId: id, incidents: facts, maracReferrals: referrals[currentKey] ?? [])) {
                ChildSummary(childId: id, schoolURN: urn, schoolName: urn.flatMap { schoolNames[$0] })
            }
            facts.removeAll(keepingCapacity: true)
        }
        try links.rows { row in
            let key = row.int64(0)
            if key != currentKey {
                try flush()
                currentKey = key
            }
            facts.append(IncidentFact(incidentId: row.text(1), reportedAt: Date(timeIntervalSince1970: row.double(2)),
                                      grade: Grade(rawValue: Int(row.int64(3))) ?? .standard,
                                      storeKey: IncidentFact.storeKey(row.int64(4))))
        }
        try flush()
    }
}
