import Foundation

/// The `encompass` binary SwiftPM built beside the running test bundle, or $ENCOMPASS_BIN.
public enum EncompassBinary {
    public static let url: URL = {
        if let explicit = ProcessInfo.processInfo.environment["ENCOMPASS_BIN"] { return URL(fileURLWithPath: explicit) }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("encompass")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return Repository.root.appendingPathComponent(".build/debug/encompass")
    }()
}

extension EncompassBinary {
    /// The test process's environment for a run of the binary, without any `ENCOMPASS_*` setting the
    /// machine may carry (every one of them overrides a setting), then with `extra`. Only the
    /// variables that steer the tests themselves are kept. The tests run on the sample's settings, whose
    /// hub contacts are placeholders: they are let through (`ENCOMPASS_ALLOW_PLACEHOLDERS=1`, demo and
    /// tests only) unless `extra` says otherwise.
    public static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        let kept: Set<String> = ["ENCOMPASS_BIN", "ENCOMPASS_TEST_PYTHON", "ENCOMPASS_REQUIRE_BROWSER"]
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ENCOMPASS_") || kept.contains($0.key) }
        env["ENCOMPASS_ALLOW_PLACEHOLDERS"] = "1"
        for (k, v) in extra { env[k] = v }
        return env
    }
}
