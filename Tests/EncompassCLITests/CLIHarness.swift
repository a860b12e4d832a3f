import Foundation
import Testing
import TestSupport

/// The database a CLI test runs on: an SQLite file in the test's folder, or a new database on the
/// test process's PostgreSQL server. Tests that hold for both take it as an argument.
enum TestDatabase: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// Runs the built `encompass` binary in a fresh temporary folder with its own database, as a user
/// would, and captures what it prints.
struct CLIHarness {
    let dir: URL
    let configDir: URL
    let kind: TestDatabase
    /// `--database` for every command: `sqlite:PATH` or `postgres://...`.
    let database: String

    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var binary: URL { EncompassBinary.url }

    /// A temp folder with a copy of the shipped Config/ (so a test may change it).
    init(_ kind: TestDatabase = .sqlite) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("encompass-cli-\(UUID().uuidString)")
        configDir = dir.appendingPathComponent("Config")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.packageRoot.appendingPathComponent("Config"), to: configDir)
        self.kind = kind
        switch kind {
        case .sqlite: database = "sqlite:" + dir.appendingPathComponent("test.sqlite").path
        case .postgres: database = try PostgresServer.shared().makeDatabase()
        }
    }

    /// The SQLite file (for `.sqlite` only).
    var databasePath: String { dir.appendingPathComponent("test.sqlite").path }

    /// Runs SQL on the test's PostgreSQL database as the superuser and returns the rows, one a line
    /// with `|` between columns (for `.postgres` only).
    func psql(_ sql: String) async throws -> String {
        let result = try await PostgresServer.shared().psql(String(database.split(separator: "/").last ?? ""), sql)
        guard result.exitCode == 0 else { throw TestSetupError("psql failed: \(result.output)") }
        return result.output
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// Starts the binary and returns at once, its output going to files in the test's folder
    /// (`output(of:)` reads them). With `host`, it runs as on another machine (see `process`).
    func start(_ args: [String], environment: [String: String] = [:], database url: String? = nil, name: String,
               host: String? = nil, pidsBefore: Int? = nil) throws -> Process {
        let p = process(args, environment: environment, database: url, host: host, pidsBefore: pidsBefore)
        p.standardOutput = FileHandle(forWritingAtPath: try emptyFile("\(name).out"))
        p.standardError = FileHandle(forWritingAtPath: try emptyFile("\(name).err"))
        try p.runSerially(endingWithin: .seconds(600))
        return p
    }

    /// `encompass serve --port 0` on this test's database and settings, and the address it reports
    /// on its first line (read from its output as it is written: no waiting on a clock).
    func serve(environment: [String: String] = [:]) throws -> (process: Process, address: String) {
        let p = process(["serve", "--port", "0", "--templates", Self.packageRoot.appendingPathComponent("Templates/web").path],
                        environment: environment)
        let out = Pipe.forChild()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: try emptyFile("serve.err"))
        try p.runSerially()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), let b = byte.first, b != 0x0A { line.append(b) }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: #"http://[0-9.]+:[0-9]+"#, options: .regularExpression) else {
            p.terminate()
            throw TestSetupError("serve did not report its address: \(text)")
        }
        return (p, String(text[range]))
    }

    private func emptyFile(_ name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        return path
    }

    /// What a process started by `start(name:)` printed.
    func output(of name: String) -> (stdout: String, stderr: String) {
        func read(_ file: String) -> String {
            String(decoding: FileManager.default.contents(atPath: dir.appendingPathComponent(file).path) ?? Data(), as: UTF8.self)
        }
        return (read("\(name).out"), read("\(name).err"))
    }

    /// With `host`, the binary runs in a UTS namespace of its own whose host name is `host`, as on
    /// another machine: its lease owner names that host, and it cannot tell whether a process named
    /// by another host's lease still runs. `unshare` and `sh` exec, so the process's id is the
    /// binary's own (a kill reaches it). Needs root, as the tests run here.
    ///
    /// With `pidsBefore` as well, in a PID namespace of its own too, as in a container or on a
    /// machine cloned from one image: `pidsBefore` processes come and go first, so its pid is past
    /// that, a number another namespace's run has not got. `unshare` forks
    /// and `sh` waits for the binary; a kill of `unshare` ends the namespace and the binary with it.
    func process(_ args: [String], environment: [String: String], database url: String? = nil,
                         directory: URL? = nil, host: String? = nil, pidsBefore: Int? = nil) -> Process {
        let p = Process()
        let arguments = args + ["--config", configDir.path, "--database", url ?? database]
        if let host, let pidsBefore {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            p.arguments = ["--uts", "--pid", "--fork", "--kill-child", "--mount-proc", "/bin/sh", "-c",
                           "hostname \"$0\" && i=0 && while [ $i -lt \(pidsBefore) ]; do /bin/true; i=$((i + 1)); done && \"$@\"",
                           host, Self.binary.path] + arguments
        } else if let host {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            p.arguments = ["--uts", "/bin/sh", "-c", "hostname \"$0\" && exec \"$@\"", host, Self.binary.path] + arguments
        } else {
            p.executableURL = Self.binary
            p.arguments = arguments
        }
        p.currentDirectoryURL = directory ?? dir
        p.environment = EncompassBinary.environment(environment)
        return p
    }

    @discardableResult
    func run(_ args: [String], environment: [String: String] = [:], database url: String? = nil,
             directory: URL? = nil, host: String? = nil, pidsBefore: Int? = nil) async throws -> Outcome {
        let ran = try await process(args, environment: environment, database: url, directory: directory, host: host,
                                    pidsBefore: pidsBefore).runToEnd()
        return Outcome(status: ran.end.status, stdout: String(decoding: ran.stdout, as: UTF8.self),
                       stderr: String(decoding: ran.stderr, as: UTF8.self))
    }

    func json(_ outcome: Outcome) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: dir)
    }
}

/// Rows in the SPEC's CSV form, so cases read as the files a force sends.
enum CSVRows {
    static let header = "incident_id,reported_at,risk_tool,officer_grade,dash_yes_count,supervisor_grade,victim_id,perpetrator_id,child_id,child_given_name,child_family_name,child_dob,school_urn,child_present,child_spoken_to,child_voice,bwv_used"

    static func row(_ id: String, _ at: String, grade: String = "standard", yes: String = "3", supervisor: String = "",
                    tool: String = "DASH", victim: String = "V-1", child: String = "C-1", urn: String = "120501",
                    given: String = "Amelia", family: String = "Hartley", dob: String = "2016-04-02", voice: String = "",
                    perpetrator: String = "P-1") -> String {
        [id, at, tool, grade, yes, supervisor, victim, perpetrator, child, given, family, dob, urn, "Y", "N", voice, "Y"].joined(separator: ",")
    }

    static func file(_ rows: [String]) -> String { ([header] + rows).joined(separator: "\n") + "\n" }
}
