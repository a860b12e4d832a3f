import ArgumentParser
import Delivery
import Doctor
import Foundation
import Outbox
import RiskModel
import Settings
import StoreContract
import Stores

struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify",
        abstract: "Send every queued Operation Encompass alert that is not yet delivered (the morning run).",
        discussion: """
            Sends without waiting for the deadline, which is when the alert must have arrived. Running it twice \
            sends nothing twice, two runs at once send nothing twice, and a run killed half way loses no alert.
            Temporary failures are retried with backoff; permanent ones, and alerts past their deadline, are \
            reported to hub.email at once (or to hub.webhook when our relay is down). Exit 69 when the relay or an \
            endpoint cannot be used at all: a relay that cannot be reached holds its alerts, due at once, for the \
            next run, without counting an attempt.
            Refuses to send (exit 65, naming each setting) while hub.phone, hub.email or smtp.from holds the \
            sample's placeholder (0000 000 0000, an address at a .example domain); --dry-run still renders.
            ENCOMPASS_ALLOW_PLACEHOLDERS=1 lets the demo and the tests through: demo only.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "The clock for deadlines and retries (ISO 8601), for tests and replays. Default: now.")
    var now: String?

    @Flag(help: "Render what would be sent into a folder and send nothing.")
    var dryRun = false

    @Option(help: "Where --dry-run writes the messages.")
    var dryRunDir = "notify-dry-run"

    @Option(help: "The e-mail templates (default $ENCOMPASS_TEMPLATES, or Templates beside the --config folder).")
    var templates: String?

    func run() async throws {
        // The environment is checked by `prepare`, within the morning run, so a run stopped by an
        // ENCOMPASS_* typo is recorded as the others are (it exited 65 before, recorded nowhere).
        try await Failure.run(checkingEnvironment: false) {
            if dryRun {
                let prepared = try await prepare()
                let files = FileTransport(folder: URL(fileURLWithPath: dryRunDir), composer: prepared.composer)
                let rendered = try await prepared.run.dryRun(now: prepared.now, into: files, limit: 100_000) { alert in
                    print("would send \(alert.reference) (incident \(alert.incidentId), child \(alert.childId)) to school \(alert.schoolURN) by \(alert.channel.rawValue)")
                }
                print("dry run: \(rendered) alerts rendered into \(dryRunDir)/, nothing sent")
                return
            }
            // The library records the run, however it ends (a settings file, the templates or the
            // calendar stopping it before it starts included), wherever a store answers.
            let report = try await NotifyRun.morning(
                prepare: {
                    let prepared = try await prepare()
                    if let outbox = prepared.outboxDir {
                        try? FileHandle.standardError.write(contentsOf: Data("notify: alerts.outbox_dir is set: messages are written to \(outbox)/, not sent to schools\n".utf8))
                    }
                    return (prepared.run, prepared.now)
                },
                storeToRecordIn: { try await Self.existingStore(global) },
                reason: { Failure.explain($0).lines.joined(separator: "; ") })
            print(report.line)
            if report.serviceUnavailable {
                // This run's own cause, naming the relay or the setting to fix; not some older alert's last error.
                Failure.printError(report.unavailableLine)
                throw ExitCode(69)
            }
        }
    }

    /// The run as the settings, calendar, templates and store make it; each may stop it.
    private func prepare() async throws -> (run: NotifyRun, now: Date, composer: EmailComposer, outboxDir: String?) {
        // First, as every other command checks it (`Failure.run`) before anything.
        try EnvironmentVariables.check(global.environment)
        let given = try now.map { try parseInstant($0, option: "--now") }
        let config = try ConfigDirectory.load(global.configDirectory, environment: global.environment)
        // The sample's contacts never reach a school: checked before the database is opened.
        let placeholders = Placeholders.problems(in: config.settings)
        if !dryRun, !placeholders.isEmpty, !Placeholders.allowed(global.environment) {
            throw PlaceholderSettings(problems: placeholders)
        }
        // A morning run has nothing to send from a store that is not there: made new (a typo in
        // the path or in ENCOMPASS_DATABASE, a unit in the wrong folder), it would send nothing
        // and exit 0, and the timer's failure alarm would never ring.
        if StoreFactory.isMissingFile(global.databaseURL) {
            throw StoreError.missingDatabase(StoreFactory.place(global.databaseURL))
        }
        let context = try await Context.open(global, config: config)
        let settings = context.config.settings
        // A missing template is a missing file (66), named by its path.
        let renderer = try AlertRenderer(templatesDirectory: templates ?? global.templatesDirectory, zone: settings.scoring.zone)
        let composer = EmailComposer(from: settings.smtp.from, fromName: settings.hub.name)
        let hub = HubContact(name: settings.hub.name, phone: settings.hub.phone, email: settings.hub.email)
        // The database's clock, which runs on every host share (RunClock); --now's in a replay.
        let runClock = RunClock(given: given, databaseNow: given == nil ? try await context.alerts.databaseClock() : nil)
        if let warning = runClock.warning { Failure.printLine("notify: " + warning) }
        let clock = runClock.start
        var run = NotifyRun(store: context.alerts, transport: Self.transport(settings, composer: composer), renderer: renderer,
                            hub: hub, retry: RetryPolicy(), owner: LeaseOwner.current, isDead: LeaseOwner.isDead)
        if !settings.alerts.outboxDir.isEmpty { run.hubChannel = .file }
        run.links = AcknowledgementLinks(publicURL: settings.web.publicURL, days: settings.alerts.ackDays)
        run.contentMode = settings.alerts.linkOnly ? .link : .full
        run.hubWebhook = settings.hub.webhook.isEmpty ? nil : settings.hub.webhook
        run.planner = context.planner
        run.waitingForDatabase = { Failure.printLine("notify: " + $0) }
        if given == nil {
            run.clock = runClock
            // The run's own record on the same clock as its deliveries.
            run.wallClock = { runClock.now() }
        }
        return (run, clock, composer, settings.alerts.outboxDir.isEmpty ? nil : settings.alerts.outboxDir)
    }

    /// The store as it is, to record a run that stopped before it began: none is made or migrated.
    static func existingStore(_ global: GlobalOptions) async throws -> (any AlertStore)? {
        guard let store = try StoreFactory.openExisting(global.databaseURL) else { return nil }
        try await store.checkSchema()
        return store
    }

    /// The real channels, or the demo's folder when `alerts.outbox_dir` is set.
    static func transport(_ s: Settings, composer: EmailComposer) -> any Transport {
        if !s.alerts.outboxDir.isEmpty {
            return FileTransport(folder: URL(fileURLWithPath: s.alerts.outboxDir), composer: composer)
        }
        return CurlTransport(relay: s.relay, webhooks: s.webhooks)
    }
}
