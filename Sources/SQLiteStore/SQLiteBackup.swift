import Foundation
import GRDB
import StoreContract
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `encompass backup FILE`: SQLite's online backup API, from one read transaction of the pool, so
/// the copy is the database as of one moment (the WAL's committed pages included), taken while
/// `serve`, `ingest` and `notify` go on writing.
extension SQLiteStore: StoreBackup {
    public func backup(to path: String) async throws {
        if FileManager.default.fileExists(atPath: path) { throw StoreError.backupExists(path) }
        // Written beside the target under a name of its own, made 0600 (it holds children's names)
        // with O_EXCL, and linked into place when complete: link(2) refuses an existing name, so a
        // file made meanwhile is never overwritten, and `path` is never half a copy.
        let partial = path + ".partial-\(getpid())"
        let fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        // Named as the file asked for: the partial name is ours, not the operator's.
        guard fd >= 0 else { throw StoreError.backupRefused("cannot create \(path): \(String(cString: strerror(errno)))") }
        close(fd)
        var copy: DatabaseQueue?
        // On any failure too: closed first, then the copy and its rollback journal (a full disk left
        // `FILE.partial-PID-journal` behind, one a failed night: audit 25, F6). After the link
        // below, the partial name alone goes, the copy staying at `path`.
        defer {
            try? copy?.close()
            for file in [partial, partial + "-journal"] { unlink(file) }
        }
        do {
            copy = try DatabaseQueue(path: partial)
            // All pages in one step, inside the pool's read transaction: one snapshot.
            try pool.backup(to: copy!)
            try copy!.close()
            copy = nil
        } catch let error as DatabaseError where error.resultCode.primaryResultCode == .SQLITE_FULL {
            // Only the copy is written: its disk is the full one, not the store's.
            let folder = SQLiteStore.folder(of: path)
            throw StoreError.backupNotWritten("backup: no space left on the disk of \(folder) (\(path) not written): "
                                              + "free space there, or back up to another disk")
        } catch let error as DatabaseError {
            throw StoreError.unavailable("backup to \(path): \(error.problem)")
        }
        guard link(partial, path) == 0 else {
            if errno == EEXIST { throw StoreError.backupExists(path) }
            throw StoreError.backupRefused("cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }
}
