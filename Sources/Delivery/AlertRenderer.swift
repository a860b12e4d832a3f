import CivilTime
import Foundation
import InputRules
import Mustache

/// Renders alerts and hub notices from the Mustache templates in `Templates/`. Subjects are built
/// here, not in a template, so no edit of a template can put a name in a subject line.
public struct AlertRenderer: Sendable {
    /// The template files this renderer needs, by file name.
    public static let templateNames = [
        "alert.txt", "alert.html", "alert-link.txt", "alert-link.html", "hub-notices.txt",
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
            } catch let error as MustacheTemplate.ParserError {
                throw RenderingError(message: "template \(file.path):\(error.context.lineNumber):\(error.context.columnNumber): "
                                     + "does not parse: \(Self.parseProblem(error.error))")
            } catch {
                throw RenderingError(message: "template \(file.path) does not parse")
            }
        }
        templates = loaded
        text = CivilText(zone: zone)
    }

    /// What is wrong in a template, in the operator's words: the library's error printed as it is
    /// was a Swift value dump (`ParserError(context: Mustache.MustacheParserContext(...`).
    static func parseProblem(_ error: any Error) -> String {
        switch error as? MustacheTemplate.Error {
        case .expectedSectionEnd: "a section is not closed ({{#name}} or {{^name}} without its {{/name}})"
        case .sectionCloseNameIncorrect: "a section is closed with another section's name"
        case .unfinishedName: "a tag is not finished ({{ without }})"
        case .invalidSetDelimiter: "a set-delimiter tag is malformed"
        default: "the Mustache syntax is wrong here"
        }
    }

    /// What an alert's message says: everything SPEC §7 allows (`full`), or, with `link`, no
    /// personal data at all: that a notification waits behind the link, the police reference and
    /// the deadline (`alerts.content`).
    public enum ContentMode: String, Sendable, CaseIterable {
        case full
        case link
    }

    /// The alert for one (incident, child) to one school's key adult.
    /// - Parameter date: when the alert was queued; it becomes the e-mail's Date header.
    /// - Parameter ackURL: the acknowledgement link (`web.public_url` set), in every part.
    public func alert(
        _ content: AlertContent, reference: String, channel: DeliveryChannel, recipient: String, date: Date,
        ackURL: String? = nil, mode: ContentMode = .full
    ) throws(RenderingError) -> AlertMessage {
        var view: [String: Any] = Self.fields(content, reference: reference, zone: text.zone, personal: mode == .full)
        if let ackURL {
            view["ack_url"] = ackURL
            view["has_ack"] = true
        }
        if mode == .link, ackURL == nil {
            // Settings refuse `link` without `web.public_url`; a message with neither would say nothing.
            throw RenderingError(message: "alert \(reference): alerts.content is link but web.public_url is not set")
        }
        let json: Data
        do {
            json = try WebhookPayload(content, reference: reference, zone: text.zone, ackURL: ackURL, personal: mode == .full).jsonData()
        } catch {
            throw RenderingError(message: "alert \(reference): JSON body cannot be encoded")
        }
        let names = mode == .full ? ("alert.txt", "alert.html") : ("alert-link.txt", "alert-link.html")
        return AlertMessage(
            reference: reference, channel: channel, recipient: recipient,
            subject: "Operation Encompass notification [\(reference)]",
            textBody: render(names.0, view), htmlBody: render(names.1, view),
            jsonBody: json, date: date)
    }

    /// What a message says, for its templates and the acknowledgement page alike: the reference,
    /// the police reference, the school, the hub and the deadline; with `personal`, the child's
    /// details too.
    public static func fields(_ content: AlertContent, reference: String, zone: Zone, personal: Bool) -> [String: String] {
        let text = CivilText(zone: zone)
        var fields = [
            "reference": reference,
            "incident_id": content.incidentId,
            "school_urn": content.schoolURN,
            "school_name": content.schoolName,
            "hub_name": content.hub.name,
            "hub_phone": content.hub.phone,
            "hub_email": content.hub.email,
            "deadline": text.instant(content.deadline),
        ]
        guard personal else { return fields }
        fields.merge([
            "child_given_name": content.childGivenName,
            "child_family_name": content.childFamilyName,
            "date_of_birth": CivilText.date(content.dateOfBirth),
            "incident_at": text.instant(content.incidentAt),
            "child_present": CivilText.yesNo(content.childPresent),
            "child_spoken_to": CivilText.yesNo(content.childSpokenTo),
        ]) { $1 }
        return fields
    }

    /// The run's one notice to the hub (SPEC §7): every alert that turned overdue, failed or
    /// unacknowledged, every alert re-routed after delivery to a school the record no longer names
    /// and every one kept at such a school,
    /// and every configuration problem due to be told, by reference and incident id. Never a
    /// child's name.
    public func hubNotices(_ digest: HubDigest, to hubEmail: String, hubName: String, channel: DeliveryChannel = .smtp,
                           date: Date) -> AlertMessage {
        func rows(_ reason: HubNotice.Reason, withdrawn: Bool = false) -> [[String: String]] {
            digest.alerts.filter { $0.reason == reason && $0.withdrawn == withdrawn }.map { n in
                var row = [
                    "reference": n.reference, "incident_id": n.incidentId, "child_id": n.childId,
                    "school_urn": n.schoolURN ?? "none", "channel": n.channel?.rawValue ?? "none",
                    "deadline": text.instant(n.deadline), "attempts": String(n.attempts),
                    "last_error": n.lastError ?? "none recorded",
                ]
                if let at = n.deliveredAt { row["delivered_at"] = text.instant(at) }
                return row
            }
        }
        let unacknowledged = rows(.unacknowledged), overdue = rows(.overdue), failed = rows(.failed)
        let withdrawn = rows(.failed, withdrawn: true)
        var view: [String: Any] = [
            "hub_name": hubName,
            "unacknowledged": unacknowledged, "has_unacknowledged": !unacknowledged.isEmpty,
            "overdue": overdue, "has_overdue": !overdue.isEmpty,
            "failed": failed, "has_failed": !failed.isEmpty,
            "withdrawn": withdrawn, "has_withdrawn": !withdrawn.isEmpty,
            // A withdrawn alert alone leaves no school to contact.
            "has_school_to_contact": !(unacknowledged.isEmpty && overdue.isEmpty && failed.isEmpty
                                       && digest.configurations.isEmpty && digest.outages.isEmpty && digest.tooOld.isEmpty),
            "configuration": digest.configurations.map { c -> [String: Any] in
                ["channel": c.channel?.rawValue ?? "any", "problem": c.problem, "count": String(c.affectedReferences.count),
                 "affected": c.affectedReferences]
            },
            "has_configuration": !digest.configurations.isEmpty,
            // The e-mail goes through our relay, so when it is read the relay answers again: it
            // says so, and counts only the alerts still waiting, not those the outage held then.
            "outage": digest.outages.map { c -> [String: Any] in
                ["problem": c.problem, "count": String(c.affectedReferences.count), "affected": c.affectedReferences,
                 "has_affected": !c.affectedReferences.isEmpty]
            },
            "has_outage": !digest.outages.isEmpty,
            "refused_address": digest.refusedAddresses.map(\.problem),
            "has_refused_address": !digest.refusedAddresses.isEmpty,
            "rerouted": digest.rerouted.map { r -> [String: String] in
                ["reference": r.reference, "incident_id": r.incidentId, "school_urn": r.schoolURN, "delivered_at": text.instant(r.deliveredAt)]
            },
            "has_rerouted": !digest.rerouted.isEmpty,
            "too_old": digest.tooOld, "has_too_old": !digest.tooOld.isEmpty,
            "no_longer_named": digest.noLongerNamed.map { r -> [String: String] in
                var row = ["reference": r.reference, "incident_id": r.incidentId, "school_urn": r.schoolURN,
                           "delivered_at": text.instant(r.deliveredAt)]
                if let to = r.reroutedTo { row["rerouted_to"] = to }
                return row
            },
            "has_no_longer_named": !digest.noLongerNamed.isEmpty,
        ]
        if let board = digest.boardURL { view["board_url"] = board }
        var counts: [String] = []
        if !digest.outages.isEmpty { counts.append("relay down") }
        if !unacknowledged.isEmpty { counts.append("\(unacknowledged.count) unacknowledged") }
        if !overdue.isEmpty { counts.append("\(overdue.count) overdue") }
        if !failed.isEmpty { counts.append("\(failed.count) failed") }
        if !withdrawn.isEmpty { counts.append("\(withdrawn.count) withdrawn") }
        if !digest.rerouted.isEmpty { counts.append("\(digest.rerouted.count) sent to a school no longer named") }
        if !digest.tooOld.isEmpty { counts.append("incidents too old to alert a school") }
        if !digest.noLongerNamed.isEmpty { counts.append("\(digest.noLongerNamed.count) held by a school no longer named") }
        if !digest.configurations.isEmpty { counts.append("\(digest.configurations.count) configuration problem(s)") }
        if !digest.refusedAddresses.isEmpty { counts.append("\(digest.refusedAddresses.count) key adult address(es) refused") }
        return AlertMessage(
            reference: digest.reference, channel: channel, recipient: hubEmail,
            subject: "Encompass needs the hub: \(counts.joined(separator: ", ")) [\(digest.reference)]",
            textBody: render("hub-notices.txt", view), htmlBody: nil, jsonBody: nil, date: date)
    }

    /// The same digest for `hub.webhook`: a signed JSON POST with counts and references only (no
    /// child, no school's name, no error text that could carry more), for the hub's second channel.
    public func hubWebhook(_ digest: HubDigest, url: String, date: Date) -> AlertMessage {
        let body = HubDigestPayload(digest, zone: text.zone).jsonData()
        return AlertMessage(reference: digest.reference, channel: .https, recipient: url, subject: "Encompass needs the hub [\(digest.reference)]",
                            textBody: "", htmlBody: nil, jsonBody: body, date: date)
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
