import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A test's own temporary folder, removed when the test is done with it.
public final class Scratch: Sendable {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("encompass-delivery-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Paths inside the repository: the test servers and the templates.
public enum Repository {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let testServers = root.appendingPathComponent("scripts/testservers")
    public static let templates = root.appendingPathComponent("Templates").path

    /// Debian's python3 is the one with python3-aiosmtpd; ENCOMPASS_TEST_PYTHON overrides it.
    public static var python: String {
        if let chosen = ProcessInfo.processInfo.environment["ENCOMPASS_TEST_PYTHON"], !chosen.isEmpty { return chosen }
        return FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
    }
}

/// A throwaway CA, a server certificate for 127.0.0.1/localhost signed by it, and an unrelated CA.
public struct TestPKI: Sendable {
    public let caFile: String
    public let otherCAFile: String
    public let certFile: String
    public let keyFile: String

    public init(in folder: String) throws {
        let status = try Command.runBlocking("/bin/sh", [Repository.testServers.appendingPathComponent("make_certs.sh").path, folder])
        guard status.exitCode == 0 else { throw TestSetupError("make_certs.sh failed: \(status.output)") }
        caFile = folder + "/ca.pem"
        otherCAFile = folder + "/other-ca.pem"
        certFile = folder + "/server.pem"
        keyFile = folder + "/server.key"
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public enum Command {
    /// Runs a short command to the end and returns its exit code and output, waiting on a thread of
    /// its own (`offThePool`).
    public static func run(_ executable: String, _ arguments: [String]) async throws -> (exitCode: Int32, output: String) {
        try await offThePool { try runBlocking(executable, arguments) }
    }

    /// `run` on this thread: for set-up that is itself synchronous (a server started once, under a
    /// lock, or a database made for a test) and waits for nothing in this process.
    public static func runBlocking(_ executable: String, _ arguments: [String]) throws -> (exitCode: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe.forChild()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.runSerially(endingWithin: .seconds(600))
        let data = pipe.fileHandleForReading.readAllRetryingInterrupts()
        return (process.waitForExitBlocking().status, String(decoding: data, as: UTF8.self))
    }
}

/// One of the Python servers in scripts/testservers, started on a free loopback port.
public final class LoopbackServer: Sendable {
    public let port: Int
    /// Where the server writes what it received.
    public let outFolder: String
    private let process: Process

    private init(process: Process, port: Int, outFolder: String) {
        self.process = process
        self.port = port
        self.outFolder = outFolder
    }

    public static func smtp(pki: TestPKI?, folder: String, options: [String] = []) async throws -> LoopbackServer {
        var arguments = [Repository.testServers.appendingPathComponent("smtp_server.py").path, "--out", folder + "/received"]
        if let pki { arguments += ["--cert", pki.certFile, "--key", pki.keyFile] }
        return try await start(arguments + options, environment: [:], folder: folder)
    }

    public static func https(pki: TestPKI, secret: String, folder: String, options: [String] = []) async throws -> LoopbackServer {
        let arguments = [
            Repository.testServers.appendingPathComponent("https_receiver.py").path, "--out", folder + "/received",
            "--cert", pki.certFile, "--key", pki.keyFile,
        ]
        return try await start(arguments + options, environment: ["ENCOMPASS_WEBHOOK_SECRET": secret], folder: folder)
    }

    private static func start(_ arguments: [String], environment: [String: String], folder: String) async throws -> LoopbackServer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repository.python)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stdout = Pipe.forChild()
        process.standardOutput = stdout
        _ = FileManager.default.createFile(atPath: folder + "/server.log", contents: nil)
        process.standardError = FileHandle(forWritingAtPath: folder + "/server.log")
        let ready = ReadyLine()
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                ready.fail("the server stopped before it was ready; see \(folder)/server.log")
            } else if ready.feed(data) {
                handle.readabilityHandler = nil
            }
        }
        try process.runSerially()
        DispatchQueue.global().asyncAfter(deadline: .now() + 30) {
            ready.fail("the server was not ready within 30 s; see \(folder)/server.log")
        }
        do {
            let port = try await ready.port()
            return LoopbackServer(process: process, port: port, outFolder: folder + "/received")
        } catch {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            await process.waitForExit()
            throw error
        }
    }

    /// SIGTERM, then SIGKILL if the server is still there after five seconds. It reads the kernel's
    /// view (`/proc/PID/stat`) rather than `Process.waitUntilExit`: with many children ending at
    /// once, Foundation on Linux has been seen to miss one exit and spin in `waitUntilExit` for good
    /// (the child a zombie nobody reaps), hanging the whole test run.
    public func stop() {
        let pid = process.processIdentifier
        guard Self.isAlive(pid) else { return }
        kill(pid, SIGTERM)
        for _ in 0..<100 where Self.isAlive(pid) {
            usleep(50_000)
        }
        if Self.isAlive(pid) { kill(pid, SIGKILL) }
        for _ in 0..<100 where Self.isAlive(pid) {
            usleep(50_000)
        }
    }

    /// Running, as the kernel sees it: not gone and not a zombie waiting to be reaped.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return false }
        // The state is the first field after the command's closing parenthesis.
        return !stat[stat.index(after: end)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    deinit { stop() }

    /// The lines of the server's log.jsonl, one dictionary each.
    public func log() throws -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: outFolder + "/log.jsonl") else { return [] }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        }
    }
}

/// Waits for the "READY <port>" line a test server prints once it listens.
private final class ReadyLine: Sendable {
    private struct State {
        var buffer = ""
        var result: Result<Int, TestSetupError>?
        var waiter: CheckedContinuation<Int, any Error>?
    }

    private let state = Mutex(State())

    /// True once the line is seen.
    func feed(_ data: Data) -> Bool {
        let text = String(decoding: data, as: UTF8.self)
        return state.withLock { state in
            state.buffer += text
            for line in state.buffer.split(separator: "\n") where line.hasPrefix("READY ") {
                if let port = Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) {
                    settle(&state, .success(port))
                    return true
                }
            }
            return false
        }
    }

    func fail(_ reason: String) {
        state.withLock { settle(&$0, .failure(TestSetupError(reason))) }
    }

    func port() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            state.withLock { state in
                if let result = state.result {
                    continuation.resume(with: result.mapError { $0 as any Error })
                } else {
                    state.waiter = continuation
                }
            }
        }
    }

    private func settle(_ state: inout State, _ result: Result<Int, TestSetupError>) {
        guard state.result == nil else { return }
        state.result = result
        if let waiter = state.waiter {
            state.waiter = nil
            waiter.resume(with: result.mapError { $0 as any Error })
        }
    }
}

/// An .eml decoded by Python's email package (scripts/testservers/eml_to_json.py).
public struct DecodedEmail: Sendable {
    public struct Part: Sendable {
        public let contentType: String
        public let charset: String?
        public let transferEncoding: String?
        public let text: String
    }

    public let subject: String
    public let from: String
    public let to: String
    public let messageID: String
    public let contentType: String
    public let parts: [Part]
    public let rawHeadersASCII: Bool
    public let defects: [String]
    public let crlfOnly: Bool
    public let maxLineLength: Int

    public init(file: String) throws {
        let run = try Command.runBlocking(Repository.python, [Repository.testServers.appendingPathComponent("eml_to_json.py").path, file])
        guard run.exitCode == 0,
              let json = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any] else {
            throw TestSetupError("eml_to_json.py failed: \(run.output)")
        }
        subject = json["subject"] as? String ?? ""
        from = json["from"] as? String ?? ""
        to = json["to"] as? String ?? ""
        messageID = json["message_id"] as? String ?? ""
        contentType = json["content_type"] as? String ?? ""
        parts = (json["parts"] as? [[String: Any]] ?? []).map { part in
            Part(
                contentType: part["content_type"] as? String ?? "", charset: part["charset"] as? String,
                transferEncoding: part["transfer_encoding"] as? String, text: part["text"] as? String ?? "")
        }
        rawHeadersASCII = json["raw_headers_ascii"] as? Bool ?? false
        defects = json["defects"] as? [String] ?? []
        crlfOnly = json["crlf_only"] as? Bool ?? false
        maxLineLength = json["max_line_length"] as? Int ?? 0
    }

    public func part(_ type: String) -> Part? { parts.first { $0.contentType == type } }
}
