import Foundation
import HTTPTypes
import Hummingbird
import InputRules
import StoreContract

/// A form refused before its route ran, because its session had ended (idle too long, or past its
/// lifetime) or because it carried an earlier session's CSRF token (signed in again in another tab):
/// nothing it sent was recorded, and what was typed is not thrown away (audit 22, people F1). It
/// travels only in pages: as hidden fields of the sign-in page, then back in the form's own page,
/// filled in; never in the database, a cookie, the address or a log. Only the form's own typed fields
/// are kept (never a CSRF token, never a password: no kept form has one), and they are checked by the
/// ordinary rules when the form is sent again from its page, with that page's token and `seen`
/// (`OnePress`), so pressing it records once. docs/web.md "A session that ends mid-form".
struct KeptForm: Sendable {
    /// The forms whose typed text is kept, and the path parts they name.
    enum Kind: Sendable, Equatable {
        case decision(childId: String)
        case planAction(childId: String)
        /// Marking a plan action done: its date (audit 22, people: it was lost through sign-in).
        case planDone(childId: String, actionId: Int64)
        case regrade(childId: String, incidentId: String)
        case call(reference: String)
        case school(reference: String)

        /// The fields a person fills in on this form, the only ones kept, and how the outage page
        /// shows each again (`KeptForm.Resent`).
        var form: [Field] {
            switch self {
            case .decision:
                [Field("marac", "MARAC referral", .choice), Field("strategy_meeting", "Strategy meeting", .choice),
                 Field("on", "Date of the decision", .date), Field("reason", "Reason", .lines),
                 Field("strategy", "Strategy discussion requested", .tick)]
            case .planAction: [Field("action", "What is to be done", .lines), Field("agency", "Agency", .line), Field("due", "Due", .date)]
            case .planDone(_, let id): [Field("on", "Date action \(id) was done", .date)]
            case .regrade: [Field("grade", "Supervisor's grade", .choice), Field("reason", "Reason", .lines)]
            case .call: [Field("note", "Note of the call", .lines)]
            case .school: [Field("urn", "School URN", .line)]
            }
        }

        /// The names of `form`'s fields.
        var fields: [String] { form.map(\.name) }

        /// What the form is about, by its ids, as the outage page names it.
        var subject: String {
            switch self {
            case .decision(let child), .planAction(let child): "child \(child)"
            case .planDone(let child, let id): "action \(id) of child \(child)'s plan"
            case .regrade(let child, let incident): "incident \(incident) of child \(child)"
            case .call(let reference), .school(let reference): "alert \(reference)"
            }
        }

        /// The page the form is on: where signing in again leads.
        var page: String {
            switch self {
            case .decision(let child), .planAction(let child), .planDone(let child, _): ChildRoutes.path(child)
            case .regrade(let child, let incident): ChildRoutes.path(child) + "/incidents/" + ChildRoutes.encode(incident) + "/regrade"
            case .call, .school: "/alerts"
            }
        }

        /// The path the form posts to.
        var action: String {
            switch self {
            case .decision(let child): ChildRoutes.path(child) + "/decisions"
            case .planAction(let child): ChildRoutes.path(child) + "/plan"
            case .planDone(let child, let id): ChildRoutes.path(child) + "/plan/\(id)/done"
            case .regrade: page
            case .call(let reference): "/alerts/" + ChildRoutes.encode(reference) + "/call"
            case .school(let reference): "/alerts/unmatched/" + ChildRoutes.encode(reference) + "/school"
            }
        }

        /// The form's button, as the message names it.
        var button: String {
            switch self {
            case .decision: "Record decision"
            case .planAction: "Add the action"
            case .planDone: "Mark done"
            case .regrade: "Record regrade"
            case .call: "I phoned the school"
            case .school: "Record school"
            }
        }

        /// The form that posts to `path`, or nil for any other address. Each id is read as a
        /// route's path value is (`ChildRoutes.pathValue`'s rule): percent-decoded, an identifier.
        init?(path: String) {
            let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
            guard path.hasPrefix("/") else { return nil }
            let ids = parts.map(ChildRoutes.identifier)
            switch (parts.count, parts.first) {
            case (3, "children") where parts[2] == "decisions":
                guard let child = ids[1] else { return nil }
                self = .decision(childId: child)
            case (3, "children") where parts[2] == "plan":
                guard let child = ids[1] else { return nil }
                self = .planAction(childId: child)
            case (5, "children") where parts[2] == "plan" && parts[4] == "done":
                // As the route reads it: `Int64` of the path's part.
                guard let child = ids[1], let id = ids[3].flatMap({ Int64($0) }) else { return nil }
                self = .planDone(childId: child, actionId: id)
            case (5, "children") where parts[2] == "incidents" && parts[4] == "regrade":
                guard let child = ids[1], let incident = ids[3] else { return nil }
                self = .regrade(childId: child, incidentId: incident)
            case (3, "alerts") where parts[2] == "call":
                guard let reference = ids[1] else { return nil }
                self = .call(reference: reference)
            case (4, "alerts") where parts[1] == "unmatched" && parts[3] == "school":
                guard let reference = ids[2] else { return nil }
                self = .school(reference: reference)
            default:
                return nil
            }
        }
    }

    /// Why the form was refused: what the pages say.
    enum Refusal: Sendable, Equatable {
        /// The session ended (idle, or past its lifetime); shown after signing in again.
        case sessionEnded
        /// A live session, but the form's token is an earlier session's.
        case earlierSession
        /// The form gave this field more than once (`FormFields.repeatedNames`): which was meant is
        /// not known, so the field comes back blank.
        case givenTwice(String)

        /// Said on the form's page, as its problem, beside what was typed; each field left blank
        /// (`KeptForm.givenTwice`) named by its label, whatever the refusal, as one form may be
        /// refused for its session and have given a field twice.
        func message(_ kept: KeptForm) -> String {
            let kind = kept.kind
            let why = switch self {
            case .sessionEnded: "Your session had ended when you pressed \(kind.button), so what you sent was NOT recorded."
            case .earlierSession: "This page came from an earlier session (you have signed in again since), so what you sent was NOT recorded."
            case .givenTwice(let name): FormFields.givenTwice(name, in: "the form") + " What you sent was NOT recorded."
            }
            let blank = kept.blanked.map(\.label)
            let left = blank.isEmpty ? "" : ", \(blank.joined(separator: " and ")) left blank (given more than once)"
            return why + " It is below as you typed it\(left): check it, then press \(kind.button) to record it."
        }
    }

    /// One field a person fills in on a kept form.
    struct Field: Sendable {
        enum Input: Sendable {
            /// Text typed on several lines (a textarea), on one line, or a date.
            case lines, line, date
            /// A choice made (radio buttons, a select) or a box ticked: carried as it was, not typed.
            case choice, tick
        }

        let name: String
        let label: String
        let input: Input

        init(_ name: String, _ label: String, _ input: Input) {
            self.name = name
            self.label = label
            self.input = input
        }
    }

    let kind: Kind
    /// The form's typed fields as sent (not trimmed: they are checked when sent again).
    let fields: FormFields
    /// The form's own fields it gave more than once (`FormFields.repeatedNames`), in the form's
    /// order: not in `fields`, as which value was meant is not known. Kept through sign-in
    /// (`carried`), so the page the form comes back on says why each is blank, beside it; a field
    /// that only came back blank, said nowhere, was taken for one never filled in.
    let givenTwice: [String]

    /// The form `form` posted to `path`, or nil when `path` is not a kept form.
    init?(path: String, form: FormFields) {
        guard let kind = Kind(path: path) else { return nil }
        self.kind = kind
        fields = form.only(kind.fields)
        givenTwice = kind.fields.filter(form.repeatedNames.contains)
    }

    /// The hidden fields that carry this form through the sign-in page: its typed fields, and the
    /// names of those given twice in one field (the sign-in form, too, refuses a name given twice).
    var carried: [[String: String]] {
        [["name": Self.actionField, "value": kind.action]]
            + kind.fields.compactMap { name in fields[name].map { ["name": Self.prefix + name, "value": $0] } }
            + (givenTwice.isEmpty ? [] : [["name": Self.givenTwiceField, "value": givenTwice.joined(separator: " ")]])
    }

    /// The form the sign-in page carried, or nil when it carried none (or names no kept form). Only
    /// the form's own field names count as given twice, and a field given twice carries no value.
    init?(carriedIn form: FormFields) {
        guard let action = form[Self.actionField], let kind = Kind(path: action) else { return nil }
        self.kind = kind
        let named = Set(form[Self.givenTwiceField]?.split(separator: " ").map(String.init) ?? [])
        givenTwice = kind.fields.filter(named.contains)
        fields = form.only(kind.fields.filter { !named.contains($0) }.map { Self.prefix + $0 })
            .renamed { String($0.dropFirst(Self.prefix.count)) }
    }

    /// The form's fields given more than once, as the form names them to people.
    var blanked: [Field] { kind.form.filter { givenTwice.contains($0.name) } }

    /// Each field given more than once, beside it on the form's page (as a field's other problems
    /// are shown, and tied to it by `aria-describedby`) and linked from the error summary. `control`
    /// is the page's name for a field's problem (its own name on most forms).
    func blankProblems(_ control: (String) -> String = { $0 }) -> [FieldProblem] {
        blanked.map { FieldProblem(field: control($0.name), message: Self.leftBlank($0.label)) }
    }

    /// What a field given more than once is told, beside it.
    static func leftBlank(_ label: String) -> String {
        "\(label) was given more than once in the form, so it is left blank: give it once."
    }

    static let actionField = "kept"
    static let prefix = "kept."
    /// The sign-in page's field naming the kept form's fields given more than once, space-separated.
    static let givenTwiceField = "kept-twice"
}

extension KeptForm {
    /// Why a kept form's press (or a sign-in carrying one) failed, as its page says it and answers:
    /// the database busy or unavailable (503), or anything else, a fault of ours (500). Either way
    /// nothing was recorded, and the form comes back (audit 23: a 500 lost it).
    enum Failure: Sendable {
        case unavailable, ours

        init(_ error: any Error) {
            self = FailureKind.of(error) == .unavailable ? .unavailable : .ours
        }

        var status: HTTPResponse.Status { self == .unavailable ? .serviceUnavailable : .internalServerError }

        /// The error page's title and heading.
        var title: String {
            self == .unavailable ? "Not recorded: the database is unavailable" : "Not recorded: something went wrong on our side"
        }
    }

    /// A kept form whose press was answered 503 because the database was unavailable (audit 22,
    /// people F1): nothing was recorded, and the 503 page (`ErrorMiddleware`) gives the form back as
    /// sent, posting to the same address, with no read of the database. The typed text is shown to
    /// edit, the choices ride hidden, and so do `seen` and the CSRF token the request carried: the
    /// person's own (only one this site could have made is carried), and their session and the token
    /// are checked again when they press, by the ordinary rules, so one press records once
    /// (`OnePress`). Never a password (no kept form has one); never the database, a cookie or a log.
    struct Resent {
        let kept: KeptForm
        let token: String?
        let seen: Int?

        /// The form `form` posted to `path`, or nil when `path` is not a kept form.
        init?(path: String, form: FormFields) {
            guard let kept = KeptForm(path: path, form: form) else { return nil }
            self.kept = kept
            token = form[CSRFMiddleware.field].flatMap { Secrets.isWellFormedToken($0) ? $0 : nil }
            // The count as the store reads it (`OnePress.seen`): anything else reads as no count, so
            // only a count is carried, and a form without one still has none.
            seen = form["seen"].map(OnePress.seen).flatMap { $0 >= 0 ? $0 : nil }
        }

        /// What the page says: the database busy or unavailable (503), or a fault of ours (500).
        func message(_ failure: KeptForm.Failure) -> String {
            switch failure {
            case .unavailable:
                "The hub's database is busy or unavailable, so what you sent for \(kept.kind.subject) was NOT recorded. "
                    + "It is below as you typed it: try again in a moment by pressing \(kept.kind.button)."
            case .ours:
                "Something went wrong on our side, so what you sent for \(kept.kind.subject) was NOT recorded. "
                    + "It is below as you typed it: try again by pressing \(kept.kind.button), and tell the hub's administrator if it happens again."
            }
        }

        /// The form, for the error page's template: every value is escaped there (`{{ }}`).
        var values: [String: Any] {
            var hidden: [[String: String]] = []
            if let token { hidden.append(["name": CSRFMiddleware.field, "value": token]) }
            if let seen { hidden.append(["name": "seen", "value": String(seen)]) }
            var chosen: [[String: String]] = []
            var typed: [[String: Any]] = []
            for field in kept.kind.form {
                let value = kept.fields[field.name]
                switch field.input {
                case .choice, .tick:
                    guard let value else { continue }
                    hidden.append(["name": field.name, "value": value])
                    chosen.append(["label": field.label, "value": field.input == .tick ? "yes" : value])
                case .lines, .line, .date:
                    typed.append(["id": "kept-" + field.name, "name": field.name, "label": field.label, "value": value ?? "",
                                  "lines": field.input == .lines, "date": field.input == .date])
                }
            }
            return ["action": kept.kind.action, "button": kept.kind.button, "hidden": hidden, "chosen": chosen, "typed": typed]
        }
    }
}

/// Shows a kept form on its page: the routes that own the forms do it, as they show a form sent back.
struct FormRecall: Sendable {
    let child: ChildRoutes
    let alerts: AlertRoutes

    /// The form's page with the form as typed and `refusal`'s words in its error summary; writes
    /// nothing but the view's audit row. Throws the page's own refusals (403 for a role the form
    /// is not for, 404 for a child or alert no longer there).
    func present(_ kept: KeptForm, _ refusal: KeptForm.Refusal, context: HubRequestContext, status: HTTPResponse.Status) async throws -> Response {
        let message = refusal.message(kept)
        var context = context
        context.resumingForm = refusal == .sessionEnded
        switch kept.kind {
        case .call, .school: return try await alerts.present(kept, message: message, context: context, status: status)
        case .decision, .planAction, .planDone, .regrade: return try await child.present(kept, message: message, context: context, status: status)
        }
    }
}

extension FormFields {
    /// These fields only, those present. Not one given more than once: which was meant is not
    /// known, and a form kept or given back never carries a guess (`repeatedNames`).
    func only(_ names: [String]) -> FormFields {
        var kept = FormFields()
        for name in names where !repeatedNames.contains(name) { if let value = self[name] { kept.set(name, value) } }
        return kept
    }

    /// Every field under the name `rename` gives it.
    func renamed(_ rename: (String) -> String) -> FormFields {
        var out = FormFields()
        for (name, value) in values { out.set(rename(name), value) }
        return out
    }
}
