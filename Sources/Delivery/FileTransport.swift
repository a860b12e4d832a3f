import Foundation

/// Writes each message under a folder instead of sending it: `<reference>.eml` (the e-mail as
/// the relay would get it) and, for an HTTPS alert, `<reference>.json` (the body as the endpoint
/// would get it). For demos and dry runs only; never a school's channel.
public struct FileTransport: Transport {
    public var folder: URL
    public var composer: EmailComposer

    public init(folder: URL, composer: EmailComposer) {
        self.folder = folder
        self.composer = composer
    }

    public func deliver(_ batch: [AlertMessage]) -> AsyncStream<DeliveryOutcome> {
        let (stream, continuation) = AsyncStream.makeStream(of: DeliveryOutcome.self, bufferingPolicy: .unbounded)
        for message in batch {
            continuation.yield(write(message))
        }
        continuation.finish()
        return stream
    }

    /// Where `reference`'s e-mail is (or would be) written.
    public func emailFile(for reference: String) -> URL {
        folder.appendingPathComponent(Self.fileName(reference) + ".eml")
    }

    public func jsonFile(for reference: String) -> URL {
        folder.appendingPathComponent(Self.fileName(reference) + ".json")
    }

    private func write(_ message: AlertMessage) -> DeliveryOutcome {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            // Atomic: a run killed mid-write leaves the old file or the new one, never half of one.
            try composer.compose(message).write(to: emailFile(for: message.reference), options: .atomic)
            if message.channel == .https, let json = message.jsonBody {
                try json.write(to: jsonFile(for: message.reference), options: .atomic)
            }
            return DeliveryOutcome(
                reference: message.reference, channel: message.channel, status: .delivered, replyCode: nil,
                detail: "file written", attempted: true)
        } catch {
            return OutcomeText.refused(
                message.reference, channel: message.channel, status: .configuration,
                reason: "cannot write to \(folder.path)")
        }
    }

    private static func fileName(_ reference: String) -> String {
        String(reference.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }
}
