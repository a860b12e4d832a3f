import CivilTime
import Foundation
import InputRules
import Mustache

/// Renders alerts and hub notices from the Mustache templates in `Templates/`. Subjects are built
/// here, not in a template, so no edit of a template can put a name in a subject line.
public struct AlertRenderer: Sendable {
    /// The template files this renderer needs, by file name.
    public static let templateNames = [
        "alert.txt", "alert.html", "hub-notice.txt", "hub-configuration.txt",
    ]

    private let templates: [String: MustacheTemplate]
    private let text: CivilText

    /// Reads every template up front, so a missing or broken one stops the run before anything is sent.
    public init(templatesDirectory: String, zone: Zone = .london) throws(RenderingError) {
        var loaded: [String: MustacheTemplate] = [:]
        let folder = URL(fileURLWithPath: templatesDirectory, isDirectory: true)
        for name in Self.templateNames {
            let file = folder.appendingPathComponent(name + ".mustache")
            guard let data = FileManager.default.contents(atPath: file.path) else {
                throw RenderingError(message: "template \(file.path) is missing", isMissingFile: true)
            }
            do {
                loaded[name] = try MustacheTemplate(string: String(decoding: data, as: UTF8.self))
            } catch {
                throw RenderingError(message: "template \(file.path) does not parse: \(error)")
            }
        }
        templates = loaded
        text = CivilText(zone: zone)
    }

    /// The alert for one (incident, child) to one school's key adult.
    /// - Parameter date: when the alert was queued; it becomes the e-mail's Date header.
    public func alert(
        _ content: AlertContent, reference: String, channel: DeliveryChannel, recipient: String, date: Date
    ) throws(RenderingError) -> AlertMessage {
        let view: [String: String] = [
            "reference": reference,
            "incident_id": content.incidentId,
            "child_given_name": content.childGivenName,
            "child_family_name": content.childFamilyName,
            "date_of_birth": CivilText.date(content.dateOfBirth),
            "incident_at": text.instant(content.incidentAt),
            "child_present": CivilText.yesNo(content.childPresent),
            "child_spoken_to": CivilText.yesNo(content.childSpokenTo),
            "school_urn": content.schoolURN,
            "school_name": content.schoolName,
            "hub_name": content.hub.name,
            "hub_phone": content.hub.phone,
            "hub_email": content.hub.email,
            "deadline": text.instant(content.deadline),
        ]
        let json: Data
        do {
            json = try WebhookPayload(content, reference: reference, zone: text.zone).jsonData()
        } catch {
            throw RenderingError(message: "alert \(reference): JSON body cannot be encoded")
        }
        return AlertMessage(
            reference: reference, channel: channel, recipient: recipient,
            subject: "Operation Encompass notification [\(reference)]",
            textBody: render("alert.txt", view), htmlBody: render("alert.html", view),
            jsonBody: json, date: date)
    }

    /// A notice to the hub that an alert failed or is overdue.
    public func hubNotice(_ notice: HubNotice, to hubEmail: String, hubName: String, channel: DeliveryChannel = .smtp, date: Date) -> AlertMessage {
        let what = switch (notice.reason, notice.deliveredAt) {
        case (.failed, _): "was refused and will not be retried"
        case (.overdue, let at?): "missed its deadline and was delivered late, on \(text.instant(at))"
        case (.overdue, nil): "was not delivered by its deadline and is still being retried"
        }
        let view: [String: String] = [
            "reference": notice.reference,
            "incident_id": notice.incidentId,
            "child_id": notice.childId,
            "school_urn": notice.schoolURN ?? "none",
            "channel": notice.channel?.rawValue ?? "none",
            "state": notice.reason.rawValue,
            "what_happened": what,
            "deadline": text.instant(notice.deadline),
            "attempts": String(notice.attempts),
            "last_error": notice.lastError ?? "none recorded",
            "hub_name": hubName,
        ]
        let state = notice.reason == .failed ? "FAILED" : "OVERDUE"
        return AlertMessage(
            reference: notice.messageReference, channel: channel, recipient: hubEmail,
            subject: "Encompass alert \(state): \(notice.reference), incident \(notice.incidentId)",
            textBody: render("hub-notice.txt", view), htmlBody: nil, jsonBody: nil, date: date)
    }

    /// A notice to the hub that a channel cannot deliver at all until its settings are put right.
    public func configurationNotice(_ notice: ConfigurationNotice, to hubEmail: String, hubName: String, channel: DeliveryChannel = .smtp, date: Date) -> AlertMessage {
        var view: [String: Any] = [
            "reference": notice.reference,
            "problem": notice.problem,
            "count": String(notice.affectedReferences.count),
            "affected": notice.affectedReferences,
            "hub_name": hubName,
        ]
        if let known = notice.channel {
            view["channel"] = known.rawValue
            view["known"] = true
        }
        let which = notice.channel.map { "\($0.rawValue) " } ?? ""
        return AlertMessage(
            reference: notice.reference, channel: channel, recipient: hubEmail,
            subject: "Encompass cannot deliver \(which)alerts: configuration [\(notice.reference)]",
            textBody: render("hub-configuration.txt", view), htmlBody: nil, jsonBody: nil, date: date)
    }

    private func render(_ name: String, _ view: Any) -> String {
        // init loaded every name in templateNames.
        templates[name]!.render(view)
    }
}

/// A template is missing or broken: one line naming the file, no personal data.
public struct RenderingError: Error, CustomStringConvertible, Equatable, KindedError {
    public let message: String
    /// A template file is not there (66), rather than broken (65).
    public var isMissingFile = false

    public init(message: String, isMissingFile: Bool = false) {
        self.message = message
        self.isMissingFile = isMissingFile
    }

    public var description: String { message }
    public var failureKind: FailureKind { isMissingFile ? .missing : .data }
}
