import Foundation
import Glibc  // Linux only, as the program is: sync_file_range, open, close.

/// Starts the kernel writing a big ingest's pages to disk while the ingest is still making them, as
/// PostgreSQL's `backend_flush_after` does. A transaction larger than the page cache spills into the
/// WAL, the checkpoint after it copies the WAL into the file, and each is `fsync`ed: at ten million
/// rows 1.9 GB of WAL and 1.9 GB of file were written to disk only at those two `fsync`s, about two
/// seconds the process sat waiting while the disk had been idle for half a minute before. Every
/// quarter second the store's two files get `sync_file_range(SYNC_FILE_RANGE_WRITE)`: writeback is
/// started and nothing waits for it, so durability is unchanged (the `fsync`s still happen, with
/// less left to do). Pages stay cached, so the WAL read back by the checkpoint is not read from disk.
/// Where the C library lacks the call, nothing is done.
final class SQLiteWriteBehind {
    /// The store's WAL and file, in the order an ingest writes them.
    private let files: SQLiteWriteBehindFiles
    private let timer: any DispatchSourceTimer

    /// Starts nudging the files of the store at `databasePath` every `interval`; `stop` ends it.
    init(databasePath: String, interval: DispatchTimeInterval = .milliseconds(250)) {
        let queue = DispatchQueue(label: "encompass.sqlite.write-behind")
        files = SQLiteWriteBehindFiles(paths: [databasePath + "-wal", databasePath], queue: queue)
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        let files = self.files
        timer.setEventHandler { _ = files.startWriteback() }
        timer.setCancelHandler { files.close() }
        timer.resume()
    }

    /// Stops the timer and closes the files (writeback already started goes on in the kernel).
    func stop() { timer.cancel() }

    /// Starts writeback of both files once, now, on the caller's thread; how many files it started
    /// (tests: a missing call or a wrong path shows as fewer than two).
    func startWritebackNow() -> Int { files.queue.sync { files.startWriteback() } }
}

/// The open files, touched only on `queue` (the timer's), so unchecked.
private final class SQLiteWriteBehindFiles: @unchecked Sendable {
    let paths: [String]
    let queue: DispatchQueue
    private var descriptors: [String: Int32] = [:]

    init(paths: [String], queue: DispatchQueue) {
        self.paths = paths
        self.queue = queue
    }

    /// `sync_file_range` looked up at run time: Glibc declares it only under `_GNU_SOURCE`, which
    /// Swift's Glibc module does not define.
    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    private static let syncFileRange: SyncFileRange? = {
        // nil: RTLD_DEFAULT, the process's own libraries.
        guard let symbol = dlsym(nil, "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: SyncFileRange.self)
    }()
    /// SYNC_FILE_RANGE_WRITE: start writeback of dirty pages, wait for nothing.
    private static let writeFlag: UInt32 = 2

    /// Opens each file the first time it exists (the WAL is made by the first write) and starts its
    /// writeback; how many files it started.
    func startWriteback() -> Int {
        guard let call = Self.syncFileRange else { return 0 }
        var started = 0
        for path in paths {
            if descriptors[path] == nil {
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                if fd >= 0 { descriptors[path] = fd }
            }
            if let fd = descriptors[path], call(fd, 0, 0, Self.writeFlag) == 0 { started += 1 }
        }
        return started
    }

    func close() {
        for fd in descriptors.values { _ = Glibc.close(fd) }
        descriptors = [:]
    }
}
