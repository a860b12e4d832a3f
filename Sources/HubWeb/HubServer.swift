import Foundation
import Hummingbird
import InputRules
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
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
        let listening = Listening()
        let app = try await buildApplication(configuration: configuration, store: store, logger: logger) { port in
            listening.started.withLock { $0 = true }
            await onListening(port)
        }
        let group = ServiceGroup(configuration: .init(
            services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let error as IOError where !listening.started.withLock({ $0 }) {
            // The system refused the address before the server took a connection (a port in use,
            // say): the machine's state, not a fault of ours, and one line naming the address.
            throw ListenFailure(host: configuration.host, port: configuration.port, code: error.errnoCode)
        }
    }

    private final class Listening: Sendable {
        let started = Mutex(false)
    }
}

/// `serve` could not listen on its address: exit 69 (something we depend on is unavailable, under
/// the unit a line the journal repeats until it is fixed), naming the address and what to do.
public struct ListenFailure: KindedError, CustomStringConvertible {
    public let host: String
    public let port: Int
    let code: Int32

    public var failureKind: FailureKind { .unavailable }

    public var description: String {
        let address = "\(host):\(port)"
        switch code {
        case EADDRINUSE:
            return "cannot listen on \(address): the port is in use (another encompass serve, or another service): stop it, or choose another --port"
        case EACCES:
            return "cannot listen on \(address): this user may not take that port (below 1024?): choose another --port"
        case EADDRNOTAVAIL:
            return "cannot listen on \(address): this machine has no such address: check --host"
        default:
            return "cannot listen on \(address): \(String(cString: strerror(code))): check --host and --port"
        }
    }
}
