import Foundation

/// A client's `Idempotency-Key` on a POST of the JSON API (README, "One press, one record"): whose
/// it is (the token's name, so one token's key never answers another's request) and the key.
public struct IdempotencyKey: Sendable, Equatable {
    public var client: String
    public var key: String

    public init(client: String, key: String) {
        self.client = client
        self.key = key
    }
}

/// What the server answered a request sent with a key, kept with the request it answered
/// (`fingerprint`: HubWeb's `IdempotencyHeader.fingerprint`) in the transaction that recorded it.
public struct KeptResponse: Sendable, Equatable {
    public var fingerprint: String
    public var status: Int
    public var body: String
    public var recordedAt: Date

    public init(fingerprint: String, status: Int, body: String, recordedAt: Date) {
        self.fingerprint = fingerprint
        self.status = status
        self.body = body
        self.recordedAt = recordedAt
    }

    /// Whether a request of `fingerprint` sent with this key is the one answered (a retry, answered
    /// the same) rather than another reusing the key (refused: IETF draft-ietf-httpapi-idempotency-key-header, 422).
    public func answers(_ fingerprint: String) -> Bool { self.fingerprint == fingerprint }
}
