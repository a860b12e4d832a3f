import Foundation

/// One incident naming a perpetrator, child or not: what `serial-perpetrator` counts (SPEC §4).
public struct PerpetratorIncident: Sendable, Equatable {
    public let perpetratorId: String
    public let victimId: String
    public let incidentId: String
    public let reportedAt: Date

    public init(perpetratorId: String, victimId: String, incidentId: String, reportedAt: Date) {
        self.perpetratorId = perpetratorId
        self.victimId = victimId
        self.incidentId = incidentId
        self.reportedAt = reportedAt
    }
}

/// A perpetrator named against `serialVictims` or more distinct victims in the `serialDays` up to as-of.
public struct SerialFinding: Sendable, Equatable {
    public let perpetratorId: String
    /// Distinct victims in the span.
    public let victims: Int
    /// The first incident in the span naming the perpetrator: "since" in the words staff read.
    public let since: Date
}

/// The serial perpetrators as of one instant, worked out once for every child of a queue.
public struct SerialPerpetrators: Sendable, Equatable {
    /// By perpetrator id.
    public let findings: [String: SerialFinding]
    /// Incident id to its serial perpetrator, for incidents naming one.
    public let perpetratorOfIncident: [String: String]
    /// The same incidents, for the quick "certainly not" the queue asks of every incident.
    private let incidents: IdFilter

    public init(findings: [String: SerialFinding], perpetratorOfIncident: [String: String]) {
        self.findings = findings
        self.perpetratorOfIncident = perpetratorOfIncident
        incidents = IdFilter(perpetratorOfIncident.keys)
    }

    public static let none = SerialPerpetrators(findings: [:], perpetratorOfIncident: [:])

    public var isEmpty: Bool { perpetratorOfIncident.isEmpty }

    /// Whether the incident names a serial perpetrator.
    @inline(__always)
    public func names(incident id: String) -> Bool {
        incidents.mayContain(id) && perpetratorOfIncident[id] != nil
    }

    /// The finding behind an incident, nil when its perpetrator (if any) is not serial.
    public func finding(forIncident id: String) -> SerialFinding? {
        perpetratorOfIncident[id].flatMap { findings[$0] }
    }
}

extension RiskRules {
    /// SPEC §4 `serial-perpetrator`: every incident naming a perpetrator counts, whether or not a
    /// child is linked to it; the span is `asOf - serialDays * 86,400 s <= reportedAt <= asOf`, both
    /// ends inside, as the window's are. Incidents outside the span are ignored, so a store may hand
    /// over more than the span.
    public static func serialPerpetrators(_ incidents: [PerpetratorIncident], asOf: Date,
                                          settings: ScoringSettings) -> SerialPerpetrators {
        let spanStart = asOf.addingTimeInterval(-Double(settings.serialDays) * secondsPerDay)
        var victims: [String: Set<String>] = [:]
        var since: [String: Date] = [:]
        for i in incidents where i.reportedAt >= spanStart && i.reportedAt <= asOf {
            victims[i.perpetratorId, default: []].insert(i.victimId)
            since[i.perpetratorId] = min(since[i.perpetratorId] ?? i.reportedAt, i.reportedAt)
        }
        var findings: [String: SerialFinding] = [:]
        for (perpetrator, named) in victims where named.count >= settings.serialVictims {
            findings[perpetrator] = SerialFinding(perpetratorId: perpetrator, victims: named.count, since: since[perpetrator] ?? asOf)
        }
        var byIncident: [String: String] = [:]
        for i in incidents where findings[i.perpetratorId] != nil {
            byIncident[i.incidentId] = i.perpetratorId
        }
        return SerialPerpetrators(findings: findings, perpetratorOfIncident: byIncident)
    }
}
