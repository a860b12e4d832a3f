import Foundation
import Hummingbird
import StoreContract

/// Finding a child by id: the page an officer lands on, and a shortcut for staff. A child found is
/// a redirect to the child's page, where the view is audited.
struct SearchRoutes {
    /// The page's address (its route is written out below, as Hummingbird takes it) and its one field.
    static let path = "/search"
    static let field = "child"

    let store: any HubStore
    let pages: PageRenderer

    func add(to router: Router<HubRequestContext>) {
        router.get("/search") { request, context in
            _ = try context.user()
            guard let typed = request.formQuery["child"] else {
                return page(context: context, typed: nil, problem: nil, status: .ok)
            }
            let id = typed.trimmingCharacters(in: .whitespaces)
            if let why = TextInput.childId.problem(typed) {
                return page(context: context, typed: typed, problem: why, status: .unprocessableContent)
            }
            if id.isEmpty {
                return page(context: context, typed: typed, problem: "Enter the child's id, such as C-1003.", status: .unprocessableContent)
            }
            guard try await store.childExists(id) else {
                return page(context: context, typed: typed,
                            problem: "No child has the id \(id). Check it against the force's record and try again.", status: .notFound)
            }
            return .redirect(to: ChildRoutes.path(id), type: .normal)
        }
    }

    private func page(context: HubRequestContext, typed: String?, problem: String?, status: HTTPResponse.Status) -> Response {
        var values = FormErrors(problem.map { [FieldProblem(field: Self.field, message: $0)] } ?? []).values
        values["action"] = Self.path + "#" + FormErrors.summaryId
        if let typed { values["typed"] = typed }
        return pages.render("search", PageFrame(context: context, title: "Find a child", error: problem != nil).with(values), status: status)
    }
}
