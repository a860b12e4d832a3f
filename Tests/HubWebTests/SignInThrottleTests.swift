import Foundation
@testable import HubWeb
import Testing

/// The throttle's memory is bounded without forgetting a name still counting: a flood of other names
/// cannot wipe the count of the one being guessed. The throttle takes the time of each attempt, so
/// these run on made-up instants.
@Suite struct SignInThrottleTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// Three names remembered; the address limit out of the way.
    static func throttle(capacity: Int = 3) -> SignInThrottle {
        var limits = SignInLimits()
        limits.capacity = capacity
        limits.addressBurst = 100_000
        return SignInThrottle(limits: limits)
    }

    static func at(_ seconds: TimeInterval) -> Date { start.addingTimeInterval(seconds) }

    @Test func aFloodOfOtherNamesDoesNotWipeTheCountOfTheNameBeingGuessed() async {
        let throttle = Self.throttle()
        for _ in 1...5 { #expect(await throttle.admit(address: "a", name: "hana", at: Self.at(0)) == nil) }
        #expect(await throttle.admit(address: "a", name: "hana", at: Self.at(0)) == Self.at(30))
        // Past the table's size many times over: the names it has no room for wait instead.
        for i in 1...50 { _ = await throttle.admit(address: "a", name: "other\(i)", at: Self.at(1)) }
        #expect(await throttle.admit(address: "a", name: "hana", at: Self.at(2)) == Self.at(30), "still waiting")
        // Its count went on: one more try after the wait, then twice as long.
        #expect(await throttle.admit(address: "a", name: "hana", at: Self.at(30)) == nil)
        #expect(await throttle.admit(address: "a", name: "hana", at: Self.at(30)) == Self.at(90))
    }

    /// When full, a new name waits until the first name still counting comes to rest (10 minutes
    /// after its last failure); then the names at rest are forgotten to make room.
    @Test func whenFullANewNameWaitsUntilANameComesToRest() async {
        let throttle = Self.throttle(capacity: 2)
        #expect(await throttle.admit(address: "a", name: "x", at: Self.at(0)) == nil)
        #expect(await throttle.admit(address: "a", name: "y", at: Self.at(60)) == nil)
        #expect(await throttle.admit(address: "a", name: "z", at: Self.at(120)) == Self.at(600))
        #expect(await throttle.admit(address: "a", name: "z", at: Self.at(600)) == nil, "x is at rest: forgotten for z")
        #expect(await throttle.admit(address: "a", name: "x", at: Self.at(600)) == Self.at(660), "y still counts")
        // A good sign-in clears its name, which makes room.
        await throttle.succeeded(address: "a", name: "y", at: Self.at(601))
        #expect(await throttle.admit(address: "a", name: "x", at: Self.at(602)) == nil)
    }

    /// A name with no failure for 10 minutes starts afresh, so forgetting it changes nothing.
    @Test func aNameAtRestStartsAfresh() async {
        let throttle = Self.throttle()
        for _ in 1...5 { #expect(await throttle.admit(address: "a", name: "sam", at: Self.at(0)) == nil) }
        #expect(await throttle.admit(address: "a", name: "sam", at: Self.at(599)) == nil, "past its 30 s wait")
        #expect(await throttle.admit(address: "a", name: "sam", at: Self.at(599)) != nil, "still counting: 6 failures")
        for _ in 1...5 { #expect(await throttle.admit(address: "a", name: "sam", at: Self.at(1_199)) == nil) }
        #expect(await throttle.admit(address: "a", name: "sam", at: Self.at(1_199)) == Self.at(1_229))
    }
}
