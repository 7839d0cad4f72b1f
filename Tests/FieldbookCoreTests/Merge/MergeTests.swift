import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

@Suite struct MergeTests {
    /// An office with the roster, and two laptops that got it by bundle.
    struct Team {
        let dir = TemporaryDirectory("merge")
        let office: Store
        let a: Store
        let b: Store
        let clockA = FixedEnvironment(seed: 1)
        let clockB = FixedEnvironment(seed: 2)
        let rosterBundle: String

        init() throws {
            office = try makeCentral(in: dir, name: "office.sqlite")
            _ = try office.importRoster(csvAt: dir.write("roster.csv", sampleRosterCSV))
            rosterBundle = try #require(try office.pack(into: dir.path("stick"), scope: .roster)).path
            a = try makeLaptop(in: dir, name: "笔记本A", clock: clockA)
            b = try makeLaptop(in: dir, name: "笔记本B", clock: clockB)
            #expect(a.merge(bundleAt: rosterBundle).status == .merged)
            #expect(b.merge(bundleAt: rosterBundle).status == .merged)
        }

        func pack(_ store: Store, _ folder: String) throws -> String {
            try #require(try store.pack(into: dir.path(folder))).path
        }
    }

    @Test func packWritesEverythingNotYetPackedAndThenNothing() throws {
        let t = try Team()
        _ = try t.a.record(.visit, ["household": "DG001"])
        _ = try t.a.record(.notice, ["village": "新华社区", "copies": "2", "place": "公示栏"])
        let first = try #require(try t.a.pack(into: t.dir.path("s")))
        #expect(first.manifest.counts["visit"] == 1)
        #expect(first.manifest.counts["notice"] == 1)
        #expect(first.manifest.ownRange?.firstSeq == 1)
        // Its own changes only: the roster it merged from the office goes back only with --all.
        #expect(first.manifest.devices.map(\.name) == ["笔记本A"])
        #expect((first.path as NSString).lastPathComponent.hasPrefix("笔记本A_s1-"))
        #expect(try t.a.pack(into: t.dir.path("s")) == nil)
        #expect(try t.a.status().unpacked == 0)
        let all = try #require(try t.a.pack(into: t.dir.path("s"), scope: .all))
        #expect(all.manifest.changes == first.manifest.changes + (try BundleFile.open(t.rosterBundle).manifest.changes))
        #expect(try BundleVerifier.verify(first.path) == first.manifest)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: t.dir.path("s")).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    @Test func theSameBundleMergesOnceUnderAnyName() throws {
        let t = try Team()
        _ = try t.a.record(.visit, ["household": "DG001"])
        let bundle = try t.pack(t.a, "s")
        let copy = t.dir.path("copy-of-bundle.fbundle")
        try FileManager.default.copyItem(atPath: bundle, toPath: copy)
        let first = t.office.merge(bundleAt: bundle)
        #expect(first.status == .merged)
        #expect(first.newRecords == 2)  // the visit, and the team A's init recorded
        let before = try dump(t.office)
        #expect(t.office.merge(bundleAt: bundle).status == .alreadyMerged)
        #expect(t.office.merge(bundleAt: copy).status == .alreadyMerged)
        let reexport = try #require(try t.a.pack(into: t.dir.path("s2"), scope: .all))
        #expect(t.office.merge(bundleAt: reexport.path).status == .alreadyMerged)
        #expect(try dump(t.office) == before)
    }

    @Test func concurrentEditsMergeFieldByFieldAndLogTheLoser() throws {
        let t = try Team()
        let visit = try t.a.record(.visit, ["household": "DG001", "note": "初访"])
        _ = t.b.merge(bundleAt: try t.pack(t.a, "a1"))
        _ = try t.a.edit(visit.id, set: [("note", "A的记录")])
        _ = try t.b.edit(visit.id, set: [("note", "B的记录"), ("met", "户主本人")])
        let fromA = try t.pack(t.a, "a2")
        let fromB = try t.pack(t.b, "b1")
        for store in [t.office, t.a, t.b] {
            _ = store.merge(bundleAt: fromA)
            _ = store.merge(bundleAt: fromB)
        }
        let records = try [t.office, t.a, t.b].map { try $0.record(id: visit.id) }
        #expect(Set(records.map { $0["note"] }).count == 1)
        #expect(records[0]["met"] == .text("户主本人"))
        let conflicts = try t.office.conflicts()
        #expect(conflicts.count == 1)
        #expect(conflicts.first?.field == "note")
        #expect(Set([conflicts.first?.kept, conflicts.first?.overwritten]) == Set(["A的记录", "B的记录"]))
        let onA = try t.a.conflicts()
        #expect(onA.map(\.id) == conflicts.map(\.id), "\(onA)")

        // A person decides at the office; the decision travels and ends the conflict everywhere.
        let resolved = try t.office.resolveConflict(String(conflicts[0].id.prefix(6)), keep: .value("两人核对后的记录"))
        #expect(resolved["note"] == .text("两人核对后的记录"))
        #expect(try t.office.conflicts().isEmpty)
        let decision = try t.pack(t.office, "o1")
        #expect(t.a.merge(bundleAt: decision).status == .merged)
        #expect(try t.a.conflicts().isEmpty)
        #expect(try t.a.record(id: visit.id)["note"] == .text("两人核对后的记录"))
    }

    @Test func aDeleteConcurrentWithAnEditIsResolvedAndLogged() throws {
        let t = try Team()
        let notice = try t.a.record(.notice, ["village": "新华社区", "copies": "2", "place": "公示栏"])
        _ = t.b.merge(bundleAt: try t.pack(t.a, "a1"))
        _ = try t.a.delete(notice.id)
        t.clockB.advance(600)
        _ = try t.b.edit(notice.id, set: [("copies", "3")])
        _ = t.office.merge(bundleAt: try t.pack(t.b, "b1"))
        _ = t.office.merge(bundleAt: try t.pack(t.a, "a2"))
        let kept = try t.office.record(id: notice.id)
        #expect(!kept.deleted)  // B's edit came later by the clock
        #expect(kept["copies"] == .int(3))
        let conflict = try #require(try t.office.conflicts().first)
        #expect(conflict.field == "deleted")
        #expect(conflict.overwritten == "deleted")
    }

    @Test func gapsAreReportedUntilFilled() throws {
        let t = try Team()
        _ = try t.a.record(.visit, ["household": "DG001"])
        let first = try #require(try t.a.pack(into: t.dir.path("a1")))
        let v2 = try t.a.record(.visit, ["household": "DG002"])
        _ = try t.a.edit(v2.id, set: [("note", "补记")])
        let second = try t.pack(t.a, "a2")
        let central = try makeCentral(in: t.dir, name: "c2.sqlite")
        #expect(central.merge(bundleAt: second).status == .merged)
        let gapped = try #require(try central.devices().first { $0.name == "笔记本A" })
        let firstRange = try #require(first.manifest.ownRange)
        #expect(gapped.gaps == [firstRange.firstSeq...firstRange.lastSeq])
        // What `merge` reports, read from the log's index alone, names the same gaps.
        let reported = try central.mergeSummary().gaps
        #expect(reported.map(\.device) == ["笔记本A"])
        #expect(reported.first?.gaps == gapped.gaps)
        #expect(try central.record(id: v2.id)["note"] == .text("补记"))
        #expect(central.merge(bundleAt: first.path).status == .merged)
        #expect(try central.devices().allSatisfy { $0.gaps.isEmpty })
        #expect(try central.mergeSummary().gaps.isEmpty)
    }

    /// What `status` counts, read the short way (the deleted as all but the live, the unpacked from
    /// the nearer end of the log), is what its definitions count, wherever the packing mark is.
    @Test func statusCountsAreThoseOfTheirDefinitions() throws {
        let t = try Team()
        var visits: [String] = []
        for code in ["DG001", "DG002", "DG001"] { visits.append(try t.a.record(.visit, ["household": code]).id) }
        _ = try t.a.record(.notice, ["village": "新华社区", "copies": "2", "place": "公示栏"])
        _ = try t.a.delete(visits[1])
        _ = try t.pack(t.a, "s")
        _ = try t.a.record(.visit, ["household": "DG002"])
        _ = try t.a.delete(visits[0])
        let ids = try t.a.dbQueue.read { try Int64.fetchAll($0, sql: "SELECT id FROM change ORDER BY id") }
        let marks = [Int64(0), ids[0] - 1, ids[0], ids[1], ids[ids.count / 3], ids[ids.count / 2], ids[ids.count - 2], ids.last!, ids.last! + 5]
        for mark in marks + [try t.a.dbQueue.read { try Int64.fetchOne($0, sql: "SELECT packed_through FROM local_state") ?? 0 }] {
            try t.a.dbQueue.write { try $0.execute(sql: "UPDATE local_state SET packed_through = ?", arguments: [mark]) }
            let status = try t.a.status()
            let (unpacked, live, deleted) = try t.a.dbQueue.read { db in
                (try Int.fetchOne(db, sql: "SELECT count(*) FROM change WHERE id > ?", arguments: [mark]),
                 try RecordKind.allCases.map { try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0.table) WHERE deleted = 0") },
                 try RecordKind.allCases.map { try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0.table) WHERE deleted = 1") })
            }
            #expect(status.unpacked == unpacked, "mark \(mark)")
            #expect(RecordKind.allCases.map { status.counts[$0] } == live)
            #expect(RecordKind.allCases.map { status.deletedCounts[$0] } == deleted)
        }
        #expect(try t.a.status().deletedCounts[.visit] == 2)
        // The latest change, read from the devices' own latest clocks in `status`, is the log's.
        _ = try t.b.record(.visit, ["household": "DG003"])
        let office = try makeCentral(in: t.dir, name: "c-status.sqlite")
        for store in [t.a, t.b] { #expect(office.merge(bundleAt: try t.pack(store, "all-\(store.path.hashValue)")).status == .merged) }
        func logsLatest() throws -> HybridTimestamp? {
            try office.dbQueue.read { try Int64.fetchOne($0, sql: "SELECT max(hlc) FROM change").map(HybridTimestamp.init(rawValue:)) }
        }
        #expect(try office.statusReport().status.lastChange == logsLatest())
        #expect(try office.statusReport().status.lastChange == office.status().lastChange)
        // A change whose device the store does not list: the devices no longer account for the
        // whole log, and the log itself is asked.
        try office.dbQueue.write { db in
            try db.execute(sql: "DELETE FROM device WHERE id = (SELECT device_id FROM change ORDER BY hlc DESC LIMIT 1)")
        }
        #expect(try office.statusReport().status.lastChange == logsLatest())
    }

    /// Changes whose record's create has not arrived: counted in one pass over the log as the
    /// changes of each kind whose record its table lacks (the definition, asked kind by kind).
    @Test func changesWaitForTheirCreateUntilItArrives() throws {
        let t = try Team()
        let visit = try t.a.record(.visit, ["household": "DG001"])
        let first = try t.pack(t.a, "a1")
        _ = try t.a.edit(visit.id, set: [("note", "补记")])
        _ = try t.a.edit(visit.id, set: [("met", "户主")])
        let second = try t.pack(t.a, "a2")
        let central = try makeCentral(in: t.dir, name: "c-wait.sqlite")
        func kindByKind() throws -> Int {
            try central.dbQueue.read { db in
                try RecordKind.allCases.reduce(0) { total, kind in
                    total + (try Int.fetchOne(db, sql: """
                        SELECT count(*) FROM change c WHERE c.kind = ?
                        AND NOT EXISTS (SELECT 1 FROM \(kind.table) r WHERE r.id = c.record_id)
                        """, arguments: [kind.rawValue]) ?? 0)
                }
            }
        }
        #expect(central.merge(bundleAt: second).status == .merged)
        #expect(try central.waitingChanges() == 2)
        #expect(try kindByKind() == 2)
        #expect(try central.statusReport().waitingChanges == 2)
        #expect(central.merge(bundleAt: first).status == .merged)
        #expect(try central.waitingChanges() == 0)
        #expect(try kindByKind() == 0)
    }

    @Test func recordsPointingAtUnknownHouseholdsAreKeptAndCountOnceKnown() throws {
        let t = try Team()
        let first = try t.pack(t.a, "a1")
        _ = try t.a.record(.visit, ["household": "DG001"])
        _ = try t.a.record(.visit, ["household": "XH777"], newHousehold: NewHousehold(village: "新华社区", head: "田七"))
        let visits = try t.pack(t.a, "a2")
        // A central store without the roster gets the visits first: kept, and flagged until the roster comes.
        let central = try makeCentral(in: t.dir, name: "c3.sqlite")
        #expect(central.merge(bundleAt: visits).status == .merged)
        let unknown = try central.unknownReferences()
        #expect(unknown.contains { $0.kind == .visit && $0.field == "household" && $0.count == 1 })
        #expect(unknown.contains { $0.kind == .household && $0.field == "village" && $0.count == 1 })
        #expect(try central.list(RecordFilter(kinds: [.visit])).count == 2)
        #expect(central.merge(bundleAt: first).status == .merged)
        #expect(!(try central.unknownReferences().isEmpty))
        #expect(central.merge(bundleAt: t.rosterBundle).status == .merged)
        #expect(try central.unknownReferences().isEmpty)
    }

    @Test func aClockFarAheadIsFlaggedAndDoesNotDragTheStoreAlong() throws {
        let t = try Team()
        let notice = try t.a.record(.notice, ["village": "新华社区", "copies": "2", "place": "公示栏"])
        _ = t.b.merge(bundleAt: try t.pack(t.a, "a1"))
        t.clockB.advance(86_400 * 30)  // B's clock is a month ahead
        _ = try t.b.edit(notice.id, set: [("copies", "9")])
        let outcome = t.a.merge(bundleAt: try t.pack(t.b, "b1"))
        #expect(outcome.status == .merged)
        #expect((outcome.aheadBy ?? 0) > 86_400 * 29)
        #expect(try t.a.devices().first { $0.name == "笔记本B" }?.aheadBy != nil)
        // A, having seen B's value, corrects it: its edit wins although its clock is a month behind.
        _ = try t.a.edit(notice.id, set: [("copies", "3")])
        #expect(try t.a.record(id: notice.id)["copies"] == .int(3))
        _ = t.b.merge(bundleAt: try t.pack(t.a, "a2"))
        #expect(try t.b.record(id: notice.id)["copies"] == .int(3))
        #expect(try t.b.conflicts().isEmpty)
    }

    @Test func aCopiedStoreFileIsCaughtNotSilentlyMerged() throws {
        let t = try Team()
        _ = try t.a.record(.visit, ["household": "DG001"])
        _ = t.office.merge(bundleAt: try t.pack(t.a, "a1"))
        // Someone copies A's store to another laptop; both record change 2.
        let copyPath = t.dir.path("copy.sqlite")
        try t.a.dbQueue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO '\(copyPath)'") }
        let copy = try Store.open(at: copyPath, environment: FixedEnvironment(seed: 3).environment)
        _ = try t.a.record(.visit, ["household": "DG002"])
        _ = try copy.record(.visit, ["household": "DG003"])
        #expect(t.office.merge(bundleAt: try t.pack(t.a, "a2")).status == .merged)
        let before = try dump(t.office)
        guard case .rejected(let reason) = t.office.merge(bundleAt: try t.pack(copy, "copy")).status else {
            Issue.record("a copied store's bundle was not refused")
            return
        }
        #expect(reason.contains("share one device id"))
        #expect(try dump(t.office) == before)
    }
}
