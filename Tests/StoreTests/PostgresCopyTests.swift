import Foundation
import NIOCore
import PostgresNIO
@testable import PostgresStore
import StoreContract
import Testing

/// COPY rows written straight into bytes read back from a real PostgreSQL exactly as given: the
/// text format's escapes, NULL, the ends of the integers, doubles whole and not, and bytea.
@Suite("COPY rows against PostgreSQL")
struct PostgresCopyTests {
    static let texts = ["plain", "back\\slash", "tab\there", "new\nline", "carriage\rreturn", "\\N", "", "Zoë ☂ 𝄞", "\\\\x00"]
    static let ints: [Int64] = [0, 1, -1, 42, -987_654_321, .max, .min]
    static let doubles: [Double] = [0, -0.0, 1_764_835_365, 1_764_835_365.25, -3.5, 1e300, .leastNonzeroMagnitude, 0.1, 1e15, -1e15 + 1]
    static let blobs: [[UInt8]] = [[], [0], [0xff, 0x00, 0x5c, 0x0a], Array(0...255)]
    /// Lists of keys, kept as the text of a JSON array.
    static let lists: [[Int64]] = [[], [7], [1, -2, .max, .min]]

    @Test func everyValueReadsBackAsItWasGiven() async throws {
        let t = try await TempStore(.postgres)
        defer { t.cleanUp() }
        let store = try #require(t.store as? PostgresStore)
        let logger = store.logger
        let count = max(Self.texts.count, Self.ints.count, Self.doubles.count, Self.blobs.count, Self.lists.count)
        let back = try await store.write { conn in
            try await conn.run("CREATE TEMPORARY TABLE c (n bigint, t text, i bigint, d float8, b bytea, f bigint, l text)", logger)
            var rows = CopyRows(columns: 7)
            for n in 0..<count {
                rows.int(Int64(n))
                rows.text(n < Self.texts.count ? Self.texts[n] : nil)
                rows.int(n < Self.ints.count ? Int(Self.ints[n]) : nil)
                rows.double(n < Self.doubles.count ? Self.doubles[n] : nil)
                if n < Self.blobs.count { rows.bytes(Self.blobs[n]) } else { rows.null() }
                rows.flag(n % 3 == 0 ? nil : n % 3 == 1)
                if n < Self.lists.count { rows.intList(Self.lists[n]) } else { rows.null() }
                rows.endRow()
            }
            try await PostgresCopy.send(conn, logger, table: "c", columns: ["n", "t", "i", "d", "b", "f", "l"], rows)
            return try await conn.rows("SELECT t, i, d, b, f, l FROM c ORDER BY n", logger,
                                       as: (String?, Int64?, Double?, ByteBuffer?, Int64?, String?).self)
        }
        #expect(back.count == count)
        for (n, row) in back.enumerated() {
            #expect(row.0 == (n < Self.texts.count ? Self.texts[n] : nil), "text \(n)")
            #expect(row.1 == (n < Self.ints.count ? Self.ints[n] : nil), "int \(n)")
            if n < Self.doubles.count {
                #expect(row.2?.bitPattern == Self.doubles[n].bitPattern, "double \(n): \(String(describing: row.2))")
            } else {
                #expect(row.2 == nil)
            }
            #expect(row.3.map { Array($0.readableBytesView) } == (n < Self.blobs.count ? Self.blobs[n] : nil), "bytes \(n)")
            #expect(row.4 == (n % 3 == 0 ? nil : (n % 3 == 1 ? 1 : 0)), "flag \(n)")
            #expect(row.5 == (n < Self.lists.count ? "[" + Self.lists[n].map(String.init).joined(separator: ",") + "]" : nil), "list \(n)")
        }
    }

    @Test func aRowWithTheWrongNumberOfFieldsIsRefusedAndNothingIsSent() async throws {
        let t = try await TempStore(.postgres)
        defer { t.cleanUp() }
        let store = try #require(t.store as? PostgresStore)
        let logger = store.logger
        await #expect(throws: StoreError.self) {
            try await store.write { conn in
                try await conn.run("CREATE TABLE c (a bigint, b bigint)", logger)
                var rows = CopyRows(columns: 2)
                rows.int(1); rows.int(2); rows.endRow()
                rows.int(3); rows.endRow()
                try await PostgresCopy.send(conn, logger, table: "c", columns: ["a", "b"], rows)
            }
        }
        let left = try await store.write { conn in
            try await conn.row("SELECT to_regclass('c') IS NULL", logger, as: Bool.self)
        }
        #expect(left == true, "the transaction was rolled back")
    }
}
