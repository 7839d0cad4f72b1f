import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// A helper's attack on this round's merge speed (LogCheckpoints, the checks on the parser's thread,
/// SQLite's memory statistics, the lists' JSON): each test failed before its fix.
@Suite(.serialized) struct AttackMergeSpeedTests {
    // MARK: Pipeline: the same verdict at the same line, one parser or several

    /// A change repeated (same device, seq) at batch edges (first line, the last line of a batch,
    /// the first of the next, the payload's last) and mixed with a line that fails to parse.
    @Test func refusalsAtBatchEdgesAreTheSameWithOneOrSeveralParsers() throws {
        let dir = TemporaryDirectory()
        let sealed = try SealedLines(dir)
        let lines = sealed.lines
        #expect(lines.count == 2502)
        var cases: [(String, [[UInt8]], Int)] = []
        // Line n (1-based) made a copy of line n-1: refused at n as "twice".
        for n in [1024, 1025, 2048, 2049, 2502] {
            var v = lines
            v[n - 1] = lines[n - 2]
            cases.append(("twice@\(n)", v, n))
        }
        // A refusal, then a line that does not parse, in the same batch: the refusal first.
        var a = lines
        a[1499] = lines[1498]
        a[1509] = Array("{not json".utf8)
        cases.append(("twice-then-garbage", a, 1500))
        // A line that does not parse, then a refusal, in the same batch: the parse failure first.
        var b = lines
        b[1499] = Array("{not json".utf8)
        b[1509] = lines[1508]
        cases.append(("garbage-then-twice", b, 1500))
        // Dropped lines make a manifest mismatch only at the end (tally).
        var c = lines
        c.removeLast()
        cases.append(("tally", c, -1))
        for (name, variant, line) in cases {
            let one = try sealed.read(variant, in: dir, parsers: 1, tag: name)
            let two = try sealed.read(variant, in: dir, parsers: 2, tag: name)
            let three = try sealed.read(variant, in: dir, parsers: 3, tag: name)
            if line > 0 {
                #expect(one.0 == Array(1..<line), "\(name)")
                #expect(one.1?.contains("line \(line)") == true, "\(name): \(one.1 ?? "accepted")")
            } else {
                #expect(one.1 != nil, "\(name)")
            }
            #expect(two.0 == one.0 && three.0 == one.0, "\(name)")
            #expect(two.1 == one.1 && three.1 == one.1, "\(name): \(one.1 ?? "-") / \(two.1 ?? "-") / \(three.1 ?? "-")")
        }
    }

    // MARK: Memory on hostile input

    private func peakKB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss)
    }

    /// A stick's bundle of 400 lines of nearly 1 MB each (well under the 1 MiB line limit; the
    /// payload compresses to ~2 MB). A batch of lines ends at half a mebibyte, not only at 1,024
    /// lines: the reader held up to 1,024 such lines (1 GB) before the parser saw the first, which
    /// is refused at once. (Older than this round: the pipeline's batches were bounded in lines.)
    @Test func longLinesKeepAMergesMemoryUnder200MB() throws {
        let dir = TemporaryDirectory()
        let sealed = try SealedLines(dir, visits: 10)
        var gz: [UInt8] = []
        let deflater = try GzipDeflater(level: 9) { gz.append(contentsOf: $0) }
        let line = Array("{\"x\":\"".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000) + Array("\"}\n".utf8)
        for _ in 0..<400 { try deflater.write(line) }
        try deflater.finish()
        let path = try sealed.seal(gz, in: dir, name: "long-lines.fbundle")
        gz = []
        let before = peakKB()
        var refusal: String?
        do {
            try BundleReading.forEachChange(try BundleFile.open(path), progress: nil, parsers: 1) { _, _ in }
        } catch let error as BundleError {
            refusal = error.reason
        }
        let after = peakKB()
        #expect(refusal?.contains("line 1") == true, "\(refusal ?? "accepted")")
        #expect(after - before < 150_000, "peak grew by \(after - before) KB reading one hostile bundle (peak now \(after / 1024) MB)")
    }

    // MARK: LogCheckpoints

    /// Once the log has passed its limit and started afresh, its file keeps its length (SQLite
    /// does not truncate a restarted log): the log's length is what SQLite says it holds after each
    /// commit, not the file's size, which stayed past the limit for the rest of the merge and made
    /// every later commit wait for its copy.
    @Test func theLogLengthIsWhatTheLogHoldsNotTheFilesSize() throws {
        let dir = TemporaryDirectory()
        let store = try makeOfficeStore(in: dir)
        store.releaseLog()
        let transaction: Int64 = 300 * 4096
        try store.withLogCheckpointedAside(limit: 2 * transaction + transaction / 2) { checkpoints in
            let checkpoints = try #require(checkpoints)
            for _ in 0..<3 {
                try writePages(store, 300)
                checkpoints.committed()
            }
            // Past the limit after the third: waited; the fourth starts the log afresh.
            try writePages(store, 300)
            let frames = try store.read { db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") }
            let logFrames: Int = frames?[1] ?? -1
            #expect(Int64(logFrames) * 4120 < 2 * transaction, "the log restarted: \(logFrames) frames")
            #expect(checkpoints.logLength <= checkpoints.limit,
                    "logLength \(checkpoints.logLength) (the file) > limit \(checkpoints.limit): every commit from now on waits for its copy")
            checkpoints.committed()
        }
    }

    /// Merge's store-failure path calls `committed()` then `releaseLog()` (a TRUNCATE checkpoint)
    /// at once. The TRUNCATE met the checkpoint thread's own PASSIVE checkpoint holding the
    /// checkpoint lock: SQLite returns SQLITE_BUSY without calling the busy handler, and on a full
    /// disk the log's space was not given back. `releaseLog` now lets the copy end first. The
    /// control waits for the copy itself before giving the space back.
    @Test(arguments: [false, true]) func releaseLogGivesTheSpaceBackWhileACheckpointRuns(waitFirst: Bool) throws {
        var kept: [Int64] = []
        for attempt in 0..<(waitFirst ? 1 : 3) {
            let dir = TemporaryDirectory()
            let store = try makeOfficeStore(in: dir)
            store.releaseLog()
            try store.withLogCheckpointedAside(limit: 1 << 40) { checkpoints in
                let checkpoints = try #require(checkpoints)
                try writePages(store, 4000)
                checkpoints.committed()
                if waitFirst { checkpoints.waitForCopies() } else { usleep(UInt32(2_000 + attempt * 3_000)) }
                store.releaseLog()
                kept.append(fileSize(store.path + "-wal"))
            }
        }
        #expect(kept.allSatisfy { $0 == 0 }, "log lengths after releaseLog: \(kept)")
    }
}
