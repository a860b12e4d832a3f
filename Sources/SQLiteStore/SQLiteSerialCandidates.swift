import Foundation
import GRDB

/// The serial-perpetrator candidates: who they are, from the incidents (the migration's first fill,
/// and a first load's, see `SQLiteFirstLoad`).
enum SQLiteSerialCandidates {
    /// Perpetrators named against two or more victims: the table's whole content, from the incidents.
    /// The plain path, and the definition `fillFromIndex` is tested against.
    static let fill = """
        INSERT OR IGNORE INTO serial_candidates (perpetrator_id)
            SELECT perpetrator_id FROM incidents WHERE perpetrator_id IS NOT NULL
            GROUP BY perpetrator_id HAVING count(DISTINCT victim_id) >= 2
        """

    /// The same set as `fill`, read in one walk of the perpetrators' index: its rows come grouped by
    /// perpetrator, so a perpetrator is a candidate once a row of theirs names a victim other than
    /// their group's first. `fill`'s `count(DISTINCT ...)` keeps a sorted set for every group, which at
    /// ten million incidents was most of a first load's last, single-core minute.
    /// Both compare the ids as bytes (SQLite's BINARY collation, the columns' own).
    static func fillFromIndex(_ db: Database) throws {
        let walk = try SQLiteRawStatement(db, """
            SELECT perpetrator_id, victim_id FROM incidents INDEXED BY incidents_by_perpetrator
            WHERE perpetrator_id IS NOT NULL ORDER BY perpetrator_id
            """)
        let insert = try SQLiteRawStatement(db, "INSERT OR IGNORE INTO serial_candidates (perpetrator_id) VALUES (?1)")
        var perpetrator: [UInt8] = []
        var firstVictim: [UInt8] = []
        var inGroup = false
        var counted = false
        try walk.rows { row in
            let p = row.blob(0)
            if !inGroup || !same(p, perpetrator) {
                perpetrator.removeAll(keepingCapacity: true)
                perpetrator.append(contentsOf: p)
                firstVictim.removeAll(keepingCapacity: true)
                firstVictim.append(contentsOf: row.blob(1))
                inGroup = true
                counted = false
            } else if !counted, !same(row.blob(1), firstVictim) {
                try perpetrator.withUnsafeBufferPointer { bytes in
                    insert.bindStatic(1, bytes)
                    try insert.run()
                }
                counted = true
            }
        }
    }

    private static func same(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
        a.count == b.count && b.withUnsafeBytes { a.count == 0 || memcmp(a.baseAddress!, $0.baseAddress!, a.count) == 0 }
    }
}
