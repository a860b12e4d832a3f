import Foundation
import Hummingbird
import RiskModel
import StoreContract

/// For admins: each school's key adult and deputies (add, change, remove; each audited). The
/// rules are the store's (`KeyAdultChange`, `KeyAdult.make`), the same as Config/key-adults.csv's;
/// a school's waiting alerts follow its people at once, and alerts waiting for a school that now
/// has someone are queued.
struct KeyAdultRoutes {
    let store: any HubStore
    let pages: PageRenderer
    let configuration: WebConfiguration
    let clock: WebClock

    func add(to router: Router<HubRequestContext>) {
        router.get("/admin/key-adults") { request, context in
            _ = try context.require(.admin)
            let notice = request.formQuery["done"].map { _ in "Saved." }
            return try await page(context: context, problems: [], entered: [:], notice: notice, status: .ok)
        }
        router.post("/admin/key-adults") { _, context in
            let admin = try context.require(.admin)
            let f = context.form
            let entered = ["urn", "name", "channel", "email", "endpoint"].reduce(into: [String: String]()) { $0[$1] = f[$1] ?? "" }
            switch Self.adult(f, prefix: "new-") {
            case .failure(let problem):
                return try await page(context: context, problems: [problem], entered: entered, notice: nil, status: .unprocessableContent)
            case .success(let adult):
                return try await change(.add(adult), admin: admin, context: context, field: "new-email", entered: entered)
            }
        }
        router.post("/admin/key-adults/change") { _, context in
            let admin = try context.require(.admin)
            let f = context.form
            let row = f.text("row") ?? ""
            switch Self.adult(f, prefix: row + "-") {
            case .failure(let problem):
                return try await page(context: context, problems: [problem], entered: [:], notice: nil, status: .unprocessableContent)
            case .success(let adult):
                return try await change(.replace(email: f.text("original") ?? "", with: adult), admin: admin, context: context,
                                        field: row + "-email", entered: [:])
            }
        }
        router.post("/admin/key-adults/remove") { _, context in
            let admin = try context.require(.admin)
            let f = context.form
            return try await change(.remove(urn: f.text("urn") ?? "", email: f.text("email") ?? ""), admin: admin, context: context,
                                    field: "new-urn", entered: [:])
        }
    }

    /// A key adult from a form, or the first field at fault (`prefix` + the column) with why.
    static func adult(_ f: FormFields, prefix: String) -> Result<KeyAdult, FieldProblem> {
        let fields = ["urn", "name", "channel", "email", "endpoint"]
        for name in fields {
            if let why = TextInput.keyAdultField.problem(f[name] ?? "") { return .failure(FieldProblem(field: prefix + name, message: why)) }
        }
        switch KeyAdult.make(urn: f[fields[0]] ?? "", name: f[fields[1]] ?? "", email: f[fields[3]] ?? "",
                             channel: f[fields[2]] ?? "", endpoint: f[fields[4]] ?? "") {
        case .success(let a): return .success(a)
        case .failure(let why): return .failure(FieldProblem(field: prefix + why.column, message: Self.words(why)))
        }
    }

    private static func words(_ why: FieldRefusal) -> String {
        switch why.column {
        case "urn": "Enter the school's URN: 6 digits, as GIAS shows it."
        case "name": "Enter the person's name (at most 200 characters)."
        case "channel": "Choose e-mail or HTTPS."
        case "email": "Enter an e-mail address such as dsl@school.example."
        default: "Enter the school system's address: an https:// URL with a host."
        }
    }

    private func change(_ change: KeyAdultChange, admin: UserAccount, context: HubRequestContext, field: String,
                        entered: [String: String]) async throws -> Response {
        do {
            try await store.changeKeyAdults(change, actor: "user:\(admin.name)", at: clock.now())
        } catch let e as KeyAdultError {
            let message = switch e {
            case .unknownSchool(let urn): "School \(urn) is not in the directory: a key adult must be at a known school."
            case .refused(let why): why.prefix(1).uppercased() + why.dropFirst() + "."
            case .notFound: "That person is no longer a key adult at the school: someone changed the list first."
            }
            return try await page(context: context, problems: [FieldProblem(field: field, message: message)], entered: entered,
                                  notice: nil, status: .unprocessableContent)
        }
        // A school that now has someone: its waiting children's alerts are queued.
        if let planner = configuration.alertPlanner { _ = try await store.matchUnmatched(planner: planner, now: clock.now()) }
        return .redirect(to: "/admin/key-adults?done=1", type: .normal)
    }

    private func page(context: HubRequestContext, problems: [FieldProblem], entered: [String: String], notice: String?,
                      status: HTTPResponse.Status) async throws -> Response {
        let adults = try await store.keyAdults(urn: nil)
        var names: [String: String] = [:]
        for urn in Set(adults.map(\.urn)) { names[urn] = try await store.school(urn: urn)?.name }
        let rows = adults.enumerated().map { i, a -> [String: Any] in
            [
                "row": "ka-\(i)", "urn": a.urn, "school": names[a.urn] ?? "URN " + a.urn, "name": a.name, "email": a.email,
                "endpoint": a.endpoint ?? "", "channel": a.channel.rawValue, "isHTTPS": a.channel == .https,
            ]
        }
        var values: [String: Any] = [
            "adults": rows, "hasAdults": !rows.isEmpty,
            "channels": ["smtp", "https"].map { ["value": $0, "selected": (entered["channel"] ?? "smtp") == $0] },
        ]
        for (k, v) in entered { values["entered-" + k] = v }
        values.merge(FormErrors(problems).values) { _, new in new }
        if let notice { values["notice"] = notice }
        return pages.render("key-adults", PageFrame(context: context, title: "Key adults", error: !problems.isEmpty).with(values),
                            status: status)
    }
}
