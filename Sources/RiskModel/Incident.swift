import Foundation


/// One domestic abuse incident (a PPN) as recorded by police, with its linked children.
/// Holds personal data (names, dates of birth, the child's words): never log it, log ids only.
public struct Incident: Sendable, Hashable, Codable {
    public var id: String
    public var reportedAt: Date
    public var riskTool: RiskTool
    public var officerGrade: Grade
    public var dashYesCount: Int?
    public var supervisorGrade: Grade?
    public var victimId: String
    public var perpetratorId: String?
    /// Ordered by child id so two equal incidents compare equal whatever the row order.
    public var children: [ChildLink]
    /// `bwv_used` given on a row of the incident that names no child (CSV: the child columns empty;
    /// JSON Lines: a top-level `bwv_used` with no children): an incident with no child still had
    /// body-worn video or not (SPEC §11). A child's row carries its own (`ChildLink`).
    public var bodyWornVideo: Bool?

    public init(
        id: String, reportedAt: Date, riskTool: RiskTool = .dash, officerGrade: Grade,
        dashYesCount: Int? = nil, supervisorGrade: Grade? = nil, victimId: String,
        perpetratorId: String? = nil, children: [ChildLink] = [], bodyWornVideo: Bool? = nil
    ) {
        self.id = id
        self.reportedAt = reportedAt
        self.riskTool = riskTool
        self.officerGrade = officerGrade
        self.dashYesCount = dashYesCount
        self.supervisorGrade = supervisorGrade
        self.victimId = victimId
        self.perpetratorId = perpetratorId
        self.children = children.sorted { $0.childId < $1.childId }
        self.bodyWornVideo = bodyWornVideo
    }

    /// The incident's `bwv_used` (SPEC §11 counts "incidents with Y"): Y on any of its rows, with a
    /// child or without; else N on any; else unknown.
    public var usedBodyWornVideo: Bool? {
        var used = bodyWornVideo
        for c in children where c.bodyWornVideo != nil {
            if c.bodyWornVideo == true { return true }
            used = used ?? false
        }
        return used
    }

    /// SPEC §3: the supervisor's review replaces the officer's grade, up or down,
    /// but the checklist band is a floor that no judgement lowers.
    public var effectiveGrade: Grade {
        let judged = supervisorGrade ?? officerGrade
        guard let yes = dashYesCount else { return judged }
        return max(judged, RiskTool.band(yesCount: yes))
    }

    public var flags: [IncidentFlag] {
        var flags: [IncidentFlag] = []
        if let yes = dashYesCount, officerGrade < RiskTool.band(yesCount: yes) {
            flags.append(.gradeBelowChecklist)
        }
        return flags
    }
}

public enum IncidentFlag: String, Sendable, Hashable, Codable {
    case gradeBelowChecklist = "grade-below-checklist"
}

/// A child linked to an incident: the child columns of one row.
public struct ChildLink: Sendable, Hashable, Codable {
    public var childId: String
    public var givenName: String
    public var familyName: String
    /// `YYYY-MM-DD`, a calendar date with no time zone.
    public var dateOfBirth: LocalDate
    public var schoolURN: String?
    public var present: Bool?
    public var spokenTo: Bool?
    public var voice: String?
    public var bodyWornVideo: Bool?

    public init(
        childId: String, givenName: String, familyName: String, dateOfBirth: LocalDate,
        schoolURN: String? = nil, present: Bool? = nil, spokenTo: Bool? = nil,
        voice: String? = nil, bodyWornVideo: Bool? = nil
    ) {
        self.childId = childId
        self.givenName = givenName
        self.familyName = familyName
        self.dateOfBirth = dateOfBirth
        self.schoolURN = schoolURN
        self.present = present
        self.spokenTo = spokenTo
        self.voice = voice
        self.bodyWornVideo = bodyWornVideo
    }
}
