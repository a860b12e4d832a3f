import Delivery
import Foundation
import TestSupport
import Testing

/// `DeliveryPacing` against the real relay: a worker sends its next message only once the reader
/// has recorded its last outcome (audit 27, chaos F1: unpaced, the relay's workers ran dozens of
/// messages ahead of a slow recorder, and a run killed then sent them all again).
@Suite struct DeliveryPacingTests {
    /// The outcomes the reader has taken, and whether it records them yet.
    final class Reader: @unchecked Sendable {
        private let lock = NSLock()
        private var taken: [DeliveryOutcome] = []
        private var recording = false

        /// Takes `outcome`: true when it is to be recorded at once.
        func take(_ outcome: DeliveryOutcome) -> Bool {
            lock.withLock {
                taken.append(outcome)
                return recording
            }
        }

        var count: Int { lock.withLock { taken.count } }

        /// From now on every outcome is recorded as it is taken; those taken so far are returned to be recorded.
        func startRecording() -> [DeliveryOutcome] {
            lock.withLock {
                recording = true
                return taken
            }
        }
    }

    /// Returns once `count` workers wait at once, or the pacing has stopped.
    static func untilWaiting(_ pacing: DeliveryPacing, _ count: Int) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread {
                pacing.blockUntilWaiting(count)
                done.resume()
            }.start()
        }
    }

    @Test func eachConnectionSendsItsNextMessageOnlyOnceItsLastOutcomeIsRecorded() async throws {
        let setup = try await SMTPDeliveryTests.Setup()
        let messages = try (1...12).map { try Fixtures.alert(to: "dsl\($0)@school.example", child: Fixtures.child("C-\($0)")) }
        // Three connections, and no transfer is ever taken as stalled: exactly three workers.
        let transport = setup.transport(setup.relay(), limits: ConnectionLimits(connections: 3, stallAfter: .seconds(600)))
        let pacing = DeliveryPacing()
        let reader = Reader()
        let reading = Task { () -> [DeliveryOutcome] in
            var all: [DeliveryOutcome] = []
            for await outcome in transport.deliver(messages, pacing: pacing) {
                all.append(outcome)
                if reader.take(outcome) { pacing.recorded(outcome.reference) }
            }
            // Unpaced, every message goes and the stream ends: the wait below must end too.
            pacing.stop()
            return all
        }

        // Nothing recorded: each worker sent one message and waits; no fourth goes.
        await Self.untilWaiting(pacing, 3)
        #expect(try setup.received().count == 3)
        #expect(reader.count == 3)

        // Recorded as they come: every message goes, once.
        for outcome in reader.startRecording() { pacing.recorded(outcome.reference) }
        let outcomes = await reading.value
        #expect(outcomes.count == 12)
        #expect(outcomes.allSatisfy { $0.status == .delivered })
        let log = try setup.received()
        #expect(log.count == 12)
        #expect(Set(log.compactMap { $0["message_id"] as? String }).count == 12)
    }

    /// The tarpit is the relay holding the first recipient's RCPT until the test lets it go, which
    /// it does only once the other four outcomes are in: they must come while it is held, however
    /// slow the machine. (It was a 15 s tarpit against a 6 s budget for the others, and four messages
    /// through TLS in a debug build under load took longer once.)
    @Test func aTarpittedRecipientStillDelaysNobodyElseWhenPaced() async throws {
        let setup = try await SMTPDeliveryTests.Setup(["--hold", "hold-dsl:release"])
        let held = try Fixtures.alert(to: "hold-dsl@school.example", child: Fixtures.child("C-0"))
        let others = try (1...4).map { try Fixtures.alert(to: "dsl\($0)@school.example", child: Fixtures.child("C-\($0)")) }
        // One connection: only the stall rule's extra worker takes the others past the held one, and
        // it waits for each outcome to be recorded before taking the next.
        let limits = ConnectionLimits(connections: 1, stallAfter: .milliseconds(300))
        // The product's own timeouts. A passing run never meets them (the hold ends on the condition
        // above); they end the held transfer only when the others wait behind it, and the others'
        // outcomes then come after its: the test fails rather than hangs.
        let timeouts = TransferTimeouts()
        let pacing = DeliveryPacing()
        var order: [DeliveryOutcome] = []
        var receivedWhileHeld: Int?
        for await outcome in setup.transport(setup.relay(), limits: limits, timeouts: timeouts).deliver([held] + others, pacing: pacing) {
            order.append(outcome)
            pacing.recorded(outcome.reference)
            if order.count == others.count, !order.contains(where: { $0.reference == held.reference }) {
                receivedWhileHeld = try setup.received().count
                try Data().write(to: URL(fileURLWithPath: setup.server.outFolder + "/release"))
            }
        }

        #expect(order.count == 5)
        #expect(order.dropLast().map(\.reference).sorted() == others.map(\.reference).sorted(), "the others first, while it was held")
        #expect(receivedWhileHeld == 4)
        #expect(order.last?.reference == held.reference)
        #expect(order.allSatisfy { $0.status == .delivered })
        #expect(try setup.received().count == 5)
    }

    @Test func aReaderThatStopsReadingStopsTheSending() async throws {
        let setup = try await SMTPDeliveryTests.Setup()
        let messages = try (1...6).map { try Fixtures.alert(to: "dsl\($0)@school.example", child: Fixtures.child("C-\($0)")) }
        let transport = setup.transport(setup.relay(), limits: ConnectionLimits(connections: 2, stallAfter: .seconds(600)))
        let pacing = DeliveryPacing()
        let reading = Task { () -> Int in
            var taken = 0
            // The reader records nothing and gives up after two outcomes (a run whose database went away).
            for await _ in transport.deliver(messages, pacing: pacing) {
                taken += 1
                if taken == 2 { break }
            }
            return taken
        }
        #expect(await reading.value == 2)
        // Ending the stream cancelled the batch: the two waiting workers went on to find it
        // cancelled, and no third message went.
        #expect(try setup.received().count == 2)
    }

    /// A run that may no longer send what it claimed (its lease, audit 29 F2) closes the pacing:
    /// the workers waiting on their outcomes take nothing more, and the batch ends with the
    /// outcomes it has, the rest unsent and unreported.
    @Test func aClosedPacingSendsNothingMoreAndTheBatchEnds() async throws {
        let setup = try await SMTPDeliveryTests.Setup()
        let messages = try (1...12).map { try Fixtures.alert(to: "dsl\($0)@school.example", child: Fixtures.child("C-\($0)")) }
        let transport = setup.transport(setup.relay(), limits: ConnectionLimits(connections: 3, stallAfter: .seconds(600)))
        let pacing = DeliveryPacing()
        let reading = Task { () -> [DeliveryOutcome] in
            var all: [DeliveryOutcome] = []
            // Nothing recorded: the stream ends only because the pacing is closed.
            for await outcome in transport.deliver(messages, pacing: pacing) { all.append(outcome) }
            return all
        }
        await Self.untilWaiting(pacing, 3)
        pacing.close()
        let outcomes = await reading.value
        #expect(outcomes.count == 3)
        #expect(outcomes.allSatisfy { $0.status == .delivered })
        #expect(try setup.received().count == 3, "no fourth message went")
        #expect(pacing.isClosed)
    }
}
