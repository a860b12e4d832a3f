import Delivery
import Foundation
import TestSupport
import Testing

@Suite struct RetryPolicyTests {
    @Test(arguments: [
        (1, 60.0), (2, 120.0), (3, 240.0), (4, 480.0), (6, 1920.0), (7, 3600.0), (50, 3600.0), (5000, 3600.0),
        (0, 60.0),
    ])
    func ceilingDoublesUpToTheCap(attempts: Int, expected: TimeInterval) {
        #expect(RetryPolicy().ceiling(afterAttempts: attempts) == expected)
    }

    @Test func fullJitterSpansZeroToTheCeiling() {
        let policy = RetryPolicy()
        var random = SeededGenerator(state: 7)
        let draws = (0..<2000).map { _ in policy.delay(afterAttempts: 3, using: &random) }
        #expect(draws.allSatisfy { $0 >= 0 && $0 <= 240 })
        #expect(draws.min()! < 12)
        #expect(draws.max()! > 228)
    }

    @Test func theSameSeedGivesTheSameDelays() {
        let policy = RetryPolicy()
        var a = SeededGenerator(state: 99)
        var b = SeededGenerator(state: 99)
        #expect((1...8).map { policy.delay(afterAttempts: $0, using: &a) } == (1...8).map { policy.delay(afterAttempts: $0, using: &b) })
    }

    @Test func drawsStayInsideTheCeilingAndSpreadOut() {
        let policy = RetryPolicy(base: 30, factor: 3, cap: 600)
        var random = SeededGenerator(state: 42)
        let draws = (0..<500).map { _ in policy.delay(afterAttempts: 2, using: &random) }
        #expect(draws.allSatisfy { $0 >= 0 && $0 <= 90 })
        // Spread, not bunched: both halves of the range are used.
        #expect(draws.contains { $0 < 45 })
        #expect(draws.contains { $0 > 45 })
    }

    @Test func nextAttemptIsTheFailurePlusTheDelay() {
        let policy = RetryPolicy()
        let failedAt = Date(timeIntervalSince1970: 1_000_000)
        var random = SeededGenerator(state: 5)
        var again = SeededGenerator(state: 5)
        let next = policy.nextAttempt(after: failedAt, attempts: 1, using: &random)
        #expect(next == failedAt.addingTimeInterval(policy.delay(afterAttempts: 1, using: &again)))
        #expect(next >= failedAt)
        #expect(next <= failedAt.addingTimeInterval(60))
    }

    @Test func zeroBaseNeverWaits() {
        var random = SeededGenerator(state: 1)
        #expect(RetryPolicy(base: 0).delay(afterAttempts: 4, using: &random) == 0)
    }
}
