import InputRules

/// The columns of SPEC §2, in one place so CSV headers and JSON keys resolve to the same thing.
enum Column: Int, CaseIterable, Sendable {
    case incidentId
    case reportedAt
    case riskTool
    case officerGrade
    case dashYesCount
    case supervisorGrade
    case victimId
    case perpetratorId
    case childId
    case childGivenName
    case childFamilyName
    case childDob
    case schoolUrn
    case childPresent
    case childSpokenTo
    case childVoice
    case bwvUsed

    static let count = allCases.count

    var name: String {
        switch self {
        case .incidentId: "incident_id"
        case .reportedAt: "reported_at"
        case .riskTool: "risk_tool"
        case .officerGrade: "officer_grade"
        case .dashYesCount: "dash_yes_count"
        case .supervisorGrade: "supervisor_grade"
        case .victimId: "victim_id"
        case .perpetratorId: "perpetrator_id"
        case .childId: "child_id"
        case .childGivenName: "child_given_name"
        case .childFamilyName: "child_family_name"
        case .childDob: "child_dob"
        case .schoolUrn: "school_urn"
        case .childPresent: "child_present"
        case .childSpokenTo: "child_spoken_to"
        case .childVoice: "child_voice"
        case .bwvUsed: "bwv_used"
        }
    }

    /// Matches a header name or JSON key: surrounding spaces trimmed, any case.
    init?(name: String) {
        // Exact names are the common case; trimming and lowering cost more than the lookup.
        if let column = Column.byName[name] {
            self = column
            return
        }
        guard let column = Column.byName[ColumnName.key(name)] else { return nil }
        self = column
    }

    /// Every column's name, in order (`rawValue` is the index).
    static let names: [String] = allCases.map(\.name)

    private static let byName: [String: Column] = Dictionary(
        uniqueKeysWithValues: allCases.map { ($0.name, $0) })

    static let requiredInHeader: [Column] = [.incidentId, .reportedAt, .officerGrade, .victimId]

    /// Columns that describe the linked child; the rest describe the incident.
    var isChildColumn: Bool { rawValue >= Column.childId.rawValue }

    static let childColumns: [Column] = allCases.filter(\.isChildColumn)

    /// The column's bit in a set of columns (`ValidRow.unknownColumns`).
    var bit: UInt32 { 1 << UInt32(rawValue) }

    /// Y/N columns, where JSON Lines may also give true/false.
    var isYesNo: Bool { self == .childPresent || self == .childSpokenTo || self == .bwvUsed }
}

extension String {
    func trimmingSpaces() -> String {
        let isSpace = { (c: UInt8) in c == 0x20 || c == 0x09 }
        guard let first = utf8.first, let last = utf8.last, isSpace(first) || isSpace(last) else { return self }
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
