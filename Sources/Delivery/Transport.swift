/// Sends rendered messages and reports each one's outcome as soon as it is known, so the outbox
/// can record it at once: a run killed half way loses at most the messages in flight.
public protocol Transport: Sendable {
    /// Starts sending at once. The stream yields one outcome per message, in the order they
    /// finish, and ends when every message has one. Ending the stream early (cancelling the task
    /// that reads it) abandons what is still in flight: those messages get no outcome and stay
    /// claimed in the outbox until their lease runs out.
    func deliver(_ batch: [AlertMessage]) -> AsyncStream<DeliveryOutcome>
}

extension Transport {
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
