import Foundation
import InputRules
import RiskModel
import SchoolCalendar

/// Every setting of SPEC §8 as one typed value, read once at the entry point:
/// defaults, then Config/encompass.yaml, then the environment. Secrets come from the environment only.
public struct Settings: Sendable {
    public var scoring = ScoringSettings()
    public var calendar = CalendarSettings()
    public var hub = HubSettings()
    public var smtp = SMTPSettings()
    public var https = HTTPSSettings()
    public var alerts = AlertSettings()
    public var web = WebSettings()
    public var retention = RetentionSettings()

    public init() {}
}

public struct CalendarSettings: Sendable {
    public var timeZone = "Europe/London"
    public var schoolDayStart = TimeOfDay.nine
    public var minimumNoticeMinutes = 30
    /// Schools whose day starts at another time, by URN (`calendar.school_day_start_by_urn`).
    public var schoolDayStartByURN: [String: TimeOfDay] = [:]
}

public struct HubSettings: Sendable {
    public var name = "Police Safeguarding Hub"
    public var email = "hub@police.example"
    public var phone = "0000 000 0000"
    /// `hub.webhook`: an https:// URL the hub's digest is POSTed to (signed with
    /// ENCOMPASS_WEBHOOK_SECRET) when the e-mail to `email` cannot go, our relay being down. Empty: none.
    public var webhook = ""
}

public struct SMTPSettings: Sendable {
    public var url = "smtp://localhost:587"
    public var from = "encompass@police.example"
    public var username = ""
    /// From ENCOMPASS_SMTP_PASSWORD only.
    public var password = ""
    /// Read from the config folder when relative; checked when the settings load.
    public var caFile = ""
    public var allowPlaintextLoopback = false
    /// The EHLO name; empty: the domain of `from`.
    public var heloName = ""
}

public struct HTTPSSettings: Sendable {
    public var caFile = ""
    /// From ENCOMPASS_WEBHOOK_SECRET only.
    public var webhookSecret = ""
}

/// Additions to the SPEC's keys, for the outbox.
public struct AlertSettings: Sendable {
    /// Incidents older than this when ingested get no alert: a back-loaded history must not write
    /// to schools about last year. 0 means no limit.
    public var maxAgeDays = 28
    /// Demos and dry runs only: when set, `notify` writes every message as a file in this folder
    /// instead of sending it. Never a school's channel.
    public var outboxDir = ""
    /// `alerts.content: link`: the message carries no personal data, only the link to it.
    public var linkOnly = false
    /// How long an acknowledgement link works (`alerts.ack_days`).
    public var ackDays = 14

    public var maxAge: TimeInterval? { maxAgeDays > 0 ? Double(maxAgeDays) * 86_400 : nil }
}

/// `retention:` the force's own review periods (as MoPI review periods work), in days after the
/// record's date. 0, the default, is never due: no default pretends to be the law.
public struct RetentionSettings: Sendable {
    public var incidentsDays = 0
    public var episodesDays = 0
}

public struct WebSettings: Sendable {
    /// `web.public_url`: the address schools reach the hub's application at, without a trailing
    /// slash. Empty: alerts carry no acknowledgement link.
    public var publicURL = ""
}

/// One clear line naming the file (and line and column where known).
public struct SettingsError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int?
    public let column: Int?
    public let message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        FilePosition.text(file, line: line, column: column) + ": " + message
    }
}
