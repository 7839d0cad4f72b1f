import CSQLiteSettings
import FieldbookTestSupport
import Foundation
import GRDB
import GRDBSQLite
import Testing

@testable import FieldbookCore

/// The log copied into the store on a thread of its own during a run of writes (a merge's bundles).
@Suite struct LogCheckpointsTests {
    private func autocheckpoint(_ store: Store) throws -> Int {
        try store.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? -1 }
    }

    /// The writer makes no checkpoint of its own meanwhile: what reaches the store file is what a
    /// commit reported asked for, and all of it has when the run ends; then the writer checkpoints
    /// by itself again.
    @Test func theCommitsReportedReachTheStoreFileAndNothingElseDoes() throws {
        let dir = TemporaryDirectory()
        let store = try makeOfficeStore(in: dir)
        let file = store.path
        try writePages(store, 50)
        store.releaseLog()
        let start = fileSize(file)
        try store.withLogCheckpointedAside(limit: 1 << 40) { checkpoints in
            let checkpoints = try #require(checkpoints)
            #expect(try autocheckpoint(store) == 0)
            // Two thousand pages, far past SQLite's own checkpoint (a thousand), and not reported.
            try writePages(store, 2000)
            #expect(fileSize(file) == start)
            #expect(fileSize(file + "-wal") > 2000 * 4096)
            checkpoints.committed()
            checkpoints.waitForCopies()
            #expect(fileSize(file) > start + 1900 * 4096)
            try writePages(store, 500)
            checkpoints.committed()
        }
        // Every checkpoint asked for has run: the log has nothing the store file lacks.
        let copied = try DatabaseQueue(path: file).writeWithoutTransaction { db in
            try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")
        }
        let busy: Int? = copied?[0], frames: Int? = copied?[1], done: Int? = copied?[2]
        #expect(busy == 0 && frames == done)
        #expect(fileSize(file) > start + 2400 * 4096)
        #expect(try autocheckpoint(store) == 1000)
        #expect(try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM scratch") } == 2550)
    }

    /// Past its limit the log is not let grow: the writer waits for the copy, and the next write
    /// starts the log afresh, so it holds about one transaction; below the limit it holds them all.
    @Test func theLogStartsAfreshOncePastItsLimit() throws {
        func longestLog(limit: Int64) throws -> Int64 {
            let dir = TemporaryDirectory()
            let store = try makeOfficeStore(in: dir)
            store.releaseLog()
            var longest: Int64 = 0
            try store.withLogCheckpointedAside(limit: limit) { checkpoints in
                let checkpoints = try #require(checkpoints)
                for _ in 0..<6 {
                    try writePages(store, 300)
                    longest = max(longest, fileSize(store.path + "-wal"))
                    checkpoints.committed()
                }
            }
            return longest
        }
        let transaction: Int64 = 300 * 4096
        #expect(try longestLog(limit: 1) < 2 * transaction)
        #expect(try longestLog(limit: 1 << 40) > 5 * transaction)
    }

    /// The limit is a quarter of the disk's free space, never more than a gigabyte.
    @Test func theLimitIsAQuarterOfTheFreeSpaceUpToAGigabyte() throws {
        let dir = TemporaryDirectory()
        var stats = statvfs()
        #expect(statvfs(dir.path(""), &stats) == 0)
        let free = Int64(stats.f_bavail) * Int64(stats.f_frsize)
        let limit = Store.logLimit(dir.path("office.sqlite"))
        #expect(limit == min(1 << 30, free / 4) || abs(limit - min(1 << 30, free / 4)) < 64 << 20)
        #expect(limit <= 1 << 30)
    }
}

/// SQLite's process-wide settings (CSQLiteSettings), made before the first store is opened.
@Suite struct SQLiteSettingsTests {
    /// Made as the program was loaded, before any test could use SQLite (tests run in parallel, in
    /// no order, and many open a database before any store), whatever ran first: SQLite counts no
    /// memory (its statistics are off), with a store open and its connection in use.
    @Test func memoryStatisticsAreOffOnceTheSettingsAreMade() throws {
        #expect(fieldbook_sqlite_memstatus_off() == SQLITE_OK)
        #expect(Store.sqliteSettingsMade)
        let dir = TemporaryDirectory()
        let store = try makeOfficeStore(in: dir)
        let (devices, used) = try store.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM device"), sqlite3_memory_used())
        }
        #expect(devices == 1)
        #expect(used == 0)
    }
}
