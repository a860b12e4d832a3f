import Foundation
import Review
import RiskModel
import StoreContract

/// The review queue as of a recent instant, shared by every request. Assessing every child takes a
/// while on a large store, so a queue up to `maxAge` old is reused, and once older it is rebuilt in
/// the background while the old one is still shown. A change made through the app (a decision, an
/// ingest, a regrade) invalidates it: the next request waits for a fresh queue.
actor QueueCache {
    private let store: any Store
    private let settings: ScoringSettings
    private let maxAge: TimeInterval
    private let clock: WebClock

    /// Bumped by `invalidate()`: a queue built before the bump is no longer good enough to show.
    private var generation = 0
    /// Counts the queues kept, so a page rendered from one can tell whether it is still current.
    private var builds = 0
    private var current: (queue: ReviewQueue, generation: Int, build: Int)?
    /// The store's change version when the current generation began: another server's write (or
    /// another process's ingest) moves it, and the queue is then rebuilt as after a local write.
    private var seenVersion: Int64?
    private var inFlight: (task: Task<Void, any Error>, generation: Int)?

    init(store: any Store, settings: ScoringSettings, maxAge: TimeInterval, clock: WebClock) {
        self.store = store
        self.settings = settings
        self.maxAge = maxAge
        self.clock = clock
    }

    /// Call after any write that can change a child's assessment.
    func invalidate() {
        generation += 1
    }

    func queue() async throws -> ReviewQueue {
        try await versioned().queue
    }

    /// The queue and the number of the build it came from.
    func versioned() async throws -> (queue: ReviewQueue, build: Int) {
        let version = try await store.changeVersion()
        if version != seenVersion {
            if seenVersion != nil { generation += 1 }
            seenVersion = version
        }
        while true {
            if let current, current.generation == generation {
                if clock.now().timeIntervalSince(current.queue.asOf) > maxAge { _ = refresh() }
                return (current.queue, current.build)
            }
            // Nothing current: wait for a build of this generation (it stores its queue before it ends).
            try await refresh().value
        }
    }

    /// The build under way for the current generation, or a new one.
    private func refresh() -> Task<Void, any Error> {
        if let inFlight, inFlight.generation == generation { return inFlight.task }
        let wanted = generation
        let asOf = clock.now()
        let task = Task { [store, settings] in
            do {
                let queue = try await ReviewQueue.build(store: store, settings: settings, asOf: asOf, includeAll: false)
                self.keep(queue, generation: wanted)
            } catch {
                self.forget(generation: wanted)
                throw error
            }
        }
        inFlight = (task, wanted)
        return task
    }

    private func keep(_ queue: ReviewQueue, generation built: Int) {
        if built >= (current?.generation ?? -1) {
            builds += 1
            current = (queue, built, builds)
        }
        forget(generation: built)
    }

    private func forget(generation built: Int) {
        if inFlight?.generation == built { inFlight = nil }
    }
}
