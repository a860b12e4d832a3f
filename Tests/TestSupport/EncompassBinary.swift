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
