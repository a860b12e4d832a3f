import Foundation
@testable import Outbox
import Testing

/// A run takes a lease back before it ends only from a process it can see has gone: its own host
/// name, its own boot of its own kernel, its own PID namespace (audit 20 F2: two machines of one
/// host name each took the other's live run for dead and sent its alerts again).
@Suite struct LeaseOwnerTests {
    static let boot = "afd7056f-2f64-4888-abf6-705305a1bbc2"
    static let here = "\(boot).4026531836"
    /// Every pid is gone, as on a machine that never had the other's process.
    static func isDead(_ owner: String) -> Bool {
        LeaseOwner.isDead(owner, host: "samebox", place: here) { _ in true }
    }

    @Test func aGoneProcessOfThisHostAndPlaceIsDead() {
        #expect(Self.isDead("samebox:304:EE65E7C4:\(Self.here)"))
        #expect(!LeaseOwner.isDead("samebox:304:EE65E7C4:\(Self.here)", host: "samebox", place: Self.here) { _ in false }, "still running")
    }

    @Test func aProcessElsewhereUnderTheSameHostNameIsNeverTakenForDead() {
        // A cloned machine (another boot id), a container (another PID namespace), another host.
        #expect(!Self.isDead("samebox:304:EE65E7C4:0b5e4a62-51d7-4a3e-9d6c-3f1f2e8d9a10.4026531836"))
        #expect(!Self.isDead("samebox:304:EE65E7C4:\(Self.boot).4026532291"))
        #expect(!Self.isDead("otherbox:304:EE65E7C4:\(Self.here)"))
    }

    @Test func aLeaseOfTheOlderFormOrWithNoPlaceWaitsForItsTime() {
        #expect(!Self.isDead("samebox:304:EE65E7C4"), "the previous version's owner")
        #expect(!Self.isDead("samebox:304:EE65E7C4:"))
        #expect(!LeaseOwner.isDead("samebox:304:EE65E7C4:\(Self.here)", host: "samebox", place: nil) { _ in true }, "this run cannot read its place")
        #expect(!Self.isDead("samebox:x:EE65E7C4:\(Self.here)"))
        #expect(!Self.isDead("samebox:0:EE65E7C4:\(Self.here)"), "kill(0) is the process group")
    }

    @Test func thePlaceIsTheBootIdAndThePIDNamespace() {
        #expect(LeaseOwner.place(bootId: Self.boot + "\n", pidNamespace: "pid:[4026531836]") == Self.here)
        #expect(LeaseOwner.place(bootId: nil, pidNamespace: "pid:[4026531836]") == nil)
        #expect(LeaseOwner.place(bootId: "", pidNamespace: "pid:[4026531836]") == nil)
        #expect(LeaseOwner.place(bootId: Self.boot, pidNamespace: nil) == nil)
        #expect(LeaseOwner.place(bootId: Self.boot, pidNamespace: "net:[4026531840]") == nil)
        #expect(LeaseOwner.place(bootId: "a:b", pidNamespace: "pid:[1]") == nil, "no colon inside an owner's field")
    }

    /// This process's owner names its host, its pid and its place, read from this machine's /proc.
    @Test func thisRunsOwnerNamesItsPlace() throws {
        let here = try #require(LeaseOwner.here, "Linux has /proc/sys/kernel/random/boot_id and /proc/self/ns/pid")
        let parts = LeaseOwner.current.split(separator: ":").map(String.init)
        #expect(parts.count == 4 && parts[0] == ProcessInfo.processInfo.hostName && parts[1] == String(getpid()) && parts[3] == here)
        #expect(LeaseOwner.isDead(LeaseOwner.current) == false, "this process runs")
    }
}
