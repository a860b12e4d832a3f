import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The systemd units' own command lines (Config/systemd), run as systemd would run them: as an
/// unprivileged user (nobody, when the tests run as root), in the state directory that user owns
/// (`StateDirectory=`), with the environment file's settings, in a temp root standing for /.
@Suite struct SystemdUnitTests {
    static let units = Repository.root.appendingPathComponent("Config/systemd")

    /// A temp root: `var/lib/encompass` (the state directory, 0700, the service user's) and
    /// `etc/encompass/config` (the sample settings, as `encompass init` plus a force's own would be).
    struct Root {
        let dir: URL
        var state: URL { dir.appendingPathComponent("var/lib/encompass") }
        var config: URL { dir.appendingPathComponent("etc/encompass/config") }

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("encompass-units-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("etc/encompass"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Repository.root.appendingPathComponent("Config"), to: config)
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            if getuid() == 0 {
                chown(state.path, SystemdUnitTests.nobody, SystemdUnitTests.nobody)
                // The settings as docs/operations.md installs them: root's, readable by the service
                // user's group only (chown -R root:encompass; chmod -R u=rwX,g=rX,o=).
                let files = FileManager.default.enumerator(atPath: config.path)?.compactMap { $0 as? String } ?? []
                for path in [config.path] + files.map({ config.path + "/" + $0 }) {
                    var isFolder: ObjCBool = false
                    _ = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
                    chown(path, 0, SystemdUnitTests.nobody)
                    chmod(path, isFolder.boolValue ? 0o750 : 0o640)
                }
            }
            // Others may enter the root's folders (mkdtemp-like folders are 0700 for root alone).
            for d in [dir, dir.appendingPathComponent("etc"), dir.appendingPathComponent("etc/encompass"),
                      dir.appendingPathComponent("var"), dir.appendingPathComponent("var/lib")] {
                chmod(d.path, 0o755)
            }
        }

        /// The unit's `ExecStart=`, its paths moved into this root.
        func command(_ unit: String) throws -> [String] {
            let text = try String(contentsOf: SystemdUnitTests.units.appendingPathComponent(unit), encoding: .utf8)
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
            let moved = moveIn(String(line.dropFirst("ExecStart=".count))).replacingOccurrences(of: "--port 8080", with: "--port 0")
            return moved.split(separator: " ").map(String.init)
        }

        /// The installed paths in `text` moved into this root (the binary and templates: this build's).
        func moveIn(_ text: String) -> String {
            text.replacingOccurrences(of: "/opt/encompass/bin/encompass", with: EncompassBinary.url.path)
                .replacingOccurrences(of: "/opt/encompass/Templates", with: Repository.root.appendingPathComponent("Templates").path)
                .replacingOccurrences(of: "/etc/encompass/config", with: config.path)
                .replacingOccurrences(of: "/var/lib/encompass", with: state.path)
        }

        /// The example environment file's settings, as systemd hands them over.
        func environment() throws -> [String: String] {
            let text = try String(contentsOf: SystemdUnitTests.units.appendingPathComponent("environment.example"), encoding: .utf8)
            var env = EncompassBinary.environment()
            for line in text.split(separator: "\n") where !line.hasPrefix("#") && line.contains("=") {
                let parts = line.split(separator: "=", maxSplits: 1)
                env[String(parts[0])] = moveIn(String(parts[1]))
            }
            return env
        }

        /// A process for `arguments`, as the unit's user, in the state directory (or `directory`).
        func process(_ arguments: [String], in directory: URL? = nil) throws -> Process {
            let p = Process()
            if getuid() == 0 {
                p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
                p.arguments = ["--reuid=\(SystemdUnitTests.nobody)", "--regid=\(SystemdUnitTests.nobody)", "--clear-groups", "--"] + arguments
            } else {
                p.executableURL = URL(fileURLWithPath: arguments[0])
                p.arguments = Array(arguments.dropFirst())
            }
            p.currentDirectoryURL = directory ?? state
            p.environment = try environment()
            return p
        }

        /// Runs `p` to its end: what it printed on each stream, and its exit status.
        func finish(_ p: Process) async throws -> (said: String, problems: String, status: Int32) {
            let ran = try await p.runToEnd()
            return (String(decoding: ran.stdout, as: UTF8.self), String(decoding: ran.stderr, as: UTF8.self), ran.end.status)
        }

        func cleanUp() { try? FileManager.default.removeItem(at: dir) }
    }

    /// nobody / nogroup on Debian.
    static let nobody: UInt32 = 65_534

    @Test func theMorningRunsCommandLineRunsAsTheServiceUserInItsStateDirectory() async throws {
        let root = try Root()
        defer { root.cleanUp() }
        let store = root.state.appendingPathComponent("encompass.sqlite").path
        // Before anything has set the store up, the run says so (a failed unit) and makes none: a
        // run given a wrong path would otherwise send nothing from an empty store and exit 0.
        let early = try await root.finish(try root.process(try root.command("encompass-notify.service")))
        #expect(early.status == 66 && early.problems == "encompass: no database at \(store): nothing has been ingested there (check --database)\n",
                "\(early.problems)")
        #expect(!FileManager.default.fileExists(atPath: store))
        // The first day's first writer, run as the units run theirs, sets it up; then the run runs.
        #expect(try await root.finish(try root.process([EncompassBinary.url.path, "migrate"], in: URL(fileURLWithPath: "/"))).status == 0)
        let (said, problem, status) = try await root.finish(try root.process(try root.command("encompass-notify.service")))
        #expect(status == 0, "\(problem)")
        #expect(said.contains("alerts: 0 delivered"), "\(said)")
        // The store is in the state directory, the service user's, and private.
        let attributes = try FileManager.default.attributesOfItem(atPath: store)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        if getuid() == 0 { #expect((attributes[.ownerAccountID] as? UInt) == UInt(Self.nobody)) }
    }

    @Test func theWebApplicationsCommandLineServesAsTheServiceUser() async throws {
        let root = try Root()
        defer { root.cleanUp() }
        let p = try root.process(try root.command("encompass-serve.service"))
        let out = Pipe.forChild()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.runSerially()
        defer { if p.isRunning { p.terminate() } }
        // The first line names the address (an exit ends the read with nothing).
        let text = out.fileHandleForReading.readFirstLine()
        let address = try #require(text.range(of: #"http://[0-9.]+:[0-9]+/"#, options: .regularExpression).map { String(text[$0]) },
                                   "serve did not start: \(text)")
        let (data, response) = try await URLSession.shared.data(from: URL(string: address + "health")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self) == "ok\n")
        kill(p.processIdentifier, SIGTERM)
        #expect(await p.waitForExit().status == 0)
    }

    /// An operator's command run by hand in the units' environment (docs/operations.md: systemd-run
    /// with the environment file), with no --config, --database or --templates and from another
    /// folder, finds the settings, templates and database the units use.
    @Test func aCommandByHandInTheUnitsEnvironmentUsesWhatTheUnitsUse() async throws {
        let root = try Root()
        defer { root.cleanUp() }
        #expect(try await root.finish(try root.process([EncompassBinary.url.path, "migrate"], in: URL(fileURLWithPath: "/"))).status == 0)
        #expect(try await root.finish(try root.process(try root.command("encompass-notify.service"))).status == 0)

        let p = try root.process([EncompassBinary.url.path, "doctor", "--now", "2026-06-01T08:00:00Z"], in: URL(fileURLWithPath: "/"))
        // What the operator puts in the environment file: the sample has a key adult by https.
        p.environment?["ENCOMPASS_WEBHOOK_SECRET"] = "a-secret-for-the-test"
        let (said, problems, status) = try await root.finish(p)
        for line in ["ok: database: reachable, at this version", "ok: settings: \(root.config.path) ",
                     "ok: templates: \(Repository.root.appendingPathComponent("Templates").path)\n"] {
            #expect(said.contains(line), "\(line)\n\(said)")
        }
        // The sample's relay (localhost:587) is the one thing that may be missing here.
        for line in problems.split(separator: "\n") { #expect(line.hasPrefix("problem: relay "), "\(line)") }
        #expect([0, 69].contains(status), "\(problems)")
    }

    /// systemd's own check of the three units finds nothing to say (an unknown key, a bad
    /// calendar expression or section would be named), with the binary path made real.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func systemdFindsNothingWrongWithTheUnits() async throws {
        let root = try Root()
        defer { root.cleanUp() }
        let folder = root.dir.appendingPathComponent("units")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let names = ["encompass-notify.service", "encompass-notify.timer", "encompass-serve.service"]
        for name in names {
            let text = try String(contentsOf: Self.units.appendingPathComponent(name), encoding: .utf8)
            try text.replacingOccurrences(of: "/opt/encompass/bin/encompass", with: EncompassBinary.url.path)
                .write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        p.arguments = ["verify"] + names.map { folder.appendingPathComponent($0).path }
        let ran = try await p.runToEnd()
        let said = String(decoding: ran.stderr, as: UTF8.self)
        #expect(ran.end.status == 0)
        #expect(said.isEmpty, "\(said)")
    }

    /// The morning run keeps London's time whatever the machine's own time zone.
    @Test func theTimerRunsOnLondonTime() throws {
        let text = try String(contentsOf: Self.units.appendingPathComponent("encompass-notify.timer"), encoding: .utf8)
        let calendars = text.split(separator: "\n").filter { $0.hasPrefix("OnCalendar=") }
        #expect(calendars.contains("OnCalendar=*-*-* 06..17:00/10:00 Europe/London"))
        for line in calendars { #expect(line.hasSuffix(" Europe/London"), "\(line)") }
    }

    /// SPEC §7: an alert not delivered by its deadline is overdue "and the hub is told at once".
    /// The run that stores it tells the hub, and a school's day may start at any time
    /// (`calendar.school_day_start_by_urn`): so from 06:00 to 18:00 London time, winter and summer,
    /// no two runs are more than 10 minutes apart, as systemd works the timer's elapses out. Runs
    /// every 10 minutes only until 09:00 left a 09:15 school's missed alert untold until 10:00
    /// (audit 27, F1).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func theTimerRunsEveryTenMinutesThroughTheSchoolDay() async throws {
        let text = try String(contentsOf: Self.units.appendingPathComponent("encompass-notify.timer"), encoding: .utf8)
        let calendars = text.split(separator: "\n").filter { $0.hasPrefix("OnCalendar=") }.map { String($0.dropFirst("OnCalendar=".count)) }
        // 06:00 London in UTC: GMT in November, BST in June.
        for (day, sixAM) in [("2026-11-10", "06:00"), ("2026-06-10", "05:00")] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
            p.environment = ["TZ": "UTC", "PATH": "/usr/bin:/bin"]
            p.arguments = ["calendar", "--iterations=200", "--base-time=\(day) 00:00:00 UTC"] + calendars
            let ran = try await p.runToEnd()
            #expect(ran.end.status == 0)
            let parse = ISO8601DateFormatter()
            // "Iter. #2: Tue 2026-11-10 06:10:00 UTC": the instants of the day, in order.
            let elapses = String(decoding: ran.stdout, as: UTF8.self).split(separator: "\n").compactMap { line -> Date? in
                guard let at = line.range(of: day + " ") else { return nil }
                return parse.date(from: day + "T" + line[at.upperBound...].prefix(8) + "Z")
            }.sorted()
            let start = try #require(parse.date(from: "\(day)T\(sixAM):00Z"))
            let end = start.addingTimeInterval(12 * 3600)
            let inDay = Array(Set(elapses.filter { $0 >= start && $0 <= end })).sorted()
            #expect(inDay.first == start, "\(day)")
            #expect(inDay.last == end, "\(day)")
            for (a, b) in zip(inDay, inDay.dropFirst()) {
                #expect(b.timeIntervalSince(a) <= 600, "\(day): no run from \(a) to \(b)")
            }
            // Hourly otherwise: the night has its runs on the hour, not every 10 minutes.
            let night = elapses.filter { $0 < start }
            #expect(!night.isEmpty, "\(day)")
            #expect(night.allSatisfy { Int($0.timeIntervalSince1970) % 3600 == 0 }, "\(day): \(night)")
        }
    }

    /// Slow clients each hold a descriptor: systemd's default of 1,024 ran out (audit 22, resilience F3).
    @Test func theWebServiceHasRoomForManySlowClients() throws {
        let text = try String(contentsOf: Self.units.appendingPathComponent("encompass-serve.service"), encoding: .utf8)
        #expect(text.contains("\nLimitNOFILE=65536\n"))
    }

    @Test func bothUnitsKeepStateWhereSystemdGivesItToTheServiceUser() throws {
        for unit in ["encompass-notify.service", "encompass-serve.service"] {
            let text = try String(contentsOf: Self.units.appendingPathComponent(unit), encoding: .utf8)
            for line in ["User=encompass", "StateDirectory=encompass", "WorkingDirectory=/var/lib/encompass",
                         "EnvironmentFile=/etc/encompass/environment", "ProtectSystem=strict", "NoNewPrivileges=true"] {
                #expect(text.contains(line + "\n"), "\(unit): \(line)")
            }
        }
    }
}
