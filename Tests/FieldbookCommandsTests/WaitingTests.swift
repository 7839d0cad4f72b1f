import FieldbookTestSupport
import Foundation
import GRDB
import Testing

/// Two commands run at once wait for each other instead of failing: through the binary, while
/// another process holds the store's write lock longer than any timeout would allow.
@Suite("Commands wait for each other")
struct WaitingTests {
    @Test("a visit, a merge and a status while another process holds the store for 11 s all succeed")
    func commandsWaitForTheLock() throws {
        let sandbox = try Sandbox.withStore()
        try sandbox.ok("init", "--db", "other.sqlite", "--device", "笔记本2", "--round", "五届第五轮")
        try sandbox.ok("merge", "--db", "other.sqlite", "roster-bundles")
        try sandbox.ok("visit", "--db", "other.sqlite", "DG002")
        try sandbox.ok("pack", "--db", "other.sqlite", "--out", "stick")

        // Another writer takes the store and keeps it past the 10 s the store used to give up after.
        let holder = try DatabaseQueue(path: sandbox.path("fieldbook.sqlite"))
        let locked = DispatchSemaphore(value: 0)
        let released = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? holder.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                locked.signal()
                Thread.sleep(forTimeInterval: 11)
                try db.execute(sql: "COMMIT")
            }
            released.signal()
        }
        locked.wait()
        let started = Date()
        let results = Results()
        let group = DispatchGroup()
        for arguments in [["visit", "DG001"], ["merge", "stick"]] {
            group.enter()
            Thread.detachNewThread {
                results.add(arguments[0], try? sandbox.run(arguments))
                group.leave()
            }
        }
        // A report reads a snapshot and does not wait for the writer at all.
        let status = try sandbox.run("status")
        #expect(status.status == 0, "\(status)")
        #expect(Date().timeIntervalSince(started) < 8, "status waited for the writer")
        group.wait()
        released.wait()
        #expect(Date().timeIntervalSince(started) >= 10)
        let visit = try #require(results.get("visit"))
        #expect(visit.status == 0, "\(visit)")
        #expect(visit.stdout.hasPrefix("Recorded visit"), "\(visit)")
        let merge = try #require(results.get("merge"))
        #expect(merge.status == 0, "\(merge)")
        #expect(merge.stdout.hasPrefix("merged "), "\(merge)")
        #expect(!merge.stdout.split(separator: "\n").contains { $0.hasPrefix("rejected") }, "\(merge)")
        // Nothing is left to say what a finished merge was doing.
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("fieldbook.sqlite-activity")))
    }
}

@Suite("A fault under SQLite's memory map")
struct MemoryMapFaultTests {
    /// On a full disk with 1 KiB blocks, touching SQLite's memory-mapped log index raises SIGBUS.
    /// The command must end with one line naming the disk and exit 74, not die of the signal; the
    /// store stays whole (a write-ahead log commits whole or not at all).
    @Test("SIGBUS while a command is in the middle of its work: one line, exit 74, the store intact")
    func busErrorEndsTheCommandCleanly() throws {
        let sandbox = try Sandbox.withStore()
        try sandbox.record("visit", "DG001")
        let before = try sandbox.snapshot()
        // Hold the store so the next command is inside SQLite, waiting, when the signal comes.
        let holder = try DatabaseQueue(path: sandbox.path("fieldbook.sqlite"))
        let locked = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? holder.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                locked.signal()
                release.wait()
                try db.execute(sql: "ROLLBACK")
            }
        }
        locked.wait()
        let process = Process()
        let binary = try #require(FieldbookBinary.url)
        process.executableURL = binary
        process.arguments = ["visit", "DG002"]
        process.currentDirectoryURL = sandbox.url
        var environment = ProcessInfo.processInfo.environment
        environment["FIELDBOOK_DB"] = nil
        process.environment = environment
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 1.5)
        kill(process.processIdentifier, SIGBUS)
        process.waitUntilExit()
        release.signal()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit, "died of a signal: \(stderr)")
        #expect(process.terminationStatus == 74)
        #expect(stderr.hasPrefix("fieldbook: the disk that holds the store is full or failed"), "\(stderr)")
        #expect(stderr.split(separator: "\n").count == 1)
        #expect(try sandbox.snapshot() == before)
    }
}

final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: RunResult] = [:]
    func add(_ key: String, _ value: RunResult?) { lock.withLock { values[key] = value } }
    func get(_ key: String) -> RunResult? { lock.withLock { values[key] } }
}
