import NIOCore
import NIOSSL
import PostgresNIO

/// Keeps PostgresNIO from killing the process when the server ends a connection while a query's
/// rows are streaming: a restart, a failover, `pg_terminate_backend`.
///
/// PostgresNIO (1.33.2, and its newest release as of this writing) holds back its socket reads
/// while the rows it has handed over wait for our code to ask for more, and traps (a precondition:
/// "How can we receive a body part, after a channelReadComplete, but no read has been forwarded
/// yet") if a read cycle ends meanwhile. Normally none can, as no read was asked for. But when the
/// server closes the connection SwiftNIO reads the socket to its end whatever was asked, and ends
/// that read cycle (`channelReadComplete`) as it does every one: a read of ours over thousands of
/// rows (the alerts board, `copy-store`, a notify run's scan) was then killed with SIGILL, `serve`
/// with it. async-http-client fixed the same trap in its own copy of this state machine
/// (swift-server/async-http-client#450); PostgresNIO has not.
///
/// This handler sits just below PostgresNIO's own and passes a read cycle's end up only when
/// PostgresNIO has asked for a read since the last one it saw: exactly what its state machine
/// expects. The rows read meanwhile are not lost: they are passed up as ever, held by PostgresNIO,
/// and delivered with the next read cycle's end; on a connection the server has closed that never
/// comes, and the query fails, as the connection's close, the way every other query on a closed
/// connection does (one line, exit 69, 503). While the connection stays open every read cycle's end
/// follows a read PostgresNIO asked for, and passes as before.
final class ReadCompleteGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Whether PostgresNIO has asked for a read since the last read cycle's end it was given. True
    /// at first: the gate is added to a connection already open, whose read is outstanding.
    private var readAsked = true

    func read(context: ChannelHandlerContext) {
        readAsked = true
        context.read()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard readAsked else { return }
        readAsked = false
        context.fireChannelReadComplete()
    }

    /// Adds the gate to `conn`'s channel, once, before its first statement of ours: just below
    /// PostgresNIO's handler, which is above the TLS handler when there is one.
    ///
    /// PostgresNIO does not expose a connection's channel; it is read by reflection. Should a later
    /// PostgresNIO store it otherwise, the gate is missing (the outage tests that end sessions while
    /// rows stream then fail) and the connection works as before.
    static func install(on conn: PostgresConnection) async {
        guard let channel = Mirror(reflecting: conn).children.first(where: { $0.label == "channel" })?.value as? any Channel else {
            assertionFailure("PostgresConnection no longer keeps its channel as `channel`: the read-complete gate is missing")
            return
        }
        // A connection closed already fails its first statement as closed; nothing to guard.
        try? await channel.eventLoop.submit {
            let pipeline = channel.pipeline.syncOperations
            if let tls = try? pipeline.context(handlerType: NIOSSLHandler.self) {
                try pipeline.addHandler(ReadCompleteGate(), position: .after(tls.handler))
            } else {
                try pipeline.addHandler(ReadCompleteGate(), position: .first)
            }
        }.get()
    }
}
