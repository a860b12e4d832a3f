import CivilTime
import Foundation

/// One household at a time: its children appear together in every incident, and a minority of
/// households return, weeks to months apart, which is the pattern the escalation rules look for.
struct HouseholdWriter {
    private var rng: Xoshiro256
    private let urns: [[UInt8]]
    private let endSeconds: Int
    private let firstDay: Int
    private let dayCount: Int
    private var nextIncident = 1
    private var nextChild = 1
    private var nextPerson = 1
    private var prefix = RowBuffer(capacity: 256)

    // Children per incident 0...4: most 1-2.
    private let childrenPerHousehold = WeightedChoice([12, 45, 28, 11, 4])
    // Visits: ~70% once, ~20% two or three times, ~10% four to twenty.
    private let visitBand = WeightedChoice([70, 20, 10])
    // Days between visits: weeks mostly, sometimes months.
    private let gapBand = WeightedChoice([55, 33, 12])
    private let tool = WeightedChoice([85, 10, 3, 2])  // DASH, DARA, DASH24, NONE
    private let officerGrade = WeightedChoice([75, 20, 5])
    // A supervisor's review: same, up, down. Down is likelier from medium or high.
    private let regradeStandard = WeightedChoice([85, 15, 0])
    private let regradeHigher = WeightedChoice([65, 10, 25])
    // Evenings and nights, when most incidents are reported.
    private let hour = WeightedChoice([5, 4, 3, 2, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 4, 5, 6, 8, 9, 10, 10, 9, 7])

    init(_ options: SynthOptions) {
        rng = Xoshiro256(seed: options.seed)
        urns = options.urns.map { Array($0.utf8) }
        endSeconds = Int(options.end.timeIntervalSince1970.rounded(.down))
        let startSeconds = endSeconds - max(options.days, 1) * 86_400
        firstDay = Timestamp.day(of: startSeconds) + 1
        dayCount = max(Timestamp.day(of: endSeconds) - firstDay + 1, 1)
    }

    private struct Child {
        let id: Int
        let givenName: [UInt8]
        let familyName: [UInt8]
        let dateOfBirth: LocalDate
        let urn: [UInt8]?
    }

    /// Appends every incident of one new household and returns the rows written (at most `rowsLeft`).
    mutating func appendHousehold(rowsLeft: Int, to out: inout RowBuffer) -> Int {
        let childCount = min(childrenPerHousehold.index(using: &rng), rowsLeft)
        let rowsPerIncident = max(childCount, 1)
        let times = incidentTimes(visits: min(drawVisits(), rowsLeft / rowsPerIncident))
        let children = makeChildren(childCount, first: times[0], last: times[times.count - 1])

        var victim = newPerson()
        var perpetrator = newPerson()
        for (visit, time) in times.enumerated() {
            if visit > 0 {
                if rng.chance(0.10) { perpetrator = newPerson() }  // a new partner
                if rng.chance(0.03) { victim = newPerson() }  // the children moved to another adult
            }
            writePrefix(time: time, victim: victim, perpetrator: rng.chance(0.05) ? nil : perpetrator)
            let bodyWornVideo = rng.chance(0.05) ? nil : rng.chance(0.8)
            if children.isEmpty {
                out.append(prefix.bytes)
                out.append(",,,,,,,,")
                out.endRow()
            }
            for child in children {
                out.append(prefix.bytes)
                appendChild(child, bodyWornVideo: bodyWornVideo, to: &out)
            }
        }
        return times.count * rowsPerIncident
    }

    private mutating func newPerson() -> Int {
        defer { nextPerson += 1 }
        return nextPerson
    }

    private mutating func drawVisits() -> Int {
        switch visitBand.index(using: &rng) {
        case 0: return 1
        case 1: return rng.int(2...3)
        default:
            var n = 4
            while n < 20 && rng.chance(0.8) { n += 1 }
            return n
        }
    }

    /// Epoch seconds of each visit, oldest first, all inside the span and not after `end`.
    private mutating func incidentTimes(visits: Int) -> [Int] {
        var offsets = [0]
        var offset = 0
        for _ in 1..<max(visits, 1) {
            switch gapBand.index(using: &rng) {
            case 0: offset += rng.int(3...21)
            case 1: offset += rng.int(22...60)
            default: offset += rng.int(61...150)
            }
            if offset >= dayCount { break }
            offsets.append(offset)
        }
        let startDay = firstDay + rng.below(dayCount - offsets[offsets.count - 1])
        return offsets.map { dayOffset in
            let t = (startDay + dayOffset) * 86_400 + hour.index(using: &rng) * 3_600 + rng.below(60) * 60
            guard t > endSeconds else { return t }
            return endSeconds - endSeconds % 60 - rng.below(120) * 60
        }
    }

    private mutating func makeChildren(_ count: Int, first: Int, last: Int) -> [Child] {
        let familyName = rng.pick(Vocabulary.familyNames)
        let otherFamilyName = rng.pick(Vocabulary.familyNames)
        // Aged 4 at the first incident at the youngest, 17 at the last at the oldest,
        // by the UTC date or the London one (an hour later at most).
        let firstDate = LocalDate(daysSinceEpoch: Timestamp.day(of: first))
        let lastDate = LocalDate(daysSinceEpoch: Timestamp.day(of: last + 3_600))
        let youngest = firstDate.yearsEarlier(4).daysSinceEpoch
        let oldest = lastDate.yearsEarlier(18).daysSinceEpoch + 1
        var children: [Child] = []
        children.reserveCapacity(count)
        var previousURN: [UInt8]?
        for _ in 0..<count {
            let urn: [UInt8]?
            if urns.isEmpty || rng.chance(0.05) {
                urn = nil
            } else if let shared = previousURN, rng.chance(0.5) {
                urn = shared
            } else {
                urn = rng.pick(urns)
            }
            previousURN = urn ?? previousURN
            children.append(Child(
                id: nextChild,
                givenName: rng.pick(Vocabulary.givenNames),
                familyName: rng.chance(0.85) ? familyName : otherFamilyName,
                dateOfBirth: LocalDate(daysSinceEpoch: oldest + rng.below(max(youngest - oldest + 1, 1))),
                urn: urn))
            nextChild += 1
        }
        return children
    }

    /// The incident columns, shared by every child row of the incident.
    private mutating func writePrefix(time: Int, victim: Int, perpetrator: Int?) {
        prefix.removeAll()
        prefix.append("PPN-")
        prefix.append(nextIncident, width: 6)
        nextIncident += 1
        prefix.comma()
        prefix.appendTimestamp(time, london: rng.chance(0.3))
        prefix.comma()
        let toolIndex = tool.index(using: &rng)
        prefix.append(Vocabulary.tools[toolIndex])
        prefix.comma()
        let officer = officerGrade.index(using: &rng)
        prefix.append(Vocabulary.grades[officer])
        prefix.comma()
        // DARA and NONE have no yes-count; a DASH is now and then left uncounted.
        if toolIndex == 0 || toolIndex == 2, !rng.chance(0.02) {
            prefix.append(min(yesCount(officerGrade: officer), toolIndex == 2 ? 24 : 27))
        }
        prefix.comma()
        if rng.chance(0.3) {
            var supervisor = officer
            switch (officer == 0 ? regradeStandard : regradeHigher).index(using: &rng) {
            case 1: supervisor = min(officer + 1, 2)
            case 2: supervisor = max(officer - 1, 0)
            default: break
            }
            prefix.append(Vocabulary.grades[supervisor])
        }
        prefix.comma()
        prefix.append("V-")
        prefix.append(victim, width: 7)
        prefix.comma()
        if let perpetrator {
            prefix.append("P-")
            prefix.append(perpetrator, width: 7)
        }
        prefix.comma()
    }

    /// Mostly in the officer's band; a few slip (standard or medium with a high count).
    private mutating func yesCount(officerGrade: Int) -> Int {
        let roll = rng.unit()
        switch officerGrade {
        case 0: return roll < 0.96 ? min(rng.int(0...9), rng.int(0...9)) : rng.int(10...12)
        case 1: return roll < 0.88 ? rng.int(10...13) : roll < 0.98 ? rng.int(6...9) : rng.int(14...17)
        default: return roll < 0.75 ? rng.int(14...27) : rng.int(8...13)
        }
    }

    private mutating func appendChild(_ child: Child, bodyWornVideo: Bool?, to out: inout RowBuffer) {
        out.append("C-")
        out.append(child.id, width: 7)
        out.comma()
        out.append(child.givenName)
        out.comma()
        out.append(child.familyName)
        out.comma()
        out.append(child.dateOfBirth)
        out.comma()
        if let urn = child.urn { out.append(urn) }
        out.comma()
        let present: Bool? = rng.chance(0.1) ? nil : rng.chance(0.6)
        appendFlag(present, to: &out)
        out.comma()
        let spokenTo: Bool? = rng.chance(0.08) ? nil : rng.chance(present == true ? 0.55 : 0.2)
        appendFlag(spokenTo, to: &out)
        out.comma()
        if spokenTo == true, rng.chance(0.7) { out.append(rng.pick(Vocabulary.voices)) }
        out.comma()
        appendFlag(bodyWornVideo, to: &out)
        out.endRow()
    }

    private func appendFlag(_ flag: Bool?, to out: inout RowBuffer) {
        guard let flag else { return }
        out.append(byte: flag ? UInt8(ascii: "Y") : UInt8(ascii: "N"))
    }
}

private extension LocalDate {
    /// The same day `years` earlier; 29 February falls back to the 28th.
    func yearsEarlier(_ years: Int) -> LocalDate {
        LocalDate(year: year - years, month: month, day: day)
            ?? LocalDate(year: year - years, month: month, day: day - 1)!
    }
}
