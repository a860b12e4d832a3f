import HTTPTypes

/// What an officer's session may reach (SPEC §5: "may read a child's page and nothing else"): the
/// search box, a child's page, and signing out. Default deny: any other address, known or not,
/// added later or not, is 403 for an officer; the address of the queue sends them to the search box.
/// The open addresses (sign-in, /health, the stylesheet) are answered before this is asked.
enum OfficerAccess: Equatable {
    case allow
    case redirect(String)
    case forbid

    static func decide(_ method: HTTPRequest.Method, _ path: String) -> OfficerAccess {
        switch (method, path) {
        case (.get, "/"): return .redirect(SearchRoutes.path)
        case (.get, SearchRoutes.path), (.head, SearchRoutes.path), (.post, "/sign-out"),
             (.get, PasswordRoutes.path), (.post, PasswordRoutes.path): return .allow
        case (.get, _), (.head, _):
            // `/children/{childId}`: one segment after /children/, nothing below it.
            let prefix = "/children/"
            guard path.hasPrefix(prefix) else { return .forbid }
            let rest = path.dropFirst(prefix.count)
            return !rest.isEmpty && !rest.contains("/") ? .allow : .forbid
        default: return .forbid
        }
    }
}
