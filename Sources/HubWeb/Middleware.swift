import Delivery
import Foundation
import HTTPTypes
import Hummingbird
import InputRules
import NIOCore
import Logging
import StoreContract
import TimeLimit

/// Headers on every answer: no script may run and nothing may be framed or cached, since the pages
/// hold children's personal data.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        if Self.overTLS(request) { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        return response
    }

    static func overTLS(_ request: Request) -> Bool {
        request.headers[.xForwardedProto]?.lowercased() == "https"
    }
}

/// Turns a refusal or a failure into a page (or a JSON error under /api). A failure is logged by its
/// type only, and a database's by its one line too: other errors' text could carry a child's details.
/// A school's acknowledgement link is answered in the school's own page (`AcknowledgementRoutes.problemPage`).
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let pages: PageRenderer
    /// The hub's contact, for a school whose link cannot be answered.
    let hub: HubContact
    /// The sign-in page, for a sign-in carrying a kept form that failed (`UnrecordedForm`).
    let signIn: SignInRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as PageError {
            return respond(request, context, status: error.status, message: error.message)
        } catch let error as HTTPError {
            let message = error.status == .notFound ? PageError.notFound.message : (error.body ?? error.status.reasonPhrase)
            var response = respond(request, context, status: error.status, message: message)
            // A 405's Allow (`MethodNotAllowedMiddleware`).
            for field in error.headers { response.headers.append(field) }
            return response
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            // A body over a route's limit (NIO's NIOTooManyBytesError from collectBody), on any route.
            return respond(request, context, status: .contentTooLarge, message: PageError.tooLarge.message)
        } catch {
            // A kept form's press, or a sign-in carrying one, that failed (`KeptFormMiddleware`):
            // logged and answered by the failure's own kind, with the form given back.
            let unrecorded = error as? UnrecordedForm
            let error = unrecorded?.failure ?? error
            let path = RequestLogMiddleware.loggedPath(request, context, status: .internalServerError)
            var metadata: Logger.Metadata = ["error": "\(type(of: error))", "path": "\(path)"]
            // A database's own one line (a full disk, a lock, a damaged file), as a command prints it
            // on stderr: the operator reading the journal through a morning of 503s must see which
            // (audit 21, crash F3). It names tables and constraints, never a value (`StoreFailure`).
            if let failure = error as? any StoreFailure { metadata["problem"] = "\(failure.problem)" }
            context.logger.error("request failed", metadata: metadata)
            // A busy or unavailable database is 503, as it is 69 from a command: the error says its kind.
            let failure = KeptForm.Failure(error)
            switch unrecorded?.given {
            case .resent(let resent)?:
                // The form comes back as sent, from the request alone: the database may not be there to ask.
                return pages.render("error", PageFrame(context: context, title: failure.title)
                    .with(["reason": failure.title, "message": resent.message(failure), "kept": resent.values]), status: failure.status)
            case .signIn(let kept, let name)?:
                return signIn.failed(request: request, context: context, kept: kept, name: name, failure: failure)
            case nil:
                break
            }
            if failure == .unavailable {
                return respond(request, context, status: .serviceUnavailable,
                               message: "The hub's database is busy or unavailable. Nothing was changed; try again in a minute.")
            }
            return respond(request, context, status: .internalServerError,
                           message: "Something went wrong on our side. Nothing was changed; try again, and tell the hub's administrator if it happens again.")
        }
    }

    private func respond(_ request: Request, _ context: Context, status: HTTPResponse.Status, message: String) -> Response {
        if AccessMiddleware.takesToken(request.uri.path) {
            return .jsonError(message, status: status)
        }
        if AcknowledgementRoutes.isLinkPath(request.uri.path) {
            return AcknowledgementRoutes.problemPage(pages, context: context, hub: hub, status: status)
        }
        return pages.render("error", PageFrame(context: context, title: status.reasonPhrase)
            .with(["status": Int(status.code), "reason": status.reasonPhrase, "message": message]), status: status)
    }
}

/// A kept form's press (`KeptForm`) that fails, because the database is unavailable or by a fault
/// of ours: its body is read here, before the session is looked up (the first thing to fail when the
/// database has gone), so that the failure can carry the form to `ErrorMiddleware`, which answers 503
/// (or 500) with the form as sent (`KeptForm.Resent`). A sign-in carrying a kept form (`KeptForm(carriedIn:)`)
/// that fails is carried the same way, and answered with the sign-in page again, still carrying the
/// form (audit 23: the database away at that moment lost it). A refusal (a 403, a 404, a 413) is
/// not a failure and passes as before. Inside `RequestLogMiddleware`, which logs a body over the
/// limit (413) as before; the failure itself is logged by `ErrorMiddleware`, by its type and route only.
struct KeptFormMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard request.method == .post, KeptForm.Kind(path: path) != nil || path == "/sign-in" else { return try await next(request, context) }
        var request = request
        // The middlewares below read this copy of the body again.
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        do {
            return try await next(request, context)
        } catch where RequestLogMiddleware.refusalStatus(error) == nil {
            guard let form = FormFields(urlEncoded: body), let given = UnrecordedForm.Given(path: path, form: form) else { throw error }
            throw UnrecordedForm(failure: error, given: given)
        }
    }
}

/// A failure under a kept form's press, or under a sign-in carrying one, with the form as sent (`KeptFormMiddleware`).
struct UnrecordedForm: Error {
    enum Given {
        /// The form's own press: given back on the error page.
        case resent(KeptForm.Resent)
        /// A sign-in carrying the form: the sign-in page again, with the name typed (never the password).
        case signIn(KeptForm, name: String?)

        init?(path: String, form: FormFields) {
            if path == "/sign-in" {
                guard let kept = KeptForm(carriedIn: form) else { return nil }
                self = .signIn(kept, name: form.text("name"))
            } else {
                guard let resent = KeptForm.Resent(path: path, form: form) else { return nil }
                self = .resent(resent)
            }
        }
    }

    let failure: any Error
    let given: Given
}

/// One line per request: method, path (ids only, never a query string or a body) and status.
/// A refusal thrown below (a page's 404, a 405, the CSRF 403) is logged the same way before
/// `ErrorMiddleware` answers it: forged forms and probed addresses leave a trace. A failure (500,
/// 503) is `ErrorMiddleware`'s own line.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            if let status = Self.refusalStatus(error) { log(request, context, status: status) }
            throw error
        }
        log(request, context, status: response.status)
        return response
    }

    private func log(_ request: Request, _ context: Context, status: HTTPResponse.Status) {
        let path = Self.loggedPath(request, context, status: status)
        context.logger.info("request", metadata: [
            "method": "\(request.method.rawValue)", "path": "\(path)", "status": "\(status.code)",
        ])
    }

    /// The status of a refusal as `ErrorMiddleware` answers it; nil for a failure.
    static func refusalStatus(_ error: any Error) -> HTTPResponse.Status? {
        if let refusal = error as? PageError { return refusal.status }
        return (error as? any HTTPResponseError)?.status
    }

    /// A path as every log line shows it. Only a request answered 2xx is written by its path: a
    /// route gave its page or its record, so the ids in it named something the caller may see. Any
    /// other answer (a redirect, to sign-in without a session or after a form; a refusal, 404 for an
    /// id that names nothing, 403; a failure) is written by the route's pattern, as /metrics labels
    /// it (`/children/{childId}`): its id is whatever was typed, a name even (audit 22, people F5:
    /// `/children/Ophelia%20Xanthos` reached the journal). A path no route takes is `(no route)`.
    /// An acknowledgement link's token opens a child's alert to whoever holds it, so it is written
    /// `/ack/…`: the only secret a path carries (a password is reset by an administrator and chosen
    /// at /password, with no key in the address).
    static func loggedPath(_ request: Request, _ context: Context, status: HTTPResponse.Status) -> String {
        guard let pattern = HubMetrics.routePattern(context.endpointPath) else { return "(no route)" }
        let path = request.uri.path
        if AcknowledgementRoutes.isLinkPath(path) { return "/ack/…" }
        return (200..<300).contains(Int(status.code)) ? path : pattern
    }
}

/// A method the path does not take: 405 with `Allow` naming those it does, where Hummingbird's
/// router would answer 404 as for a path that does not exist. Added after every route, so it wraps
/// only the router's not-found answer.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let routes: [(path: RouterPath, method: HTTPRequest.Method)]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let segments = request.uri.path.split(separator: "/", omittingEmptySubsequences: true)
            var allowed = Set(routes.filter { route in
                route.path.components.count == segments.count && zip(route.path.components, segments).allSatisfy { $0 ~= $1 }
            }.map(\.method.rawValue))
            if allowed.contains("GET") { allowed.insert("HEAD") }
            // 405 only for a method the path does not take: a route's own 404 (an unknown child) stays.
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { throw error }
            var refusal = HTTPError(.methodNotAllowed, message: "This address does not take \(request.method.rawValue).")
            refusal.headers[.allow] = allowed.sorted().joined(separator: ", ")
            throw refusal
        }
    }
}

/// Default deny: /health, the sign-in page, its stylesheet and icon are open; /api and /metrics need a
/// bearer token (401 without one) whose scope opens them (403, audited, with one that does not);
/// every other address needs a live session (a redirect to sign-in without one).
struct AccessMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let store: any HubStore
    let configuration: WebConfiguration
    let clock: WebClock
    let signIn: SignInRoutes
    let tokenUses = TokenUses()

    static let sessionCookie = "encompass_session"
    static let openRoutes: Set<String> = ["GET /health", "GET /sign-in", "POST /sign-in", "GET /static/hub.css",
                                          "GET " + StaticRoutes.faviconPath]

    static func isAPI(_ path: String) -> Bool { path == "/api" || path.hasPrefix("/api/") }

    /// The addresses a bearer token opens, and a session does not: the JSON API and the metrics.
    static func takesToken(_ path: String) -> Bool { scopeNeeded(path) != nil }

    /// The scope a token needs for `path` (`TokenScope.includes` says which open it), or nil for an
    /// address no token opens.
    static func scopeNeeded(_ path: String) -> TokenScope? {
        if isAPI(path) { return .api }
        return path == "/metrics" ? .metrics : nil
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.overTLS = configuration.secureCookies || SecurityHeadersMiddleware.overTLS(request)
        let path = request.uri.path
        // The school's link and a receiver's signed acknowledgement carry their own key.
        if AcknowledgementRoutes.isLinkPath(path) || (request.method == .post && AcknowledgementRoutes.isWebhookPath(path)) {
            return try await next(request, context)
        }
        if let needed = Self.scopeNeeded(path) {
            let found: LiveAPIToken?
            if needed == .metrics {
                // A scraper's token is looked up within /health's wait too: with the database gone,
                // the store's own 20 s passed a scraper's timeout, which reads as this server down
                // rather than its database (audit 20, operability F4).
                let wait = configuration.healthTimeoutSeconds
                guard let answer = try await FirstAnswer.within(.seconds(wait), { try await apiClient(request) }) else {
                    return Response.databaseUnavailable
                }
                found = answer
            } else {
                found = try await apiClient(request)
            }
            guard let client = found else {
                var response = Response.jsonError("a valid bearer token is required", status: .unauthorized)
                response.headers[.wwwAuthenticate] = "Bearer"
                return response
            }
            // A live token, so not 401: refused before any route runs, so whether a child or an
            // alert exists is not told either. Audited, as a failed sign-in is: a scraper's
            // credential tried on children's records is worth an administrator's look.
            guard client.scope.includes(needed) else {
                try await store.appendAudit(actor: "api:\(client.name)", action: "token.out-of-scope", subject: "scope:\(needed.rawValue)",
                                            at: clock.now())
                return Response.jsonError("this token's scope does not open this address (it needs scope \(needed.rawValue))", status: .forbidden)
            }
            context.apiClient = client.name
            return try await next(request, context)
        }
        var expired: String?
        if let token = request.cookies[Self.sessionCookie]?.value {
            let hash = Secrets.hash(token)
            if let session = try await store.session(tokenHash: hash), !session.user.disabled {
                let now = clock.now()
                // Idle too long, or older than the absolute lifetime however busy.
                let idle = now.timeIntervalSince(session.lastSeenAt) > configuration.sessionIdle
                if idle || now.timeIntervalSince(session.createdAt) >= configuration.sessionLifetime {
                    try await store.endSession(tokenHash: hash, at: now, expired: true)
                    expired = idle ? "1" : "lifetime"
                } else {
                    if now.timeIntervalSince(session.lastSeenAt) > configuration.sessionTouchInterval {
                        try await store.touchSession(tokenHash: hash, at: now)
                    }
                    context.session = session
                }
            }
        }
        // HEAD is answered as GET without the body (`autoGenerateHeadEndpoints`), so it is let in as GET
        // is: a load balancer's `HEAD /health` is open.
        let method: HTTPRequest.Method = request.method == .head ? .get : request.method
        let open = Self.openRoutes.contains("\(method.rawValue) \(path)")
        // After an admin's reset, nothing but choosing a new password (or signing out).
        if !open, let session = context.session, path != PasswordRoutes.path, path != "/sign-out",
           try await store.passwordResetPending(name: session.user.name) {
            return .redirect(to: PasswordRoutes.path, type: .normal)
        }
        // An officer reads a child's page and nothing else (`OfficerAccess`).
        if !open, let session = context.session, !session.user.role.isStaff {
            switch OfficerAccess.decide(method, path) {
            case .allow: break
            case .redirect(let target): return .redirect(to: target, type: .normal)
            case .forbid: throw PageError.forbidden
            }
        }
        if open || context.session != nil {
            return try await next(request, context)
        }
        // A kept form (`KeptForm`) is answered with the sign-in page itself, carrying what was typed.
        if method == .post, KeptForm.Kind(path: path) != nil {
            var request = request
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            if let form = FormFields(urlEncoded: body), let kept = KeptForm(path: path, form: form) {
                return signIn.sessionEnded(request: request, context: context, kept: kept, expired: expired)
            }
        }
        var target = "/sign-in"
        var query: [String] = []
        if let expired { query.append("expired=" + expired) }
        if method == .get, path != "/" { query.append("next=" + SignInRoutes.encodeNext(path)) }
        // Any other form: the sign-in page says that what was sent was not recorded.
        if method == .post, path != "/sign-out" { query.append("unsent=1") }
        if !query.isEmpty { target += "?" + query.joined(separator: "&") }
        return .redirect(to: target, type: .normal)
    }

    /// The live token in `Authorization: Bearer ...`, or nil.
    private func apiClient(_ request: Request) async throws -> LiveAPIToken? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.count <= 200 else { return nil }
        let hash = Secrets.hash(token), now = clock.now()
        guard let live = try await store.liveAPIToken(tokenHash: hash, at: now) else { return nil }
        if await tokenUses.due(hash, at: now) { try await store.noteAPITokenUse(tokenHash: hash, at: now) }
        return live
    }
}

/// When each token's use was last written down, so a busy client costs one write a minute, not one
/// a request (`tokens list` shows the last use to the minute).
actor TokenUses {
    static let interval: TimeInterval = 60
    private var noted: [String: Date] = [:]

    func due(_ hash: String, at now: Date) -> Bool {
        if let last = noted[hash], now.timeIntervalSince(last) < Self.interval { return false }
        noted[hash] = now
        return true
    }
}

/// Every form POST carries the CSRF token: the session's once signed in, or the sign-in page's own
/// cookie before. A POST without it, or with the wrong one, gets 403 and changes nothing.
struct CSRFMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let recall: FormRecall

    static let signInCookie = "encompass_signin_csrf"
    static let field = "csrf"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // An acknowledgement link's token is its own proof: a forged form would need the token.
        guard request.method == .post, !AccessMiddleware.takesToken(request.uri.path),
              !AcknowledgementRoutes.isLinkPath(request.uri.path) else {
            return try await next(request, context)
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        guard let form = FormFields(urlEncoded: body) else { throw PageError.badRequest(FormFields.notText) }
        // The sign-in form always carries the sign-in page's token, even in a browser that is signed in
        // (signing in there ends that session and starts the new one).
        let expected = request.uri.path == "/sign-in"
            ? request.cookies[Self.signInCookie]?.value
            : context.session?.csrfToken ?? request.cookies[Self.signInCookie]?.value
        guard let expected, let given = form[Self.field], Secrets.constantTimeEqual(given, expected) else {
            // A token such as this site gives, on a live session's form: a page from before this
            // browser signed in again (another tab). The form comes back filled in, still 403 and
            // nothing written; the session cookie is SameSite=Strict, so this page is never sent to
            // another site's form.
            if context.session != nil, request.uri.path != "/sign-in", let given = form[Self.field], Secrets.isWellFormedToken(given),
               let kept = KeptForm(path: request.uri.path, form: form) {
                return try await recall.present(kept, .earlierSession, context: context, status: .forbidden)
            }
            throw PageError.csrf
        }
        // A field given twice (`marac`, `reason`) is ambiguous: refused whole, nothing recorded,
        // never read as either value. Here, where every form is read, after its token, so a forged
        // form is told only 403. A kept form (`KeptForm`) comes back on its own page, as its other
        // problems do, without the field given twice; any other form gets the error page.
        if let name = form.repeatedName {
            if let kept = KeptForm(path: request.uri.path, form: form) {
                return try await recall.present(kept, .givenTwice(name), context: context, status: .badRequest)
            }
            throw PageError.badRequest(FormFields.givenTwice(name, in: "the form") + " Nothing was changed: reload the page and send it again.")
        }
        var context = context
        context.form = form
        return try await next(request, context)
    }
}

/// One rule for every address's query, a page's or the API's: each parameter takes one value, and
/// one given twice (`?as_of=A&as_of=B`) is refused with 400 naming it (`FormFields.repeatedName`),
/// never read as the first (the API) or the last (the pages). Inside `AccessMiddleware`, so a caller
/// without a session or a token is told only that.
struct QueryMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let name = request.formQuery.repeatedName {
            throw PageError.badRequest(FormFields.givenTwice(name, in: "the address"))
        }
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
