import Foundation
import GRDB
import GRDBSQLite

/// A store's write-ahead log copied into the store on a thread of its own while the writer goes on.
///
/// Every commit first writes its pages to the log (`-wal`); a checkpoint then copies them into the
/// store file. SQLite runs that checkpoint inside the commit that passes a thousand pages, on the
/// writer's thread: a merge of four bundles of 250,000 changes copied about a gigabyte that way,
/// a fifth of its time, while the merge's other core waited (docs/PERFORMANCE.md, "Merge speed", seventh round).
/// During a run of write transactions (``Store/withLogCheckpointedAside(limit:_:)``) the writer makes no
/// checkpoint itself; each commit asks this one, which copies what was committed, on its own
/// connection, while the writer goes on with the next bundle.
///
/// A checkpoint never blocks the writer and changes nothing the store holds: the same pages reach
/// the store file, later, and a crash in between leaves them in the log, where SQLite finds them,
/// as after any commit. What changes is the log's length: SQLite starts the log afresh only when a
/// write begins with every page of it copied, which a checkpoint running alongside never leaves.
/// So once the log passes ``limit`` after a commit, the writer waits for its copy to end, and the
/// next write starts the log afresh: the log holds at most about ``limit`` and one bundle. What the
/// log holds is told by SQLite after each commit (its WAL hook: the frames since the log last
/// started afresh), not read from the file, which SQLite reuses from its start without shrinking it.
public final class LogCheckpoints: @unchecked Sendable {
    /// The log's length after which the writer waits for the checkpoint before its next write.
    public let limit: Int64
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var asked = 0
    private var copied = 0
    private var closing = false
    private var running = false
    private var connection: OpaquePointer?
    /// Frames in the log after the writer's last commit, and the bytes each takes there.
    private var frames = 0
    private var frameBytes: Int64 = 4096 + 24

    /// Opens the checkpoint's own connection to the store at `path`; nil when it cannot (the writer
    /// then checkpoints as SQLite does by itself).
    init?(path: String, limit: Int64) {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK,
            sqlite3_exec(handle, "PRAGMA synchronous = FULL", nil, nil, nil) == SQLITE_OK
        else {
            sqlite3_close(handle)
            return nil
        }
        connection = handle
        self.limit = limit
        running = true
        Thread.detachNewThread { [self] in copyLoop() }
    }

    /// A write transaction has committed: its pages are copied into the store alongside the next
    /// one; once the log is longer than ``limit``, this waits for that copy, so that the next
    /// write starts the log afresh.
    public func committed() {
        condition.lock()
        asked += 1
        condition.broadcast()
        condition.unlock()
        if logLength > limit { waitForCopies() }
    }

    /// What the log holds after the writer's last commit, in bytes.
    var logLength: Int64 {
        condition.lock()
        defer { condition.unlock() }
        return Int64(frames) * frameBytes
    }

    /// Takes over the writer's WAL hook (and so SQLite's own checkpoints, which it makes through
    /// that hook) to be told after each commit what the log holds.
    fileprivate func watch(_ db: Database) throws {
        let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
        condition.lock()
        frameBytes = pageSize + 24
        condition.unlock()
        let hook: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = { context, _, _, frames in
            guard let context else { return SQLITE_OK }
            let checkpoints = Unmanaged<LogCheckpoints>.fromOpaque(context).takeUnretainedValue()
            checkpoints.condition.lock()
            checkpoints.frames = Int(frames)
            checkpoints.condition.unlock()
            return SQLITE_OK
        }
        sqlite3_wal_hook(db.sqliteConnection, hook, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Waits until every checkpoint asked for has run: before the log's space is given back
    /// (`Store.releaseLog`), which a checkpoint running meanwhile would make SQLite refuse.
    public func waitForCopies() {
        condition.lock()
        while copied < asked && running { condition.wait() }
        condition.unlock()
    }

    /// Runs the checkpoints still asked for, then closes the connection.
    func finish() {
        condition.lock()
        closing = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
        sqlite3_close(connection)
        connection = nil
    }

    private func copyLoop() {
        while true {
            condition.lock()
            while asked == copied && !closing { condition.wait() }
            if asked == copied {
                running = false
                condition.broadcast()
                condition.unlock()
                return
            }
            let target = asked
            condition.unlock()
            // Passive: copies what no reader still needs, waits for nobody. A page it cannot copy
            // now stays in the log, for the next checkpoint or the store's close.
            _ = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            condition.lock()
            copied = target
            condition.broadcast()
            condition.unlock()
        }
    }
}

extension Store {
    /// The most a run of writes lets the log grow to, in bytes, before its writer waits for the
    /// checkpoint (``LogCheckpoints``): a gigabyte, or a quarter of the disk's free space if less,
    /// so that a merge never needs much more room than it did with SQLite's own checkpoints.
    static func logLimit(_ path: String) -> Int64 {
        let folder = FilePaths.folder(of: path)
        var stats = statvfs()
        guard statvfs(folder, &stats) == 0 else { return 0 }
        return min(1 << 30, Int64(stats.f_bavail) * Int64(stats.f_frsize) / 4)
    }

    /// Runs `body`, a run of write transactions (the bundles of a merge), with the log copied into
    /// the store on another thread after each commit that `body` reports to the ``LogCheckpoints``
    /// it is given, instead of by the writer inside its commits. Afterwards every checkpoint asked
    /// for has run and the writer checkpoints by itself again. Where a second connection cannot be
    /// opened, `body` runs as it would without. `limit`: the log's most (``LogCheckpoints/limit``),
    /// ``logLimit(_:)`` unless given.
    public func withLogCheckpointedAside<T>(limit: Int64? = nil, _ body: (LogCheckpoints?) throws -> T) throws -> T {
        guard cannotWrite == nil, let checkpoints = LogCheckpoints(path: path, limit: limit ?? Store.logLimit(path)) else {
            return try body(nil)
        }
        defer {
            // SQLite's own hook back first (its checkpoints), then the last copies.
            try? dbQueue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_autocheckpoint = 1000") }
            logCopies.withLock { $0 = nil }
            checkpoints.finish()
        }
        guard (try? dbQueue.writeWithoutTransaction({ try checkpoints.watch($0) })) != nil else {
            return try body(nil)
        }
        logCopies.withLock { $0 = checkpoints }
        return try body(checkpoints)
    }
}
