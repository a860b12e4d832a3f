/// Sends `file` messages to a FileTransport and the rest over the network, merging the two
/// streams of outcomes as they land.
public struct ChannelRouter: Transport {
    public var network: any Transport
    public var files: any Transport

    public init(network: any Transport, files: any Transport) {
        self.network = network
        self.files = files
    }

    public func deliver(_ batch: [AlertMessage], pacing: DeliveryPacing?) -> AsyncStream<DeliveryOutcome> {
        let toFiles = batch.filter { $0.channel == .file }
        let toNetwork = batch.filter { $0.channel != .file }
        let (stream, continuation) = AsyncStream.makeStream(of: DeliveryOutcome.self, bufferingPolicy: .unbounded)
        let network = network.deliver(toNetwork, pacing: pacing)
        let files = files.deliver(toFiles, pacing: pacing)
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                for source in [network, files] {
                    group.addTask {
                        for await outcome in source { continuation.yield(outcome) }
                    }
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { termination in
            if case .cancelled = termination { task.cancel() }
        }
        return stream
    }
}
