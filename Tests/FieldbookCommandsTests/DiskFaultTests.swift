import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@Suite("A full disk and a write-protected stick", .serialized, .enabled(if: LoopMount.available, "\(LoopMount.why)"))
struct DiskFaultTests {
    @Test("recording until the disk is full, then status, recording and merge: no crash, the disk named, every acknowledged record kept")
    func fullDisk() throws {
        let sandbox = try Sandbox.withStore()
        // A laptop's bundle to merge at the office on the stick.
        for code in ["DG001", "DG002", "DG003", "XH001"] { try sandbox.record("visit", code, "--note", String(repeating: "记", count: 900)) }
        try sandbox.ok("pack", "--out", "stick-bundles")
        let disk = try LoopMount(megabytes: 6)
        defer { disk.close() }
        let store = disk.path("office.sqlite")
        try sandbox.ok("init", "--db", store, "--central", "--device", "巡察办", "--round", "五届第五轮")
        try sandbox.ok("roster", "import", "--db", store, "roster.csv")
        try disk.fill(leaving: 300 << 10)
        // Record until the disk refuses: every command ends normally, 0 or 74.
        var acknowledged = 0
        for i in 0..<200 {
            let result = try sandbox.run("forum", "--db", store, "城关镇/东关村", "--participants", "3", "--note", "\(i)" + String(repeating: "满", count: 1300))
            #expect(result.exitedNormally, "\(result)")
            expectNoCrashReport(result)
            if result.status == 0 { acknowledged += 1; continue }
            #expect(result.status == 74, "\(result)")
            #expect(result.stderr.contains("disk is full"), "\(result)")
            break
        }
        #expect(acknowledged > 0)
        try disk.fill()
        let status = try sandbox.run("status", "--db", store)
        #expect(status.status == 0 && status.exitedNormally, "\(status)")
        #expect(try sandbox.run("tally", "--db", store).status == 0)
        let visit = try sandbox.run("visit", "--db", store, "DG001")
        #expect(visit.status == 74 && visit.stderr.contains("disk is full"), "\(visit)")
        let merge = try sandbox.run("merge", "--db", store, "stick-bundles")
        #expect(merge.status == 74 && merge.exitedNormally, "\(merge)")
        #expect(merge.stdout.hasPrefix("not merged "), "\(merge)")
        #expect(!merge.stdout.contains("rejected "), "\(merge)")
        #expect(merge.stderr.contains("disk is full") && merge.stderr.contains("needs about"), "\(merge)")
        #expect(merge.stderr.split(separator: "\n").count == 1, "\(merge)")
        // Space again: nothing acknowledged was lost, the store is whole, and the merge goes through.
        try disk.emptyFillers()
        let check = try DatabaseQueue(path: store)
        #expect(try check.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        #expect(try check.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM forum") } == acknowledged)
        try check.close()
        #expect(try sandbox.run("merge", "--db", store, "stick-bundles").status == 0)
    }

    @Test("a store on a write-protected stick: reports read it, writes say the disk is read-only, nothing is created beside it")
    func writeProtectedStick() throws {
        let sandbox = try Sandbox.withStore()
        try sandbox.record("visit", "DG001")
        try sandbox.ok("pack", "--out", "stick-bundles")
        let disk = try LoopMount(megabytes: 4)
        defer { disk.close() }
        let store = disk.path("office.sqlite")
        try sandbox.ok("init", "--db", store, "--central", "--device", "巡察办", "--round", "五届第五轮")
        try sandbox.ok("roster", "import", "--db", store, "roster.csv")
        try disk.remountReadOnly()
        let before = try disk.listing()
        for command in [["status"], ["tally"], ["list"], ["pending", "--village", "城关镇/东关村"]] {
            let result = try sandbox.run(command + ["--db", store])
            #expect(result.status == 0, "\(result)")
        }
        let visit = try sandbox.run("visit", "--db", store, "DG001")
        #expect(visit.status == 74 && visit.stderr.contains("read-only"), "\(visit)")
        let merge = try sandbox.run("merge", "--db", store, "stick-bundles")
        #expect(merge.status == 74, "\(merge)")
        #expect(!merge.stdout.contains("rejected "), "\(merge)")
        #expect(merge.stderr.components(separatedBy: "read-only").count == 2, "say it once: \(merge)")
        #expect(try disk.listing() == before)
    }
}
