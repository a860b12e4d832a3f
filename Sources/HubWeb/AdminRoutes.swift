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
            let notice = request.uri.queryParameters["done"].map { _ in "Saved." }
            return try await usersPage(context: context, admin: admin, problems: [], entered: [:], notice: notice, status: .ok)
        }
        router.post("/admin/users") { _, context in
            let admin = try context.require(.admin)
            let form = context.form
            let name = form.text("name")
            let role = form.text("role").flatMap(Role.init(rawValue:))
            let password = form["password"] ?? ""
            var problems: [String] = []
            if name == nil { problems.append("Give the person's sign-in name.") }
            if role == nil { problems.append("Choose a role: hub, supervisor or admin.") }
            problems += UserAccounts.problems(name: name, password: password)
            if password != (form["confirm"] ?? "") { problems.append("The two passwords are not the same.") }
            if problems.isEmpty, let name, let role {
                do {
                    try await UserAccounts.add(name: name, role: role, password: password, store: store,
                                               by: "user:\(admin.name)", at: clock.now(), cost: configuration.bcryptCost)
                    return Response.redirect(to: "/admin/users?done=1", type: .normal)
                } catch AccountError.nameTaken {
                    problems.append("There is already an account with that name.")
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

    private func usersPage(context: HubRequestContext, admin: UserAccount, problems: [String], entered: [String: String],
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
            "users": users, "problems": problems, "minimumPassword": Passwords.minimumLength,
            "roles": Role.allCases.map { ["value": $0.rawValue, "selected": entered["role"] == $0.rawValue] },
        ]
        if let name = entered["name"], !name.isEmpty { values["name"] = name }
        if let notice { values["notice"] = notice }
        return pages.render("users", PageFrame(context: context, title: "Accounts").with(values), status: status)
    }
}

/// What makes a usable sign-in name: short, printable, no spaces at the ends.
public enum AccountRules {
    public static func problem(withName name: String) -> String? {
        guard (1...64).contains(name.count) else { return "A sign-in name has 1 to 64 characters." }
        guard name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            return "A sign-in name has no spaces or control characters."
        }
        return nil
    }
}
