import ArgumentParser
import Delivery
import Foundation
import HubWeb
import Logging
import Settings
import StoreContract

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "The hub's web application and JSON API, until SIGTERM or Ctrl-C.",
        discussion: """
            Staff sign in with accounts made by `encompass users add`; programs use bearer tokens made by \
            `encompass tokens create`. GET /health answers without signing in; GET /metrics (Prometheus text) \
            takes a token. Put a TLS-terminating proxy in front for use beyond this machine; it must send \
            X-Forwarded-Proto: https. An address it cannot take (a port in use) is exit 69, naming it.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "The port to listen on (0 picks a free one).")
    var port: Int = 8080

    @Option(help: "The address to listen on. The default takes connections from this machine only.")
    var host: String = "127.0.0.1"

    @Option(help: "The web page templates' folder, or the folder holding it as web/ (default $ENCOMPASS_TEMPLATES/web, or Templates/web beside the --config folder).")
    var templates: String?

    @Flag(help: "Mark cookies Secure on every answer (set when a TLS proxy is always in front).")
    var secureCookies = false

    @Option(help: "A session ends this many hours after sign-in, however much it is used.")
    var sessionHours: Double = 12

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port: expected 0 to 65535") }
        guard sessionHours > 0, sessionHours <= 24 * 7 else { throw ValidationError("--session-hours: expected more than 0 and at most 168") }
    }

    func run() async throws {
        try await Failure.run {
            let context = try await Context.open(global)
            let store: any HubStore = context.store
            var web = WebConfiguration(templatesDirectory: templates.map(WebConfiguration.webTemplates(named:)) ?? global.templatesDirectory + "/web")
            web.host = host
            web.port = port
            web.scoring = context.config.settings.scoring
            web.hubName = context.config.settings.hub.name
            let hub = context.config.settings.hub
            web.hub = HubContact(name: hub.name, phone: hub.phone, email: hub.email)
            web.webhookSecret = context.config.settings.https.webhookSecret
            web.secureCookies = secureCookies
            web.sessionLifetime = sessionHours * 3600
            web.alertPlanner = context.planner
            var logger = Logger(label: "encompass.web")
            logger.logLevel = global.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            let shownHost = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
            // Missing templates are a missing file (66), named by their folder.
            try await HubServer.run(configuration: web, store: store, logger: logger) { bound in
                // Scripts and tests read this line to find the port.
                try? FileHandle.standardOutput.write(contentsOf: Data("Encompass hub: open http://\(shownHost):\(bound)/\n".utf8))
            }
        }
    }
}
