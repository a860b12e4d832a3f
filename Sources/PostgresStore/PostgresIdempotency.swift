import Foundation
import Logging
import PostgresNIO
import RiskModel
import StoreContract

extension PostgresSchema {
    /// SQLite's v23-idempotency-keys: the answer to each JSON API request sent with an
    /// `Idempotency-Key`, by the token's name and the key.
    static let idempotencyKeys = Migration(id: "pg20-idempotency-keys", statements: [
        """
        CREATE TABLE idempotency_keys (
            client text COLLATE "C" NOT NULL,
            idempotency_key text COLLATE "C" NOT NULL,
            fingerprint text COLLATE "C" NOT NULL,
            status bigint NOT NULL,
            response text COLLATE "C" NOT NULL,
            recorded_at double precision NOT NULL,
            PRIMARY KEY (client, idempotency_key)
        )
        """,
    ])
}

extension PostgresStore {
    public func record(_ decisions: [Decision], strategyDiscussion: Bool, actor: String, key: IdempotencyKey,
                       response: KeptResponse) async throws -> KeptResponse? {
        let logger = self.logger
        return try await write { conn -> KeptResponse? in
            // The key first, on its unique key: the same key sent at once to two servers waits here for
            // the first's transaction, then (read committed) finds its row, and writes nothing.
            let inserted = try await conn.row("""
                INSERT INTO idempotency_keys (client, idempotency_key, fingerprint, status, response, recorded_at)
                VALUES (\(key.client), \(key.key), \(response.fingerprint), \(response.status), \(response.body),
                        \(response.recordedAt.timeIntervalSince1970))
                ON CONFLICT (client, idempotency_key) DO NOTHING RETURNING 1
                """, logger, as: Int32.self)
            guard inserted != nil else { return try await Self.kept(conn, logger, key) }
            try await Self.append(conn, logger, decisions, strategyDiscussion: strategyDiscussion, actor: actor)
            return nil
        }
    }

    private static func kept(_ conn: PostgresConnection, _ logger: Logger, _ key: IdempotencyKey) async throws -> KeptResponse? {
        try await conn.row("""
            SELECT fingerprint, status, response, recorded_at FROM idempotency_keys
            WHERE client = \(key.client) AND idempotency_key = \(key.key)
            """, logger, as: (String, Int, String, Double).self).map { r in
            KeptResponse(fingerprint: r.0, status: r.1, body: r.2, recordedAt: Date(timeIntervalSince1970: r.3))
        }
    }
}
