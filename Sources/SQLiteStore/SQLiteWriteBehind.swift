import Foundation
import Glibc  // Linux only, as the program is: sync_file_range, /proc/self/fd.

/// Starts the kernel writing a big ingest's pages to disk while the ingest is still making them, as
/// PostgreSQL's `backend_flush_after` does. A transaction larger than the page cache spills into the
/// WAL (or, for a first load, `SQLiteFirstLoadJournal`, straight into the file), the checkpoint after
/// it copies the WAL into the file, and each is `fsync`ed: at ten million
/// rows 1.9 GB of WAL and 1.9 GB of file were written to disk only at those two `fsync`s, about two
/// seconds the process sat waiting while the disk had been idle for half a minute before. Every
/// quarter second the store's two files get `sync_file_range(SYNC_FILE_RANGE_WRITE)`: writeback is
/// started and nothing waits for it, so durability is unchanged (the `fsync`s still happen, with
/// less left to do). Pages stay cached, so the WAL read back by the checkpoint is not read from disk.
/// Where the C library lacks the call, nothing is done.
///
/// The files are SQLite's own descriptors, found in `/proc/self/fd` at each tick, never opened here:
/// closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
/// included, so a descriptor of our own closed after an ingest left a running `serve` holding the
/// store without its locks (another process could then take the file out of WAL mode under it).
final class SQLiteWriteBehind {
    /// The store's WAL and file.
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
        timer.resume()
    }

    /// Stops the timer (writeback already started goes on in the kernel).
    func stop() { timer.cancel() }

    /// Starts writeback of both files once, now, on the caller's thread; how many files it started
    /// (tests: a missing call or a wrong path shows as fewer than two).
    func startWritebackNow() -> Int { files.queue.sync { files.startWriteback() } }
}

/// The store's files by the names the kernel gives them, looked for on `queue` (the timer's).
private final class SQLiteWriteBehindFiles: Sendable {
    /// Absolute paths with links resolved, as `/proc/self/fd` shows them.
    let paths: [String]
    let queue: DispatchQueue

    init(paths: [String], queue: DispatchQueue) {
        // The WAL may not exist yet: its folder is resolved, and its name kept.
        self.paths = paths.map { path in
            let url = URL(fileURLWithPath: path)
            return url.deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent(url.lastPathComponent).path
        }
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
    /// Where `d_name` starts in a `dirent` (a stored field of a C struct: never nil).
    private static let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
    /// SYNC_FILE_RANGE_WRITE: start writeback of dirty pages, wait for nothing.
    private static let writeFlag: UInt32 = 2

    /// Starts writeback of each of the files the process has open (through any one of SQLite's
    /// descriptors of it: they share the file's pages); how many files it started. A descriptor
    /// closed and reused between the look and the call starts another file's writeback, which is
    /// harmless.
    func startWriteback() -> Int {
        guard let call = Self.syncFileRange, let folder = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(folder) }
        var started = Set<String>()
        var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        while let entry = readdir(folder) {
            // The name read where it lies, up to its NUL: `entry.pointee.d_name` copied the whole
            // 256-byte array, but the kernel packs entries by `d_reclen`, so the last in readdir's
            // buffer may end well before that, and the copy read past it (a crash in `memmove` when
            // a process with many descriptors had that entry at the end of a mapped page).
            let name = String(cString: (UnsafeRawPointer(entry) + Self.nameOffset).assumingMemoryBound(to: CChar.self))
            guard let fd = Int32(name), fd != dirfd(folder) else { continue }
            let length = readlink("/proc/self/fd/" + name, &target, target.count - 1)
            guard length > 0 else { continue }
            let path = String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if paths.contains(path), !started.contains(path), call(fd, 0, 0, Self.writeFlag) == 0 { started.insert(path) }
        }
        return started.count
    }
}
