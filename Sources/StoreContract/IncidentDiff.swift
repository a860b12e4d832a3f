import Foundation
import RiskModel

/// The audit detail of an update: each changed field with its old and new value, so a supervisor's
/// regrade can be traced. A child's name, date of birth and words are personal data (SPEC §2), and
/// the audit is read by more people than the child's record (`/admin/audit`): for those fields the
/// detail says only that they changed, never what they were or became.
public enum IncidentDiff {
    /// What the detail holds for a changed personal field in place of its old and new values.
    public static let changedMarker = "changed"

    public static func changes(from old: Incident?, to new: Incident) -> [String: Any] {
        var out: [String: Any] = [:]
        func note(_ field: String, _ a: String?, _ b: String?) {
            if a != b { out[field] = ["old": a ?? NSNull(), "new": b ?? NSNull()] as [String: Any] }
        }
        func notePersonal(_ field: String, _ a: String?, _ b: String?) {
            if a != b { out[field] = changedMarker }
        }
        let yn: (Bool?) -> String? = { $0.map { $0 ? "Y" : "N" } }
        note("reported_at", old.map { iso($0.reportedAt) }, iso(new.reportedAt))
        note("risk_tool", old?.riskTool.rawValue, new.riskTool.rawValue)
        note("officer_grade", old?.officerGrade.name, new.officerGrade.name)
        note("dash_yes_count", old?.dashYesCount.map(String.init), new.dashYesCount.map(String.init))
        note("supervisor_grade", old?.supervisorGrade?.name, new.supervisorGrade?.name)
        note("effective_grade", old?.effectiveGrade.name, new.effectiveGrade.name)
        note("victim_id", old?.victimId, new.victimId)
        note("perpetrator_id", old?.perpetratorId, new.perpetratorId)
        note("bwv_used", yn(old?.bodyWornVideo), yn(new.bodyWornVideo))
        let before = Dictionary((old?.children ?? []).map { ($0.childId, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.children.map { ($0.childId, $0) }, uniquingKeysWith: { a, _ in a })
        for id in Set(before.keys).union(after.keys).sorted() {
            let a = before[id], b = after[id]
            let p = "child[\(id)]."
            if a == nil || b == nil { note(p + "linked", a == nil ? "N" : "Y", b == nil ? "N" : "Y") }
            notePersonal(p + "child_given_name", a?.givenName, b?.givenName)
            notePersonal(p + "child_family_name", a?.familyName, b?.familyName)
            notePersonal(p + "child_dob", a?.dateOfBirth.description, b?.dateOfBirth.description)
            note(p + "school_urn", a?.schoolURN, b?.schoolURN)
            note(p + "child_present", yn(a?.present), yn(b?.present))
            note(p + "child_spoken_to", yn(a?.spokenTo), yn(b?.spokenTo))
            notePersonal(p + "child_voice", a?.voice, b?.voice)
            note(p + "bwv_used", yn(a?.bodyWornVideo), yn(b?.bodyWornVideo))
        }
        return out
    }

    private static func iso(_ d: Date) -> String {
        d.formatted(.iso8601)
    }
}

extension Incident {
    /// The stored `flags` column: the incident's flags, comma-separated (empty for none).
    public var flagsText: String {
        flags.isEmpty ? "" : flags.map(\.rawValue).joined(separator: ",")
    }
}
