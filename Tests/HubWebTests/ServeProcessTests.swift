import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// `encompass serve` as a real process: the address it reports, accounts made by the commands, and
/// a clean stop on SIGTERM.
@Suite struct ServeProcessTests {
    @Test func serveAnswersHealthAndStopsCleanlyOnSIGTERM() async throws {
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("hub.sqlite").path
        let server = try ServedHub.start(database: db)
        defer { server.process.terminate() }
        let (data, response) = try await URLSession.shared.data(from: URL(string: server.address + "health")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self) == "ok\n")
        let status = await server.stop()
        #expect(status == 0)
    }

    /// A port already taken (an old serve still running, another service) is the machine's state,
    /// not a fault of ours: exit 69 and one line naming the address and what to do, where it was
    /// 70 "internal error: IOError".
    @Test func aPortInUseIsNamedAndExits69() async throws {
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("hub.sqlite").path
        let server = try ServedHub.start(database: db)
        defer { server.process.terminate() }
        let port = try #require(URL(string: server.address)?.port)
        let second = try await EncompassProcess.run(
            ["serve", "--port", "\(port)", "--templates", WebFixture.packageRoot.appendingPathComponent("Templates/web").path], database: db)
        #expect(second.status == 69)
        #expect(second.stderr == "encompass: cannot listen on 127.0.0.1:\(port): the port is in use (another encompass serve, "
                + "or another service): stop it, or choose another --port\n", "\(second.stderr)")
        #expect(await server.stop() == 0)
    }

    /// The message for missing templates names the folder holding web/: --templates takes it too.
    @Test func serveTakesTheFolderHoldingWebAsTemplates() async throws {
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try ServedHub.start(database: dir.appendingPathComponent("hub.sqlite").path, holdingWeb: true)
        let (_, response) = try await URLSession.shared.data(from: URL(string: server.address + "sign-in")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(await server.stop() == 0)
    }

    @Test func serveFindsItsPagesUnderTheTemplatesFolderNotifyUses() async throws {
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try ServedHub.start(database: dir.appendingPathComponent("hub.sqlite").path, templatesFromEnvironment: true)
        let (_, response) = try await URLSession.shared.data(from: URL(string: server.address + "sign-in")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(await server.stop() == 0)
    }

    @Test func usersAndTokensCommandsStoreOnlyHashes() async throws {
        let dir = try Self.tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("hub.sqlite").path
        let password = "a long enough password"
        let added = try await EncompassProcess.run(["users", "add", "kim", "--role", "supervisor"], database: db,
                                             environment: ["ENCOMPASS_PASSWORD": password])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout == "added: kim (supervisor)\n")
        let again = try await EncompassProcess.run(["users", "add", "KIM", "--role", "hub"], database: db,
                                             environment: ["ENCOMPASS_PASSWORD": password])
        #expect(again.status == 65)
        #expect(again.stderr.contains("already in use"))
        let short = try await EncompassProcess.run(["users", "add", "lee", "--role", "hub"], database: db,
                                             environment: ["ENCOMPASS_PASSWORD": "short"])
        #expect(short.status == 64)
        let noTerminal = try await EncompassProcess.run(["users", "add", "lee", "--role", "hub"], database: db)
        #expect(noTerminal.status == 64)
        #expect(noTerminal.stderr.contains("ENCOMPASS_PASSWORD"))
        let token = try await EncompassProcess.run(["tokens", "create", "records-system"], database: db)
        #expect(token.status == 0)
        let secret = token.stdout.trimmingCharacters(in: .newlines)
        #expect(secret.count >= 43)
        let disabled = try await EncompassProcess.run(["users", "disable", "kim"], database: db)
        #expect(disabled.status == 0)
        let list = try await EncompassProcess.run(["users", "list"], database: db)
        #expect(list.stdout == "kim\tsupervisor\tdisabled\n")
        let unknown = try await EncompassProcess.run(["users", "disable", "nobody"], database: db)
        #expect(unknown.status == 65)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: db))
        bytes += (try? Data(contentsOf: URL(fileURLWithPath: db + "-wal"))) ?? Data()
        #expect(bytes.range(of: Data(password.utf8)) == nil)
        #expect(bytes.range(of: Data(secret.utf8)) == nil)
    }

    /// The headless-Chromium flow of Tests/Browser/hub_flow.py. Runs when Chromium, its driver and
    /// Selenium are installed; with ENCOMPASS_REQUIRE_BROWSER=1 their absence is a failure, not a skip.
    @Test(.enabled(if: BrowserTools.available || BrowserTools.required))
    func aPersonSignsInOpensAChildAndRecordsADeclinedDecision() async throws {
        try #require(BrowserTools.available, "install chromium, chromium-driver and the selenium pip package")
        let out = WebFixture.packageRoot.appendingPathComponent(".build/test-output/hub-flow")
        try? FileManager.default.removeItem(at: out)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", WebFixture.packageRoot.appendingPathComponent("Tests/Browser/hub_flow.py").path,
                       "--binary", EncompassProcess.binary.path, "--out", out.path]
        p.environment = EncompassProcess.environment([:])
        // The flow's own steps are bounded (its commands 300 s, the server's stop 30 s); the limit
        // is for a browser that never answers.
        let ran = try await p.runToEnd(limit: .seconds(900))
        let text = String(decoding: ran.stdout + ran.stderr, as: UTF8.self)
        #expect(ran.end.status == 0, "\(text)")
        for shot in ["1-queue.png", "2-child-after-decision.png", "6-report.png"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(shot).path), "no \(shot)")
        }
    }

    static func tempDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("encompass-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}


/// `encompass serve --port 0` in the background, with the address it printed.
struct ServedHub {
    let process: Process
    let address: String

    /// `templatesFromEnvironment`: name the `Templates` folder in ENCOMPASS_TEMPLATES (as `notify`
    /// reads it) rather than the web folder in `--templates`. `holdingWeb`: give `--templates` the
    /// folder holding `web/`, as ENCOMPASS_TEMPLATES names it.
    static func start(database: String, templatesFromEnvironment: Bool = false, holdingWeb: Bool = false) throws -> ServedHub {
        let p = Process()
        p.executableURL = EncompassProcess.binary
        let templates = WebFixture.packageRoot.appendingPathComponent("Templates")
        p.arguments = ["serve", "--port", "0", "--config", EncompassProcess.configDirectory, "--database", "sqlite:" + database]
            + (templatesFromEnvironment ? [] : ["--templates", holdingWeb ? templates.path : templates.appendingPathComponent("web").path])
        // Away from the package, when the environment names the templates, so the default path
        // cannot find them instead.
        p.currentDirectoryURL = templatesFromEnvironment ? FileManager.default.temporaryDirectory : WebFixture.packageRoot
        p.environment = EncompassProcess.environment(
            ["LOG_LEVEL": "warning"].merging(templatesFromEnvironment ? ["ENCOMPASS_TEMPLATES": templates.path] : [:]) { a, _ in a })
        let out = Pipe.forChild()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.runSerially()
        // The first line names the address; read up to it (an exit ends the read with nothing).
        let text = out.fileHandleForReading.readFirstLine()
        guard let range = text.range(of: #"http://[0-9.]+:[0-9]+/"#, options: .regularExpression) else {
            p.terminate()
            throw ServeDidNotStart(output: text)
        }
        return ServedHub(process: p, address: String(text[range]))
    }

    /// SIGTERM, then the exit status once it has stopped.
    func stop() async -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        return await process.waitForExit().status
    }

    struct ServeDidNotStart: Error, CustomStringConvertible {
        let output: String
        var description: String { "encompass serve did not report its address: \(output)" }
    }
}
