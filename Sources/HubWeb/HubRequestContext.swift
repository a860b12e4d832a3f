import Foundation
import HTTPTypes
import Hummingbird
import InputRules
import NIOCore
import StoreContract

/// Per request: who is asking (a signed-in person or an API token) and the form they posted.
public struct HubRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AccessMiddleware` for a page request with a live session.
    var session: SessionRecord?
    /// Set by `AccessMiddleware` for an API request with a valid bearer token: the token's name.
    var apiClient: String?
    /// A POSTed form, read and checked for its CSRF token by `CSRFMiddleware`.
    var form = FormFields()
    /// The page answers a sign-in with the form the ended session refused, filled in (`KeptForm`):
    /// where the person left off, not an error, so its title does not start "Error:" (`PageFrame`).
    var resumingForm = false
    /// Whether the browser reached us over TLS, directly or through the proxy.
    var overTLS = false

    /// The IP address of the connection's other end (nil in HummingbirdTesting's router tests).
    let peer: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress
    }

    /// Who is asking, for the sign-in throttle: the connection's address, or, when that is this
    /// machine's TLS-terminating proxy (a loopback address), the address the proxy appended last to
    /// `X-Forwarded-For`. Any earlier entries were written by the client and are not believed.
    func clientAddress(_ request: Request) -> String {
        let loopback = peer.map { $0 == "::1" || $0.hasPrefix("127.") || $0.hasPrefix("::ffff:127.") } ?? true
        if loopback, let forwarded = request.headers[.xForwardedFor],
           let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty, last.count <= 64 {
            return last
        }
        return peer ?? "unknown"
    }

    /// Page bodies are small; the API's incident files are limited by `WebConfiguration.maxBodyBytes`.
    public var maxUploadSize: Int { 1024 * 1024 }

    /// The signed-in person, or a refusal (the access middleware makes this unreachable for pages).
    func user() throws -> UserAccount {
        guard let session else { throw HTTPError(.unauthorized) }
        return session.user
    }

    /// The person, if their role includes `role` (`Role.includes`); otherwise 403. An officer
    /// passes only `require(.officer)`.
    func require(_ role: Role) throws -> UserAccount {
        let user = try user()
        guard user.role.includes(role) else { throw PageError.forbidden }
        return user
    }
}

/// The fields of an `application/x-www-form-urlencoded` body, or of an address's query. A name given
/// twice keeps its last value here, and is named in `repeatedNames`: every field and parameter takes
/// one value, and one given twice is refused before any route reads it (`CSRFMiddleware`,
/// `QueryMiddleware`), never read as either.
struct FormFields: Sendable {
    private(set) var values: [String: String] = [:]

    init() {}

    /// Every form's body is read here (`CSRFMiddleware`). Nil when it is not UTF-8 text, raw or once
    /// its %-escapes are decoded (or an escape is broken): such a form is refused whole, never kept
    /// with replacement characters or a field quietly emptied.
    init?(urlEncoded body: ByteBuffer) {
        guard let text = String(validating: body.readableBytesView, as: UTF8.self),
              let parsed = Self.parse(text, keepingBroken: false) else { return nil }
        (values, repeatedNames) = parsed
    }

    /// A GET form's fields, from the address's query (`Request.formQuery`). A browser encodes them
    /// as it encodes a posted form, a typed space as `+`: the router's own reading left the `+`, so
    /// an id pasted with a space was not trimmed and named no child (audit 22, people F2). A value
    /// whose %-escapes are broken is kept as sent, as the router's reading kept it: the page refuses
    /// it as any unusable value, never with a 400 for the whole address.
    init(query: String?) {
        (values, repeatedNames) = Self.parse(query ?? "", keepingBroken: true) ?? ([:], [])
    }

    /// The names given more than once (`?as_of=A&as_of=B`, `reason=A&reason=B`), as decoded, in the
    /// order of their second appearance; empty when each is given once. Every parameter of a page or
    /// of the API takes one value, and a second was read as the last by the pages and as the first by
    /// the API; a form's was read as the last (a decision with two reasons recorded the second):
    /// refused instead (`QueryMiddleware`, `CSRFMiddleware`).
    private(set) var repeatedNames: [String] = []

    /// The first name given more than once; nil when each is given once.
    var repeatedName: String? { repeatedNames.first }

    /// What an address or a form (`place`) that gives `name` more than once is told (400).
    static func givenTwice(_ name: String, in place: String) -> String {
        "\(FieldText.forTerminal(String(name.prefix(64)))): is given more than once in \(place); give it once."
    }

    /// What a refused form is told (400).
    static let notText = "The form was not sent as UTF-8 text (or one of its %-escapes is broken). Nothing was changed: reload the page and send it again."

    subscript(_ name: String) -> String? { values[name] }

    /// Sets one field (a kept form's, `KeptForm`).
    mutating func set(_ name: String, _ value: String) { values[name] = value }

    /// The value with surrounding white space removed; nil when absent or blank.
    func text(_ name: String) -> String? {
        // Blank (no visible character: FieldText's rule) is not given.
        guard let v = values[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty, !FieldText.isBlank(v) else { return nil }
        return v
    }

    /// `name=value` pairs joined by `&`, and the names given more than once; nil when a part cannot
    /// be decoded, unless `keepingBroken`.
    private static func parse(_ text: String, keepingBroken: Bool) -> (values: [String: String], repeated: [String])? {
        var values: [String: String] = [:]
        var repeated: [String] = []
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ s: Substring) -> String? { decode(s) ?? (keepingBroken ? String(s) : nil) }
            guard let name = decoded(parts[0]), let value = parts.count > 1 ? decoded(parts[1]) : "" else { return nil }
            if values.updateValue(value, forKey: name) != nil, !repeated.contains(name) { repeated.append(name) }
        }
        return (values, repeated)
    }

    private static func decode(_ s: Substring) -> String? {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}

extension Request {
    /// The query of a page's address read as a GET form (`FormFields(query:)`): every page reads its
    /// query here (the search box, the queue's filters, the report's period, a redirect's notice).
    /// The JSON API reads its own (`as_of`, where `+` in an offset stays a `+`).
    var formQuery: FormFields { FormFields(query: uri.query) }
}
