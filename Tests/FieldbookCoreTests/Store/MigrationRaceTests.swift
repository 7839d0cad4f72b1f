import FieldbookTestSupport
import Foundation
import GRDB
import GRDBSQLite
import Testing

@testable import FieldbookCore

/// Two fieldbook commands opening one store of an earlier release at the same moment (a report
/// and a merge started together after an update): each opening migrates. GRDB's migrator reads
/// which migrations are applied before it takes the write lock for the first it runs, so both
/// can find the same one pending, and the second to get the lock runs it again.
@Suite struct MigrationRaceTests {
    @Test(arguments: [("stores-v11", 2), ("stores-v8", 3), ("stores-v5", 3)])
    func openingsOfAStoreToMigrateAtOnceAllOpenIt(release: String, openings: Int) throws {
        let dir = TemporaryDirectory("migration-race")
        let path = try StoreFixture(release).copy("office.sqlite", to: dir)
        // Another command's write transaction: both openings read which migrations are applied
        // (the latest are not), then wait for the write lock.
        let holder = try rawConnection(path)
        defer { sqlite3_close(holder) }
        #expect(sqlite3_exec(holder, "BEGIN IMMEDIATE", nil, nil, nil) == SQLITE_OK)
        final class Outcomes: @unchecked Sendable {
            let lock = NSLock()
            var all: [String] = []
            func add(_ s: String) { lock.withLock { all.append(s) } }
        }
        let outcomes = Outcomes()
        let group = DispatchGroup()
        let waiting = DispatchSemaphore(value: 0)
        for _ in 0..<openings {
            group.enter()
            Thread.detachNewThread {
                let outcome: String
                do {
                    var environment = FixedEnvironment().environment
                    environment.waiting = { _, _ in waiting.signal() }
                    let store = try Store.open(at: path, environment: environment)
                    _ = try store.status()
                    outcome = "opened"
                } catch {
                    outcome = "\(error)"
                }
                outcomes.add(outcome)
                group.leave()
            }
        }
        // Each is past reading the applied migrations and waits on the lock (it says so once).
        for _ in 0..<openings { #expect(waiting.wait(timeout: .now() + 60) == .success) }
        #expect(sqlite3_exec(holder, "COMMIT", nil, nil, nil) == SQLITE_OK)
        group.wait()
        #expect(outcomes.all == Array(repeating: "opened", count: openings), "\(outcomes.all)")
        let store = try Store.open(at: path)
        let integrity = try store.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
        #expect(integrity == "ok")
        let definition = try store.read { db in try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'change'") }
        #expect(definition.map { !$0.contains("json_") } == true)
    }
}
