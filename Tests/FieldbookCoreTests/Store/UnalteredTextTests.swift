import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// A store whose text columns another program filled with bytes that are not text: refused when
/// it is opened, naming the record and column, before a command reads the value (GRDB's `try!`
/// stopped the program on a village's name in a tally, a head in a search, the round in status).
struct UnalteredTextTests {
    static let cases: [(label: String, sql: String, names: [String])] = [
        ("a village's name", "UPDATE village SET name = x'fffe80' WHERE rowid = 1", ["village", "name"]),
        ("a township's name", "UPDATE township SET name = randomblob(8) WHERE rowid = 1", ["township", "name"]),
        ("a household's head", "UPDATE household SET head = x'c3' WHERE rowid = 1", ["household", "head"]),
        ("a household's code", "UPDATE household SET code = x'ff' WHERE rowid = 1", ["household", "code"]),
        ("a problem's summary", "UPDATE problem SET summary = x'ff' WHERE rowid = 1", ["problem", "summary"]),
        ("the store's round", "UPDATE local_state SET round_id = x'ff'", ["local_state"]),
        ("a device's name", "UPDATE device SET name = x'ff'", ["device"]),
        ("a check removed", "DROP INDEX village_unaltered", ["village_unaltered"]),
    ]

    @Test(arguments: cases) func refusedWhenOpened(_ c: (label: String, sql: String, names: [String])) throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        _ = try store.record(.visit, ["household": "DG001"])
        _ = try store.record(.problem, ["village": "古城乡/西河村", "summary": "村级三资台账缺失"])
        try store.dbQueue.write { db in try db.execute(sql: c.sql) }
        let path = store.path
        #expect {
            try Store.open(at: path)
        } throws: { error in
            guard case FieldbookError.alteredStore(let named, let reason) = error else { return false }
            return named == path && c.names.allSatisfy { reason.contains($0) } && (error as? FieldbookError)?.exitCode == 74
        }
    }

    /// Every store fieldbook writes keeps the checks empty: a store with every kind of record in it.
    @Test func emptyInWhatFieldbookWrites() throws {
        let dir = TemporaryDirectory()
        let store = try makeFieldStore(in: dir)
        _ = try store.record(.visit, ["household": "DG001", "note": "户主在家"])
        _ = try store.record(.forum, ["village": "新华社区", "participants": "5"])
        _ = try store.record(.notice, ["village": "新华社区", "place": "村委会", "copies": "2"])
        _ = try store.record(.fix, ["village": "西河村", "problem": "公开栏未更新", "action": "当场更新"])
        #expect(try store.dbQueue.read(UnalteredText.problem) == nil)
        #expect(try Store.open(at: store.path).dbQueue.read(UnalteredText.problem) == nil)
    }
}
