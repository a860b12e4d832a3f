import Delivery
import Foundation
import HTTPTypes
import Hummingbird
import StoreContract

/// The JSON API's `Idempotency-Key` (IETF draft-ietf-httpapi-idempotency-key-header) on
/// `POST /api/children/{id}/decisions`: what a key may be, what identifies the request sent with it,
/// and what a request with a kept key is answered. The store keeps the answer (`KeptResponse`).
enum IdempotencyHeader {
    static let name = HTTPField.Name("Idempotency-Key")!
    /// Room for any client's UUID, ULID or the draft's quoted string, and no more.
    static let maxLength = 255

    enum Sent: Equatable {
        case none
        case key(String)
        /// What is wrong, naming the header; never the value, which may be anything a client sent.
        case refused(String)
    }

    /// The key sent with `request`, if any.
    static func sent(in request: Request) -> Sent {
        let values = request.headers[values: name]
        guard let value = values.first else { return .none }
        guard values.count == 1 else { return .refused("Idempotency-Key: send it once") }
        // Printable ASCII (space to tilde): a key a client can log and send again byte for byte.
        guard (1...maxLength).contains(value.utf8.count), value.utf8.allSatisfy({ (0x20...0x7E).contains($0) }),
              value.utf8.contains(where: { $0 != 0x20 }) else {
            return .refused("Idempotency-Key: expected 1 to \(maxLength) printable ASCII characters")
        }
        return .key(value)
    }

    /// The request a key was sent with: its method, its path and its body's bytes. A retry sends the
    /// same three; anything else under the same key is another request.
    static func fingerprint(_ request: Request, body: Data) -> String {
        TokenText.sha256Hex(bytes: Data("\(request.method.rawValue) \(request.uri.path)\n".utf8) + body)
    }

    /// The kept answer to a retry (the same status and body), or 422 to another request reusing the
    /// key (the draft's status for it). A key still in flight is not answered 409: the store's
    /// transaction makes the second wait for the first and then answers what the first kept.
    static func answer(_ kept: KeptResponse, to fingerprint: String) -> Response {
        guard kept.answers(fingerprint) else {
            return .jsonError("Idempotency-Key: this key was sent before with a different request; send a new key for a new request",
                              status: .unprocessableContent)
        }
        return .json(kept.body, status: HTTPResponse.Status(code: kept.status))
    }
}
