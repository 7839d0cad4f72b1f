import CSQLiteSettings
import FieldbookTestSupport
import Foundation
import GRDB
import GRDBSQLite
import Testing

@testable import FieldbookCore

/// Attacks on the log-gathering VFS (logbuffer.c): what a connection gathered for a transaction it
/// rolled back stays in its buffer, and is read back or written out after another connection (another
/// fieldbook command on the same store) has committed frames at the same place in the log.
@Suite struct LogGatheringAttackTests {
    /// The store as another program reads it (SQLite's own VFS): its integrity check, and how many
    /// rows of `tag` the scratch table holds.
    private func seen(_ path: String, tag: Int) -> (check: String, rows: Int) {
        var handle: OpaquePointer?
        defer { sqlite3_close(handle) }
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, "unix") == SQLITE_OK else { return ("cannot open", -1) }
        var statement: OpaquePointer?
        var check = "?"
        if sqlite3_prepare_v2(handle, "PRAGMA integrity_check", -1, &statement, nil) == SQLITE_OK, sqlite3_step(statement) == SQLITE_ROW {
            check = String(cString: sqlite3_column_text(statement, 0))
        } else {
            check = String(cString: sqlite3_errmsg(handle))
        }
        sqlite3_finalize(statement)
        var rows = -1
        if sqlite3_prepare_v2(handle, "SELECT count(*) FROM scratch WHERE tag = \(tag)", -1, &statement, nil) == SQLITE_OK, sqlite3_step(statement) == SQLITE_ROW {
            rows = Int(sqlite3_column_int64(statement, 0))
        }
        sqlite3_finalize(statement)
        return (check, rows)
    }

    /// Two commands on one store (here two Stores in one process, each its own connection, as two
    /// `fieldbook` processes would be): the first spills pages to the log in a transaction it rolls
    /// back (a dry run, a refused bundle), then the second commits.
    private func rolledBackThenOtherCommits(_ dir: TemporaryDirectory) throws -> (first: Store, second: Store) {
        let first = try makeOfficeStore(in: dir)
        // The log started afresh, so that the next commits append to it (no restart in between).
        first.releaseLog()
        try first.write { db in try fillScratch(db, 1, tag: 0) }
        let second = try Store.open(at: first.path)
        #expect(try second.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM scratch") } == 1)
        // A dry run that spills about 150 pages into the log (gathered), then rolls back.
        try first.writeAndRollBack { db in
            try db.execute(sql: "PRAGMA cache_size = 20")
            try fillScratch(db, 150, tag: 1)
        }
        // Another command records five rows: its frames go where the rolled-back ones were.
        try second.write { db in try fillScratch(db, 5, tag: 2) }
        #expect(seen(first.path, tag: 2) == ("ok", 5))
        return (first, second)
    }

    /// The first connection reads the second's commit: from its buffer, the rolled-back frames.
    @Test func aRolledBackTransactionsFramesAreNotReadInPlaceOfAnotherCommit() throws {
        let dir = TemporaryDirectory()
        let (first, _) = try rolledBackThenOtherCommits(dir)
        let rows = try? first.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM scratch WHERE tag = 2") }
        #expect(rows == 5)
        let check = try? first.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
        #expect(check == "ok")
    }

    /// The first connection commits afterwards: its commit's sync writes out the rolled-back frames
    /// over the second's committed ones.
    @Test func aRolledBackTransactionsFramesAreNotWrittenOverAnotherCommit() throws {
        let dir = TemporaryDirectory()
        let (first, second) = try rolledBackThenOtherCommits(dir)
        #expect(throws: Never.self) { try first.write { db in try db.execute(sql: "INSERT INTO scratch VALUES (1, 3, x'00')") } }
        #expect(seen(first.path, tag: 2) == ("ok", 5))
        #expect(seen(first.path, tag: 3) == ("ok", 1))
        _ = second
    }

    /// The first connection only closes: its close writes out the rolled-back frames over the
    /// second's committed ones, and the next opening finds the second's commit gone.
    @Test func aRolledBackTransactionsFramesAreNotWrittenOutAtClose() throws {
        let dir = TemporaryDirectory()
        var second: Store?
        let path: String
        do {
            let stores = try rolledBackThenOtherCommits(dir)
            second = stores.second
            path = stores.first.path
        }  // the first store goes, and its connection closes
        #expect(seen(path, tag: 2) == ("ok", 5))
        _ = second
        second = nil  // the last connection closes: the log is copied into the store and removed
        #expect(seen(path, tag: 2) == ("ok", 5))
    }

    /// Gathering outlives the store's transaction it was asked for: the same connection, set to
    /// synchronous NORMAL afterwards (SQLite's and GRDB's usual WAL setting), commits without a
    /// sync, so its commit is published to other connections, and acknowledged, while only in
    /// memory: others cannot read it, and a crash of the program (which NORMAL survives) loses it.
    @Test func gatheringEndsWithTheStoresTransaction() throws {
        let dir = TemporaryDirectory()
        let store = try makeOfficeStore(in: dir)
        try store.write { db in try fillScratch(db, 1, tag: 0) }
        try store.dbQueue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try fillScratch(db, 3, tag: 4)
        }
        #expect(seen(store.path, tag: 4) == ("ok", 3))
    }

    /// The log's gathering does not rest on its caller ending it: once a transaction rolls back
    /// and its connection gives up the log's write lock, nothing of it stays gathered. Through GRDB
    /// a store's body cannot go on in a transaction SQLite rolled back under it ("Transaction was
    /// aborted"); a connection of SQLite's own calls can, and reads and writes the log after that
    /// without fieldbook_log_gathering_off.
    @Test func nothingGatheredOutlivesTheLogsWriteLock() throws {
        let dir = TemporaryDirectory()
        let store = try makeOfficeStore(in: dir)
        store.releaseLog()
        try store.write { db in try fillScratch(db, 1, tag: 0) }
        let first = try rawConnection(store.path), second = try rawConnection(store.path)
        defer { sqlite3_close(first); sqlite3_close(second) }
        #expect(sqlite3_exec(first, "BEGIN IMMEDIATE", nil, nil, nil) == SQLITE_OK)
        #expect(fieldbook_log_gathering_on(first) == 1)
        let spill = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150) INSERT INTO scratch SELECT i, 1, randomblob(3900) FROM n"
        #expect(sqlite3_exec(first, spill, nil, nil, nil) == SQLITE_OK)
        #expect(sqlite3_exec(first, "ROLLBACK", nil, nil, nil) == SQLITE_OK)
        let five = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) INSERT INTO scratch SELECT i, 2, randomblob(3900) FROM n"
        #expect(sqlite3_exec(second, five, nil, nil, nil) == SQLITE_OK)
        // The first reads the second's commit, not its own rolled-back frames, and commits after it.
        #expect(integer(first, "SELECT count(*) FROM scratch WHERE tag = 2") == 5)
        #expect(sqlite3_exec(first, "INSERT INTO scratch VALUES (1, 3, x'00')", nil, nil, nil) == SQLITE_OK)
        #expect(seen(store.path, tag: 2) == ("ok", 5))
        #expect(seen(store.path, tag: 3) == ("ok", 1))
    }

    /// In exclusive locking mode SQLite takes no shared-memory locks, so the write lock is never
    /// given up there: what a transaction rolled back in that mode gathered is written out as the
    /// connection leaves the mode (its lock on the database's file goes), while it is still alone.
    @Test func nothingGatheredOutlivesExclusiveLockingMode() throws {
        let dir = TemporaryDirectory()
        let path: String
        do {
            // The store's own connection closed: exclusive mode wants the file to itself.
            let store = try makeOfficeStore(in: dir)
            try store.write { db in try fillScratch(db, 1, tag: 0) }
            path = store.path
        }
        let first = try rawConnection(path)
        defer { sqlite3_close(first) }
        #expect(sqlite3_exec(first, "PRAGMA locking_mode = EXCLUSIVE", nil, nil, nil) == SQLITE_OK)
        #expect(sqlite3_exec(first, "BEGIN IMMEDIATE", nil, nil, nil) == SQLITE_OK)
        #expect(fieldbook_log_gathering_on(first) == 1)
        let spill = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150) INSERT INTO scratch SELECT i, 1, randomblob(3900) FROM n"
        #expect(sqlite3_exec(first, spill, nil, nil, nil) == SQLITE_OK)
        #expect(sqlite3_exec(first, "PRAGMA locking_mode = NORMAL", nil, nil, nil) == SQLITE_OK)
        #expect(sqlite3_exec(first, "ROLLBACK", nil, nil, nil) == SQLITE_OK)
        let second = try rawConnection(path)
        defer { sqlite3_close(second) }
        sqlite3_busy_timeout(second, 2000)
        let five = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) INSERT INTO scratch SELECT i, 2, randomblob(3900) FROM n"
        #expect(sqlite3_exec(second, five, nil, nil, nil) == SQLITE_OK)
        #expect(integer(first, "SELECT count(*) FROM scratch WHERE tag = 2") == 5)
        #expect(sqlite3_exec(first, "INSERT INTO scratch VALUES (1, 3, x'00')", nil, nil, nil) == SQLITE_OK)
        #expect(seen(path, tag: 2) == ("ok", 5))
        #expect(seen(path, tag: 3) == ("ok", 1))
    }

    /// A connection set to another synchronous (SQLite allows it only between transactions) stops
    /// gathering there, until it is asked again, where the setting is checked: set to NORMAL, it
    /// commits without a sync, and SQLite tells other connections of that commit while it would
    /// still be gathered.
    @Test func settingSynchronousEndsGathering() throws {
        let dir = TemporaryDirectory()
        let store = try makeOfficeStore(in: dir)
        store.releaseLog()
        try store.write { db in try fillScratch(db, 1, tag: 0) }
        let first = try rawConnection(store.path)
        defer { sqlite3_close(first) }
        let spill = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150) INSERT INTO scratch SELECT i, 1, randomblob(3900) FROM n"
        // Gathering asked once: about 150 pages spilled, under a mebibyte, all of them gathered.
        #expect(sqlite3_exec(first, "BEGIN IMMEDIATE", nil, nil, nil) == SQLITE_OK)
        #expect(fieldbook_log_gathering_on(first) == 1)
        var before = fileSize(store.path + "-wal")
        #expect(sqlite3_exec(first, spill, nil, nil, nil) == SQLITE_OK)
        #expect(fileSize(store.path + "-wal") < before + 20 * 4096)
        #expect(sqlite3_exec(first, "COMMIT", nil, nil, nil) == SQLITE_OK)
        // Set to NORMAL: the next transaction's spills reach the file as they come.
        #expect(sqlite3_exec(first, "PRAGMA synchronous = NORMAL", nil, nil, nil) == SQLITE_OK)
        #expect(sqlite3_exec(first, "BEGIN IMMEDIATE", nil, nil, nil) == SQLITE_OK)
        before = fileSize(store.path + "-wal")
        #expect(sqlite3_exec(first, spill.replacingOccurrences(of: ", 1, ", with: ", 4, "), nil, nil, nil) == SQLITE_OK)
        #expect(fileSize(store.path + "-wal") > before + 100 * 4096)
        #expect(sqlite3_exec(first, "COMMIT", nil, nil, nil) == SQLITE_OK)
        #expect(seen(store.path, tag: 4) == ("ok", 150))
    }
}
