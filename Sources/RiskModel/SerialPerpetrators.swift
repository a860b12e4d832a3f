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
        // One group per perpetrator, found by one hash per run of rows naming the same one (stores
        // hand them over perpetrator by perpetrator, though any order gives the same answer); the
        // queue works this out before every scan, over tens of thousands of incidents.
        var groupOf: [String: Int] = [:]
        var groups: [VictimsNamed] = []
        var groupOfRow: [Int] = []
        groupOfRow.reserveCapacity(incidents.count)
        var last: (perpetrator: String, group: Int)?
        for i in incidents {
            let g: Int
            if let last, last.perpetrator == i.perpetratorId {
                g = last.group
            } else {
                g = groupOf[i.perpetratorId] ?? {
                    groups.append(VictimsNamed())
                    groupOf[i.perpetratorId] = groups.count - 1
                    return groups.count - 1
                }()
                last = (i.perpetratorId, g)
            }
            groupOfRow.append(g)
            if i.reportedAt >= spanStart && i.reportedAt <= asOf { groups[g].add(i.victimId, at: i.reportedAt) }
        }
        var findings: [String: SerialFinding] = [:]
        for (perpetrator, g) in groupOf where groups[g].count >= settings.serialVictims {
            findings[perpetrator] = SerialFinding(perpetratorId: perpetrator, victims: groups[g].count, since: groups[g].since ?? asOf)
        }
        var byIncident: [String: String] = [:]
        for (n, i) in incidents.enumerated() where groups[groupOfRow[n]].count >= settings.serialVictims {
            byIncident[i.incidentId] = i.perpetratorId
        }
        return SerialPerpetrators(findings: findings, perpetratorOfIncident: byIncident)
    }
}

/// The distinct victims one perpetrator is named against in the span, and the first incident's time.
private struct VictimsNamed {
    /// Most perpetrators name one to three victims: a short list is quicker than a set.
    private var few: [String] = []
    private var many: Set<String>?
    private(set) var since: Date?

    var count: Int { many?.count ?? few.count }

    mutating func add(_ victim: String, at time: Date) {
        since = min(since ?? time, time)
        if many != nil {
            many!.insert(victim)
        } else if !few.contains(victim) {
            few.append(victim)
            if few.count > 16 { many = Set(few) }
        }
    }
}
