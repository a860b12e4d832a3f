import Foundation

/// One incident naming a perpetrator, child or not: what `serial-perpetrator` counts (SPEC §4).
public struct PerpetratorIncident: Sendable, Equatable {
    public let perpetratorId: String
    public let victimId: String
    public let incidentId: String
    public let reportedAt: Date
    /// The store's number for the incident, as `IncidentFact.storeKey` (0 when not given).
    public let storeKey: UInt32

    public init(perpetratorId: String, victimId: String, incidentId: String, reportedAt: Date, storeKey: UInt32 = 0) {
        self.perpetratorId = perpetratorId
        self.victimId = victimId
        self.incidentId = incidentId
        self.reportedAt = reportedAt
        self.storeKey = storeKey
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
    /// The same incidents by their store keys, when the store gave each of them one: the queue asks
    /// of every incident in the window (hundreds of thousands), and one bit costs less than a hash.
    private let keys: KeyBits
    private let keyed: Bool

    /// `storeKeys`: the keys of the incidents of `perpetratorOfIncident`, nil when any is unknown.
    public init(findings: [String: SerialFinding], perpetratorOfIncident: [String: String], storeKeys: [UInt32]? = nil) {
        self.findings = findings
        self.perpetratorOfIncident = perpetratorOfIncident
        // Keyed, the filter is not needed: an incident without a key is looked up in the dictionary.
        incidents = storeKeys == nil ? IdFilter(perpetratorOfIncident.keys) : .empty
        keys = KeyBits(storeKeys ?? [])
        keyed = storeKeys != nil
    }

    public static let none = SerialPerpetrators(findings: [:], perpetratorOfIncident: [:])

    public var isEmpty: Bool { perpetratorOfIncident.isEmpty }

    /// Whether the incident names a serial perpetrator.
    @inline(__always)
    public func names(incident id: String) -> Bool {
        (keyed || incidents.mayContain(id)) && perpetratorOfIncident[id] != nil
    }

    /// The same answer, by the incident's store key when both sides have keys: a clear bit means the
    /// incident is not among them (its id has that one key), a set bit is checked by id.
    @inline(__always)
    public func names(_ fact: IncidentFact) -> Bool {
        if keyed, fact.storeKey != 0 {
            return keys.contains(fact.storeKey) && perpetratorOfIncident[fact.incidentId] != nil
        }
        return names(incident: fact.incidentId)
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
        var keys: [UInt32]? = []
        for (n, i) in incidents.enumerated() where groups[groupOfRow[n]].count >= settings.serialVictims {
            byIncident[i.incidentId] = i.perpetratorId
            if i.storeKey == 0 { keys = nil } else { keys?.append(i.storeKey) }
        }
        return SerialPerpetrators(findings: findings, perpetratorOfIncident: byIncident, storeKeys: keys)
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

/// A set of store keys as one bit each, up to the largest: keys are dense (a store hands them out
/// in turn), so a million incidents take 125 KB.
struct KeyBits: Sendable, Equatable {
    private let words: [UInt64]

    init(_ keys: [UInt32]) {
        var words = [UInt64](repeating: 0, count: Int(keys.max() ?? 0) / 64 + 1)
        for k in keys { words[Int(k / 64)] |= 1 << UInt64(k % 64) }
        self.words = words
    }

    @inline(__always)
    func contains(_ key: UInt32) -> Bool {
        let w = Int(key / 64)
        return w < words.count && words[w] & (1 << UInt64(key % 64)) != 0
    }
}
