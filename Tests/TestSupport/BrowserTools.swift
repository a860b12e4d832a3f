import Foundation

/// Headless Chromium, its driver and Selenium, for the browser tests. With ENCOMPASS_REQUIRE_BROWSER=1
/// (scripts/test) their absence is a failure, not a skip.
public enum BrowserTools {
    public static var required: Bool { ProcessInfo.processInfo.environment["ENCOMPASS_REQUIRE_BROWSER"] == "1" }

    public static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")
            && seleniumInstalled
    }

    private static let seleniumInstalled: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import selenium"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.runSerially()) != nil else { return false }
        return p.waitForExitBlocking().status == 0
    }()
}
