import Foundation
import GRDB
import RiskModel
import StoreContract

extension SQLiteSchema {
    /// `v23-idempotency-keys`: the answer to each JSON API request sent with an `Idempotency-Key`,
    /// by the token's name and the key (`IdempotencyKey`), so a client's retry is answered, not
    /// recorded again. A table of its own, kept beside the decisions it answered.
    static func registerIdempotencyKeys(_ m: inout DatabaseMigrator) {
        m.registerMigration("v23-idempotency-keys") { db in
            try db.execute(sql: """
                CREATE TABLE idempotency_keys (
                    client TEXT NOT NULL,
                    idempotency_key TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    response TEXT NOT NULL,
                    recorded_at REAL NOT NULL,
                    PRIMARY KEY (client, idempotency_key)
                );
                """)
        }
    }
}

extension SQLiteStore {
    public func record(_ decisions: [Decision], strategyDiscussion: Bool, actor: String, key: IdempotencyKey,
                       response: KeptResponse) async throws -> KeptResponse? {
        try await pool.write { db in
            // The key first: its write takes the database's one write lock at once (two servers on one
            // file), and a key kept already ends the transaction with nothing written.
            try db.execute(sql: """
                INSERT INTO idempotency_keys (client, idempotency_key, fingerprint, status, response, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (client, idempotency_key) DO NOTHING
                """, arguments: [key.client, key.key, response.fingerprint, response.status, response.body,
                                 response.recordedAt.timeIntervalSince1970])
            guard db.changesCount == 1 else { return try Self.kept(db, key) }
            try Self.append(db, decisions, strategyDiscussion: strategyDiscussion, actor: actor)
            return nil
        }
    }

    private static func kept(_ db: Database, _ key: IdempotencyKey) throws -> KeptResponse? {
        try Row.fetchOne(db, sql: """
            SELECT fingerprint, status, response, recorded_at FROM idempotency_keys WHERE client = ? AND idempotency_key = ?
            """, arguments: [key.client, key.key]).map { r in
            KeptResponse(fingerprint: r[0], status: r[1], body: r[2], recordedAt: Date(timeIntervalSince1970: r[3]))
        }
    }
}
