import FieldbookTestSupport
import Foundation
import GRDB
import Testing

/// A store another program changed (a database browser, a sync tool): what fieldbook never writes
/// is reported as the store's fault, one line naming the file, exit 74, never a crash.
@Suite("A store changed outside fieldbook, end to end")
struct AlteredStoreTests {
    /// A visit's note made bytes that are not UTF-8: `list`, `show` and `history` stopped with
    /// GRDB's "Fatal error: 'try!'" (signal 4), printing the whole row.
    @Test func bytesThatAreNotTextInARecord() throws {
        let s = try Sandbox.withStore()
        let visit = try s.record("visit", "DG001", "--note", "户主在家")
        let queue = try DatabaseQueue(path: s.path("fieldbook.sqlite"))
        try queue.write { db in
            try db.execute(sql: "UPDATE visit SET note = ? WHERE id = ?", arguments: [Data([0xFF, 0xFE, 0x80, 0x00, 0xC3]), visit.id])
        }
        try queue.close()
        for arguments in [["list"], ["show", visit.id], ["history", visit.id]] {
            expectFailure(try s.run(arguments), code: 74, naming: ["fieldbook.sqlite", visit.id, "note", "never writes"])
        }
    }

    /// Its device row gone: the message named "GRDB.DatabaseQueue", not the file.
    @Test func noDeviceNamesTheFile() throws {
        let s = try Sandbox.withStore()
        let queue = try DatabaseQueue(path: s.path("fieldbook.sqlite"))
        try queue.write { db in try db.execute(sql: "DELETE FROM local_state") }
        try queue.close()
        let result = try s.run("status")
        #expect(result.stderr.contains("fieldbook.sqlite") && !result.stderr.contains("GRDB"), "\(result)")
        expectNoCrashReport(result)
    }
}
