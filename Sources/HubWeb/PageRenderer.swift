import Foundation
import HTTPTypes
import Hummingbird
import InputRules
import NIOCore
import Mustache
import StoreContract

/// The Mustache pages of Templates/web and the stylesheet, read once at start. Templates use only
/// `{{ }}`, which escapes HTML, for anything a person or a force's system typed.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let stylesheet: String
    let hubName: String

    init(configuration: WebConfiguration) async throws {
        let dir = configuration.templatesDirectory
        guard FileManager.default.fileExists(atPath: dir + "/layout.mustache") else {
            throw TemplatesMissing(directory: dir)
        }
        library = try await MustacheLibrary(directory: dir)
        guard let css = FileManager.default.contents(atPath: dir + "/static/hub.css") else {
            throw TemplatesMissing(directory: dir + "/static")
        }
        stylesheet = String(decoding: css, as: UTF8.self)
        hubName = configuration.hubName
    }

    func render(_ template: String, _ frame: PageFrame, status: HTTPResponse.Status = .ok) -> Response {
        guard let html = try? html(template, frame) else {
            return .text("page template \(template) is missing\n", status: .internalServerError)
        }
        return .html(html, status: status)
    }

    func html(_ template: String, _ frame: PageFrame) throws -> String {
        var values = frame.values
        values["hubName"] = hubName
        guard let html = library.render(values, withTemplate: template) else { throw TemplatesMissing(directory: template) }
        return html
    }
}

public struct TemplatesMissing: KindedError, CustomStringConvertible {
    public var failureKind: FailureKind { .missing }
    public let directory: String
    public var description: String { "\(directory): the web page templates are not there (set --templates or ENCOMPASS_TEMPLATES to the folder holding web/)" }
}

/// What every page shows around its content: the title, who is signed in, and the CSRF token the
/// page's forms carry.
struct PageFrame {
    private(set) var values: [String: Any]

    /// `error`: the page is a form sent back with problems; its title starts "Error:", so a screen
    /// reader says so first. Not a kept form given back after signing in (`resumingForm`): the
    /// sign-in worked, and the page is where the person left off.
    init(context: HubRequestContext, title: String, error: Bool = false) {
        values = ["title": error && !context.resumingForm ? "Error: " + title : title]
        if let session = context.session {
            values["csrf"] = session.csrfToken
            values["user"] = [
                "name": session.user.name, "role": session.user.role.rawValue,
                "isSupervisor": session.user.role.includes(.supervisor), "isAdmin": session.user.role.includes(.admin),
                "isStaff": session.user.role.isStaff,
            ] as [String: Any]
        }
    }

    func with(_ more: [String: Any]) -> PageFrame {
        var copy = self
        copy.values.merge(more) { _, new in new }
        return copy
    }
}

/// Serves the stylesheet and the icon from memory: the sign-in page needs them before anyone has
/// signed in.
struct StaticRoutes {
    let stylesheet: String

    static let faviconPath = "/static/favicon.svg"
    /// The pages' icon, the hub's colour: served from this site, as the Content-Security-Policy's
    /// `img-src 'self'` allows. The pages named `data:,` (no icon), which that policy blocks: a
    /// violation in the browser's console on every page.
    static let favicon = ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1d3557"/></svg>"##

    func add(to router: Router<HubRequestContext>) {
        let css = stylesheet
        router.get("/static/hub.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=300"],
                     body: .init(byteBuffer: ByteBuffer(string: css)))
        }
        router.get(RouterPath(Self.faviconPath)) { _, _ in
            Response(status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "max-age=300"],
                     body: .init(byteBuffer: ByteBuffer(string: Self.favicon)))
        }
    }
}
