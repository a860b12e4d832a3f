import CivilTime
import Foundation

/// A growing UTF-8 buffer with JSON's string escaping, in memory of its own.
///
/// Why not an `[UInt8]`: the queue's document is about a hundred appends a child, and an Array's
/// append checks uniqueness and capacity through the standard library's generic code each time;
/// that was most of the time `escalations --json` spent writing (a million-row store: 117,000
/// children, 46 MB). Here an append is one comparison and one copy. Noncopyable, so the memory
/// has one owner and is freed once.
struct JSONBytes: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// A copy of what is written.
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// What is written, in place: valid only inside `body`.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Empties the buffer and keeps its memory, for the next block of a long document.
    mutating func removeAll() { count = 0 }

    @inline(__always) private mutating func reserve(_ n: Int) {
        if n > capacity - count { grow(to: count + n) }
    }

    private mutating func grow(to needed: Int) {
        let bigger = max(needed, capacity * 2)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: bigger)
        moved.initialize(from: base, count: count)
        base.deallocate()
        (base, capacity) = (moved, bigger)
    }

    @inline(__always) mutating func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    private mutating func append(_ buf: UnsafeBufferPointer<UInt8>) {
        guard let from = buf.baseAddress else { return }
        reserve(buf.count)
        (base + count).initialize(from: from, count: buf.count)
        count += buf.count
    }

    /// Bytes already rendered: a queue entry's object, written while the scan read it.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        append(bytes.bindMemory(to: UInt8.self))
    }

    /// Text written as it is: the document's own punctuation and keys.
    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { append($0) }
    }

    /// Text written as it is: names the code gives (a level, a rule), never input. Named apart from
    /// `raw`, so a literal is always the StaticString one.
    mutating func verbatim(_ s: String) {
        var s = s
        s.withUTF8 { append($0) }
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { buf in
            if !buf.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x3C }) {
                reserve(buf.count + 2)
                byte(0x22)
                append(buf)
                byte(0x22)
            } else {
                verbatim(JSONText.string(String(decoding: buf, as: UTF8.self)))
            }
        }
    }

    /// `JSONText.utc` as a JSON string, written digit by digit: every queue entry has one.
    mutating func utc(_ d: Date) {
        let t = d.timeIntervalSince1970
        let whole = t.rounded(.down)
        guard t == whole, abs(whole) < 1e12 else { string(JSONText.utc(d)); return }
        let days = Int((whole / 86_400).rounded(.down))
        let secs = Int(whole) - days * 86_400
        let date = LocalDate(daysSinceEpoch: days)
        guard (0...9999).contains(date.year) else { string(JSONText.utc(d)); return }
        func digits(_ v: Int, _ n: Int) {
            var div = 1
            for _ in 1..<n { div *= 10 }
            while div > 0 { byte(UInt8(0x30 + v / div % 10)); div /= 10 }
        }
        byte(0x22)
        digits(date.year, 4); byte(0x2D); digits(date.month, 2); byte(0x2D); digits(date.day, 2)
        byte(0x54)
        digits(secs / 3600, 2); byte(0x3A); digits(secs % 3600 / 60, 2); byte(0x3A); digits(secs % 60, 2)
        byte(0x5A); byte(0x22)
    }

    mutating func array(_ items: [String]) {
        byte(0x5B)
        for i in items.indices {
            if i > 0 { byte(0x2C); byte(0x20) }
            string(items[i])
        }
        byte(0x5D)
    }
}
