import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file's bytes mapped into memory read-only, rather than read into it: a large export (1.1 GB at
/// ten million rows) is then resident only while the reader is on it, because the pages it has
/// passed are given back (`release(before:)`), and the kernel reads any of them again from the file
/// if they are touched later (a re-read of the whole batch, say).
///
/// The file must not be cut short while it is mapped: reading a page past its new end would stop
/// the process (SIGBUS). An export is written whole before it is ingested.
final class MappedFile: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer?
    /// Where the file is mapped (for tests).
    var address: UnsafeMutableRawPointer? { base }
    let count: Int

    /// Nil when the file cannot be opened or mapped; the caller says so in its own words.
    init?(path: String) {
        // Only a regular file is opened: opening a named pipe would meet its writer, and closing it
        // unread would lose what the writer then sends (the caller reads the pipe itself).
        var before = stat()
        guard stat(path, &before) == 0, (before.st_mode & S_IFMT) == S_IFREG else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        count = Int(info.st_size)
        // An empty file has no pages to map (mmap refuses a length of 0).
        guard count > 0 else {
            base = nil
            return
        }
        let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { return nil }
        // Read front to back: the kernel reads ahead further and drops what was read sooner.
        _ = madvise(p, count, MADV_SEQUENTIAL)
        base = p
    }

    deinit {
        if let base { munmap(base, count) }
    }

    /// The bytes as `Data`, without a copy. The `Data` keeps this mapping alive.
    var data: Data {
        guard let base, count > 0 else { return Data() }
        return Data(bytesNoCopy: base, count: count, deallocator: .custom { [self] _, _ in withExtendedLifetime(self) {} })
    }

    /// Gives back the pages from `start` (where the last call of this read left off) to wholly
    /// before `offset`: the reader will not look at them again. Returns where this call left off.
    func release(from start: Int, before offset: Int) -> Int {
        guard let base else { return start }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let end = min(offset, count) / page * page
        guard end > start else { return start }
        _ = madvise(base + start, end - start, MADV_DONTNEED)
        return end
    }
}
