import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// Attacks, through the binary, on the tally indexes a big merge sets aside and a store builds again
/// when opened (TallyIndexes.swift).
@Suite("Attacks on the tally indexes a big merge sets aside", .serialized)
struct AttackTallyIndexesTests {
    @Test(
        "a store left without a tally index on a nearly full disk: recording goes on, the index waits for room",
        .enabled(if: LoopMount.available, "\(LoopMount.why)"))
    func nearlyFullDisk() throws {
        let s = Sandbox()
        let bundle = try SyncEndToEndTests.bigBundle(into: s.path("big"), visits: 20_000)
        let disk = try LoopMount(megabytes: 64)
        defer { disk.close() }
        let store = disk.path("office.sqlite")
        try s.ok("init", "--db", store, "--central", "--device", "巡察办", "--round", "五届第五轮")
        try s.ok("roster", "import", "--db", store, s.write("roster.csv", sampleRosterCSV))
        try s.ok("merge", "--db", store, bundle)
        // A merge killed after setting the visits' index aside (20,000 entries: about 2.6 MB).
        let queue = try DatabaseQueue(path: store)
        try queue.write { try $0.execute(sql: "DROP INDEX visit_tally") }
        try queue.close()
        let without = SyncEndToEndTests.allTallyIndexes.filter { $0 != "visit_tally" }
        #expect(try SyncEndToEndTests.tallyIndexes(store) == without)
        // Room for a visit, many times over, but not for the index.
        try disk.fill(leaving: 1 << 20)
        let visit = try s.run("visit", "--db", store, "DG001", "--note", "满盘之前")
        #expect(visit.status == 0 && visit.exitedNormally, "\(visit)")
        expectNoCrashReport(visit)
        let tally = try s.run("tally", "--db", store, "--format", "json")
        #expect(tally.status == 0 && tally.stdout.contains("\"visits\""), "\(tally)")
        #expect(try SyncEndToEndTests.tallyIndexes(store) == without)
        // Room again: the next command's open builds it.
        try disk.emptyFillers()
        try s.ok("status", "--db", store)
        #expect(try SyncEndToEndTests.tallyIndexes(store) == SyncEndToEndTests.allTallyIndexes)
        let check = try DatabaseQueue(path: store)
        #expect(try check.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM visit WHERE note = '满盘之前'") } == 1)
        try check.close()
    }
}
