/// Sends rendered messages and reports each one's outcome as soon as it is known, so the outbox
/// can record it at once: a run killed half way loses at most the messages in flight.
public protocol Transport: Sendable {
    /// Starts sending at once. The stream yields one outcome per message, in the order they
    /// finish, and ends when every message has one. Ending the stream early (cancelling the task
    /// that reads it) abandons what is still in flight: those messages get no outcome and stay
    /// claimed in the outbox until their lease runs out.
    ///
    /// With `pacing`, a worker that has handed over an outcome sends nothing more until the reader
    /// calls `pacing.recorded` for it (see `DeliveryPacing`); without, outcomes come as fast as
    /// messages go.
    func deliver(_ batch: [AlertMessage], pacing: DeliveryPacing?) -> AsyncStream<DeliveryOutcome>
}

extension Transport {
    /// Unpaced: for callers that do not record outcomes as they come.
    public func deliver(_ batch: [AlertMessage]) -> AsyncStream<DeliveryOutcome> {
        deliver(batch, pacing: nil)
    }

    /// Every outcome, once all are in. For callers that do not record outcomes one by one.
    public func send(_ batch: [AlertMessage]) async -> [DeliveryOutcome] {
        var outcomes: [DeliveryOutcome] = []
        outcomes.reserveCapacity(batch.count)
        for await outcome in deliver(batch) {
            outcomes.append(outcome)
        }
        return outcomes
    }
}
