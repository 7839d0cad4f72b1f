import GRDB
import GRDBSQLite

extension Statement {
    /// Runs this prepared statement with SQLite's own calls. GRDB's handling of arguments costs
    /// about as much as a small insert itself, and the roster import and the merge run one per row,
    /// hundreds of thousands of times. A step that fails throws what failed, as GRDB reports it.
    func executeDirectly(_ values: [DatabaseValue]) throws {
        try executeDirectly { handle in
            var code = SQLITE_OK
            for (index, value) in values.enumerated() where code == SQLITE_OK {
                code = Self.bind(value, handle, CInt(index + 1))
            }
            return code
        }
    }

    /// Runs this prepared statement with the arguments `bind` binds (returning SQLite's code).
    func executeDirectly(_ bind: (OpaquePointer) -> CInt) throws {
        let code = stepDirectly(bind)
        if code != SQLITE_DONE {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(sqliteStatement))), sql: sql)
        }
    }

    /// Binds with `bind` (which returns SQLite's code), takes one step and resets: the step's code.
    private func stepDirectly(_ bind: (OpaquePointer) -> CInt) -> CInt {
        let handle = sqliteStatement
        var code = sqlite3_reset(handle)
        if code == SQLITE_OK { code = bind(handle) }
        if code == SQLITE_OK { code = sqlite3_step(handle) }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        return code
    }

    /// Binds one value at `index` (from 1).
    static func bind(_ value: DatabaseValue, _ handle: OpaquePointer, _ index: CInt) -> CInt {
        if case .string(let text) = value.storage { return bind(text, handle, index) }
        return value.bind(to: handle, at: index)
    }

    /// Binds a text from its bytes in place: GRDB passes a String as a C string, which copies every
    /// short one (a kind, an op, a date) into an array of its own on the heap.
    static func bind(_ text: String, _ handle: OpaquePointer, _ index: CInt) -> CInt {
        var text = text
        return text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                sqlite3_bind_text(handle, index, chars.baseAddress ?? emptyText, CInt(chars.count), transient)
            }
        }
    }

    static func bind(_ number: Int64, _ handle: OpaquePointer, _ index: CInt) -> CInt {
        sqlite3_bind_int64(handle, index, number)
    }

    /// A text of no bytes (a null pointer would bind NULL).
    private static var emptyText: UnsafePointer<CChar> {
        UnsafeRawPointer(("" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
    }

    /// SQLite's `SQLITE_TRANSIENT`: it copies the bytes before the call returns.
    private static var transient: sqlite3_destructor_type {
        unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
    }
}
