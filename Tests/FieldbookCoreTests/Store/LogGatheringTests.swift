import CSQLiteSettings
import FieldbookTestSupport
import Foundation
import GRDB
import GRDBSQLite
import Testing

@testable import FieldbookCore

/// A store's writer gathers its log's writes into runs (CSQLiteSettings, logbuffer.c): what the
/// log holds, what other connections read and when, are as before.
@Suite struct LogGatheringTests {
    /// The table's whole length and count as another connection reads them.
    private func seen(_ path: String) throws -> (rows: Int, tags: Int, check: String) {
        // SQLite's own VFS, not the one in front of it: the file as any other program reads it.
        var handle: OpaquePointer?
        defer { sqlite3_close(handle) }
        try #require(sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, "unix") == SQLITE_OK)
        var statement: OpaquePointer?
        defer { sqlite3_finalize(statement) }
        var check = "?"
        if sqlite3_prepare_v2(handle, "PRAGMA integrity_check", -1, &statement, nil) == SQLITE_OK, sqlite3_step(statement) == SQLITE_ROW {
            check = String(cString: sqlite3_column_text(statement, 0))
        }
        return (integer(handle, "SELECT count(*) FROM scratch") ?? -1, integer(handle, "SELECT total(tag) FROM scratch") ?? -1, check)
    }

    /// A store's write transactions gather (the store syncs at each commit); a connection that
    /// does not sync at each commit is refused, and one set so since stops.
    @Test func aStoresWritesGatherAndOnlyWhereEachCommitIsSynced() throws {
        let dir = TemporaryDirectory()
        let store = try makeOfficeStore(in: dir)
        #expect(Store.logGatheringInstalled)
        #expect(try store.write { db in fieldbook_log_gathering_on(db.sqliteConnection) } == 1)
        let other = try DatabaseQueue(path: store.path)
        try other.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "SELECT count(*) FROM device")
            #expect(fieldbook_log_gathering_on(db.sqliteConnection) == 0)
            try db.execute(sql: "PRAGMA synchronous = FULL")
            #expect(fieldbook_log_gathering_on(db.sqliteConnection) == 1)
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            #expect(fieldbook_log_gathering_on(db.sqliteConnection) == 0)
        }
        // A connection whose log is not open yet has nothing to gather.
        var handle: OpaquePointer?
        #expect(sqlite3_open_v2(dir.path("new.sqlite"), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK)
        #expect(fieldbook_log_gathering_on(handle) == 0)
        sqlite3_close(handle)
    }

    /// A transaction far bigger than the cache spills pages to the log, reads them back and writes
    /// some again in place, all while gathered; another connection meanwhile reads the last commit
    /// whole, and after each commit the new one; SQLite's own VFS reads the file the same.
    @Test func whatIsGatheredIsReadBackAndSeenByOthersAfterEachCommit() throws {
        let dir = TemporaryDirectory()
        let store = try makeOfficeStore(in: dir)
        try store.write { db in
            #expect(fieldbook_log_gathering_on(db.sqliteConnection) == 1)
            try db.execute(sql: "PRAGMA cache_size = 50")
            try fillScratch(db, 3000, tag: 1)
            // Every row read back and rewritten: pages spilled to the log come back, and those
            // spilled twice are written over their frame of this transaction.
            try db.execute(sql: "UPDATE scratch SET x = randomblob(3900) WHERE n % 2 = 0")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM scratch WHERE length(x) = 3900") == 3000)
        }
        #expect(try seen(store.path) == (3000, 3000, "ok"))
        try store.write { db in
            try db.execute(sql: "PRAGMA cache_size = 50")
            try fillScratch(db, 2000, tag: 2)
            try db.execute(sql: "UPDATE scratch SET tag = tag + 10 WHERE n % 3 = 0")
            // Meanwhile another reads the last commit, whole, not what is gathered since.
            #expect(try seen(store.path) == (3000, 3000, "ok"))
        }
        let tags = 3000 * 1 + 2000 * 2 + 10 * (1000 + 666)
        #expect(try seen(store.path) == (5000, tags, "ok"))
        store.releaseLog()
        #expect(fileSize(store.path + "-wal") == 0)
        #expect(try seen(store.path) == (5000, tags, "ok"))
    }
}
