import CivilTime
import Foundation

/// A missing-from-home episode (SPEC §10): a child reported missing and, perhaps, back.
/// Holds personal data (the child's names and date of birth): never log it, log ids only.
public struct Episode: Sendable, Hashable, Codable {
    public var id: String
    public var childId: String
    public var givenName: String
    public var familyName: String
    public var dateOfBirth: LocalDate
    public var schoolURN: String?
    public var missingAt: Date
    public var returnedAt: Date?
    public var risk: EpisodeRisk?
    public var returnInterviewAt: Date?

    public init(id: String, childId: String, givenName: String, familyName: String, dateOfBirth: LocalDate,
                schoolURN: String? = nil, missingAt: Date, returnedAt: Date? = nil, risk: EpisodeRisk? = nil,
                returnInterviewAt: Date? = nil) {
        self.id = id
        self.childId = childId
        self.givenName = givenName
        self.familyName = familyName
        self.dateOfBirth = dateOfBirth
        self.schoolURN = schoolURN
        self.missingAt = missingAt
        self.returnedAt = returnedAt
        self.risk = risk
        self.returnInterviewAt = returnInterviewAt
    }

    public var fact: EpisodeFact {
        EpisodeFact(episodeId: id, missingAt: missingAt, returnedAt: returnedAt, returnInterviewAt: returnInterviewAt)
    }
}

/// The risk a force assessed for the episode, in the SPEC's words.
public enum EpisodeRisk: String, Sendable, Hashable, Codable, CaseIterable {
    case noApparentRisk = "no-apparent-risk"
    case low
    case medium
    case high
}

public enum EpisodeFlag: String, Sendable, Hashable, Codable {
    case returnInterviewOverdue = "return-interview-overdue"
}

/// What the rules read of one episode: no personal data.
public struct EpisodeFact: Sendable, Equatable {
    public let episodeId: String
    public let missingAt: Date
    public let returnedAt: Date?
    public let returnInterviewAt: Date?

    public init(episodeId: String, missingAt: Date, returnedAt: Date? = nil, returnInterviewAt: Date? = nil) {
        self.episodeId = episodeId
        self.missingAt = missingAt
        self.returnedAt = returnedAt
        self.returnInterviewAt = returnInterviewAt
    }

    /// A return interview is due within this long of the child's return (statutory guidance: 72 hours).
    public static let returnInterviewDue: TimeInterval = 72 * 3600

    /// SPEC §10: back more than 72 hours before `asOf` with no return interview. An interview
    /// recorded after `asOf` had not happened then, so a replay shows the episode as it stood.
    /// A child not yet back has no interview due.
    public func flags(asOf: Date) -> [EpisodeFlag] {
        guard let returnedAt, asOf.timeIntervalSince(returnedAt) > Self.returnInterviewDue else { return [] }
        if let interview = returnInterviewAt, interview <= asOf { return [] }
        return [.returnInterviewOverdue]
    }
}
