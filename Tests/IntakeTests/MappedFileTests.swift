import Foundation
import Ingest
@testable import Intake
import Testing

/// Ingest maps its files rather than reading them (`MappedFile`), and gives back the pages the
/// reader has passed, so a large file is never resident whole.
@Suite("A mapped input file")
struct MappedFileTests {
    func file(_ bytes: [UInt8]) throws -> (URL, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("encompass-mapped-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("in.csv")
        try Data(bytes).write(to: url)
        return (dir, url)
    }

    /// The resident KiB of the mapping that starts at `address`, from the kernel's own account.
    func residentKiB(at address: UnsafeRawPointer) throws -> Int? {
        let start = String(UInt(bitPattern: address), radix: 16)
        // Read to the end: the kernel gives the file no size, and a whole-file read stops at 4 KiB.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let lines = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self).split(separator: "\n")
        guard var i = lines.firstIndex(where: { $0.hasPrefix(start + "-") }) else { return nil }
        while i + 1 < lines.count {
            i += 1
            let fields = lines[i].split(separator: " ", omittingEmptySubsequences: true)
            if fields.first == "Rss:" { return Int(fields[1]) }
        }
        return nil
    }

    @Test func theBytesAreTheFilesAndThosePassedAreGivenBack() throws {
        let bytes = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) }
        let (dir, url) = try file(bytes)
        defer { try? FileManager.default.removeItem(at: dir) }
        let mapped = try #require(MappedFile(path: url.path))
        let data = mapped.data
        #expect(data.count == bytes.count)
        #expect(data.elementsEqual(bytes), "every byte read, every page now resident")
        let base = try #require(data.withUnsafeBytes { $0.baseAddress })
        #expect(base == UnsafeRawPointer(mapped.address), "the data is the mapping, not a copy of it")
        let before = try #require(try residentKiB(at: base))
        #expect(before >= 4_000)
        // Given back up to a page boundary below the offset: the rest stays.
        let reached = mapped.release(from: 0, before: 3 << 20 + 100)
        #expect(reached == 3 << 20)
        #expect(mapped.release(from: reached, before: 3 << 20 + 200) == reached, "no whole page more was passed")
        let after = try #require(try residentKiB(at: base))
        #expect(after <= before - 3_000, "\(before) KiB resident before, \(after) after")
        // A page given back is read again from the file when touched.
        #expect(data.elementsEqual(bytes))
    }

    @Test func anEmptyFileIsNoBytesAndAFolderIsNotAFile() throws {
        let (dir, url) = try file([])
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = try #require(MappedFile(path: url.path))
        #expect(empty.data.isEmpty)
        #expect(empty.release(from: 0, before: 10) == 0)
        #expect(MappedFile(path: dir.path) == nil)
        #expect(MappedFile(path: dir.appendingPathComponent("missing.csv").path) == nil)
        let source = try #require(IntakeSource(mapping: url.path, name: "in.csv", format: .csv))
        #expect(source.data.isEmpty)
    }

    @Test func theDataKeepsTheMappingAfterTheFileValueGoes() throws {
        let bytes = Array("incident_id,reported_at\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 100_000)
        let (dir, url) = try file(bytes)
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try #require(MappedFile(path: url.path)).data
        #expect(data.elementsEqual(bytes))
    }
}
