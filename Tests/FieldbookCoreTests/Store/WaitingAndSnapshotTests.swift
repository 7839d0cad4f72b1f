import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

@Suite struct WaitingAndSnapshotTests {
    /// A command held up by another is told, once, what it waits for.
    @Test func aWaitingCommandIsToldWhatItWaitsFor() throws {
        let dir = TemporaryDirectory()
        let clock = FixedEnvironment()
        let heard = Heard()
        var environment = clock.environment
        environment.waiting = { store, activity in heard.add("\((store as NSString).lastPathComponent): \(activity ?? "-")") }
        let office = try makeOfficeStore(in: dir)
        let waiter = try Store.open(at: office.path, environment: environment)
        let activity = office.announce("a merge")
        let holder = try DatabaseQueue(path: office.path)
        let locked = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? holder.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                locked.signal()
                Thread.sleep(forTimeInterval: 2)
                try db.execute(sql: "COMMIT")
            }
        }
        locked.wait()
        _ = try waiter.record(.visit, ["household": "DG001"])
        activity.end()
        #expect(heard.all == ["office.sqlite: a merge (process \(getpid()))"])
        #expect(!FileManager.default.fileExists(atPath: office.path + "-activity"))
    }

    /// `status` reads one snapshot: the changes it counts are the changes its device table holds,
    /// however a merge in another connection moves on meanwhile.
    @Test func statusFiguresAddUpWhileAMergeWrites() throws {
        let dir = TemporaryDirectory()
        let laptop = try makeFieldStore(in: dir)
        _ = try laptop.recordBatch((0..<6000).map { i in
            (kind: .visit, fields: ["round": .text(RecordID.round("五届第五轮")), "household": .text(RecordID.household(code: "DG00\(i % 3 + 1)")),
                                   "date": .text("2026-11-21"), "note": .text("第\(i)户")])
        })
        let bundles = try (0..<6).map { _ -> String in
            _ = try laptop.recordBatch((0..<1000).map { i in
                (kind: .visit, fields: ["round": .text(RecordID.round("五届第五轮")), "household": .text(RecordID.household(code: "GC001")),
                                       "date": .text("2026-11-2\(i % 9)"), "note": .null])
            })
            return try #require(try laptop.pack(into: dir.path("stick"))).path
        }
        let office = try makeOfficeStore(in: dir)
        let reader = try Store.open(at: office.path, environment: FixedEnvironment().environment)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            for bundle in bundles { _ = office.merge(bundleAt: bundle) }
            done.signal()
        }
        var checks = 0
        while done.wait(timeout: .now()) == .timedOut {
            let report = try reader.statusReport()
            #expect(report.status.changes == report.devices.map(\.changes).reduce(0, +))
            checks += 1
        }
        #expect(checks > 0)
    }
}

final class Heard: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) { lock.withLock { items.append(item) } }
    var all: [String] { lock.withLock { items } }
}
