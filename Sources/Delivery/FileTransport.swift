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

    /// Writes every message at once: writing a file again is no second alert to anyone, so nothing is paced.
    public func deliver(_ batch: [AlertMessage], pacing _: DeliveryPacing?) -> AsyncStream<DeliveryOutcome> {
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

    /// A message that could not be written: the folder and the system's reason.
    public struct NotWritten: Error, Sendable {
        public let reason: String
    }

    /// Writes each message, stopping at the first that cannot be written (`notify --dry-run`: a
    /// folder it cannot write must stop it, not read as "rendered").
    public func writeAll(_ batch: [AlertMessage]) throws(NotWritten) {
        for message in batch { try store(message) }
    }

    private func write(_ message: AlertMessage) -> DeliveryOutcome {
        do throws(NotWritten) {
            try store(message)
            return DeliveryOutcome(
                reference: message.reference, channel: message.channel, status: .delivered, replyCode: nil,
                detail: "file written", attempted: true)
        } catch {
            return OutcomeText.refused(message.reference, channel: message.channel, status: .configuration, reason: error.reason)
        }
    }

    private func store(_ message: AlertMessage) throws(NotWritten) {
        do {
            // The files hold children's names and dates of birth: a new folder is the owner's alone
            // (0700), and each file is 0600.
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            // Atomic: a run killed mid-write leaves the old file or the new one, never half of one.
            try Self.writePrivate(composer.compose(message), to: emailFile(for: message.reference))
            if message.channel == .https, let json = message.jsonBody {
                try Self.writePrivate(json, to: jsonFile(for: message.reference))
            }
        } catch {
            throw NotWritten(reason: "cannot write to \(folder.path)" + (Self.cause(error).map { " (\($0))" } ?? ""))
        }
    }

    /// The system's reason a write failed ("Not a directory", "No space left on device"), when it
    /// gave one: "cannot write" alone left the operator to guess between a path, a permission and a
    /// full disk.
    static func cause(_ error: any Error) -> String? {
        var e = error as NSError
        // On Linux the underlying error is kept as a Swift error, which `as? NSError` does not take.
        while e.domain != NSPOSIXErrorDomain, let underlying = e.userInfo[NSUnderlyingErrorKey] as? any Error { e = underlying as NSError }
        guard e.domain == NSPOSIXErrorDomain, let text = strerror(Int32(e.code)) else { return nil }
        return String(cString: text)
    }

    /// Writes `data` whole to a temporary file created 0600 beside `url`, then renames it over `url`:
    /// the file is never readable by others, not even for a moment.
    private static func writePrivate(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        // open(2) with the mode, not a chmod after the write.
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw NSError(domain: NSPOSIXErrorDomain, code: Int(errno)) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: data)
            try handle.close()
            guard rename(temporary.path, url.path) == 0 else { throw NSError(domain: NSPOSIXErrorDomain, code: Int(errno)) }
        } catch {
            unlink(temporary.path)
            throw error
        }
    }

    private static func fileName(_ reference: String) -> String {
        String(reference.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }
}
