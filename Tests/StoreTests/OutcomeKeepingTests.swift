import Foundation
import Outbox
import Testing

/// How long a run keeps trying to record an outcome the database did not take: waits that double
/// up to a ceiling, never past the lease less its margin, and none once that is reached.
@Suite("OutcomeKeeping")
struct OutcomeKeepingTests {
    let keeping = OutcomeKeeping()

    @Test func waitsDoubleUpToTheLongest() {
        let waits = (1...7).map { keeping.wait(beforeAttempt: $0, leaseLeft: 600) }
        #expect(waits == [1, 2, 4, 8, 15, 15, 15])
    }

    /// A full SQLite disk held the morning run for the lease less a minute (9 minutes) before its
    /// exit 69 told anyone (audit 28, F1): a failure that does not clear itself is tried for half a minute.
    @Test func aFailureThatDoesNotClearItselfIsTriedForHalfAMinuteNotTheLease() {
        let waits = (1...7).map { keeping.wait(beforeAttempt: $0, leaseLeft: 600, mayClearItself: false) }
        #expect(waits == [1, 2, 4, 8, 15, nil, nil])
        #expect(keeping.wait(beforeAttempt: 1, leaseLeft: 60, mayClearItself: false) == nil, "nor past the lease")
        #expect(keeping.wait(beforeAttempt: 1_000, leaseLeft: 600, mayClearItself: false) == nil)
    }

    @Test func neverWaitsPastTheLeaseLessItsMarginAndStopsThere() {
        #expect(keeping.wait(beforeAttempt: 5, leaseLeft: 63) == 3)
        #expect(keeping.wait(beforeAttempt: 1, leaseLeft: 60) == nil)
        #expect(keeping.wait(beforeAttempt: 1, leaseLeft: -5) == nil)
        #expect(keeping.wait(beforeAttempt: 1_000, leaseLeft: 600) == 15, "no overflow however long it has tried")
    }

    /// A recording held 640 s by a lock let the run go on sending a batch another host's run had
    /// taken back (audit 29, F2): a message starts only while it and the recording fit in the lease.
    @Test func aMessageStartsOnlyWhileItAndItsRecordingFitInTheLease() {
        #expect(keeping.maySend(leaseLeft: 600, longestTransfer: 120))
        #expect(keeping.maySend(leaseLeft: 181, longestTransfer: 120))
        #expect(!keeping.maySend(leaseLeft: 180, longestTransfer: 120))
        #expect(!keeping.maySend(leaseLeft: -30, longestTransfer: 120))
        #expect(keeping.maySend(leaseLeft: 61, longestTransfer: 0))
    }
}
