import Foundation
import InputRules

/// A blank configuration folder, as `encompass init DIR` writes it: every setting this version knows,
/// commented out with its default (`#key: value`, uncomment to change), and the files the settings
/// name with their headers only. No sample people, schools or key adults; the hub's contacts stay
/// the placeholders `notify` refuses until they are set.
public enum ConfigTemplate {
    /// The files, by name, with their contents.
    public static let files: [(name: String, contents: String)] = [
        ("encompass.yaml", yaml),
        // Headers only: the force's own people and schools (GIAS: `encompass schools import`, or
        // an extract with these columns and more).
        ("key-adults.csv", "urn,name,email,channel,endpoint\n"),
        ("schools.csv", "URN,LA (code),EstablishmentName,EstablishmentStatus (name),TelephoneNum\n"),
        // Each local authority's terms (rows by LA code, or one school's by URN).
        ("term-dates.csv", "la_code,urn,term_start,term_end\n"),
        // GOV.UK's file holds the holidays; a copy built into the program would go stale without a
        // word, so the install fetches it (README, "Operations"). Until then: no holidays.
        ("bank-holidays.json", #"{"england-and-wales": {"division": "england-and-wales", "events": []}}"# + "\n"),
    ]

    /// Settings lines are `#` then the YAML (`#scoring:`, `#  window_days: 365`); notes are `# ` then
    /// words. Uncomment a section's line and the key's line to change a default.
    static let yaml = """
        # Encompass settings. Every key is optional: each line below is commented out and shows the
        # default. To change one, remove the '#' from its section's line and from its own line.
        # An unknown key is an error. Environment variables override this file: ENCOMPASS_ plus the
        # key path in capitals with dots as underscores, e.g. ENCOMPASS_SCORING_WINDOW_DAYS=180.
        # Secrets never go here: ENCOMPASS_SMTP_PASSWORD and ENCOMPASS_WEBHOOK_SECRET come from the
        # environment (the units' EnvironmentFile).
        # Files named here (smtp.ca_file, https.ca_file) are read from this folder when relative.
        # Check it with: encompass doctor --config THIS_FOLDER

        #scoring:
        #  window_days: 365                  # the review window, in days
        #  escalation_count: 3               # potential-escalation at this many incidents in the window
        #  half_life_days: 90                # an incident's weight halves every this many days
        #  weights: {standard: 1, medium: 2, high: 4}
        #  score_medium: 2.0                 # the score that makes a child medium
        #  score_high: 4.0                   # the score that makes a child high
        #  serial_victims: 2                 # serial-perpetrator: this many distinct victims...
        #  serial_days: 1095                 # ...in this many days up to as-of
        #  serial_level: medium              # the level it gives (medium or high)
        #  missing_count: 3                  # repeat-missing: this many missing episodes...
        #  missing_days: 90                  # ...in this many days up to as-of

        #calendar:
        #  time_zone: Europe/London
        #  school_day_start: "09:00"
        #  minimum_notice_minutes: 30        # the school must have the alert this long before the day starts
        #  school_day_start_by_urn: {}       # schools starting at another time, e.g. {"139900": "08:30"}

        # The hub's contacts: REQUIRED. notify refuses to send while these are the placeholders.
        #hub:
        #  name: Police Safeguarding Hub
        #  email: hub@police.example         # overdue and failed alerts are sent here at once
        #  phone: "0000 000 0000"            # shown to schools; the number they ring
        #  webhook: ""                       # https URL: the hub's second channel when our relay is down

        # The force's relay: REQUIRED for e-mail alerts.
        #smtp:
        #  url: smtp://localhost:587         # smtp:// means STARTTLS is required; smtps:// is implicit TLS
        #  from: encompass@police.example
        #  username: ""                      # password: environment only, ENCOMPASS_SMTP_PASSWORD
        #  ca_file: ""                       # extra trusted CA certificates, PEM
        #  allow_plaintext_loopback: false   # plaintext SMTP only to 127.0.0.0/8 or ::1, and only when true
        #  helo_name: ""                     # the name sent in EHLO; empty: the domain of smtp.from

        #https:
        #  ca_file: ""                       # the signing secret: environment only, ENCOMPASS_WEBHOOK_SECRET

        #alerts:
        #  max_age_days: 28                  # an incident older than this when ingested alerts no school (0: no limit)
        #  outbox_dir: ""                    # demos only: write messages as files here instead of sending them
        #  content: full                     # or link: the message holds no personal data, only the link to it
        #  ack_days: 14                      # how long an acknowledgement link works

        #retention:                          # the force's own review periods (MoPI), in days after the record's date
        #  incidents_days: 0                 # an incident, from when it was reported; 0: never due
        #                                    # else at least scoring.window_days and scoring.serial_days
        #  episodes_days: 0                  # a missing episode, from when the child went missing; 0: never due
        #                                    # else at least scoring.missing_days

        #web:
        #  public_url: ""                    # e.g. https://hub.police.example; empty: no acknowledgement links
        #                                    # each send's link carries a random token; no key is needed

        """
}

extension ConfigTemplate {
    /// Writes the blank folder at `dir`, made if missing. A folder that holds anything is refused,
    /// and nothing is written: `init` never overwrites a setting someone made.
    public static func write(to dir: String) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dir, isDirectory: &isDir) {
            guard isDir.boolValue else { throw InitRefused("\(dir) is a file, not a folder") }
            guard (try fm.contentsOfDirectory(atPath: dir)).isEmpty else {
                throw InitRefused("\(dir) is not empty: init writes only into a new or empty folder, and overwrites nothing")
            }
        } else {
            do {
                try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw InitRefused("cannot make \(dir): \((error as NSError).localizedDescription)")
            }
        }
        for (name, contents) in files {
            let path = ConfigDirectory.path(dir, name)
            guard fm.createFile(atPath: path, contents: Data(contents.utf8)) else { throw InitRefused("cannot write \(path)") }
        }
    }
}

/// `encompass init` cannot use the folder it was given (exit 64: the command line names it).
public struct InitRefused: Error, KindedError, CustomStringConvertible {
    public let description: String
    public var failureKind: FailureKind { .usage }
    init(_ why: String) { description = why }
}
