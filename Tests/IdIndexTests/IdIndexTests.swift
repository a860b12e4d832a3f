import IdIndex
import Testing

@Suite("Compact indexes of ids")
struct IdIndexTests {
    /// Ids of every length from empty to past two 8-byte words, some not ASCII, some alike but for
    /// one byte at the start, the middle or the end.
    static var ids: [String] {
        var ids = [""]
        for n in 1...40 { ids.append(String(repeating: "x", count: n)) }
        for i in 0..<20_000 {
            ids.append("C-\(i)")
            let digits = String(i)
            ids.append("PPN-2026-" + String(repeating: "0", count: 7 - digits.count) + digits + "-CHILD")
            ids.append("\(i)-Zoë-ÁÉ")
        }
        ids.append("ab"); ids.append("ba"); ids.append("a\u{0}"); ids.append("a")
        return ids
    }

    @Test func numberingGivesEachIdOneNumberInTheOrderFirstGiven() {
        var numbering = IdNumbering()
        let ids = Self.ids
        for (n, id) in ids.enumerated() {
            let (number, isNew) = numbering.number(id)
            #expect(isNew && number == n, "\(id)")
        }
        #expect(numbering.count == ids.count)
        // Asked again, in another order, each id has its number (the table grew many times).
        for (n, id) in ids.enumerated().reversed() {
            let (number, isNew) = numbering.number(id)
            #expect(!isNew && number == n, "\(id)")
            #expect(numbering.id(n) == id)
        }
        #expect(numbering.count == ids.count)
    }

    @Test func aHashSetSaysWhetherAHashWasInsertedBefore() {
        var set = IdHashSet()
        let hashes = Self.ids.map(IdHash.of)
        #expect(Set(hashes).count == hashes.count, "no two of these ids share a hash")
        for h in hashes {
            let inserted = set.insert(h)
            #expect(inserted)
        }
        for h in hashes {
            let inserted = set.insert(h)
            #expect(!inserted)
            #expect(set.contains(h))
        }
        #expect(set.count == hashes.count)
        #expect(!set.contains(IdHash.of("never inserted")))
        // 0 is a hash like any other.
        var small = IdHashSet(capacity: 1)
        let first = small.insert(0), second = small.insert(0)
        #expect(first && !second && small.contains(0))
        small.reserve(1_000)
        #expect(small.contains(0) && small.count == 1)
    }

    @Test func theHashReadsEveryByte() {
        // Alike but for one byte anywhere, at every length up to past two words.
        for n in 1...24 {
            let base = Array(repeating: UInt8(ascii: "a"), count: n)
            var hashes: Set<UInt64> = [base.withUnsafeBufferPointer(IdHash.of)]
            for i in 0..<n {
                var changed = base
                changed[i] = UInt8(ascii: "b")
                hashes.insert(changed.withUnsafeBufferPointer(IdHash.of))
            }
            #expect(hashes.count == n + 1, "length \(n)")
        }
        #expect(IdHash.of("Zoë") == Array("Zoë".utf8).withUnsafeBufferPointer(IdHash.of))
    }
}
