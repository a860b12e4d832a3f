import Foundation
import Hummingbird
import StoreContract

/// `/account/password`: anyone signed in changes their own password (the current one first). After
/// an admin's reset (`encompass users reset-password`) every other page sends the account here
/// until it has chosen a new one. Audited `user.password-changed`; never the password.
///
/// The current-password check is a password guess like a sign-in, so it goes through the sign-in
/// throttle (the same `SignInThrottle`, keyed by the account's name, so guesses here and at the
/// sign-in form count together) and each wrong one is audited `user.password-check-failed`. A
/// change ends the account's other sessions.
struct PasswordRoutes {
    static let path = "/account/password"

    let store: any HubStore
    let pages: PageRenderer
    let configuration: WebConfiguration
    let clock: WebClock
    let throttle: SignInThrottle

    func add(to router: Router<HubRequestContext>) {
        router.get(.init(stringLiteral: Self.path)) { _, context in
            let user = try context.user()
            return try await page(context: context, user: user, problems: [], status: .ok)
        }
        router.post(.init(stringLiteral: Self.path)) { request, context in
            let user = try context.user()
            // Passwords exactly as typed, as sign-in reads them: a space at either end is part of one.
            let current = context.form["current"] ?? ""
            let password = context.form["password"] ?? ""
            let confirm = context.form["confirm"] ?? ""
            let now = clock.now(), address = context.clientAddress(request)
            if let until = await throttle.admit(address: address, name: user.name, at: now) {
                var response = try await page(context: context, user: user, problems: [FieldProblem(field: "current", message:
                    "Too many wrong passwords. Your password was not checked. Wait until \(SignInRoutes.clock(until, configuration)), then try again.")],
                                              status: .tooManyRequests)
                response.headers[.retryAfter] = SignInRoutes.retryAfter(until, now: now)
                return response
            }
            var problems: [FieldProblem] = []
            // The hash is checked even for a password that cannot match, so both answers take as long.
            let verified = await configuration.passwordVerifier.verify(Passwords.checkable(current) ? current : "", user.passwordHash)
            let currentMatches = Passwords.checkable(current) && verified
            if currentMatches {
                await throttle.succeeded(address: address, name: user.name, at: now)
            } else {
                // The attempt was counted when it was admitted; the audit says a guess failed, never what.
                try await store.appendAudit(actor: "user:\(user.name)", action: "user.password-check-failed", subject: "user:\(user.name)", at: now)
                problems.append(FieldProblem(field: "current", message: "Enter the password you signed in with."))
            }
            if let why = Passwords.problem(with: password) {
                problems.append(FieldProblem(field: "password", message: why))
            } else if password == current {
                problems.append(FieldProblem(field: "password", message: "Choose a password other than the one you have now."))
            }
            if confirm != password { problems.append(FieldProblem(field: "confirm", message: "Enter the same new password twice.")) }
            guard problems.isEmpty else {
                return try await page(context: context, user: user, problems: problems, status: .unprocessableContent)
            }
            let hash = await Passwords.hash(password, cost: configuration.bcryptCost)
            // Every other session of the account ends: whoever else holds one is thrown out.
            try await store.changePassword(name: user.name, passwordHash: hash, keepingSession: context.session?.tokenHash, at: clock.now())
            return .redirect(to: "/", type: .normal)
        }
    }

    private func page(context: HubRequestContext, user: UserAccount, problems: [FieldProblem],
                      status: HTTPResponse.Status) async throws -> Response {
        var values: [String: Any] = ["reset": try await store.passwordResetPending(name: user.name)]
        values.merge(FormErrors(problems).values) { _, new in new }
        let frame = PageFrame(context: context, title: "Change your password", error: !problems.isEmpty)
        return pages.render("password", frame.with(values), status: status)
    }
}
