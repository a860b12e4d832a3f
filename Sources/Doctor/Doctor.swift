import CivilTime
import Delivery
import Foundation
import InputRules
import RiskModel
import SchoolCalendar
import Schools
import Settings
import StoreContract

/// `encompass doctor`: every check an operator would make before a morning run, each problem one
/// line naming what to fix. Nothing is written, no database is made or migrated, and no message is
/// sent unless `sendTest` asks for one to `hub.email`.
public enum Doctor {
    public struct Finding: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case ok
            /// Our settings or files are wrong (exit 65).
            case configuration
            /// Something we depend on cannot be used (exit 69).
            case unavailable
        }

        public let kind: Kind
        public let line: String

        public static func ok(_ line: String) -> Finding { Finding(kind: .ok, line: line) }
        public static func configuration(_ line: String) -> Finding { Finding(kind: .configuration, line: line) }
        public static func unavailable(_ line: String) -> Finding { Finding(kind: .unavailable, line: line) }
    }

    /// How the database is reached: nil when there is none yet (a new install), or the error that
    /// opening it met.
    public typealias OpenStore = @Sendable () async throws -> (any Store & SchoolDirectoryStore)?

    /// Whether the records are safe on their way to the database: a server on another machine
    /// reached in clear is a problem in our settings (its `sslmode`), whatever the URL asked for.
    public static func finding(for transport: StoreTransport) -> Finding {
        switch transport {
        case .localFile:
            return .ok("database connection: a file on this machine")
        case .server(let host, _, let tls?):
            return .ok("database connection: to \(host) over TLS (\(tls))")
        case .server(let host, true, nil):
            return .ok("database connection: to \(host) on this machine, not encrypted (it crosses no network)")
        case .server(let host, false, nil):
            return .configuration("database connection: to \(host) is not encrypted: children's records cross the network in clear; "
                                  + "turn TLS on at the server and use sslmode=verify-full (or require)")
        }
    }

    /// How far ahead the calendar must reach: a deadline is worked out from it for every alert.
    public static let calendarDays = 365

    /// - Parameter templatesDirectory: the alert templates `notify` renders with (its `--templates`).
    public static func run(configDirectory: String, templatesDirectory: String, environment: [String: String], now: Date,
                           database: String, openStore: OpenStore, sendTest: Bool) async -> [Finding] {
        var findings: [Finding] = []
        var store: (any Store & SchoolDirectoryStore)?
        do {
            store = try await openStore()
            if let store {
                let status = try await store.migrationStatus()
                if status.isNew {
                    // A new PostgreSQL database, as a missing SQLite file: the first writer sets it up.
                    findings.append(.ok("database: reachable, none yet at \(database); the first command that writes sets it up"))
                } else {
                    _ = try SchemaRule.migrationsToRun(status, for: .read)
                    if let damage = try await store.damage() {
                        findings.append(.unavailable("database: damaged (\(damage)): commands may answer short of what it holds; "
                                                     + "stop the units and restore the last backup (docs/operations.md, Restore)"))
                    } else {
                        // Only the check made is named: a store with none (PostgreSQL) is "reachable, at this
                        // version", and its pages are the server's to check (audit 25, F2).
                        let checked = store.damageCheck.map { ", \($0)" }
                            ?? "; its pages not checked here (the server's own: data checksums, amcheck)"
                        findings.append(.ok("database: reachable, at this version (\(status.known.count) migrations)\(checked)"))
                    }
                }
                // It reads, so the web app starts, but every write fails: the morning run's, every decision's.
                if let why = try await store.whyNotWritable() { findings.append(.unavailable("database: \(why)")) }
                findings.append(Self.finding(for: try await store.transport()))
            } else {
                findings.append(.ok("database: none yet at \(database); the first command that writes sets it up"))
            }
        } catch {
            store = nil
            findings.append(.unavailable("database: \(describe(error)) (--database or ENCOMPASS_DATABASE)"))
        }

        let config: LoadedConfig
        do {
            config = try ConfigDirectory.load(configDirectory, environment: environment)
            findings.append(.ok("settings: \(configDirectory) and every file it names"))
        } catch {
            findings.append(.configuration("settings: \(describe(error))"))
            return findings
        }
        let settings = config.settings

        if Placeholders.allowed(environment) {
            findings.append(.ok("placeholders: allowed by \(Placeholders.allowVariable) (the demo; never in service)"))
        } else {
            let problems = Placeholders.problems(in: settings)
            findings += problems.map { .configuration($0) }
            if problems.isEmpty { findings.append(.ok("hub contacts: hub.email and hub.phone are set")) }
        }

        findings.append(templates(templatesDirectory, zone: settings.scoring.zone))
        let adults = await KeyAdultsInEffect(config.directory, store: store)
        // A file of no rows is how an export cut short looks: every writing command refuses it while
        // the database holds key adults (said as the writers say it, by their rule), and a new
        // install's has no one to alert.
        if config.directory.keyAdults.isEmpty {
            let imported = (try? await store?.importedKeyAdultsText()) ?? nil
            do throws(EmptyKeyAdultsFile) {
                try EmptyKeyAdultsFile.check([], held: adults.stored, imported: imported)
                findings.append(.configuration("key-adults.csv: no key adults: no alert can reach a school; add a row for each school's key adult"))
            } catch {
                findings.append(.configuration(error.forecast))
            }
        }
        findings += adults.unknownSchools()
        findings += secrets(settings, adults: adults.all)
        findings += retired(environment)
        findings += calendar(config, adults: adults, now: now)
        findings += await retention(store, settings, now: now)
        findings += await relay(settings, sendTest: sendTest, now: now)
        return findings
    }

    /// What a purge would keep now (`RetentionStore`): incidents due for review whose alert may still
    /// go. Nothing said without review periods, or with no store to ask.
    static func retention(_ store: (any Store)?, _ settings: Settings, now: Date) async -> [Finding] {
        let policy = RetentionPolicy(incidentsDays: settings.retention.incidentsDays, episodesDays: settings.retention.episodesDays)
        guard !policy.isEmpty, let store = store as? any RetentionStore, let due = try? await store.due(policy, now: now) else { return [] }
        let kept = due.filter(\.alertMayStillGo).count
        return [.ok("retention: \(due.count) record(s) due for review"
                    + (kept > 0 ? "; a purge keeps \(kept) incident(s): \(RetentionText.keptReason)" : ""))]
    }

    /// 65 for any problem of ours, else 69 for anything unavailable, else 0.
    public static func exitStatus(_ findings: [Finding]) -> Int32 {
        if findings.contains(where: { $0.kind == .configuration }) { return 65 }
        if findings.contains(where: { $0.kind == .unavailable }) { return 69 }
        return 0
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? any StoreFailure { return e.problem }
        return String(describing: error)
    }

    /// The alert templates load as `notify` loads them (a missing one would stop every run).
    static func templates(_ directory: String, zone: Zone) -> Finding {
        do {
            _ = try AlertRenderer(templatesDirectory: directory, zone: zone)
            return .ok("templates: \(directory)")
        } catch {
            return .configuration("templates: \(error.message) (notify's --templates, or ENCOMPASS_TEMPLATES)")
        }
    }

    /// The secrets the settings call for, from the environment: the webhook signing secret for key
    /// adults by https and for `hub.webhook` (without it the hub's second channel fails on the very
    /// morning it is needed).
    static func secrets(_ settings: Settings, adults: [KeyAdult]) -> [Finding] {
        var findings: [Finding] = []
        let https = adults.filter { $0.channel == .https }
        if !https.isEmpty, settings.https.webhookSecret.isEmpty {
            findings.append(.configuration("ENCOMPASS_WEBHOOK_SECRET is not set: \(https.count) key adult(s) take alerts by https"))
        }
        if !settings.hub.webhook.isEmpty, settings.https.webhookSecret.isEmpty {
            findings.append(.configuration("ENCOMPASS_WEBHOOK_SECRET is not set: hub.webhook (the hub's second channel when the relay is down) cannot be signed"))
        }
        return findings
    }

    /// A note for each variable set that this version no longer reads: harmless, and may go.
    static func retired(_ environment: [String: String]) -> [Finding] {
        Settings.retiredEnvironment.sorted { $0.key < $1.key }.compactMap { name, why in
            environment[name].map { _ in .ok("\(name) is set but no longer used (\(why)): it may be removed from the environment file") }
        }
    }

    /// The bank holidays and every key adult's school's term dates reach a year ahead.
    static func calendar(_ config: LoadedConfig, adults: KeyAdultsInEffect, now: Date) -> [Finding] {
        let zone = config.settings.scoring.zone
        let horizon = zone.localDate(of: now).adding(days: calendarDays)
        var findings: [Finding] = []
        if let latest = config.calendar.bankHolidays.latest, latest >= horizon {
            findings.append(.ok("bank holidays: known until \(latest)"))
        } else {
            let latest = config.calendar.bankHolidays.latest.map { "end on \($0)" } ?? "are empty"
            findings.append(.configuration("bank-holidays.json: the bank holidays \(latest), before \(horizon): fetch https://www.gov.uk/bank-holidays.json"))
        }
        var short: [String: LocalDate?] = [:]
        for urn in Set(adults.all.map(\.urn)).sorted() {
            let la = adults.schools[urn]?.laCode
            // Named as the calendar used: a school's own rows override its LA's, and an operator
            // told the LA's dates are short would extend the wrong rows.
            let key = switch la {
            case let la? where !config.calendar.termDates.hasOwnTerms(urn: urn): "local authority \(la)"
            default: "school \(urn)"
            }
            let end = config.calendar.termDates.terms(urn: urn, laCode: la)?.map(\.end).max()
            if end == nil || end! < horizon { short[key] = end }
        }
        for (key, end) in short.sorted(by: { $0.key < $1.key }) {
            let what = end.map { "end on \($0)" } ?? "are missing"
            findings.append(.configuration("term-dates.csv: the term dates of \(key) \(what), before \(horizon): add the coming school year"))
        }
        if short.isEmpty { findings.append(.ok("term dates: every key adult's school is covered until \(horizon) or later")) }
        return findings
    }

    /// Connect, STARTTLS and log in; with `sendTest`, a message to `hub.email` too.
    static func relay(_ settings: Settings, sendTest: Bool, now: Date) async -> [Finding] {
        if !settings.alerts.outboxDir.isEmpty {
            return [.ok("relay: not used (alerts.outbox_dir is set: messages are written to a folder)")]
        }
        let relay = settings.relay
        let transport = CurlTransport(relay: relay, webhooks: settings.webhooks)
        let probe = await transport.probeRelay()
        guard probe.status == .delivered else { return [finding(probe, what: "relay \(relay.address)")] }
        // A loopback relay allowed in clear is reached without TLS at all (SMTPRelay.Security):
        // saying "TLS" of it told the operator something false.
        let secured = (try? relay.security().get()) == .plaintext
            ? "not encrypted (a relay on this machine, smtp.allow_plaintext_loopback)" : "TLS"
        var findings: [Finding] = [.ok("relay \(relay.address): connected, \(secured), logged in")]
        if sendTest {
            let message = AlertMessage(
                reference: "ENC-DOCTOR-\(Int(now.timeIntervalSince1970))", channel: .smtp, recipient: settings.hub.email,
                subject: "Encompass: a test message from encompass doctor",
                textBody: "This message was sent by `encompass doctor --send-test` to check that the relay delivers to the hub.\n",
                htmlBody: nil, jsonBody: nil, date: now)
            var outcome = probe
            for await o in transport.deliver([message]) { outcome = o }
            findings.append(outcome.status == .delivered
                ? .ok("test message: sent to hub.email (\(settings.hub.email))")
                : finding(outcome, what: "test message to hub.email"))
        }
        return findings
    }

    static func finding(_ outcome: DeliveryOutcome, what: String) -> Finding {
        switch outcome.status {
        case .delivered: .ok(what)
        case .configuration, .permanent: .configuration("\(what): \(outcome.detail) (smtp.* in encompass.yaml)")
        case .relayUnreachable, .temporary: .unavailable("\(what): \(outcome.detail) (smtp.url)")
        }
    }
}

/// The key adults alerts go to: key-adults.csv's, and any an admin added or changed in the app
/// (kept in the database), with the schools they are at, from schools.csv or the imported GIAS list.
struct KeyAdultsInEffect {
    /// key-adults.csv's, then those only the database holds.
    let all: [KeyAdult]
    let fromFile: Int
    /// How many key adults the database holds.
    let stored: Int
    let directory: SchoolDirectory
    /// Every known school among theirs, by URN.
    let schools: [String: School]

    init(_ directory: SchoolDirectory, store: (any SchoolDirectoryStore)?) async {
        let stored = (try? await store?.keyAdults(urn: nil)) ?? []
        func key(_ a: KeyAdult) -> String { a.urn + "\u{0}" + a.email.lowercased() }
        let inFile = Set(directory.keyAdults.map(key))
        all = directory.keyAdults + stored.filter { !inFile.contains(key($0)) }
        fromFile = directory.keyAdults.count
        self.stored = stored.count
        self.directory = directory
        var schools = Dictionary(directory.schools.map { ($0.urn, $0) }, uniquingKeysWith: { a, _ in a })
        for urn in Set(all.map(\.urn) + directory.calendarSchools.map(\.urn)) where schools[urn] == nil {
            if let store, let school = try? await store.school(urn: urn) { schools[urn] = school }
        }
        self.schools = schools
    }

    /// Every key adult's school is one we know: in schools.csv, or the database's GIAS import. The
    /// file's rows by the writers' rule and words (each refuses the first, exit 65), naming the line.
    func unknownSchools() -> [Doctor.Finding] {
        var findings: [Doctor.Finding] = directory.unknownSchoolRows(imported: Set(schools.keys)).map { .configuration($0.description) }
        for adult in all.dropFirst(fromFile) where schools[adult.urn] == nil {
            let line = "key adults (changed in the app, Key adults): " + KeyAdult.unknownSchool(adult.urn)
            if !findings.contains(where: { $0.line == line }) { findings.append(.configuration(line)) }
        }
        return findings.isEmpty ? [.ok("key adults: \(all.count), every one at a known school")] : findings
    }
}
