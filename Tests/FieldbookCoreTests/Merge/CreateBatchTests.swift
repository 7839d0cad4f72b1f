import FieldbookTestSupport
import Foundation
import GRDB
import Testing

@testable import FieldbookCore

/// A merge folds creates a batch at a time (CreateBatch): the records, conflicts and counts must be
/// those of folding them one by one, however the batches fall.
@Suite struct CreateBatchTests {
    /// Two laptops with the roster: creates, edits and deletes in one bundle each, and a household
    /// both found in the field under one code (two creates of one record).
    struct Work {
        let dir = TemporaryDirectory("create-batch")
        let bundles: [String]

        init() throws {
            let office = try makeCentral(in: dir, name: "office.sqlite")
            _ = try office.importRoster(csvAt: dir.write("roster.csv", sampleRosterCSV))
            let roster = try #require(try office.pack(into: dir.path("roster"), scope: .roster)).path
            var bundles = [roster]
            for (n, name) in ["笔记本A", "笔记本B"].enumerated() {
                let laptop = try makeLaptop(in: dir, name: name, clock: FixedEnvironment(seed: UInt64(n + 1)))
                #expect(laptop.merge(bundleAt: roster).status == .merged)
                var visits: [String] = []
                for i in 0..<12 {
                    visits.append(try laptop.record(.visit, ["household": ["DG001", "DG002", "DG003", "XH001"][i % 4], "note": "第\(i)次"]).id)
                    if i % 5 == 0 {
                        _ = try laptop.record(.notice, ["village": "新华社区", "copies": "\(i + 1)", "place": "公示栏"])
                    }
                }
                _ = try laptop.record(.visit, ["household": "ZZ009"], newHousehold: NewHousehold(village: "西河村", head: name == "笔记本A" ? "孙丽" : "孙莉"))
                _ = try laptop.edit(visits[1], set: [("note", "改过")])
                _ = try laptop.edit(visits[7], set: [("met", "户主本人")])
                _ = try laptop.delete(visits[9])
                bundles.append(try #require(try laptop.pack(into: dir.path("stick-\(n)"))).path)
            }
            self.bundles = bundles
        }
    }

    @Test func recordsAndCountsAreThoseOfOneByOneWhateverTheBatchSize() throws {
        let work = try Work()
        var dumps: [String] = []
        var outcomes: [[Int]] = []
        for capacity in [1, 2, 3, 7, CreateBatch.defaultCapacity] {
            let store = try makeCentral(in: work.dir, name: "office-\(capacity).sqlite")
            var counts: [Int] = []
            for bundle in work.bundles {
                var options = MergeOptions()
                options.createBatch = capacity
                let outcome = store.merge(bundleAt: bundle, options: options)
                #expect(outcome.status == .merged)
                counts += [outcome.newChanges, outcome.newRecords, outcome.updatedFields, outcome.newConflicts]
            }
            dumps.append(try dumpRecords(store))
            outcomes.append(counts)
        }
        // Batches of one are the fold of each create on its own, as merges folded before.
        for (dump, counts) in zip(dumps.dropFirst(), outcomes.dropFirst()) {
            #expect(dump == dumps[0])
            #expect(counts == outcomes[0])
        }
        // The household both laptops found is one record with its conflict, not two, not lost.
        #expect(dumps[0].contains("孙丽") && dumps[0].contains("孙莉"))
        #expect(outcomes[0].last! > 0)
    }

    @Test func aRecordRowNoChangeExplainsIsMendedFromTheCreate() throws {
        let work = try Work()
        let clean = try makeCentral(in: work.dir, name: "clean.sqlite")
        let edited = try makeCentral(in: work.dir, name: "edited.sqlite")
        for store in [clean, edited] { #expect(store.merge(bundleAt: work.bundles[0]).status == .merged) }
        // A visit's row written by hand before its create arrives (a store edited outside Fieldbook).
        let laptopBundle = work.bundles[1]
        let visit = try #require(
            try Store.open(at: work.dir.path("笔记本A.sqlite")).dbQueue.read { db in
                try String.fetchOne(db, sql: "SELECT id FROM visit ORDER BY created_hlc LIMIT 1")
            })
        try edited.dbQueue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO visit (id, round_id, household_id, date, note, created_by, created_hlc, updated_hlc)
                    VALUES (?, 'x', 'y', '2026-01-01', '手改', 'z', 1, 1)
                    """, arguments: [visit])
        }
        let a = clean.merge(bundleAt: laptopBundle)
        let b = edited.merge(bundleAt: laptopBundle)
        #expect(a.status == .merged && b.status == .merged)
        // The field records as the clean store has them (each office made its own round record).
        func visits(_ store: Store) throws -> [Substring] {
            try dumpRecords(store).split(separator: "\n").filter { $0.hasPrefix("visit ") }
        }
        #expect(try visits(edited) == visits(clean))
        #expect(try !visits(edited).contains { $0.contains("手改") })
        #expect(b.newRecords == a.newRecords - 1)
    }

    /// A rule of this store that a bundle's values cannot know of refuses the visit noted "第6次":
    /// a trigger that aborts the statement, or a unique index that another visit of the bundle
    /// (noted "第2次", the same household) has taken first.
    @Test(arguments: [
        "CREATE TRIGGER refuse BEFORE INSERT ON visit WHEN NEW.note = '第6次' BEGIN SELECT RAISE(ABORT, 'refused'); END",
        "CREATE UNIQUE INDEX refuse ON visit(household_id) WHERE note = '第2次' OR note = '第6次'",
    ])
    func aCreateTheStoreRefusesIsNamedByItsLineAndNothingIsMerged(rule: String) throws {
        let work = try Work()
        let store = try makeCentral(in: work.dir, name: "refusing.sqlite")
        #expect(store.merge(bundleAt: work.bundles[0]).status == .merged)
        try store.dbQueue.write { db in try db.execute(sql: rule) }
        var line = 0
        try BundleFile.readLines(try BundleFile.open(work.bundles[1])) { number, bytes in
            if String(decoding: bytes, as: UTF8.self).contains("第6次") { line = number }
        }
        #expect(line > 0)
        let before = try dump(store)
        for capacity in [1, 4, CreateBatch.defaultCapacity] {
            var options = MergeOptions()
            options.createBatch = capacity
            let outcome = store.merge(bundleAt: work.bundles[1], options: options)
            guard case .rejected(let reason) = outcome.status else {
                Issue.record("merged a bundle the store refuses: \(outcome.status)")
                continue
            }
            #expect(reason.contains("has a visit at line \(line) this store refuses"), "\(reason)")
            #expect(try dump(store) == before)
        }
    }
}
