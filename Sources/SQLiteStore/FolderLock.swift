import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The lock every process takes around deciding and running a database's migrations, as
/// PostgreSQL's advisory lock is: an exclusive `flock` on the folder that holds the file. Not on
/// the database file itself: SQLite keeps POSIX locks on it, which closing any other descriptor of
/// that file in this process would drop. A folder's lock leaves no file behind, and `flock` locks
/// of two descriptors exclude each other in one process too. Held for milliseconds (the
/// migrations of one database), so a blocking wait is fine.
struct FolderLock {
    private let descriptor: Int32?

    /// Waits for the lock on the folder of `path`. An in-memory database needs none; a folder that
    /// cannot be opened for reading is left unlocked (the migrations' own retries still hold).
    init(containing path: String) {
        guard path != ":memory:" else {
            descriptor = nil
            return
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            descriptor = nil
            return
        }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                close(fd)
                descriptor = nil
                return
            }
        }
        descriptor = fd
    }

    func release() {
        guard let descriptor else { return }
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
