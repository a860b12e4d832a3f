import Foundation
import RiskModel

/// One press, one record (docs/web.md "Pressing twice"). The page forms that append to a list kept
/// for good (a child's decisions, a child's MARAC plan, the calls about an alert,
/// an incident's regrades) carry how many
/// entries their page showed (`seen`), and the store appends only while the list, read in the
/// transaction that appends and locked against a second writer, still has that many. Otherwise
/// nothing is written and the caller hears what was added since: its own earlier press of the same
/// form (`repeated`: Back and press again, a double click, a POST sent again), or an entry the
/// person has not seen (`changed`: someone else recorded meanwhile), to read before pressing again.
/// The list itself is the record, so no table and no memory of the server's: two servers on one
/// database judge alike. The stores ask here in their transaction; a caller that passes no `seen`
/// (the CLI, the JSON API) appends as before.
public enum OnePress {
    /// Why nothing was appended; `Entry` is the list's own (`Decision`, `PlanAction`, `AlertCall`, `Regrade`).
    public enum Refusal<Entry: Sendable>: Error, Sendable {
        /// The same entry is among those added since the page: this press was made before.
        case repeated(Entry)
        /// Entries were added since the page (oldest first; empty when the list no longer holds
        /// what the page counted), and this press is none of them.
        case changed(since: [Entry])
    }

    /// What a form's `seen` field says. A form without one, or with anything but a count, cannot
    /// show what its page held: it is answered as a page that has changed (-1 matches no list).
    public static func seen(_ field: String?) -> Int {
        field.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 >= 0 ? $0 : nil } ?? -1
    }

    /// The rule: appends when `seen` is nil or the list (`current`, oldest first) still holds `seen`
    /// entries; else the refusal, `repeated` when every entry being added (`adding`) has its like
    /// (`repeats`) among those added since.
    public static func check<Entry: Sendable, New>(seen: Int?, current: [Entry], adding: [New],
                                                   repeats: (Entry, New) -> Bool) throws(Refusal<Entry>) {
        guard let seen, seen != current.count else { return }
        let since = (0..<current.count).contains(seen) ? Array(current[seen...]) : []
        if !adding.isEmpty, let first = adding.first,
           adding.allSatisfy({ new in since.contains { repeats($0, new) } }),
           let earlier = since.first(where: { repeats($0, first) }) {
            throw .repeated(earlier)
        }
        throw .changed(since: since)
    }

    /// A child's decisions: the press adds `adding` (a MARAC decision, a strategy meeting's, or both).
    public static func check(seen: Int?, decisions current: [Decision], adding: [Decision]) throws(Refusal<Decision>) {
        try check(seen: seen, current: current, adding: adding, repeats: repeats)
    }

    /// A child's plan: the press adds one action.
    public static func check(seen: Int?, plan current: [PlanAction], adding: NewPlanAction) throws(Refusal<PlanAction>) {
        try check(seen: seen, current: current, adding: [adding], repeats: repeats)
    }

    /// An alert's calls: the press records one call.
    public static func check(seen: Int?, calls current: [AlertCall], adding: AlertCall) throws(Refusal<AlertCall>) {
        try check(seen: seen, current: current, adding: [adding], repeats: repeats)
    }

    /// An incident's regrades: the press records one.
    public static func check(seen: Int?, regrades current: [Regrade], adding: Regrade) throws(Refusal<Regrade>) {
        try check(seen: seen, current: current, adding: [adding], repeats: repeats)
    }

    /// The same decision by the same person: all but when it was typed in.
    static func repeats(_ stored: Decision, _ new: Decision) -> Bool {
        (stored.childId, stored.kind, stored.outcome, stored.on, stored.reason, stored.by)
            == (new.childId, new.kind, new.outcome, new.on, new.reason, new.by)
    }

    static func repeats(_ stored: PlanAction, _ new: NewPlanAction) -> Bool {
        (stored.childId, stored.action, stored.agency, stored.due, stored.recordedBy) == (new.childId, new.action, new.agency, new.due, new.by)
    }

    static func repeats(_ stored: Regrade, _ new: Regrade) -> Bool {
        (stored.incidentId, stored.newGrade, stored.reason, stored.by) == (new.incidentId, new.newGrade, new.reason, new.by)
    }

    static func repeats(_ stored: AlertCall, _ new: AlertCall) -> Bool {
        (stored.reference, stored.calledBy, stored.note) == (new.reference, new.calledBy, new.note)
    }
}
