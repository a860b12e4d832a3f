import RiskModel
import Testing

/// The queue's quick "certainly not" must never say no to an id it holds (that would drop a rule),
/// and should say no to nearly every other.
@Suite struct IdFilterTests {
    @Test func everyInsertedIdIsMaybeAndAlmostNoOtherIs() {
        let held = (0..<40_000).map { "I-\($0 * 7)" }
        let filter = IdFilter(held)
        #expect(held.allSatisfy(filter.mayContain))
        let others = (0..<100_000).map { "C-\($0)" }
        let maybes = others.filter(filter.mayContain).count
        // Two bits of one word in 2^20 for 40,000 ids: under 1% of other ids come back "maybe".
        #expect(maybes < 2_000, "\(maybes) false maybes")
        #expect(!IdFilter.empty.mayContain("I-0") && IdFilter.empty.isEmpty)
        #expect(IdFilter(["Zoë’s id"]).mayContain("Zoë’s id"))
    }

    /// Ids of every length from 1 to 40 bytes (the hash reads the first and last eight of a long
    /// one): each held one is always "maybe", and other ids nearly never.
    @Test func idsOfEveryLengthAreHeldAndOthersMostlyNot() {
        let held = (0..<30_000).map { n in "PPN-" + String(repeating: "x", count: n % 36) + String(n) }
        let filter = IdFilter(held)
        #expect(held.allSatisfy(filter.mayContain))
        #expect(IdFilter(["", "a"]).mayContain("") && IdFilter(["", "a"]).mayContain("a"))
        let others = (0..<100_000).map { n in "INC-" + String(repeating: "y", count: n % 36) + String(n) }
        let maybes = others.filter(filter.mayContain).count
        #expect(maybes < 1_500, "\(maybes) false maybes")
    }

    @Test func theSerialPerpetratorsAnswerThroughIt() {
        let serial = SerialPerpetrators(findings: [:], perpetratorOfIncident: ["I-1": "P-1", "I-9": "P-1"])
        #expect(serial.names(incident: "I-1") && serial.names(incident: "I-9"))
        #expect(!serial.names(incident: "I-2") && !SerialPerpetrators.none.names(incident: "I-1"))
    }
}
