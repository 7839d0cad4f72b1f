import Foundation
import GRDB
import GRDBSQLite
import Testing

/// Rows of about a page each (`scratch`: a number, a tag, 3,900 random bytes), `count` of them
/// tagged `tag`: a few make a transaction spill pages to the log past a small cache.
func fillScratch(_ db: Database, _ count: Int, tag: Int) throws {
    try db.execute(sql: "CREATE TABLE IF NOT EXISTS scratch (n INTEGER, tag INTEGER, x BLOB)")
    try db.execute(
        sql: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) INSERT INTO scratch SELECT i, ?, randomblob(3900) FROM n",
        arguments: [count, tag])
}

/// A connection of SQLite's own calls to the store at `path` (through the process's VFS, with
/// gathering only where the test asks for it), synced at each commit, with a cache of 20 pages.
func rawConnection(_ path: String) throws -> OpaquePointer? {
    var handle: OpaquePointer?
    try #require(sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK)
    #expect(sqlite3_exec(handle, "PRAGMA synchronous = FULL; PRAGMA cache_size = 20", nil, nil, nil) == SQLITE_OK)
    return handle
}

/// The first column of the first row `sql` gives on `handle`, nil when it fails.
func integer(_ handle: OpaquePointer?, _ sql: String) -> Int? {
    var statement: OpaquePointer?
    defer { sqlite3_finalize(statement) }
    guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, sqlite3_step(statement) == SQLITE_ROW else { return nil }
    return Int(sqlite3_column_int64(statement, 0))
}
