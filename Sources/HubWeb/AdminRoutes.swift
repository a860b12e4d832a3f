import Foundation
import Hummingbird
import RiskModel
import StoreContract

/// For admins: the accounts (add, disable, enable) and the audit.
struct AdminRoutes {
    let store: any HubStore
    let pages: PageRenderer
    let configuration: WebConfiguration
    let clock: WebClock

    static let auditLimit = 500

    func add(to router: Router<HubRequestContext>) {
        router.get("/admin/audit") { _, context in
            _ = try context.require(.admin)
            let time = DisplayTime(zone: configuration.scoring.zone)
            let rows = try await store.auditEntries(limit: Self.auditLimit).map { e -> [String: Any] in
                var row: [String: Any] = ["when": time.dayAndClock(e.at), "actor": e.actor, "action": e.action, "subject": e.subject]
                if let detail = e.detail { row["detail"] = detail }
                return row
            }
            return pages.render("audit", PageFrame(context: context, title: "Audit").with(["rows": rows, "limit": Self.auditLimit]))
        }
        router.get("/admin/users") { request, context in
            let admin = try context.require(.admin)
            let notice = request.formQuery["done"].map { _ in "Saved." }
            return try await usersPage(context: context, admin: admin, problems: [], entered: [:], notice: notice, status: .ok)
        }
        router.post("/admin/users") { _, context in
            let admin = try context.require(.admin)
            let form = context.form
            let name = form.text("name")
            let role = TextInput.code.accepts(form["role"]) ? form.text("role").flatMap(Role.init(rawValue:)) : nil
            let password = form["password"] ?? ""
            var problems: [FieldProblem] = []
            if name == nil {
                problems.append(FieldProblem(field: "new-name", message: "Enter the person's sign-in name."))
            } else if let name, let why = AccountRules.problem(withName: name) {
                problems.append(FieldProblem(field: "new-name", message: why))
            }
            if role == nil { problems.append(FieldProblem(field: "new-role", message: "Choose a role: \(Role.choices).")) }
            if let why = Passwords.problem(with: password) { problems.append(FieldProblem(field: "new-password", message: why)) }
            if password != (form["confirm"] ?? "") {
                problems.append(FieldProblem(field: "confirm", message: "The two passwords are not the same: type the same password twice."))
            }
            if problems.isEmpty, let name, let role {
                do {
                    try await UserAccounts.add(name: name, role: role, password: password, store: store,
                                               by: "user:\(admin.name)", at: clock.now(), cost: configuration.bcryptCost)
                    return Response.redirect(to: "/admin/users?done=1", type: .normal)
                } catch AccountError.nameTaken {
                    problems.append(FieldProblem(field: "new-name", message: "There is already an account with that name."))
                }
            }
            return try await usersPage(context: context, admin: admin, problems: problems,
                                       entered: ["name": form["name"] ?? "", "role": form["role"] ?? ""], notice: nil,
                                       status: .unprocessableContent)
        }
        for (verb, disabled) in [("disable", true), ("enable", false)] {
            router.post("/admin/users/:name/\(verb)") { _, context in
                let admin = try context.require(.admin)
                let name = try ChildRoutes.parameter("name", context)
                guard try await store.user(named: name) != nil else { throw PageError.notFound }
                if disabled, name.lowercased() == admin.name.lowercased() {
                    throw PageError.badRequest("You cannot disable your own account: ask another administrator.")
                }
                try await store.setDisabled(disabled, name: name, by: "user:\(admin.name)", at: clock.now())
                return Response.redirect(to: "/admin/users?done=1", type: .normal)
            }
        }
    }

    private func usersPage(context: HubRequestContext, admin: UserAccount, problems: [FieldProblem], entered: [String: String],
                           notice: String?, status: HTTPResponse.Status) async throws -> Response {
        let now = clock.now()
        let time = DisplayTime(zone: configuration.scoring.zone)
        let users = try await store.users().map { u -> [String: Any] in
            var state = u.disabled ? "disabled" : "active"
            if !u.disabled, let until = u.lockedUntil, now < until { state = "locked until \(time.clock(until))" }
            return [
                "name": u.name, "role": u.role.rawValue, "state": state, "disabled": u.disabled,
                "isSelf": u.name.lowercased() == admin.name.lowercased(),
                "disableAction": "/admin/users/" + ChildRoutes.encode(u.name) + "/disable",
                "enableAction": "/admin/users/" + ChildRoutes.encode(u.name) + "/enable",
                "locked": u.isLocked(at: now),
            ]
        }
        var values: [String: Any] = [
            "users": users, "minimumPassword": Passwords.minimumLength, "maximumPasswordBytes": Passwords.maximumBytes,
            "roles": Role.allCases.map { ["value": $0.rawValue, "selected": entered["role"] == $0.rawValue] },
        ]
        values.merge(FormErrors(problems).values) { _, new in new }
        if let name = entered["name"], !name.isEmpty { values["name"] = name }
        if let notice { values["notice"] = notice }
        return pages.render("users", PageFrame(context: context, title: "Accounts", error: !problems.isEmpty).with(values), status: status)
    }
}

/// What makes a usable sign-in name: short, printable, no spaces. Control characters and the length
/// limit are `TextInput`'s check, the one every typed field goes through.
public enum AccountRules {
    public static func problem(withName name: String) -> String? {
        if let why = TextInput.accountName.problem(name) { return why }
        guard !name.isEmpty else { return "Enter a sign-in name." }
        guard !name.unicodeScalars.contains(where: { $0.properties.isWhitespace }) else {
            return "A sign-in name has no spaces in it."
        }
        return nil
    }
}
