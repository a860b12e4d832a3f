import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension Response {
    static func text(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// What /health, /metrics and a scraper's token check answer when the database does not answer
    /// within /health's wait: one text, so a monitor matches one body.
    static var databaseUnavailable: Response { text("database unavailable\n", status: .serviceUnavailable) }

    static func html(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        html(ByteBuffer(string: body), status: status)
    }

    static func html(_ body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: body))
    }

    static func json(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// `{"error": "..."}`: the API's answer for anything but success.
    static func jsonError(_ message: String, status: HTTPResponse.Status) -> Response {
        json(JSONBody.object(["error": message]), status: status)
    }
}

/// Small JSON documents for the API, keys sorted so answers compare byte for byte.
enum JSONBody {
    static func object(_ value: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// What a page handler throws to refuse a request; rendered as a page (or JSON under /api) by `ErrorMiddleware`.
enum PageError: Error {
    case forbidden
    case notFound
    case csrf
    case badRequest(String)
    case tooLarge

    var status: HTTPResponse.Status {
        switch self {
        case .forbidden, .csrf: .forbidden
        case .notFound: .notFound
        case .badRequest: .badRequest
        case .tooLarge: .contentTooLarge
        }
    }

    var message: String {
        switch self {
        case .forbidden: "Your role does not allow this. Ask an administrator if you need it."
        case .notFound: "There is nothing at this address."
        case .csrf: "This form has expired or did not come from this site. Go back, reload the page and try again."
        case .badRequest(let why): why
        case .tooLarge: "What was sent is larger than this address takes. Nothing was changed: shorten it and send it again."
        }
    }
}
