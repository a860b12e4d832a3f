import Foundation
import TestSupport

/// The built `encompass` binary, run as a person would run it.
enum EncompassProcess {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static var binary: URL { EncompassBinary.url }

    static var configDirectory: String { WebFixture.packageRoot.appendingPathComponent("Config").path }

    static func environment(_ extra: [String: String]) -> [String: String] {
        EncompassBinary.environment(extra)
    }

    static func run(_ args: [String], database: String, environment extra: [String: String] = [:]) async throws -> Outcome {
        try await run(args, databaseURL: "sqlite:" + database, environment: extra)
    }

    /// The same, on a database given by its URL (`sqlite:PATH` or `postgres://...`).
    static func run(_ args: [String], databaseURL: String, environment extra: [String: String] = [:]) async throws -> Outcome {
        let p = Process()
        p.executableURL = binary
        p.arguments = args + ["--config", configDirectory, "--database", databaseURL]
        p.currentDirectoryURL = WebFixture.packageRoot
        p.environment = environment(extra)
        p.standardInput = FileHandle.nullDevice
        let ran = try await p.runToEnd()
        return Outcome(status: ran.end.status, stdout: String(decoding: ran.stdout, as: UTF8.self),
                       stderr: String(decoding: ran.stderr, as: UTF8.self))
    }
}
