import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// Runs the web application until SIGTERM or SIGINT, then stops taking connections and lets the
/// requests in flight finish before returning.
public enum HubServer {
    public static func run(
        configuration: WebConfiguration,
        store: any HubStore,
        logger: Logger = Logger(label: "encompass.web"),
        onListening: @escaping @Sendable (Int) async -> Void
    ) async throws {
        let app = try await buildApplication(configuration: configuration, store: store, logger: logger, onListening: onListening)
        let group = ServiceGroup(configuration: .init(
            services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
