import Foundation
import Hummingbird
import StoreContract

/// `/account/password`: anyone signed in changes their own password (the current one first). After
/// an admin's reset (`encompass users reset-password`) every other page sends the account here
/// until it has chosen a new one. Audited `user.password-changed`; never the password.
struct PasswordRoutes {
    static let path = "/account/password"

    let store: any HubStore
    let pages: PageRenderer
    let configuration: WebConfiguration
    let clock: WebClock

    func add(to router: Router<HubRequestContext>) {
        router.get(.init(stringLiteral: Self.path)) { _, context in
            let user = try context.user()
            return try await page(context: context, user: user, problems: [], status: .ok)
        }
        router.post(.init(stringLiteral: Self.path)) { _, context in
            let user = try context.user()
            let current = context.form.text("current") ?? ""
            let password = context.form.text("password") ?? ""
            let confirm = context.form.text("confirm") ?? ""
            var problems: [FieldProblem] = []
            // The hash is checked even for a password that cannot match, so both answers take as long.
            let verified = await configuration.passwordVerifier.verify(Passwords.checkable(current) ? current : "", user.passwordHash)
            let currentMatches = Passwords.checkable(current) && verified
            if !currentMatches { problems.append(FieldProblem(field: "current", message: "Enter the password you signed in with.")) }
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
            try await store.changePassword(name: user.name, passwordHash: hash, at: clock.now())
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
