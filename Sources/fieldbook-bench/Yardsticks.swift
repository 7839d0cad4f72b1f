import CSQLiteSettings
import CZlibSys
import FieldbookCore
import Foundation
import GRDB

/// zlib alone on the bundles' own change lines, in the same run: what pack and verify are measured
/// against. Level 6 (what pack uses) through a 64 KiB buffer, gzip framing, as the store does.
enum ZlibYardstick {
    struct Result {
        var rawBytes = 0
        var deflateSeconds = 0.0
        var inflateSeconds = 0.0
    }

    /// Reads the change lines of every format 1 bundle in `folder` (untimed), then deflates them and
    /// inflates the result, timed, bundle by bundle.
    static func measure(folder: String) throws -> Result {
        var result = Result()
        for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() where name.hasSuffix(".fbundle") {
            var raw = [UInt8]()
            try BundleFile.readLines(try BundleFile.open((folder as NSString).appendingPathComponent(name))) { _, bytes in
                raw.append(contentsOf: bytes)
                raw.append(0x0A)
            }
            result.rawBytes += raw.count
            var started = Date()
            let compressed = try deflate(raw)
            result.deflateSeconds += Date().timeIntervalSince(started)
            started = Date()
            let inflated = try inflate(compressed)
            result.inflateSeconds += Date().timeIntervalSince(started)
            guard inflated == raw.count else { throw BenchError("zlib yardstick: \(inflated) bytes back of \(raw.count)") }
        }
        return result
    }

    static func deflate(_ data: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { throw BenchError("zlib would not start") }
        defer { deflateEnd(&stream) }
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var offset = 0
        while true {
            let chunk = min(1 << 16, data.count - offset)
            let flush = offset + chunk == data.count ? Z_FINISH : Z_NO_FLUSH
            var status = Z_OK
            data.withUnsafeBufferPointer { input in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress! + offset)
                stream.avail_in = uInt(chunk)
                repeat {
                    status = buffer.withUnsafeMutableBufferPointer { b in
                        stream.next_out = b.baseAddress
                        stream.avail_out = uInt(b.count)
                        return CZlibSys.deflate(&stream, flush)
                    }
                    out += buffer[..<(buffer.count - Int(stream.avail_out))]
                } while stream.avail_out == 0 || (flush == Z_FINISH && status != Z_STREAM_END)
            }
            offset += chunk
            if flush == Z_FINISH { break }
        }
        return out
    }

    /// Inflates into a 64 KiB buffer, counting what comes out.
    static func inflate(_ data: [UInt8]) throws -> Int {
        var stream = z_stream()
        guard inflateInit2_(&stream, 31, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { throw BenchError("zlib would not start") }
        defer { inflateEnd(&stream) }
        var produced = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var offset = 0
        var status = Z_OK
        while status != Z_STREAM_END && offset < data.count {
            let chunk = min(1 << 16, data.count - offset)
            data.withUnsafeBufferPointer { input in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress! + offset)
                stream.avail_in = uInt(chunk)
                repeat {
                    status = buffer.withUnsafeMutableBufferPointer { b in
                        stream.next_out = b.baseAddress
                        stream.avail_out = uInt(b.count)
                        return CZlibSys.inflate(&stream, Z_NO_FLUSH)
                    }
                    produced += buffer.count - Int(stream.avail_out)
                } while stream.avail_out == 0 && status == Z_OK
            }
            offset += chunk
        }
        return produced
    }
}

/// The roster import's yardstick: the same households, as the import left them in the office's
/// store, inserted into a plain table keyed by id (one prepared statement, one transaction, the
/// store's journal and sync settings). Rows are read into memory first; only the inserts are timed.
enum PlainInsert {
    static func households(from source: String, into path: String) throws -> (rows: Int, seconds: Double) {
        StoreFiles.remove(path)
        var config = Configuration()
        config.prepareDatabase { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let rows = try DatabaseQueue(path: source).read { db in
            try Row.fetchAll(db, sql: "SELECT id, village_id, code, village_group, head, priority, source FROM household")
                .map { row -> StatementArguments in
                    [row["id"] as String, row["village_id"] as String, row["code"] as String, row["village_group"] as String?,
                     row["head"] as String?, row["priority"] as String, row["source"] as String]
                }
        }
        let target = try DatabaseQueue(path: path, configuration: config)
        try target.write { db in
            try db.execute(sql: """
                CREATE TABLE household (id TEXT PRIMARY KEY NOT NULL, village_id TEXT NOT NULL, code TEXT NOT NULL,
                    village_group TEXT, head TEXT, priority TEXT NOT NULL, source TEXT NOT NULL)
                """)
        }
        let started = Date()
        try target.write { db in
            let insert = try db.makeStatement(sql: """
                INSERT INTO household (id, village_id, code, village_group, head, priority, source) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for arguments in rows { try insert.execute(arguments: arguments) }
        }
        return (rows.count, Date().timeIntervalSince(started))
    }
}

/// The floor of the store's layout: the least a step that wrote these rows can take. SQLite writes
/// the very rows a merge or a roster import wrote (its log, its record tables, the readings of
/// names) into a store of the same schema (one `fieldbook init` just made, or a copy of the store
/// a merge began with, into which the rows past each table's last are written), by `INSERT …
/// SELECT` in one transaction, then builds the tally indexes the step set aside, in one more, as a
/// merge does at its end (Store.setTallyIndexesAside, asked of the copy with the same bundles).
/// The store's journal, sync and cache settings, and its log's writes gathered as a store's are
/// (CSQLiteSettings): what fieldbook does to SQLite's writing, it does here too.
///
/// Timed: the two transactions, each to its durable commit. Not timed: the rows copied into
/// memory first, the counts that check the copy, and the close, which copies the log into the
/// store file (a merge does that on a second thread while it writes, and its end waits only for
/// what is left). No fieldbook code runs: no bundle is read, no rule judged, no record folded,
/// and conflicts, the ledger and the device list are not written. So a step can come near this,
/// not below it; what it costs beyond is fieldbook's. `WHERE rowid > 0` keeps SQLite from copying
/// records whole, which would judge no check.
enum LayoutFloor {
    /// The store's tables a merge or a roster import writes rows into: the log, the records, the
    /// name readings of search.
    static let tables = ["change"] + RecordKind.allCases.map(\.table) + ["household_reading", "village_reading"]

    /// Writes the rows of `source` past those `path` holds into `path`, a store; `bundles`, the
    /// bundles the step merged (none for a roster import), say which tally indexes it set aside.
    static func write(rowsOf source: String, into path: String, merging bundles: [String] = []) throws -> Double {
        // The tally indexes a merge of these bundles sets aside, asked of this very store; an
        // import keeps them. Then the store is closed before SQLite alone writes into it.
        var setAside: [String] = []
        if !bundles.isEmpty {
            let store = try Store.open(at: path)
            setAside = try store.setTallyIndexesAside(forMerging: bundles)
        }
        var config = Configuration()
        config.prepareDatabase { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        let queue = try DatabaseQueue(path: path, configuration: config)
        var indexes: [String] = []
        var staged = 0
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS source", arguments: [source])
            // Each built as the merge built it, at its split (the source's definitions).
            for name in setAside {
                guard let sql = try String.fetchOne(db, sql: "SELECT sql FROM source.sqlite_master WHERE type = 'index' AND name = ?", arguments: [name])
                else { throw BenchError("layout floor: the merged store lacks \(name)") }
                indexes.append(sql)
            }
            try db.execute(sql: "INSERT OR IGNORE INTO main.device SELECT * FROM source.device")
            for table in Self.tables {
                try db.execute(sql: """
                    CREATE TEMP TABLE staged_\(table) AS SELECT * FROM source."\(table)"
                    WHERE rowid > (SELECT ifnull(max(rowid), 0) FROM main."\(table)") ORDER BY rowid
                    """)
            }
            try db.execute(sql: "DETACH DATABASE source")
            staged = try Int.fetchOne(db, sql: "SELECT count(*) FROM temp.staged_change") ?? 0
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        // As a store's write transaction: its log gathers its writes until the transaction ends.
        func gathered(_ db: Database, _ body: () throws -> Void) throws {
            defer { _ = fieldbook_log_gathering_off(db.sqliteConnection) }
            try db.inTransaction {
                _ = fieldbook_log_gathering_on(db.sqliteConnection)
                try body()
                return .commit
            }
        }
        var seconds = 0.0
        try queue.writeWithoutTransaction { db in
            let lastChange = try Int64.fetchOne(db, sql: "SELECT ifnull(max(rowid), 0) FROM main.change") ?? 0
            var started = Date()
            try gathered(db) {
                for table in Self.tables {
                    try db.execute(sql: "INSERT INTO main.\"\(table)\" SELECT * FROM temp.staged_\(table) WHERE rowid > 0 ORDER BY rowid")
                }
            }
            seconds += Date().timeIntervalSince(started)
            let written = try Int.fetchOne(db, sql: "SELECT count(*) FROM main.change WHERE rowid > ?", arguments: [lastChange]) ?? 0
            guard written == staged else { throw BenchError("layout floor: \(written) changes written of \(staged)") }
            // As a merge builds what it set aside (Store.buildMissingTallyIndexes).
            try db.execute(sql: "PRAGMA cache_size = -16384")
            try db.execute(sql: "PRAGMA threads = 1")
            started = Date()
            try gathered(db) {
                for sql in indexes { try db.execute(sql: sql) }
            }
            seconds += Date().timeIntervalSince(started)
        }
        try queue.close()
        return seconds
    }
}
