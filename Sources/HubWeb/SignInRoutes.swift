import Foundation
import Hummingbird
import RiskModel
import StoreContract

/// Signing in and out. Five wrong passwords in a row lock the account for a while; the page says so
/// plainly, and says when to try again.
struct SignInRoutes {
    let store: any HubStore
    let pages: PageRenderer
    let configuration: WebConfiguration
    let clock: WebClock

    func add(to router: Router<HubRequestContext>) {
        router.get("/sign-in") { request, context in
            if context.session != nil { return Response.redirect(to: "/", type: .normal) }
            let query = request.uri.queryParameters
            let notice: String? = query["expired"] != nil
                ? "Your session ended after \(Int(configuration.sessionIdle / 60)) minutes without use. Sign in again."
                : query["signed-out"] != nil ? "You have signed out." : nil
            return signInPage(request: request, context: context, next: query["next"].map(String.init), name: nil, notice: notice,
                              error: nil, status: .ok)
        }
        router.post("/sign-in") { request, context in
            try await signIn(request: request, context: context)
        }
        router.post("/sign-out") { _, context in
            if let session = context.session {
                try await store.endSession(tokenHash: session.tokenHash, at: clock.now(), expired: false)
            }
            var response = Response.redirect(to: "/sign-in?signed-out=1", type: .normal)
            response.setCookie(Cookie(name: AccessMiddleware.sessionCookie, value: "", maxAge: 0, path: "/",
                                      secure: context.overTLS, httpOnly: true, sameSite: .strict))
            return response
        }
    }

    private func signIn(request: Request, context: HubRequestContext) async throws -> Response {
        let form = context.form
        let next = form["next"]
        guard let name = form.text("name"), let password = form["password"], !password.isEmpty else {
            return signInPage(request: request, context: context, next: next, name: form.text("name"), notice: nil,
                              error: "Enter your name and your password.", status: .unprocessableContent)
        }
        let now = clock.now()
        guard let account = try await store.user(named: name) else {
            // Spend the same time as a real check, so the answer does not tell which names exist.
            _ = await Passwords.verify(password, hash: Passwords.decoy)
            return refused(request: request, context: context, next: next, name: name)
        }
        if account.disabled {
            _ = await Passwords.verify(password, hash: Passwords.decoy)
            return refused(request: request, context: context, next: next, name: name)
        }
        if let until = account.lockedUntil, now < until {
            return lockedPage(request: request, context: context, next: next, name: name, until: until)
        }
        guard await Passwords.verify(password, hash: account.passwordHash) else {
            let after = try await store.recordFailedSignIn(name: account.name, at: now, threshold: configuration.lockoutThreshold,
                                                           lockFor: configuration.lockoutDuration)
            if let until = after?.lockedUntil, now < until {
                return lockedPage(request: request, context: context, next: next, name: name, until: until)
            }
            return refused(request: request, context: context, next: next, name: name)
        }
        let token = Secrets.newToken()
        try await store.openSession(NewSession(tokenHash: Secrets.hash(token), userName: account.name,
                                               csrfToken: Secrets.newToken(), at: now))
        var response = Response.redirect(to: Self.safeNext(next) ?? "/", type: .normal)
        response.setCookie(Cookie(name: AccessMiddleware.sessionCookie, value: token, path: "/",
                                  secure: context.overTLS, httpOnly: true, sameSite: .strict))
        response.setCookie(Cookie(name: CSRFMiddleware.signInCookie, value: "", maxAge: 0, path: "/sign-in",
                                  secure: context.overTLS, httpOnly: true, sameSite: .strict))
        return response
    }

    private func refused(request: Request, context: HubRequestContext, next: String?, name: String) -> Response {
        signInPage(request: request, context: context, next: next, name: name, notice: nil,
                   error: "That name and password do not match an account that can sign in.", status: .unauthorized)
    }

    private func lockedPage(request: Request, context: HubRequestContext, next: String?, name: String, until: Date) -> Response {
        let minutes = Int(configuration.lockoutDuration / 60)
        let time = DisplayTime(zone: configuration.scoring.zone).clock(until)
        return signInPage(request: request, context: context, next: next, name: name, notice: nil,
                          error: "This account is locked for \(minutes) minutes after \(configuration.lockoutThreshold) wrong passwords in a row. "
                              + "Try again after \(time), or ask an administrator to unlock it.",
                          status: .tooManyRequests)
    }

    /// The form, with the sign-in CSRF token in a cookie and a hidden field. A token the browser already
    /// holds is kept, so a second request for the page (a favicon redirected here, another tab) does
    /// not make the first page's form stale.
    private func signInPage(request: Request, context: HubRequestContext, next: String?, name: String?, notice: String?,
                            error: String?, status: HTTPResponse.Status) -> Response {
        let held = request.cookies[CSRFMiddleware.signInCookie]?.value
        let csrf = held.flatMap { Secrets.isWellFormedToken($0) ? $0 : nil } ?? Secrets.newToken()
        var values: [String: Any] = [
            "signInCSRF": csrf, "lockoutThreshold": configuration.lockoutThreshold,
            "lockoutMinutes": Int(configuration.lockoutDuration / 60),
        ]
        if let next = Self.safeNext(next) { values["next"] = next }
        if let name { values["name"] = name }
        if let notice { values["notice"] = notice }
        if let error { values["error"] = error }
        var response = pages.render("sign-in", PageFrame(context: context, title: "Sign in").with(values), status: status)
        response.setCookie(Cookie(name: CSRFMiddleware.signInCookie, value: csrf, path: "/sign-in",
                                  secure: context.overTLS, httpOnly: true, sameSite: .strict))
        return response
    }

    /// Only a path on this site: never `//host` or a full address, so sign-in cannot send anyone away.
    static func safeNext(_ next: String?) -> String? {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"),
              next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return nil }
        return next
    }

    static func encodeNext(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~/"))) ?? "/"
    }
}
