import Delivery
import Testing

/// An alert's reference: stable for its pair, one per child of an incident, safe in a header, and
/// naming the incident but never the child (it travels in every message's headers, link mode's too).
@Suite("AlertReference")
struct AlertReferenceTests {
    @Test func namesTheIncidentNeverTheChildAndIsStable() {
        let reference = AlertReference.make(incidentId: "PPN-A1", childId: "C-ZQ1")
        #expect(reference == AlertReference.make(incidentId: "PPN-A1", childId: "C-ZQ1"))
        #expect(reference.hasPrefix("ENC-PPN-A1-"))
        #expect(!reference.contains("ZQ1"))
        #expect(reference.count == "ENC-PPN-A1-".count + 12)
    }

    @Test func keepsTheChildrenOfAnIncidentAndLookAlikeIncidentsApart() {
        let children = (1...500).map { AlertReference.make(incidentId: "I-1", childId: "C-\($0)") }
        #expect(Set(children).count == 500)
        // Cut down to the same safe characters, told apart by the hash of the exact ids.
        #expect(AlertReference.make(incidentId: "I/1", childId: "C-1") != AlertReference.make(incidentId: "I_1", childId: "C-1"))
        #expect(AlertReference.make(incidentId: "I/1 é", childId: "C-1").allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
    }
}
