import Foundation
import GRDB
import StoreContract

extension SQLiteStore: UnmatchedStore {
    public func recordSchool(urn: String, forAlert reference: String, actor: String, at now: Date,
                             planner: AlertPlanner?) async throws -> SchoolRecorded {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT a.alert_key, a.state, a.incident_key, a.child_key, a.incident_id, a.child_id, i.reported_at
                FROM alerts a JOIN incidents i ON i.incident_key = a.incident_key WHERE a.reference = ?
                """, arguments: [reference]) else { throw UnmatchedError.unknownAlert(reference) }
            let alertKey: Int64 = row[0], incidentKey: Int64 = row[2], childKey: Int64 = row[3]
            let state = AlertState(rawValue: row[1]) ?? .queued
            guard state == .unmatched else { throw UnmatchedError.notUnmatched(reference: reference, state: state) }
            let reportedAt: Double = row[6]
            try db.execute(sql: "UPDATE incident_children SET school_urn = ? WHERE incident_key = ? AND child_key = ?",
                           arguments: [urn, incidentKey, childKey])
            guard db.changesCount > 0 else { throw UnmatchedError.linkGone(reference) }
            // The child's own school follows their newest incident only, as ingest does.
            try db.execute(sql: "UPDATE children SET school_urn = ? WHERE child_key = ? AND latest_reported_at <= ?",
                           arguments: [urn, childKey, reportedAt])
            try SQLiteSchema.noteChange(db)
            try SQLiteAudit.append(db, at: now, actor: actor, action: "alert.school-recorded", subject: "alert:\(reference)",
                                   detail: ["urn": urn])
            if let planner {
                // As `matchUnmatched` does for every waiting alert: the hub chose to fix it, so age is no bar.
                let queue = try SQLiteAlertQueue(db: db, planner: planner, now: now)
                if try queue.link(incidentKey: incidentKey, childKey: childKey, incidentId: row[4], childId: row[5],
                                  reportedAt: Date(timeIntervalSince1970: reportedAt), urn: urn, ignoringAge: true) {
                    return .queued
                }
            } else {
                let hasContact = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM key_adults WHERE urn = ?)",
                                                   arguments: [urn]) ?? false
                let reason = AlertPlanner.schoolRecorded(urn, hasKeyAdult: hasContact)
                try db.execute(sql: "UPDATE alerts SET school_urn = ?, unmatched_reason = ? WHERE alert_key = ?",
                               arguments: [urn, reason, alertKey])
            }
            let reason = try String.fetchOne(db, sql: "SELECT unmatched_reason FROM alerts WHERE alert_key = ?", arguments: [alertKey])
            return .unmatched(reason: reason ?? AlertPlanner.noKeyAdult(urn))
        }
    }

    public func hubNotices(since: Date, limit: Int) async throws -> [HubNoticeEntry] {
        try await pool.read { db in
            try Self.noticeRows(db, where: "created_at >= ?", order: "created_at DESC, notice_key DESC LIMIT ?",
                                arguments: [since.timeIntervalSince1970, limit])
        }
    }
}
