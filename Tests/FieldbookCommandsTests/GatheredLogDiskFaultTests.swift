import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// A store's gathered log (logbuffer.c) on a disk that fills up: write transactions far bigger than
/// the page cache, so that pages spill to the log (gathered) and are read back, until the disk
/// refuses; the failure is the disk's, named; every acknowledged commit is kept; space again, the
/// log's space is given back and writing goes on.
@Suite("The gathered log on a full disk", .serialized, .enabled(if: LoopMount.available, "\(LoopMount.why)"))
struct GatheredLogDiskFaultTests {
    /// The store as another connection reads it: its integrity check and its scratch rows.
    private func count(_ path: String) -> (check: String, rows: Int) {
        var configuration = Configuration()
        configuration.readonly = true
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return ("cannot open", -1) }
        defer { try? queue.close() }
        let check = (try? queue.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }) ?? "error"
        let rows = (try? queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM scratch") }) ?? -1
        return (check, rows)
    }

    @Test("spilling write transactions until the disk is full: the disk named, every commit kept, space given back")
    func spillingUntilFull() throws {
        let disk = try LoopMount(megabytes: 24)
        defer { disk.close() }
        let path = disk.path("office.sqlite")
        var rows = 0
        do {
            let store = try Store.create(at: path, setup: DeviceSetup(name: "巡察办", round: "五届第五轮", central: true))
            try store.write { db in
                try db.execute(sql: "CREATE TABLE scratch (n INTEGER, x BLOB)")
                try db.execute(sql: "INSERT INTO scratch VALUES (0, randomblob(10))")
            }
            rows = 1
            try disk.fill(leaving: 3 << 20)
            var failure: (any Error)?
            for round in 1...40 {
                do {
                    try store.write { db in
                        try db.execute(sql: "PRAGMA cache_size = 30")
                        // About 250 pages, and half of them read back and written again.
                        try db.execute(
                            sql: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 250) INSERT INTO scratch SELECT ?, randomblob(3900) FROM n",
                            arguments: [round])
                        try db.execute(sql: "UPDATE scratch SET x = randomblob(3900) WHERE n = ? AND rowid % 2 = 0", arguments: [round])
                    }
                    rows += 250
                } catch {
                    failure = error
                    break
                }
            }
            let error = try #require(failure, "the disk never filled")
            // Some spilling transactions went through before the disk refused one.
            #expect(rows > 250, "\(rows) rows, then \(error)")
            print("gathered log on a full disk: \(rows) rows acknowledged, then: \(error)")
            #expect("\(error)".contains("disk is full"), "\(error)")
            #expect(count(path) == ("ok", rows))
            try disk.emptyFillers()
            store.releaseLog()
            #expect(((try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? -1) == 0)
            try store.write { db in try db.execute(sql: "INSERT INTO scratch VALUES (-1, randomblob(10))") }
            rows += 1
            #expect(count(path) == ("ok", rows))
        }
        #expect(count(path) == ("ok", rows))
    }
}
