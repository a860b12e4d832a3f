import GRDB
import GRDBSQLite

/// A prepared statement driven through SQLite's C API, for the few loops that touch every row of a
/// large ingest: GRDB's argument arrays cost several times the insert itself there. Used only
/// inside one GRDB access block, on that block's connection, and finalised when released.
final class SQLiteRawStatement {
    private let db: Database
    private var handle: OpaquePointer?

    init(_ db: Database, _ sql: String) throws {
        self.db = db
        let rc = sqlite3_prepare_v2(db.sqliteConnection, sql, -1, &handle, nil)
        guard rc == SQLITE_OK else { throw Self.error(db, rc) }
    }

    deinit { sqlite3_finalize(handle) }

    func bind(_ i: Int32, _ value: String?) {
        guard let value else { sqlite3_bind_null(handle, i); return }
        var v = value
        v.withUTF8 { buf in
            _ = sqlite3_bind_text(handle, i, UnsafeRawPointer(buf.baseAddress!).assumingMemoryBound(to: CChar.self),
                                  Int32(buf.count), SQLITE_TRANSIENT)
        }
    }

    /// Binds bytes that stay valid and unchanged until the statement is next reset.
    func bindStatic(_ i: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        // An empty buffer may have no address, and SQLite reads a null pointer as NULL, not "".
        let empty: StaticString = ""
        let p = UnsafeRawPointer(bytes.baseAddress ?? empty.utf8Start)
        _ = sqlite3_bind_text(handle, i, p.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
    }

    /// Binds bytes as a BLOB that stay valid and unchanged until the statement is next reset.
    func bindStaticBlob(_ i: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        _ = sqlite3_bind_blob(handle, i, bytes.baseAddress, Int32(bytes.count), nil)
    }

    func bindNull(_ i: Int32) { sqlite3_bind_null(handle, i) }

    func bind(_ i: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, i, value) } else { sqlite3_bind_null(handle, i) }
    }

    func bind(_ i: Int32, _ value: Double) { sqlite3_bind_double(handle, i, value) }

    func bind(_ i: Int32, _ value: Double?) {
        if let value { bind(i, value) } else { sqlite3_bind_null(handle, i) }
    }

    /// Runs a statement that returns no rows, and readies it for the next binding.
    func run() throws {
        let rc = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else { throw Self.error(db, rc) }
    }

    /// The current result row, valid only inside `rows` or `row`.
    struct Columns {
        let handle: OpaquePointer?
        func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
        func double(_ i: Int32) -> Double { sqlite3_column_double(handle, i) }
        func optionalDouble(_ i: Int32) -> Double? {
            sqlite3_column_type(handle, i) == SQLITE_NULL ? nil : double(i)
        }
        func optionalText(_ i: Int32) -> String? {
            sqlite3_column_type(handle, i) == SQLITE_NULL ? nil : text(i)
        }
        func blob(_ i: Int32) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: sqlite3_column_blob(handle, i), count: Int(sqlite3_column_bytes(handle, i)))
        }
        func isBlob(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_BLOB }
        func text(_ i: Int32) -> String {
            guard let p = sqlite3_column_text(handle, i) else { return "" }
            return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, i))), as: UTF8.self)
        }
    }

    /// Steps through every result row.
    func rows(_ body: (Columns) throws -> Void) throws {
        defer { sqlite3_reset(handle) }
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw Self.error(db, rc) }
            try body(Columns(handle: handle))
        }
    }

    /// Steps once: the next row's columns, or nil (and the statement reset) after the last.
    func next() throws -> Columns? {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return Columns(handle: handle) }
        sqlite3_reset(handle)
        guard rc == SQLITE_DONE else { throw Self.error(db, rc) }
        return nil
    }

    /// The first result row's value for one text parameter, or nil when there is none.
    func row<T>(binding text: String, _ body: (Columns) throws -> T) throws -> T? {
        bind(1, text)
        return try row(body)
    }

    /// The first result row's value, or nil when there is none.
    func row<T>(_ body: (Columns) throws -> T) throws -> T? {
        defer { sqlite3_reset(handle) }
        let rc = sqlite3_step(handle)
        if rc == SQLITE_DONE { return nil }
        guard rc == SQLITE_ROW else { throw Self.error(db, rc) }
        return try body(Columns(handle: handle))
    }

    private static func error(_ db: Database, _ rc: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
    }
}

/// SQLite's "copy the value now" destructor, which the C macro expresses as a cast of -1.
private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
