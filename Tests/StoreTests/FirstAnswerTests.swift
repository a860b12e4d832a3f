import Synchronization
import Testing
import TimeLimit

/// `FirstAnswer`, which every PostgreSQL transaction waits for its connection through.
@Suite("An answer within a time limit")
struct FirstAnswerTests {
    /// A wait nothing but `open()` ends, deaf to cancellation: as a request waiting in PostgresNIO's
    /// pool for a connection that does not come.
    final class Gate: Sendable {
        private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
        func wait() async {
            await withCheckedContinuation { c in
                if state.withLock({ s in s.open ? true : { s.waiters.append(c); return false }() }) { c.resume() }
            }
        }
        func open() {
            for waiter in state.withLock({ s in s.open = true; defer { s.waiters = [] }; return s.waiters }) { waiter.resume() }
        }
    }

    struct Refused: Error {}

    @Test func anAnswerOrWhatWasThrownComesBack() async throws {
        #expect(try await FirstAnswer.within(.seconds(600)) { 7 } == 7)
        await #expect(throws: Refused.self) { try await FirstAnswer.within(.seconds(600)) { () -> Int in throw Refused() } }
    }

    /// Past the limit the caller has nil at once, and the work is cancelled, though it has not ended.
    @Test func workThatNeverEndsIsLeftAtTheLimit() async throws {
        let gate = Gate(), cancelled = Mutex(false)
        let answer = try await FirstAnswer.within(.milliseconds(20)) {
            await withTaskCancellationHandler { await gate.wait() } onCancel: { cancelled.withLock { $0 = true } }
            return 1
        }
        #expect(answer == nil)
        #expect(cancelled.withLock { $0 })
        gate.open()
    }

    /// When the limit comes and `giveUpIf` says no (the connection came: the write is under way),
    /// the answer is the work's, however late.
    @Test func workThatMustNotBeLeftIsWaitedFor() async throws {
        let asked = Gate()
        let answer = try await FirstAnswer.within(.milliseconds(20), giveUpIf: { asked.open(); return false }) {
            await asked.wait()
            return 5
        }
        #expect(answer == 5)
    }

    /// Stopped by something other than a clock (a connection closing): the caller has nil at once and
    /// the work, deaf to cancellation, is cancelled; a work that answers first is kept, and disarms.
    @Test func aStopBeforeTheAnswerLeavesTheWorkAndAnAnswerFirstDisarms() async throws {
        let gate = Gate(), started = Gate(), cancelled = Mutex(false), disarmed = Mutex(0)
        // Stopped once the work is under way (the close of a connection a statement was sent on).
        let stopped = try await FirstAnswer.until(arm: { stop in Task { await started.wait(); stop() } }, disarm: {}) {
            await withTaskCancellationHandler {
                started.open()
                await gate.wait()
            } onCancel: { cancelled.withLock { $0 = true } }
            return 1
        }
        #expect(stopped == nil)
        #expect(cancelled.withLock { $0 })
        gate.open()

        let kept = Mutex<(@Sendable () -> Void)?>(nil)
        let answered = try await FirstAnswer.until(arm: { stop in kept.withLock { $0 = stop } },
                                                   disarm: { disarmed.withLock { $0 += 1 } }) { 9 }
        #expect(answered == 9)
        #expect(disarmed.withLock { $0 } == 1)
        kept.withLock { $0 }?() // a stop after the answer does nothing
    }

    /// A caller cancelled (a scan given up) cancels the work, though it runs in a task of its own, and
    /// has what the work then throws. Bounded by a stop at 120 s, so that a work left running fails
    /// the test (nil, not the cancellation) instead of hanging it.
    @Test func aCallerCancelledCancelsTheWork() async throws {
        let started = Gate(), cancelled = Gate()
        let caller = Task {
            try await FirstAnswer.until(arm: { stop in Task { try? await Task.sleep(for: .seconds(120)); stop() } }, disarm: {}) { () -> Int in
                await withTaskCancellationHandler {
                    started.open()
                    await cancelled.wait()
                } onCancel: { cancelled.open() }
                try Task.checkCancellation()
                return 1
            }
        }
        await started.wait()
        caller.cancel()
        await #expect(throws: CancellationError.self) { _ = try await caller.value }
    }
}
