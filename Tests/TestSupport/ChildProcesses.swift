import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Starting children safely from many tests at once. Under a full parallel run, Foundation's
/// `Process.run()` on Linux has crashed (a bad pointer in its spawn set-up) when several threads
/// launched at once, and `readDataToEndOfFile()` traps (`try!`) when a read is interrupted by a
/// signal (EINTR) as children end. Launches go one at a time, and output is read with a plain
/// `read` loop that retries an interrupted call.
private let launchLock = Mutex(())

extension Process {
    /// `run()`, one launch at a time across the test process.
    public func runSerially() throws {
        try launchLock.withLock { _ in try run() }
    }
}

extension FileHandle {
    /// What a child wrote up to the end of its first line (all of it, if it ended first), read as it
    /// comes: a server's line naming its address.
    public func readFirstLine() -> String {
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// Everything up to end of file, retrying reads a signal interrupted.
    public func readAllRetryingInterrupts() -> Data {
        var out = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let fd = fileDescriptor
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                out.append(buffer, count: n)
            } else if n == 0 || errno != EINTR {
                return out
            }
        }
    }
}
