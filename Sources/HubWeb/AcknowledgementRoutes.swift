import Delivery
import Foundation
import HTTPTypes
import Hummingbird
import Outbox
import Review
import RiskModel
import StoreContract

/// The school's side of an alert (SPEC §7): the page its link opens, the one button that
/// acknowledges it, and a webhook receiver's signed acknowledgement. No sign-in: the link's token,
/// or the webhook's signature, is the key.
///
/// Only a POST acknowledges: mail scanners open links with GET. An unknown, expired or malformed
/// token gets the same plain 404 page, after the same work (a hash and one indexed lookup), so
/// neither the answer nor its time tells a guesser anything.
struct AcknowledgementRoutes {
    let store: any HubStore
    let pages: PageRenderer
    let configuration: WebConfiguration
    let clock: WebClock

    /// The addresses a school opens without signing in, and posts to without a CSRF token.
    static func isLinkPath(_ path: String) -> Bool { path.hasPrefix("/ack/") }
    /// `POST /api/alerts/{reference}/ack`: signed with the webhook secret, not a bearer token.
    static func isWebhookPath(_ path: String) -> Bool { path.hasPrefix("/api/alerts/") && path.hasSuffix("/ack") }

    /// Largest webhook acknowledgement body: `{"reference": "..."}`.
    static let maximumWebhookBody = 4 * 1024

    func add(to router: Router<HubRequestContext>) {
        router.get("/ack/:token") { _, context in
            let view = try await store.acknowledgement(tokenHash: AcknowledgementLinks.hash(Self.token(context)), now: clock.now())
            return page(view, context: context, justAcknowledged: false)
        }
        router.post("/ack/:token") { _, context in
            let view = try await store.acknowledge(tokenHash: AcknowledgementLinks.hash(Self.token(context)), now: clock.now())
            // Thanked only for this press: a second one shows the first one's time.
            return page(view, context: context, justAcknowledged: view?.justAcknowledged == true)
        }
        router.post("/api/alerts/:reference/ack") { request, context in
            try await webhook(request, context: context)
        }
    }

    /// The path's token; a malformed one is looked up like any other and found by none.
    private static func token(_ context: HubRequestContext) -> String {
        ChildRoutes.pathValue("token", context) ?? ""
    }

    /// The page a school gets when its link cannot be answered: 404 the plain not-found page; any
    /// other refusal or failure (the database unavailable, 503) says to try again later or telephone
    /// the hub. In the school's own frame, with the hub's number: never the staff site's error page,
    /// its link to the review queue or a word about the hub's database (audit 22, people F7).
    static func problemPage(_ pages: PageRenderer, context: HubRequestContext, hub: HubContact,
                            status: HTTPResponse.Status) -> Response {
        let values: [String: Any] = ["public": true, "hubPhone": hub.phone]
        if status == .notFound {
            return pages.render("ack-missing", PageFrame(context: context, title: "Notification not found").with(values), status: status)
        }
        return pages.render("ack-unavailable", PageFrame(context: context, title: "Notification cannot be shown").with(values), status: status)
    }

    private func page(_ view: AcknowledgementView?, context: HubRequestContext, justAcknowledged: Bool) -> Response {
        let hub = configuration.hub
        guard let view else { return Self.problemPage(pages, context: context, hub: hub, status: .notFound) }
        let zone = configuration.scoring.zone
        let time = DisplayTime(zone: zone)
        var values: [String: Any] = AlertRenderer.fields(AlertContent(view.alert, hub: hub), reference: view.alert.reference,
                                                         zone: zone, personal: true)
        values["public"] = true
        if let at = view.acknowledgedAt {
            values["acknowledgedAt"] = time.dayAndClock(at)
            values["justAcknowledged"] = justAcknowledged
        }
        return pages.render("ack", PageFrame(context: context, title: "Operation Encompass notification").with(values))
    }

    private func webhook(_ request: Request, context: HubRequestContext) async throws -> Response {
        var request = request
        let reference = try ChildRoutes.parameter("reference", context)
        let body = try await request.collectBody(upTo: Self.maximumWebhookBody)
        let bytes = Data(body.readableBytesView)
        let secret = configuration.webhookSecret
        guard !secret.isEmpty else {
            return .jsonError("acknowledgement by webhook is not set up on this server (ENCOMPASS_WEBHOOK_SECRET)", status: .unauthorized)
        }
        guard let given = request.headers[.xEncompassSignature],
              Secrets.constantTimeEqual(given, WebhookSignature.header(body: bytes, secret: secret)) else {
            return .jsonError("X-Encompass-Signature does not match the body: sign it as the alert's webhook is signed", status: .unauthorized)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any],
              let named = object["reference"] as? String, named == reference else {
            return .jsonError("the body must be {\"reference\": \"...\"} naming the alert in the address", status: .badRequest)
        }
        // An alert that exists but did not go by webhook, or whose links have ended, gets the same
        // answer as an unknown reference (`AlertLifecycle.acceptsWebhookAcknowledgement`).
        guard let view = try await store.acknowledge(reference: reference, now: clock.now()) else {
            return .jsonError("no alert with this reference can be acknowledged by webhook", status: .notFound)
        }
        let at = view.acknowledgedAt.map { "\"" + JSONText.utc($0) + "\"" } ?? "null"
        return .json("{\"reference\": \(JSONText.string(reference)), \"acknowledged_at\": \(at)}\n")
    }
}

extension HTTPField.Name {
    static let xEncompassSignature = HTTPField.Name("X-Encompass-Signature")!
}
