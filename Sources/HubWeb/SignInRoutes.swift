import Foundation
import HTTPTypes
import Hummingbird
import RiskModel
import StoreContract

/// Signing in and out. Guessing is slowed per client address and per name (`SignInThrottle`); no
/// answer tells whether a name has an account.
struct SignInRoutes {
    let store: any HubStore
    let pages: PageRenderer
    let configuration: WebConfiguration
    let clock: WebClock
    let throttle: SignInThrottle
    let recall: FormRecall

    func add(to router: Router<HubRequestContext>) {
        router.get("/sign-in") { request, context in
            if context.session != nil { return Response.redirect(to: "/", type: .normal) }
            let query = request.formQuery
            var notice: String? = query["expired"].map { ended($0) + " Sign in again." }
                ?? (query["signed-out"] != nil ? "You have signed out." : nil)
            if query["unsent"] != nil { notice = (notice.map { $0 + " " } ?? "") + Self.unsent }
            return signInPage(request: request, context: context, next: query["next"], name: nil, notice: notice,
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

    /// Why the session is over, as the sign-in page says it (`expired=1` or `lifetime`).
    private func ended(_ expired: String) -> String {
        expired == "lifetime" ? "Your session ended \(Self.hours(configuration.sessionLifetime)) after you signed in."
            : "Your session ended after \(Int(configuration.sessionIdle / 60)) minutes without use."
    }

    static let unsent = "What you sent was NOT recorded: sign in, then send it again."
    static let kept = "What you sent was NOT recorded. Sign in again and the form comes back as you typed it, to check and send."

    /// The answer to a kept form's POST without a live session (`KeptForm`): the sign-in page, saying
    /// that nothing was recorded, with the form's typed fields as its own hidden fields and `next`
    /// the form's page. 401, as a refused sign-in is.
    func sessionEnded(request: Request, context: HubRequestContext, kept: KeptForm, expired: String?) -> Response {
        let why = expired.map(ended) ?? "You are not signed in."
        return signInPage(request: request, context: context, next: kept.kind.page, name: nil, notice: why + " " + Self.kept,
                          error: nil, status: .unauthorized, kept: kept)
    }

    /// A sign-in carrying a kept form that failed (`UnrecordedForm`): the database unavailable (503)
    /// or a fault of ours (500). The sign-in page again, still carrying the form and the name typed
    /// (never the password), so that signing in once the database is back leads to the form as before;
    /// made from the request alone, as the database may not be there to ask.
    func failed(request: Request, context: HubRequestContext, kept: KeptForm, name: String?, failure: KeptForm.Failure) -> Response {
        let why = switch failure {
        case .unavailable: "The hub's database is busy or unavailable, so you are not signed in, and what you sent was NOT recorded. "
            + "Sign in again in a moment and the form comes back as you typed it, to check and send."
        case .ours: "Something went wrong on our side, so you are not signed in, and what you sent was NOT recorded. "
            + "Sign in again and the form comes back as you typed it, to check and send; tell the hub's administrator if it happens again."
        }
        return signInPage(request: request, context: context, next: kept.kind.page, name: name, notice: nil, error: why,
                          status: failure.status, kept: kept)
    }

    /// Every attempt the throttle admits costs one bcrypt check, whatever happens: an unknown name
    /// and a disabled account are checked against a decoy hash. A throttled attempt costs none.
    /// A wrong password, an unknown name and a disabled account get the same page and status (401);
    /// a throttled attempt gets 429 whether or not the name exists. Nothing tells which names exist.
    private func signIn(request: Request, context: HubRequestContext) async throws -> Response {
        let form = context.form
        // A form refused when the session ended rides through every answer here until sign-in succeeds.
        let kept = KeptForm(carriedIn: form)
        let next = kept?.kind.page ?? form["next"]
        func answer(name: String?, notice: String?, error: String?, status: HTTPResponse.Status) -> Response {
            signInPage(request: request, context: context, next: next, name: name, notice: kept.map { _ in Self.kept } ?? notice,
                       error: error, status: status, kept: kept)
        }
        guard let name = form.text("name"), let password = form["password"], !password.isEmpty else {
            return answer(name: form.text("name"), notice: nil, error: "Enter your name and your password.", status: .unprocessableContent)
        }
        // A name that no account can have (control characters, too long) is refused plainly: the
        // rule is public, so this tells nothing about who has an account.
        if let why = TextInput.accountName.problem(name) {
            return answer(name: nil, notice: nil, error: why, status: .unprocessableContent)
        }
        let now = clock.now()
        let address = context.clientAddress(request)
        // The attempt is counted here, before its hash is checked, so guesses sent at once cannot
        // pass the limit; a refused one is answered at once, with no hash (its 429 already says it
        // was refused, so a decoy check would hide nothing and only spend the CPU).
        if let until = await throttle.admit(address: address, name: name, at: now) {
            return throttledPage(request: request, context: context, next: next, name: name, now: now, until: until, kept: kept)
        }
        let account = try await store.user(named: name)
        // bcrypt reads only the first 72 bytes: a longer password never matches, or the rest would not count.
        let usable = (account.map { !$0.disabled } ?? false) && Passwords.checkable(password)
        let hash = usable ? account?.passwordHash ?? Passwords.decoy : Passwords.decoy
        let matches = await configuration.passwordVerifier.verify(password, hash)
        guard usable, matches, let account else {
            if let account {
                // Counts the failure for the audit; the account itself is never locked (the throttle
                // slows guessing instead), so a stranger cannot keep its owner out.
                _ = try await store.recordFailedSignIn(name: account.name, at: now, threshold: .max, lockFor: 0)
            } else {
                // The same write for a name with no account, so the answer costs the same; no name kept.
                try await store.appendAudit(actor: "anonymous", action: "sign-in.failed", subject: "sign-in", at: now)
            }
            return answer(name: name, notice: nil, error: Self.refusal, status: .unauthorized)
        }
        await throttle.succeeded(address: address, name: name, at: now)
        // Signing in ends the session this browser already had, whoever's it was.
        if let old = request.cookies[AccessMiddleware.sessionCookie]?.value {
            try await store.endSession(tokenHash: Secrets.hash(old), at: now, expired: false)
        }
        let token = Secrets.newToken()
        try await store.openSession(NewSession(tokenHash: Secrets.hash(token), userName: account.name,
                                               csrfToken: Secrets.newToken(), at: now))
        var response = Response.redirect(to: Self.landing(next), type: .normal)
        if let kept, let session = try await store.session(tokenHash: Secrets.hash(token)) {
            // The form's page, filled in, answers the sign-in itself: what was typed goes nowhere else.
            var signedIn = context
            signedIn.session = session
            do {
                response = try await recall.present(kept, .sessionEnded, context: signedIn, status: .ok)
            } catch let refusal as PageError where refusal.status == .forbidden || refusal.status == .notFound {
                // Someone whose role does not take the form, or a child or alert gone meanwhile: the page, as any sign-in.
            }
        }
        response.setCookie(Cookie(name: AccessMiddleware.sessionCookie, value: token, path: "/",
                                  secure: context.overTLS, httpOnly: true, sameSite: .strict))
        response.setCookie(Cookie(name: CSRFMiddleware.signInCookie, value: "", maxAge: 0, path: "/sign-in",
                                  secure: context.overTLS, httpOnly: true, sameSite: .strict))
        return response
    }

    static let refusal = "That name and password do not match an account that can sign in."

    /// The same words whichever limit was reached and whether or not the name has an account.
    private func throttledPage(request: Request, context: HubRequestContext, next: String?, name: String, now: Date,
                               until: Date, kept: KeptForm?) -> Response {
        var response = signInPage(request: request, context: context, next: next, name: name, notice: kept.map { _ in Self.kept },
                                  error: "Too many sign-in attempts. Your password was not checked. Wait until \(Self.clock(until, configuration)), then try again.",
                                  status: .tooManyRequests, kept: kept)
        response.headers[.retryAfter] = Self.retryAfter(until, now: now)
        return response
    }

    /// When a throttled attempt may be made again, as the page says it (HH:MM:SS, not a second early).
    static func clock(_ until: Date, _ configuration: WebConfiguration) -> String {
        DisplayTime(zone: configuration.scoring.zone).clockWithSeconds(Date(timeIntervalSince1970: until.timeIntervalSince1970.rounded(.up)))
    }

    /// `Retry-After` for a throttled attempt: whole seconds, at least one.
    static func retryAfter(_ until: Date, now: Date) -> String {
        String(max(1, Int(until.timeIntervalSince(now).rounded(.up))))
    }

    /// The form, with the sign-in CSRF token in a cookie and a hidden field. A token the browser already
    /// holds is kept, so a second request for the page (a favicon redirected here, another tab) does
    /// not make the first page's form stale.
    private func signInPage(request: Request, context: HubRequestContext, next: String?, name: String?, notice: String?,
                            error: String?, status: HTTPResponse.Status, kept: KeptForm? = nil) -> Response {
        let held = request.cookies[CSRFMiddleware.signInCookie]?.value
        let csrf = held.flatMap { Secrets.isWellFormedToken($0) ? $0 : nil } ?? Secrets.newToken()
        var values: [String: Any] = [
            "signInCSRF": csrf, "freeFailures": configuration.signInLimits.nameFreeFailures,
        ]
        if let next = Self.safeNext(next) { values["next"] = next }
        if let name { values["name"] = name }
        if let notice { values["notice"] = notice }
        if let error { values["error"] = error }
        if let kept { values["kept"] = kept.carried }
        var response = pages.render("sign-in", PageFrame(context: context, title: "Sign in", error: error != nil).with(values),
                                    status: status)
        response.setCookie(Cookie(name: CSRFMiddleware.signInCookie, value: csrf, path: "/sign-in",
                                  secure: context.overTLS, httpOnly: true, sameSite: .strict))
        return response
    }

    static func hours(_ interval: TimeInterval) -> String {
        let hours = interval / 3600
        if hours == hours.rounded() { return hours == 1 ? "1 hour" : "\(Int(hours)) hours" }
        return "\(Int(interval / 60)) minutes"
    }

    /// Only a path on this site: never `//host` or a full address, so sign-in cannot send anyone away.
    /// Where a good sign-in goes: `next` when it is safe, else the queue, at the top of the page.
    /// The form's action ends `#errors` (a refusal lands on its summary), and a browser keeps that
    /// fragment through a redirect that has none of its own, so this one has `#top` (the top of
    /// the document, by HTML's rule, where no element is named so).
    static func landing(_ next: String?) -> String {
        let path = safeNext(next) ?? "/"
        return path.contains("#") ? path : path + "#top"
    }

    static func safeNext(_ next: String?) -> String? {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"),
              next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return nil }
        return next
    }

    static func encodeNext(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~/"))) ?? "/"
    }
}
